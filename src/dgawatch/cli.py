"""The ``dgawatch`` command line. Stable for scripting: machine-readable output goes to
stdout, progress bars and messages to stderr, and every user error is one line on stderr
with exit status 2."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dgawatch import __version__
from dgawatch.classify.cli import classify_app
from dgawatch.clihelp import hidden_negation, output_console
from dgawatch.days import FIRST_SUPPORTED, LAST_SUPPORTED, day_range, parse_day, span
from dgawatch.deliver import deliver_command
from dgawatch.domain import invalid_reason, normalise
from dgawatch.errors import DgawatchError, InputError
from dgawatch.families import all_families, choose_variants, family_names
from dgawatch.families.base import Variant
from dgawatch.feeds.cli import feed_app
from dgawatch.forecast import (
    FORMATS,
    DayList,
    active_selection,
    check_active,
    format_mismatch,
    iter_day_lists,
    some_suffixes,
    tlds_selecting_nothing,
    write_forecast,
)
from dgawatch.formats import HUNT_OUTPUT_FORMATS
from dgawatch.gopack_cli import gopack_app, refuse_build_options_with
from dgawatch.orgs.cli import org_app
from dgawatch.outfile import atomic_file, check_output_dir, check_output_file
from dgawatch.sinkhole.cli import sinkhole_app
from dgawatch.watch.cli import watch_app
from dgawatch.web.cli import web_app

if TYPE_CHECKING:
    from rich.progress import Progress

app = typer.Typer(
    name="dgawatch",
    help="Forecast, block, sinkhole, hunt and detect domain-generating botnets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
store_app = typer.Typer(help="The embedded forecast store (DuckDB).", no_args_is_help=True)
conficker_app = typer.Typer(help="Conficker-specific tools.", no_args_is_help=True)
app.add_typer(store_app, name="store")
app.add_typer(conficker_app, name="conficker")
app.add_typer(sinkhole_app, name="sinkhole")
app.add_typer(classify_app, name="classify")
app.add_typer(web_app, name="web")
app.add_typer(gopack_app, name="gopack")
app.add_typer(watch_app, name="watch")
app.add_typer(feed_app, name="feed")
app.add_typer(org_app, name="org")
app.command("deliver")(deliver_command)

out = output_console()
err = Console(stderr=True, highlight=False)


@contextmanager
def progress(total: int, label: str, enabled: bool = True) -> Iterator[Progress]:
    # imported here: ~25 ms that commands without a bar (hunt, lookup, --help) need not pay
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not enabled or not err.is_terminal,
    )
    with bar:
        bar.add_task(label, total=total)
        yield bar


def _advance(bar: Progress, n: int = 1) -> None:
    bar.advance(bar.task_ids[0], n)


def _day_option(value: str | None, what: str) -> dt.date | None:
    return None if value is None else parse_day(value, what=what)


_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_ZONE_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")

#: Days from the first to the last supported day: no --days can be longer.
MAX_DAYS = (LAST_SUPPORTED - FIRST_SUPPORTED).days + 1


def _check_days(days: int, option: str = "--days") -> None:
    """Checked before any date arithmetic (a huge count overflows Python's date)."""
    if days < 1:
        raise InputError(f"{option} must be at least 1, got {days}")
    if days > MAX_DAYS:
        raise InputError(
            f"{option} must be at most {MAX_DAYS:,} (the supported span "
            f"{FIRST_SUPPORTED}..{LAST_SUPPORTED}), not {days}"
        )


def _check_tlds(variants: list[Variant], tlds: list[str] | None) -> None:
    """A --tld no selected variant generates names under would silently select nothing."""
    found = tlds_selecting_nothing(variants, tlds or [])
    if found is None or not found[0]:
        return
    missing, known = found
    if len(missing) == len(tlds or []):
        raise InputError(
            f"--tld {', '.join(missing)}: no selected variant generates names under it "
            f"(their suffixes: {some_suffixes(known)})"
        )
    err.print(f"warning: no selected variant generates names under --tld {', '.join(missing)}")


# --- the CLI convention (README, "Using it"): one spelling per meaning -------------------

START_HELP = "First UTC day, YYYY-MM-DD or 'today'."
END_HELP = "Last UTC day (inclusive; instead of --days)."
DAYS_HELP = "Number of days from --start (default 1; instead of --end)."
#: Generated from the family registry, so a new family module appears here by itself.
FAMILY_HELP = "Family (repeatable; default: all): " + ", ".join(family_names()) + "."
VARIANT_HELP = "Variant of the one --family (repeatable; default: all its variants)."


def _window(start: str | None, end: str | None, days: int | None) -> list[dt.date]:
    """``--start`` with either ``--end`` (inclusive) or ``--days`` (default 1)."""
    if start is None:
        raise InputError("give --start (YYYY-MM-DD or 'today')")
    first = parse_day(start, what="--start")
    if end is not None and days is not None:
        raise InputError("give --end or --days, not both")
    if end is None:
        n = 1 if days is None else days
        _check_days(n)
        return day_range(first, n)
    last = parse_day(end, what="--end")
    if last < first:
        raise InputError(f"--end {last} is before --start {first}")
    _check_days((last - first).days + 1, "--start..--end")
    return list(span(first, last))


def _all_families(families: list[str] | None) -> bool:
    return not families or "all" in families


# --- families ---------------------------------------------------------------------------


@app.command()
def families(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    sources: Annotated[
        bool,
        typer.Option(
            "--sources", help="Where each family and active period comes from (references)."
        ),
    ] = False,
) -> None:
    """List the registered DGA families and their variants."""
    fams = all_families()
    if as_json:
        out.print_json(json.dumps([f.to_dict() for f in fams]))
        return
    if sources:
        table = Table("family", "variant", "active from", "source of the period", "references")
        for f in fams:
            refs = "\n".join(f.references)
            for i, v in enumerate(f.variants):
                table.add_row(
                    f.name if i == 0 else "",
                    v.name,
                    str(v.active_from),
                    v.period_source or "(see the module's docstring)",
                    refs if i == 0 else "",
                )
        out.print(table)
        return
    table = Table("family", "variant", "type", "active", "names/day", "period", "TLDs")
    for f in fams:
        for v in f.variants:
            active = f"{v.active_from}.." + (str(v.active_until) if v.active_until else "")
            tlds = ",".join(v.tlds[:4]) + (f" +{len(v.tlds) - 4}" if len(v.tlds) > 4 else "")
            period = "static" if v.period_days == 0 else f"{v.period_days}d"
            table.add_row(
                f.name, v.name, f.generator_type, active, str(v.domains_per_day), period, tlds
            )
        for alias in f.variant_aliases:
            table.add_row(f.name, alias.name, "alias", f"= {alias.same_as}", "", "", "")
    out.print(table)


# --- forecast ---------------------------------------------------------------------------


@app.command()
def forecast(
    family_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="FAMILY", hidden=True, help="Old spelling of --family (one release)."
        ),
    ] = None,
    start: Annotated[str | None, typer.Option(help=START_HELP)] = None,
    end: Annotated[str | None, typer.Option(help=END_HELP)] = None,
    days: Annotated[int | None, typer.Option(help=DAYS_HELP)] = None,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    tld: Annotated[
        list[str] | None, typer.Option(help="Keep names under this suffix (repeatable).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "txt",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    ignore_active_period: Annotated[
        bool,
        typer.Option(
            "--ignore-active-period",
            hidden_negation("--no-ignore-active-period"),
            help="Compute days outside a variant's active period.",
        ),
    ] = False,
) -> None:
    """Domains of the selected families (default: all), in generation order (duplicates
    kept)."""
    if family_arg is not None:
        family = [family_arg, *(family or [])]
    day_list = _window(start, end, days)
    if output is not None:
        check_output_file(output)
    every = _all_families(family)
    variants = choose_variants(family, variant)
    _check_tlds(variants, tld)
    if not ignore_active_period:
        if every:
            variants, note = active_selection(variants, day_list[0])
            if note:
                err.print(note, markup=False, soft_wrap=True)
        check_active(variants, day_list)
    if fmt == "parquet" and output is None:
        raise InputError("--format parquet needs --output PATH")
    if mismatch := format_mismatch(fmt, output):
        err.print(mismatch, markup=False, soft_wrap=True)
    with progress(len(day_list) * len(variants), "forecast", enabled=output is not None) as bar:
        lists = iter_day_lists(variants, day_list)
        sink = output if output is not None else sys.stdout.buffer
        n = write_forecast(lists, fmt, sink, tlds=tld or (), on_day=lambda _dl, _n: _advance(bar))
    if output is not None:
        err.print(f"wrote {n:,} names to {output}")
    if n == 0:
        err.print("warning: no names were written (check --tld, --start and --variant)")


# --- export -----------------------------------------------------------------------------


def _export_help() -> str:
    """``export --help``'s format list, from the exporter registry (one line per format)."""
    from dgawatch.export import all_exporters

    lines = []
    for e in all_exporters().values():
        kind = " (a directory)" if e.writes_directory else " (binary)" if e.binary else ""
        lines.append(f"{e.name}{kind}: {e.summary}")
    return "\n\n".join(lines)


def _asks_help(command: str) -> bool:
    """Only ``<command> --help`` builds lists that import a registry (the exporters: pymisp,
    stix2, 0.4 s; the readers: pyarrow, 0.2 s), a cost no other command should pay."""
    return command in sys.argv and "--help" in sys.argv


def _engine_help(listed: bool) -> str:
    """``hunt --help``'s engines, from the engine registry (it imports the hunt package)."""
    if not listed:
        return "Hunt engine: local (default), spark, ... (`dgawatch hunt --help` lists them)."
    from dgawatch.hunt.engines import engines

    return "Hunt engine: " + "; ".join(f"{e.name}: {e.summary}" for e in engines().values()) + "."


def _input_format_help(listed: bool) -> str:
    """``hunt --help``'s list of log formats, from the reader registry."""
    if not listed:
        return "Log format: auto, or a reader's name (`dgawatch hunt --help` lists them)."
    from dgawatch.readers import reader_names

    return f"Log format: auto, {', '.join(reader_names())} (the readers)."


#: ``export`` and ``gopack``: withhold the registration watch's collisions.
ExcludeCollisionsOpt = Annotated[
    bool,
    typer.Option("--exclude-collisions", help="Withhold names the watch found registered before."),
]


@app.command(epilog="Formats (--format):\n\n" + _export_help() if _asks_help("export") else None)
def export(
    fmt_arg: Annotated[
        str | None,
        typer.Argument(metavar="FORMAT", hidden=True, help="Old spelling of --format."),
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Export format (listed below).")
    ] = None,
    start: Annotated[str | None, typer.Option(help=START_HELP)] = None,
    end: Annotated[str | None, typer.Option(help=END_HELP)] = None,
    days: Annotated[int | None, typer.Option(help=DAYS_HELP)] = None,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    tld: Annotated[
        list[str] | None, typer.Option(help="Keep names under this suffix (repeatable).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="File (or directory for zone sets); default stdout.")
    ] = None,
    policy: Annotated[str, typer.Option(help="nxdomain, nodata or sinkhole.")] = "nxdomain",
    address: Annotated[str | None, typer.Option(help="Sinkhole IPv4 address.")] = None,
    address6: Annotated[str | None, typer.Option(help="Sinkhole IPv6 address.")] = None,
    wildcard: Annotated[
        bool,
        typer.Option(
            "--wildcard", hidden_negation("--no-wildcard"), help="Also cover every subdomain."
        ),
    ] = False,
    zone: Annotated[str, typer.Option(help="Policy zone name (RPZ).")] = "rpz.dgawatch",
    serial: Annotated[
        int | None, typer.Option(help="SOA serial (default: from the clock).")
    ] = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Read stored day lists where the store has them.")
    ] = False,
    store: Annotated[Path | None, typer.Option(help="Store file (default: data dir).")] = None,
    allowlist: Annotated[
        Path | None,
        typer.Option(help="Names never to export: one a line (# comments) or a zone file."),
    ] = None,
    exclude_collisions: ExcludeCollisionsOpt = False,
    fp_rate: Annotated[
        float, typer.Option(help="Bloom filter false-positive rate (format bloom).")
    ] = 1e-6,
) -> None:
    """Blocking / sharing exports of a forecast (--format, listed below)."""
    from dgawatch.export import ExportOptions, get_exporter, withheld_from
    from dgawatch.forecast import iter_sourced_day_lists
    from dgawatch.store import ForecastStore

    if fmt is not None and fmt_arg is not None and fmt != fmt_arg:
        raise InputError(f"give the format once: --format {fmt} or {fmt_arg}, not both")
    fmt = fmt or fmt_arg
    if fmt is None:
        raise InputError("give --format (see 'dgawatch export --help' for the formats)")
    exporter = get_exporter(fmt)
    day_list = _window(start, end, days)
    if not _ZONE_NAME.fullmatch(zone.strip(".").lower()) or len(zone.strip(".")) > 253:
        raise InputError(
            f"--zone {zone!r} is not a DNS zone name (dot-separated labels of letters, digits, "
            "'-' or '_', e.g. rpz.example.org)"
        )
    if wildcard and not exporter.wildcard:
        raise InputError(f"--wildcard does not apply to format {fmt} (it has no wildcard entries)")
    if output is not None:
        if exporter.writes_directory:
            check_output_dir(output, what=f"format {fmt}'s files")
        else:
            check_output_file(output)
    if (address or address6) and policy == "nxdomain":
        policy = "sinkhole"  # an address given means "send them to the sinkhole"
    options = ExportOptions(
        policy=policy,
        address=address,
        address6=address6,
        wildcard=wildcard,
        zone=zone.strip(".").lower(),
        serial=serial,
        tlds=tuple(tld or ()),
        fp_rate=fp_rate,
        withheld=withheld_from(allowlist, exclude_collisions),
    )
    exporter.check_options(options)  # before --output's directory is created
    variants = choose_variants(family, variant)
    _check_tlds(variants, tld)
    variants = [v for v in variants if any(v.is_active(d) for d in day_list)]
    if not variants:
        raise InputError("no selected variant is active in that date range")
    if (exporter.writes_directory or exporter.binary) and output is None:
        what = "a directory" if exporter.writes_directory else "binary data"
        raise InputError(f"format {fmt} writes {what}; give --output")
    fs = ForecastStore(store, read_only=True) if from_store else None
    try:
        active_days = [d for d in day_list if any(v.is_active(d) for v in variants)]
        lists = (
            dl
            for dl in iter_sourced_day_lists(variants, active_days, fs)
            if dl.variant.is_active(dl.day)
        )
        with progress(len(active_days) * len(variants), f"export {fmt}", output is not None) as bar:
            counted = _counting(lists, bar)
            if exporter.writes_directory:  # each of its files written whole (dgawatch.outfile)
                assert output is not None
                created = not output.exists()
                try:
                    try:
                        output.mkdir(parents=True, exist_ok=True)
                    except OSError as exc:
                        msg = f"cannot create --output {output}: {exc.strerror}"
                        raise InputError(msg) from None
                    stats = exporter.write(counted, output, options)
                except BaseException:  # a failed or interrupted set leaves no half directory
                    if created:
                        shutil.rmtree(output, ignore_errors=True)
                    raise
            elif output is not None:
                with atomic_file(output) as fh:
                    stats = exporter.write(counted, fh, options)
            else:
                stats = exporter.write(counted, sys.stdout.buffer, options)
                sys.stdout.buffer.flush()
    finally:
        if fs is not None:
            fs.close()
    if output is not None:
        err.print(f"exported {stats.names:,} names as {fmt} to {output}")
    if options.withheld:
        err.print(options.withheld.summary(), markup=False, soft_wrap=True)


@gopack_app.callback(invoke_without_command=True)
def gopack(
    ctx: typer.Context,
    tld: Annotated[
        list[str] | None,
        typer.Option(help="Registry suffix (repeatable); 'uk' includes co.uk names."),
    ] = None,
    start: Annotated[str | None, typer.Option(help="First UTC day, YYYY-MM-DD or 'today'.")] = None,
    output: Annotated[Path | None, typer.Option(help="Pack directory (absent or empty).")] = None,
    months: Annotated[int, typer.Option(help="Calendar months, from --start's month.")] = 1,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    exclude_registered: Annotated[
        Path | None,
        typer.Option(help="Registered names (plain list or zone file): to collisions.csv."),
    ] = None,
    allowlist: Annotated[
        Path | None,
        typer.Option(help="Names never to list: one a line (# comments) or a zone file."),
    ] = None,
    exclude_collisions: ExcludeCollisionsOpt = False,
    sign_key: Annotated[
        Path | None, typer.Option(help="Sign MANIFEST.json with this Ed25519 private key.")
    ] = None,
) -> None:
    """Registry go-pack: per TLD, a sorted names file per month, collisions, MANIFEST.json."""
    from dgawatch.export import withheld_from
    from dgawatch.gopack import MAX_MONTHS, build_gopack

    given = {"--tld": tld, "--start": start, "--output": output, "--family": family,
             "--variant": variant, "--exclude-registered": exclude_registered,
             "--allowlist": allowlist, "--exclude-collisions": exclude_collisions,
             "--sign-key": sign_key}  # fmt: skip
    if ctx.invoked_subcommand is not None:
        refuse_build_options_with(ctx.invoked_subcommand, [k for k, v in given.items() if v])
        return
    if not tld or start is None or output is None:
        raise InputError(
            "give --tld, --start and --output to build a pack, or a sub-command "
            "(keygen, sign, verify, ack, acks, release; see 'dgawatch gopack --help')"
        )
    if not 1 <= months <= MAX_MONTHS:
        raise InputError(f"--months must be between 1 and {MAX_MONTHS}, not {months}")
    check_output_dir(output, what="a go-pack")
    variants = choose_variants(family, variant)
    first = parse_day(start, what="--start")
    withheld = withheld_from(allowlist, exclude_collisions)
    with progress(max(months, 1), "gopack") as bar:
        manifest = build_gopack(
            variants,
            tld,
            first,
            months,
            output,
            registered=exclude_registered,
            withheld=withheld,
            sign_key=sign_key,
            on_month=lambda _m, _n: _advance(bar),
        )
    files = manifest["files"]
    assert isinstance(files, list)
    names = sum(f["count"] for f in files if str(f["path"]).endswith(".txt"))
    plural = "" if len(files) == 1 else "s"
    err.print(f"wrote {names:,} names in {len(files)} file{plural} to {output}")
    if withheld:
        err.print(withheld.summary(), markup=False, soft_wrap=True)


def _counting(lists: Iterator[DayList], bar: Progress) -> Iterator[DayList]:
    for dl in lists:
        yield dl
        _advance(bar)


# --- lookup -----------------------------------------------------------------------------


#: From this many names on, registered domains are found in one pyarrow pass (below it,
#: name by name is cheaper than importing pyarrow).
BATCH_PSL_NAMES = 50_000


#: A table cell lists this many variants a name is shaped like (--json lists all).
SHAPES_SHOWN = 3


def _first_few(keys: list[str]) -> str:
    """``a, b, c +N more (seed unknown; --json lists all)``: a table cell stays readable."""
    shown = ", ".join(keys[:SHAPES_SHOWN])
    more = len(keys) - SHAPES_SHOWN
    if more > 0:
        return f"{shown} +{more} more (seed unknown; --json lists all)"
    return f"{shown} (seed unknown)"


def _lookup_all(
    queries: list[str], variants: list[Variant], *, as_json: bool, build: str = ""
) -> None:
    """``lookup --all``: the all-time index where it covers, generation elsewhere."""
    from dgawatch.index import AllTimeIndex, format_run, generation_plan, lookup_all

    index = AllTimeIndex()
    todo_days, lists = generation_plan(queries, variants, index=index)
    if index.stale:
        err.print(
            f"--all: the all-time index of {', '.join(sorted(index.stale))} comes from another "
            f"version of the generator and is not used; 'dgawatch store build --all-time{build}' "
            "rebuilds it",
            markup=False,
            soft_wrap=True,
        )
    if todo_days:  # said before the work starts: without the index this takes minutes
        err.print(
            f"--all: generating {todo_days:,} variant-days ({lists:,} lists) that no all-time "
            f"index holds; run 'dgawatch store build --all-time{build}' once to answer from it",
            markup=False,
            soft_wrap=True,
        )
    with progress(lists, "generating", enabled=lists > 0) as bar:
        result = lookup_all(queries, variants, index=index, on_generated_day=lambda: _advance(bar))
    err.print(
        f"whole active periods (open-ended ones to today+1 year): "
        f"{result.variants_pruned} of {len(variants)} variants ruled out by their signature, "
        f"{result.days_from_index:,} variant-days from the all-time index, "
        f"{result.days_generated:,} generated",
        markup=False,
        soft_wrap=True,
    )
    if result.days_generated:
        err.print(
            f"run 'dgawatch store build --all-time{build}' once to answer --all from the index",
            markup=False,
            soft_wrap=True,
        )
    if as_json:
        from dgawatch.domain import registered_domain, registered_domains

        valid = {q: normalise(q) for q in dict.fromkeys(queries) if q not in result.invalid}
        if len(valid) > BATCH_PSL_NAMES:  # one vectorised pass (pyarrow) pays off
            found = registered_domains(list(valid.values())).to_pylist()
        else:
            found = [registered_domain(n) for n in valid.values()]
        reg = dict(zip(valid, found, strict=True))
        lines = []
        for q in queries:
            doc: dict[str, object] = {"query": q}
            if q in result.invalid:
                doc["error"] = result.invalid[q]
            else:
                doc["name"] = valid[q]
                doc["registered_domain"] = reg[q]
            doc["matches"] = [h.to_dict() for h in result.hits.get(q, [])]
            doc["shape_of"] = result.shapes.get(q, [])
            lines.append(json.dumps(doc))
        sys.stdout.write("\n".join(lines) + "\n")
        return
    table = Table("query", "family", "variant", "days", "index", "forecast name")
    for q in queries:
        hits = result.hits.get(q, [])
        if q in result.invalid:
            table.add_row(escape(q), f"[red]{escape(_name_error(q) or result.invalid[q])}[/]",
                          "", "", "", "")  # fmt: skip
        elif not hits:
            shape = result.shapes.get(q)
            note = f"no match; shape of {_first_few(shape)}" if shape else "no match"
            table.add_row(escape(q), f"[dim]{note}[/]", "", "", "", "")
        for h in hits:
            days = format_run(h.first_day, h.last_day)
            table.add_row(escape(q), h.family, h.variant, days, str(h.index), h.domain)
    out.print(table)


def _name_error(query: str) -> str | None:
    """Why ``query`` is no domain name, naming it and the reason, or None (no pyarrow)."""
    why = invalid_reason(query.strip())
    if why is not None:
        return f"{query!r} is not a domain name: {why}"
    try:
        normalise(query)
    except InputError as exc:
        return str(exc)
    return None


def _refuse_only_invalid(queries: list[str]) -> None:
    """Names on the command line none of which is a domain name: one error line (exit 2), as
    for any bad argument. A batch with one valid name keeps its per-row errors."""
    errors = []
    for query in dict.fromkeys(queries):
        error = _name_error(query)
        if error is None:
            return
        errors.append(error)
    raise InputError("; ".join(errors))


@app.command("lookup")
def lookup_cmd(
    domains: Annotated[list[str] | None, typer.Argument(help="Domains to look up.")] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", help="File with one domain per line ('-': standard input)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            help="First UTC day, YYYY-MM-DD or 'today'; alone, that one day. Without "
            "--start and --end the window is today-365..today+90."
        ),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(help="Last UTC day (inclusive; instead of --days); alone, from today-365."),
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="Number of days from --start (default 1; instead of --end).")
    ] = None,
    all_days: Annotated[
        bool, typer.Option("--all", help="Each variant's whole active period.")
    ] = False,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    store: Annotated[Path | None, typer.Option(help="Forecast store file.")] = None,
    no_store: Annotated[
        bool,
        typer.Option(
            "--no-store",
            hidden_negation("--no-no-store"),
            help="Always generate, never read the store.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per domain.")] = False,
) -> None:
    """Which family, variant, day and index generate each domain."""
    from dgawatch.namefile import one_file  # (light: the compiled path imports it anyway)

    file = one_file(files, "lookup")  # (typer kept the last of several, silently)
    if file is not None and as_json and not (domains or all_days or no_store):
        from dgawatch.lookuptable import lookup_file_json  # compiled, from the store's table

        if lookup_file_json(file, family=family, variant=variant, start=start, end=end,
                            days=days, store=store, say=err.print):  # fmt: skip
            return
    queries = list(domains or [])
    from_file = None
    if file is not None:
        from dgawatch.lookup import read_file_names  # refuses an empty or mostly bad file

        from_file = read_file_names(file)
    if not queries and from_file is None:
        raise InputError("give domains as arguments or --file")
    if from_file is None:
        _refuse_only_invalid(queries)
    variants = choose_variants(family, variant)
    if start is not None and end is None and days is None and not all_days:
        days = 1  # as in forecast/export/store build: --start alone is that one day
    if days is not None:
        if start is None:
            raise InputError("--days counts from --start; give --start too")
        window = _window(start, end, days)
        end = window[-1].isoformat()
    if no_store and store is not None:
        raise InputError("--no-store and --store contradict each other; give one")
    if all_days:
        if start is not None or end is not None:
            raise InputError("--all looks at whole active periods; drop --start/--end")
        if store is not None:  # (it was ignored)
            raise InputError(
                "--all answers from the all-time index ('store build --all-time') and by "
                "generating, not from a --store file; drop --store"
            )
        build = "".join(f" --family {f}" for f in family or [])
        build += "".join(f" --variant {v}" for v in variant or [])
        if from_file is not None:
            from dgawatch.lookup import as_list, join_queries

            queries = as_list(join_queries(queries, from_file))
        # (no store and no pyarrow for names given as arguments: a one-name --all starts fast)
        _lookup_all(queries, variants, as_json=as_json, build=build)
        return
    from dgawatch.lookup import (
        as_list,
        default_window,
        join_queries,
        json_blocks,
        lookup,
        plan_lookup,
        prune_plan,
    )
    from dgawatch.store import ForecastStore, default_store_path

    first = _day_option(start, "--start")
    last = _day_option(end, "--end")
    if first is None or last is None:
        lo, hi = default_window()
        first, last = first or lo, last or hi
    if last < first:
        if start is None:  # --end alone: the window starts at the default, today-365
            raise InputError(
                f"--end {last} is before the default start (today-365, {first}); give --start too"
            )
        raise InputError(f"--end {last} is before --start {first}")
    store_path = store or default_store_path()
    fs = None
    if not no_store and (store is not None or store_path.exists()):
        fs = ForecastStore(store_path, read_only=True)
    try:
        names = join_queries(queries, from_file)
        plan = plan_lookup(variants, start=first, end=last, whole_period=all_days, store=fs)
        if any(p.to_generate for p in plan):
            # Only variants whose TLDs and grammar fit some name (same hits, fewer lists).
            plan = prune_plan(names, plan)
        todo = sum(len(p.to_generate) for p in plan)
        with progress(todo, "generating", enabled=todo > 30) as bar:
            result = lookup(
                names,
                variants,
                plan=plan,
                store=fs,
                on_generated_day=lambda: _advance(bar),
                prune=False,
            )
    finally:
        if fs is not None:
            fs.close()
    err.print(
        f"window {first}..{last}" if not all_days else "whole active periods",
        f"- {result.days_from_store} day lists from the store, {result.days_generated} generated",
    )
    if as_json:  # column-wise, a chunk of lines at a time (same bytes as json.dumps per doc)
        sys.stdout.flush()
        for block in json_blocks(names, result):  # views: written, not copied
            sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
        return
    from dgawatch.index import AllTimeHit, format_run, merge_runs

    table = Table("query", "family", "variant", "days", "index", "forecast name")
    for q in as_list(names):
        hits = result.hits.get(q, [])
        if q in result.invalid:
            table.add_row(escape(q), f"[red]{escape(_name_error(q) or result.invalid[q])}[/]",
                          "", "", "", "")  # fmt: skip
        elif not hits:
            table.add_row(escape(q), "[dim]no match[/]", "", "", "", "")
        # one row per run of consecutive days (JSON keeps one match per day)
        runs = [AllTimeHit(q, h.family, h.variant, h.day, h.day, h.index, h.domain) for h in hits]
        for r in merge_runs(runs):
            days_text = format_run(r.first_day, r.last_day)
            table.add_row(escape(q), r.family, r.variant, days_text, str(r.index), r.domain)
    out.print(table)


# --- store ------------------------------------------------------------------------------


def _build_all_time(variants: list[Variant], *, as_json: bool) -> None:
    import time

    from dgawatch.index import AllTimeIndex

    index = AllTimeIndex()
    total = sum(len(index.missing_days(v)) for v in variants)
    started = time.monotonic()
    with progress(total, "all-time index") as bar:
        n = index.build(variants, on_day=lambda k: _advance(bar, k))
    seconds = time.monotonic() - started
    size = index.size_bytes()
    if as_json:
        doc = {
            "index": str(index.path),
            "version": "alltime/1",
            "indexed_names": n,
            "variant_days": total,
            "seconds": round(seconds, 1),
            "size_bytes": size,
            "coverage": index.summary(variants),
        }
        out.print_json(json.dumps(doc))
    else:
        err.print(
            f"indexed {n:,} names ({total:,} variant-days) in {seconds:.0f} s; "
            f"{index.path} holds {size / 2**20:,.1f} MiB"
        )


@store_app.command("build")
def store_build(
    start: Annotated[str | None, typer.Option(help="First UTC day.")] = None,
    end: Annotated[str | None, typer.Option(help="Last UTC day (inclusive).")] = None,
    days: Annotated[int | None, typer.Option(help="Number of days (instead of --end).")] = None,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    store: Annotated[Path | None, typer.Option(help="Store file (default: data dir).")] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", hidden_negation("--no-rebuild"), help="Regenerate days already stored."
        ),
    ] = False,
    all_time: Annotated[
        bool,
        typer.Option(
            "--all-time",
            help="Build the all-time lookup index (each variant's whole active period, "
            "to today+1 year; days already indexed are skipped) instead of the store.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """Materialise forecasts into the store; days already stored are skipped."""
    from dgawatch.store import ForecastStore

    if all_time:
        if start is not None or end is not None or days is not None or rebuild:
            raise InputError("--all-time indexes whole active periods; drop --start/--end/--days")
        if store is not None:  # (it was ignored: the index is no store file)
            raise InputError(
                "--all-time builds the all-time index in the data directory, not in a --store "
                "file; drop --store"
            )
        _build_all_time(choose_variants(family, variant), as_json=as_json)
        return
    if start is None:
        raise InputError("give --start (or --all-time)")
    day_list = _window(start, end, days)
    variants = choose_variants(family, variant)
    with ForecastStore(store) as fs, progress(len(day_list) * len(variants), "store") as bar:
        n = fs.build(variants, day_list, rebuild=rebuild, on_progress=lambda n: _advance(bar, n))
        path = fs.path
        summary = fs.summary()
        stored = fs.already_stored
    inactive = sum(1 for v in variants for d in day_list if not v.is_active(d))
    if as_json:
        doc = {"store": str(path), "inserted": n, "already_stored": stored,
               "inactive_skipped": inactive, "coverage": summary}  # fmt: skip
        out.print_json(json.dumps(doc))
    else:
        err.print(f"inserted {n:,} names into {path}", markup=False, soft_wrap=True)
        if stored:
            err.print(
                f"{stored:,} (variant, day) lists were already stored and kept "
                f"(--rebuild regenerates them)",
                markup=False,
                soft_wrap=True,
            )
        if inactive:
            err.print(f"{inactive:,} (variant, day) pairs outside active periods were skipped")


@store_app.command("info")
def store_info(
    store: Annotated[Path | None, typer.Option(help="Store file (default: data dir).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """What the store holds, per variant."""
    from dgawatch.store import ForecastStore

    with ForecastStore(store, read_only=True) as fs:
        summary = fs.summary()
        path = fs.path
    if as_json:
        out.print_json(json.dumps({"store": str(path), "coverage": summary}))
        return
    table = Table(
        "family", "variant", "first day", "last day", "days", "names", "", title=str(path)
    )
    for row in summary:
        note = "stale: generator changed; not read until store build" if row["stale"] else ""
        table.add_row(*(str(row[k]) for k in row if k != "stale"), note)
    out.print(table)


# --- conficker ---------------------------------------------------------------------------


@conficker_app.command("ports")
def conficker_ports(
    ips: Annotated[list[str], typer.Argument(help="IPv4 addresses.")],
    date: Annotated[str | None, typer.Option(help="UTC day (default today).")] = None,
    week: Annotated[int | None, typer.Option(help="Week number instead of --date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per address.")] = False,
) -> None:
    """Conficker C P2P ports (2 TCP + 2 UDP) of each IP address for one week."""
    from dgawatch.conficker_p2p import ports, week_number

    MAX_WEEK = week_number(LAST_SUPPORTED)

    if week is not None and date is not None:
        raise InputError("give --date or --week, not both")
    if week is None:
        day = parse_day(date, what="--date") if date else dt.datetime.now(dt.UTC).date()
        week = week_number(day)
    elif not 0 <= week <= MAX_WEEK:
        raise InputError(
            f"--week must be between 0 and {MAX_WEEK:,} (weeks since 1970-01-05), not {week}"
        )
    results = [ports(ip, week) for ip in ips]
    if as_json:
        sys.stdout.write("".join(json.dumps(r.to_dict()) + "\n" for r in results))
        return
    table = Table("ip", "week", "tcp (fixed, weekly)", "udp (fixed, weekly)")
    for r in results:
        table.add_row(r.ip, str(r.week), f"{r.tcp[0]}, {r.tcp[1]}", f"{r.udp[0]}, {r.udp[1]}")
    out.print(table)


# --- hunt --------------------------------------------------------------------------------

#: A year either side of an event's day is already far beyond any DGA's look-up habits.
MAX_WINDOW_DAYS = 366
#: Findings below this confidence are counted, not listed (hunt --min-confidence).
DEFAULT_MIN_CONFIDENCE = 0.5


@app.command()
def hunt(
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH", help="Log files or directories (- = standard input)."),
    ],
    input_format: Annotated[
        str,
        typer.Option("--input-format", help=_input_format_help(listed=_asks_help("hunt"))),
    ] = "auto",
    column: Annotated[
        str | None,
        typer.Option(
            help="CSV/Parquet: the columns of the event fields, e.g. "
            "ts=timestamp,client=src,qname=query. Required: ts (epoch seconds or ISO 8601), "
            "client, qname; optional: qtype, rcode, answers, sensor. Recognised without it: "
            "the field names and common ones (timestamp, time, client_ip, src_ip, query, "
            "domain, ...; see README)."
        ),
    ] = None,
    engine: Annotated[str, typer.Option(help=_engine_help(listed=_asks_help("hunt")))] = "local",
    spark_master: Annotated[
        str | None, typer.Option(help="Spark master URL (default local[*]).")
    ] = None,
    window_days: Annotated[int, typer.Option(help="Days around each event's day.")] = 1,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    store: Annotated[Path | None, typer.Option(help="Forecast store file.")] = None,
    output: Annotated[Path | None, typer.Option(help="File to write (default stdout).")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"Output format: {', '.join(HUNT_OUTPUT_FORMATS)} (default table).",
        ),
    ] = None,
    old_output_format: Annotated[
        str | None, typer.Option("--output-format", hidden=True, help="Old --format.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Same as --format json (JSON lines).")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", hidden_negation("--no-strict"), help="Stop at the first malformed line."
        ),
    ] = False,
    unknown_dga: Annotated[
        bool,
        typer.Option(help="Also find hosts of DGAs no forecast knows (host-level test)."),
    ] = True,
    allowlist: Annotated[
        Path | None,
        typer.Option(help="Names (and all below them) never counted as unknown DGA."),
    ] = None,
    min_confidence: Annotated[
        float,
        typer.Option(
            help="List findings of at least this confidence; weaker ones (a few short names "
            "real sites also use) are only counted. 0 lists all."
        ),
    ] = DEFAULT_MIN_CONFIDENCE,
) -> None:
    """Find clients querying DGA names in DNS logs: per client, family and variant."""
    # Arrow on the C library's allocator unless the user chose one (read once, when pyarrow
    # loads, so before the hunt's imports): with mimalloc a 10 M-line hunt kept what its
    # read-ahead thread had freed, 650-730 MB peak vs 580-600 MB (bench/bench_hunt.py).
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    # One BLAS thread (read when NumPy loads): the hunt's own threads keep both cores busy,
    # and OpenBLAS's idle threads spun for ~0.1 CPU-s of a 1 M-line hunt (bench_hunt.py).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from dgawatch.hunt.command import run_hunt
    from dgawatch.readers import reader_names
    from dgawatch.readers.tabular import parse_column_map

    column_map = parse_column_map(column) if column is not None else None
    if fmt is not None and fmt not in HUNT_OUTPUT_FORMATS and fmt in (*reader_names(), "auto"):
        # the old spelling: --format named the input (until the next release)
        err.print(f"note: --format {fmt} is a log format; the new spelling is --input-format {fmt}")
        input_format, fmt = fmt, None
    if old_output_format is not None:  # its own option: old --format X --output-format Y
        if fmt is not None and fmt != old_output_format:
            raise InputError(f"give the output format once: --format {fmt}")
        fmt = old_output_format
    if column is not None and input_format not in ("auto", "csv", "parquet"):
        raise InputError(
            f"--column maps CSV and Parquet columns; --input-format {input_format} has its own "
            "fields: drop --column"
        )
    if as_json and fmt not in (None, "json"):  # (--json silently won)
        raise InputError(f"--json is --format json; give one of --json and --format {fmt}")
    if not 0 <= window_days <= MAX_WINDOW_DAYS:
        raise InputError(
            f"--window-days must be between 0 and {MAX_WINDOW_DAYS}, not {window_days}"
        )
    if output is not None:
        check_output_file(output)

    run_hunt(
        paths,
        fmt=input_format,
        engine=engine,
        spark_master=spark_master,
        window_days=window_days,
        families=family,
        store=store,
        output=output,
        output_format="json" if as_json else (fmt or "table"),
        strict=strict,
        unknown_dga=unknown_dga,
        allowlist=allowlist,
        column_map=column_map,
        min_confidence=min_confidence,
        out=out,
        err=err,
    )


@app.command("hunt-flows")
def hunt_flows_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATH",
            help="Zeek conn.log or flow CSV files, or directories (- = standard input).",
        ),
    ],
    output: Annotated[Path | None, typer.Option(help="File to write (default stdout).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", hidden_negation("--no-strict"), help="Stop at the first malformed line."
        ),
    ] = False,
) -> None:
    """Sources of flows to Conficker C P2P ports (probably running Conficker C)."""
    from dgawatch.hunt.command import run_hunt_flows

    if output is not None:
        check_output_file(output)

    run_hunt_flows(paths, output=output, as_json=as_json, strict=strict, out=out, err=err)


def _version(value: bool) -> None:
    if value:
        out.print(f"dgawatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    pass


def _app_for(args: list[str]) -> typer.Typer:
    """What runs ``dgawatch *args``: when ``args`` start with the exact name of one top-level
    command or group, a copy of :data:`app` registering only that one (same callback, same
    settings), else :data:`app` itself. Typer builds the click command of everything
    registered at every run (~50 commands, ~75 ms of CPU on a loaded machine): the one named
    is built exactly as in the whole tree, and its help, errors and exit status are the same
    (the top level's own help, suggestions and `--version` keep the whole app)."""
    from typer.main import get_command_name

    if not args or not isinstance(app, typer.Typer):  # (a test may stand another in for it)
        return app
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None and (c.name or get_command_name(c.callback.__name__)) == args[0]
    ]
    groups = [g for g in app.registered_groups if g.name == args[0]]
    if len(commands) + len(groups) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = commands
    one.registered_groups = groups
    return one


def _refuse_repeated_options(root: Any, args: list[str]) -> None:
    """An option that takes one value, given twice (``--start 2026-01-01 ... --start
    2026-02-01``, ``--json --no-json``), is refused: click would keep the last without a
    word. Repeatable options (``--family``) are lists and may repeat. Only the command the
    arguments name is checked; what click itself rejects (unknown options, missing values) is
    left to it."""
    cmd, i = root, 0
    while isinstance(getattr(cmd, "commands", None), dict):  # to the command named
        default = getattr(cmd, "default_command", None)  # (classify NAME = classify score NAME)
        if default is not None and i < len(args) and args[i] not in (*cmd.commands, "--help"):
            cmd = cmd.commands[default]
            break
        options = _option_table(cmd)
        while i < len(args) and args[i].startswith("-") and args[i] != "-":
            param = options.get(args[i].split("=", 1)[0])
            i += 1 + (param is not None and _takes_value(param) and "=" not in args[i])
        if i >= len(args) or args[i] not in cmd.commands:
            return
        cmd, i = cmd.commands[args[i]], i + 1
    options = _option_table(cmd)
    seen: dict[object, str] = {}
    while i < len(args) and args[i] != "--":
        token = args[i]
        i += 1
        if not token.startswith("-") or token == "-":
            continue
        name = token.split("=", 1)[0] if token.startswith("--") else token[:2]
        param = options.get(name)
        if param is None:
            continue
        if _takes_value(param) and "=" not in token and len(token) == len(name):
            i += 1
        if getattr(param, "multiple", False) or getattr(param, "count", False):
            continue
        if param in seen:
            first = seen[param]
            if first == name:
                raise InputError(f"{name} given twice: give it once")
            raise InputError(f"{first} and {name} both given: give one of them")
        seen[param] = name


def _option_table(cmd: Any) -> dict[str, Any]:
    """Every spelling of every option of ``cmd`` (``--json``, ``--no-json``, ``-h``)."""
    table = {}
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "option":
            for spelling in (*param.opts, *param.secondary_opts):
                table[spelling] = param
    return table


def _takes_value(param: Any) -> bool:
    return not getattr(param, "is_flag", False) and not getattr(param, "count", False)


#: Set (to anything but 0) to see the traceback of an unexpected error.
TRACEBACK_ENV = "DGAWATCH_TRACEBACK"


def _fail(message: str, status: int) -> NoReturn:
    line = f"dgawatch: error: {' '.join(message.split())}"
    err.print(line, markup=False, emoji=False, soft_wrap=True)  # ':x:' is no emoji here
    sys.exit(status)


def _terminated(signum: int, _frame: object) -> NoReturn:
    raise SystemExit(128 + signum)


def _click_errors(name: str) -> tuple[type[Any], ...]:
    """The exception class ``name`` of typer's vendored click (if it has one: it has no
    ``Abort``) and, when a library imported it, of click itself: only an imported click
    raises its errors, and not importing it saves ~10 ms at every command. Evaluated when an
    error reaches an ``except`` of :func:`main`."""
    from typer import _click as tclick

    modules = [tclick.exceptions]
    if "click" in sys.modules:
        modules.append(sys.modules["click"].exceptions)
    return tuple(c for m in modules if (c := getattr(m, name, None)) is not None)


def main() -> None:
    """Run the CLI; every error ends as one line on stderr: user mistakes (bad options,
    unreadable inputs, unwritable outputs) with status 2, anything unexpected with status 1
    and a hint to set DGAWATCH_TRACEBACK=1, never a traceback."""
    from typer import _click as tclick  # typer's vendored click: its own exception classes

    # SIGTERM unwinds like an exit, so temporary files and directories (half-written outputs,
    # Spark's work directory) are removed; servers install their own handlers over this one.
    signal.signal(signal.SIGTERM, _terminated)
    try:
        runs = _app_for(sys.argv[1:])
        if isinstance(runs, typer.Typer):
            command = typer.main.get_command(runs)
            _refuse_repeated_options(command, sys.argv[1:])
            rv = command(standalone_mode=False)
        else:  # (a test's stand-in)
            rv = runs(standalone_mode=False)
    except DgawatchError as exc:
        _fail(str(exc), 2)
    except _click_errors("NoArgsIsHelpError") as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except _click_errors("UsageError") as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "dgawatch"
        _fail(f"{exc.format_message()} (see '{where} --help')", exc.exit_code)
    except _click_errors("ClickException") as exc:
        _fail(exc.format_message(), exc.exit_code)
    except _click_errors("Abort"):
        _fail("aborted", 1)
    except typer.Abort:
        _fail("aborted", 1)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except SystemExit as exc:
        # typer turns a closed pipe (``dgawatch forecast ... | head``) into exit 1 after
        # wrapping the streams; a reader that stopped early is not a failure.
        if exc.code == 1 and isinstance(sys.stdout, tclick.utils.PacifyFlushWrapper):
            sys.exit(0)
        raise
    except Exception as exc:  # the promise: no traceback, ever, unless asked for
        if os.environ.get(TRACEBACK_ENV, "0") not in ("", "0"):
            raise
        if isinstance(exc, OSError) and exc.strerror:
            where = f" {exc.filename}" if exc.filename else ""
            _fail(f"{exc.strerror}{where}", 2)
        if "java.lang.OutOfMemoryError" in str(exc):
            _fail(
                "Spark ran out of Java heap: give its driver more memory, e.g. "
                "DGAWATCH_SPARK_DRIVER_MEMORY=16g (spark.driver.memory), and rerun",
                1,
            )
        _fail(
            f"unexpected {type(exc).__name__}: {exc} (rerun with {TRACEBACK_ENV}=1 for the "
            "traceback, and please report it)",
            1,
        )
    if isinstance(rv, int) and not isinstance(rv, bool):
        sys.exit(rv)  # typer.Exit(code) in non-standalone mode
