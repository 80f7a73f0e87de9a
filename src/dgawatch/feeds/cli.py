"""``dgawatch feed``: publish yesterday/today/tomorrow in a feed format, and ``dgawatch feed
check FILE``: cross-check a Bambenek or Netlab feed file against dgawatch's generators."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console
from rich.table import Table

from dgawatch.clihelp import hidden_negation, output_console
from dgawatch.days import parse_day, today
from dgawatch.errors import InputError
from dgawatch.families import choose_variants, family_names
from dgawatch.families.base import Variant
from dgawatch.feeds import FeedEntry, open_feed, text_lines, window
from dgawatch.outfile import atomic_file, check_output_file

if TYPE_CHECKING:  # pyarrow: imported by the commands that need it (start-up time)
    from dgawatch.readers import InputReport

#: Output formats of ``dgawatch feed`` (the feed a consumer reads).
FORMATS = ("dgarchive", "bambenek", "netlab")
#: Input formats of ``dgawatch feed check``.
INPUT_FORMATS = ("auto", "bambenek", "netlab")
#: Output formats of ``dgawatch feed check``.
CHECK_FORMATS = ("table", "json", "csv")

FAMILY_HELP = "Family (repeatable; default: all): " + ", ".join(family_names()) + "."
VARIANT_HELP = "Variant of the one --family (repeatable; default: all its variants)."

feed_app = typer.Typer(
    help="Feeds in the formats people consume (DGArchive /today JSON, Bambenek CSV, Netlab "
    "TSV): yesterday, today and tomorrow per family; 'feed check FILE' explains a feed file.",
    invoke_without_command=True,
)
out = output_console()
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # verbatim


def _selection(
    family: list[str] | None, variant: list[str] | None, days: list[dt.date]
) -> list[Variant]:
    """The chosen variants active on some of ``days``; a chosen family or variant that is
    not is an error (without --family, inactive variants are left out quietly)."""
    variants = choose_variants(family, variant)
    active = [v for v in variants if any(v.is_active(d) for d in days)]
    skipped = [v for v in variants if v not in active]
    if skipped and (family or variant or not active):
        periods = ", ".join(
            f"{v.key} {v.active_from}..{v.active_until or ''}" for v in skipped[:6]
        ) + (" ..." if len(skipped) > 6 else "")
        raise InputError(
            f"not active on {days[0]}..{days[-1]} (--date +- 1 day): {periods}; check --date"
        )
    return active


def publish(variants: list[Variant], fmt: str, fh: BinaryIO, days: list[dt.date]) -> int:
    """Write the feed of ``variants`` for ``days`` in ``fmt``; returns the entries written."""
    from dgawatch.feeds import bambenek, dgarchive, netlab
    from dgawatch.forecast import iter_day_lists

    if fmt == "dgarchive":
        return dgarchive.write(variants, fh, days)
    if fmt == "bambenek":
        lists = (dl for dl in iter_day_lists(variants, days) if dl.variant.is_active(dl.day))
        return bambenek.write(lists, fh, days)
    return netlab.write(variants, fh, days)


@feed_app.callback()
def feed(
    ctx: typer.Context,
    date: Annotated[
        str | None, typer.Option(help="The day called 'today' (YYYY-MM-DD; default today, UTC).")
    ] = None,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")
    ] = "dgarchive",
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
) -> None:
    """Yesterday's, today's and tomorrow's names per family, as a feed (--format)."""
    if ctx.invoked_subcommand is not None:
        if date is not None or family or variant or fmt != "dgarchive" or output is not None:
            raise InputError(
                f"options before '{ctx.invoked_subcommand}' are those of 'dgawatch feed'; "
                f"give them after it (see 'dgawatch feed {ctx.invoked_subcommand} --help')"
            )
        return
    if fmt not in FORMATS:
        raise InputError(f"unknown --format {fmt!r} (choose from {', '.join(FORMATS)})")
    day = parse_day(date, what="--date") if date is not None else today()
    days = window(day)
    for d in days:
        parse_day(d.isoformat(), what="--date +- 1 day")
    if output is not None:
        check_output_file(output)
    variants = _selection(family, variant, days)
    if output is not None:
        with atomic_file(output) as fh:
            n = publish(variants, fmt, fh, days)
        err.print(
            f"wrote {n:,} entries ({fmt}, {days[0]}..{days[-1]}) to {output}",
            markup=False,
            soft_wrap=True,
        )
    else:
        n = publish(variants, fmt, sys.stdout.buffer, days)
        sys.stdout.buffer.flush()


def _detect(path: Path) -> str:
    """bambenek or netlab, from the first record line (or the header's wording)."""
    with open_feed(path) as fh:
        for number, _text, raw in text_lines(fh, str(path)):
            text = raw.decode("utf-8", "replace").strip()
            if not text:
                continue
            low = text.lower()
            if text.startswith("#"):
                if "netlab" in low:
                    return "netlab"
                if "bambenek" in low:
                    return "bambenek"
                continue
            if text.count("\t") == 3:
                return "netlab"
            if "," in text:
                return "bambenek"
            raise InputError(
                f"{path}:{number}: cannot tell the feed format (neither Bambenek CSV nor "
                "Netlab TSV); give --input-format"
            )
    raise InputError(f"{path}: no feed records found (expected Bambenek CSV or Netlab TSV lines)")


def read_entries(path: Path, fmt: str, report: InputReport) -> list[FeedEntry]:
    """The file's entries; malformed lines go to ``report``; no entry at all is an error."""
    from dgawatch.feeds import bambenek, netlab

    reader = bambenek.read if fmt == "bambenek" else netlab.read
    with open_feed(path) as fh:
        entries = list(reader(fh, str(path), report))
    if not entries:
        # the bad line that comes first in the file (examples are kept per reason)
        first = min(
            (kept[0] for kept in report.examples.values() if kept),
            key=lambda bad: bad.line,
            default=None,
        )
        n = report.total_bad
        why = f"; {n:,} bad line{'s' if n != 1 else ''}, the first: {first}" if first else ""
        raise InputError(f"{path}: no {fmt} feed records found{why}")
    return entries


@feed_app.command("check")
def check_cmd(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="Bambenek (CSV) or Netlab (TSV) feed file.")
    ],
    input_format: Annotated[
        str, typer.Option("--input-format", help=f"One of {', '.join(INPUT_FORMATS)}.")
    ] = "auto",
    fmt: Annotated[
        str, typer.Option("--format", help=f"One of {', '.join(CHECK_FORMATS)}.")
    ] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    output: Annotated[Path | None, typer.Option(help="File to write (default: stdout).")] = None,
    family: Annotated[list[str] | None, typer.Option(help=FAMILY_HELP)] = None,
    variant: Annotated[list[str] | None, typer.Option(help=VARIANT_HELP)] = None,
    near_days: Annotated[
        int, typer.Option(help="Days around the stated ones searched for 'other_day' (0..366).")
    ] = 7,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", hidden_negation("--no-strict"), help="Stop at the first malformed line."
        ),
    ] = False,
) -> None:
    """Which feed names dgawatch generates on the stated day, on another day or by another
    family, and which it cannot explain: a summary per family (--format csv: per name)."""
    from dgawatch.feeds.check import MAX_NEAR_DAYS, SCHEMA, STATUSES, check, index_hits
    from dgawatch.readers import InputReport

    if input_format not in INPUT_FORMATS:
        raise InputError(
            f"unknown --input-format {input_format!r} (choose from {', '.join(INPUT_FORMATS)})"
        )
    if as_json:
        fmt = "json"
    if fmt not in CHECK_FORMATS:
        raise InputError(f"unknown --format {fmt!r} (choose from {', '.join(CHECK_FORMATS)})")
    if not 0 <= near_days <= MAX_NEAR_DAYS:
        raise InputError(f"--near-days must be between 0 and {MAX_NEAR_DAYS}, not {near_days}")
    if output is not None:
        check_output_file(output)
    variants = choose_variants(family, variant)
    kind = _detect(file) if input_format == "auto" else input_format
    report = InputReport(strict=strict)
    entries = read_entries(file, kind, report)
    result = check(
        entries,
        variants,
        near_days=near_days,
        index_lookup=lambda names: index_hits(names, variants),
        on_stage=lambda what: err.print(what, markup=False) if err.is_terminal else None,
    )
    if report.total_bad:
        err.print(
            f"{file}: {report.total_bad} malformed line(s) skipped (--strict stops at the first)",
            markup=False,
            soft_wrap=True,
        )
        for examples in report.examples.values():
            for bad in examples[:3]:
                err.print(f"  {bad}", markup=False, soft_wrap=True)
    totals = result.totals()
    err.print(
        f"{file} ({kind}): {totals['names']:,} names: "
        + ", ".join(f"{totals[s]:,} {s}" for s in STATUSES),
        markup=False,
        soft_wrap=True,
    )
    if fmt == "table":
        table = Table("feed family", "family", "names", *(s.replace("_", " ") for s in STATUSES))
        for row in result.summary():
            table.add_row(
                str(row["feed_family"]) or "(none)",
                str(row["family"] or "not registered"),
                *(str(row[k]) for k in ("names", *STATUSES)),
            )
        if output is None:
            out.print(table)
            return
        console = Console(file=io.StringIO(), width=200, highlight=False)
        console.print(table)
        chunks: Iterable[str] = [console.file.getvalue()]  # type: ignore[attr-defined]
    elif fmt == "json":
        head = {
            "schema": SCHEMA,
            "file": str(file),
            "input_format": kind,
            "near_days": near_days,
            "totals": totals,
            "families": result.summary(),
            "input": report.to_dict(),
        }
        chunks = _json_document(head, (r.to_dict() for r in result.rows))
    else:
        chunks = _csv_rows(r.to_dict() for r in result.rows)
    if output is not None:
        with atomic_file(output) as fh:
            for chunk in chunks:
                fh.write(chunk.encode("utf-8"))
        err.print(f"wrote the check to {output}", markup=False, soft_wrap=True)
    else:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()


def _json_document(head: dict[str, object], rows: Iterable[dict[str, object]]) -> Iterator[str]:
    """``head`` with a ``names`` array, one row per line, written as the rows come (a feed
    of a million names would otherwise be a 2 GB document in memory first)."""
    text = json.dumps(head | {"names": []}, indent=1)
    opening, _, closing = text.rpartition('"names": []')
    yield opening + '"names": ['
    for n, row in enumerate(rows):
        yield ("\n  " if n == 0 else ",\n  ") + json.dumps(row)
    yield "\n ]" + closing + "\n"


def _csv_rows(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    buf = io.StringIO()
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(buf, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
        writer.writerow(row)
        if buf.tell() > 1 << 16:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
