"""``dgawatch sinkhole ...``: serve, stats, report, zone, ingest, compact."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dgawatch.clihelp import hidden_alias, hidden_negation, output_console
from dgawatch.errors import InputError
from dgawatch.families import select_variants
from dgawatch.words import counted

sinkhole_app = typer.Typer(
    help="Sinkhole: DNS/HTTP listeners, event store, population estimates, network reports.",
    no_args_is_help=True,
)
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # verbatim

FamilyOpt = Annotated[
    list[str] | None, typer.Option("--family", help="Family to sinkhole (repeatable; default all).")
]
VariantOpt = Annotated[str | None, typer.Option(help="One variant of the one family.")]
#: One name for the sinkhole store in every command (``web serve`` too); ``--dir`` is the
#: old spelling, accepted but not shown (README, "Using it").
DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--sinkhole-dir",
        hidden_alias("--dir"),
        help="Event store directory (default: <data dir>/sinkhole).",
    ),
]


def _directory(value: Path | None) -> Path:
    from dgawatch.sinkhole.store import default_dir

    return value if value is not None else default_dir()


@sinkhole_app.command("serve")
def serve(
    address: Annotated[
        list[str] | None, typer.Option(help="Sinkhole IPv4 address answered (repeatable).")
    ] = None,
    address6: Annotated[
        list[str] | None, typer.Option(help="Sinkhole IPv6 address answered (repeatable).")
    ] = None,
    family: FamilyOpt = None,
    variant: VariantOpt = None,
    listen: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    dns_port: Annotated[int, typer.Option(help="DNS port (UDP and TCP; 0 = any free).")] = 53,
    http_port: Annotated[
        list[int] | None, typer.Option(help="HTTP port (repeatable; 0 = any free).")
    ] = None,
    no_dns: Annotated[
        bool,
        typer.Option(
            "--no-dns", hidden_negation("--no-no-dns"), help="Run only the HTTP listener."
        ),
    ] = False,
    retention_days: Annotated[
        int | None, typer.Option(help="Delete raw events older than this many days.")
    ] = None,
    ttl: Annotated[int, typer.Option(help="TTL of sinkhole answers.")] = 300,
    max_names_per_day: Annotated[
        int | None, typer.Option(help="Hold only the first N names of each variant's day list.")
    ] = None,
    unknown: Annotated[str, typer.Option(help="Answer for other names: refused|nxdomain.")] = (
        "refused"
    ),
    max_connections: Annotated[
        int | None,
        typer.Option(
            help="Open TCP connections at most (default 20000, lowered to fit the open-files "
            "limit; the limit in use is in the start-up line).",
            show_default=False,
        ),
    ] = None,
    request_timeout: Annotated[float, typer.Option(help="Seconds for one whole request.")] = 10.0,
    idle_timeout: Annotated[float, typer.Option(help="Seconds a keep-alive may idle.")] = 5.0,
    workers: Annotated[int, typer.Option(help="Processes sharing the ports.")] = 1,
    worker: Annotated[str, typer.Option(help="Name of this writer's event files.")] = "0",
    directory: DirOpt = None,
) -> None:
    """Answer DNS for the sinkholed names and record DNS and HTTP events durably."""
    from dgawatch.outfile import check_output_dir
    from dgawatch.sinkhole.server import ServeConfig
    from dgawatch.sinkhole.server import serve as run_serve

    if directory is not None:  # (created when missing, but not its folder: a typo made a tree)
        check_output_dir(directory, "--sinkhole-dir", "the event store")
    variants = select_variants(family, variant)
    config = ServeConfig(
        variants=variants,
        addresses=tuple(address or ()),
        addresses6=tuple(address6 or ()),
        listen=listen,
        dns_port=None if no_dns else dns_port,
        http_ports=tuple(http_port if http_port is not None else [80]),
        directory=_directory(directory),
        retention_days=retention_days,
        ttl=ttl,
        max_names_per_day=max_names_per_day,
        unknown=unknown,
        max_connections=20_000 if max_connections is None else max_connections,
        max_connections_given=max_connections is not None,
        request_timeout=request_timeout,
        idle_timeout=idle_timeout,
        workers=workers,
        worker=worker,
    )
    _check_addresses(config.addresses, config.addresses6)

    def ready(info: dict[str, object]) -> None:
        sys.stdout.write(json.dumps({"listening": info}) + "\n")
        sys.stdout.flush()

    try:
        run_serve(config, ready)
    except OSError as exc:
        raise InputError(f"cannot listen on {listen}: {exc}") from None


def _check_addresses(v4: tuple[str, ...], v6: tuple[str, ...]) -> None:
    import ipaddress

    for option, other, kind, addresses in (
        ("--address", "--address6", ipaddress.IPv4Address, v4),
        ("--address6", "--address", ipaddress.IPv6Address, v6),
    ):
        for a in addresses:
            try:
                kind(a)
            except ValueError:
                try:
                    ipaddress.ip_address(a)
                except ValueError:
                    raise InputError(f"{option} {a!r}: not an IP address") from None
                raise InputError(f"{option} {a!r}: give this address with {other}") from None


@sinkhole_app.command("compact")
def compact(directory: DirOpt = None) -> None:
    """Rewrite closed days' raw event files as Parquet (mode 0600); files with corrupt
    lines are kept aside in corrupt/ and named here."""
    from dgawatch.sinkhole.store import compact as run_compact

    if directory is not None and not directory.is_dir():
        raise InputError(f"--sinkhole-dir/--dir {directory}: not a directory; give the event store")

    def problem(message: str) -> None:
        err.print(message, markup=False)

    where = _directory(directory)
    written = run_compact(where, problems=problem) if where.is_dir() else []
    for path in written:
        err.print(f"wrote {path}", markup=False)
    if not written:
        err.print(f"nothing to compact: no raw event file of a closed day in {where}", markup=False)


def _parse_day(text: str | None) -> dt.date | None:
    from dgawatch.days import parse_day

    return None if text is None else parse_day(text, what="--date")


def _check_text_db(option: str, path: Path | None) -> None:
    """A prefix file must be text: a binary one (an MMDB given by mistake) is refused here
    with the option's name instead of failing deep in the parser."""
    if path is None:
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot read it: {exc.strerror}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{option} {path} is not a text file of 'PREFIX VALUE' lines (byte {exc.start} "
            "is not UTF-8); give a pyasn-style text file"
        ) from None
    if b"\0" in data:
        raise InputError(f"{option} {path} holds NUL bytes; give a pyasn-style text file")


@sinkhole_app.command("stats")
def stats(
    by: Annotated[str, typer.Option(help="hour, day, country, asn or family.")] = "day",
    date: Annotated[
        list[str] | None, typer.Option(help="Only these UTC days (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    skew: Annotated[
        int,
        typer.Option(
            help="Seconds either side of UTC midnight where a bot's clock may be on the "
            "other day's list (those HTTP sources are reported as 'edge')."
        ),
    ] = 900,
    engine: Annotated[
        str,
        typer.Option(help="duckdb (the whole store) or spark (its compacted Parquet days)."),
    ] = "duckdb",
    spark_master: Annotated[
        str | None,
        typer.Option(
            help="Spark master for --engine spark (default local[*]; spark://h:7077, yarn)."
        ),
    ] = None,
    asn_db: Annotated[Path | None, typer.Option(help="Prefix-to-ASN file (pyasn format).")] = None,
    country_db: Annotated[Path | None, typer.Option(help="Prefix-to-country file.")] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            help="DuckDB's memory (e.g. 2GB): beyond it, it spills to a temporary "
            "directory. Default: DuckDB's own (80 % of RAM)."
        ),
    ] = None,
    directory: DirOpt = None,
) -> None:
    """Distinct source addresses per hour/day/country/ASN/family, and population estimates."""
    from rich.table import Table

    from dgawatch.sinkhole.enrich import Enricher
    from dgawatch.sinkhole.stats import BY_CHOICES, UNIT_OBSERVED, SinkholeStats

    if by not in BY_CHOICES:
        raise InputError(f"--by must be one of {', '.join(BY_CHOICES)}")
    days = [d for d in (_parse_day(x) for x in date or []) if d is not None] or None
    if not 0 <= skew <= 43_200:
        raise InputError(f"--skew {skew}: give seconds between 0 and 43200")
    if directory is not None and not directory.is_dir():
        raise InputError(f"--sinkhole-dir/--dir {directory}: not a directory; give the event store")
    if spark_master is not None and engine != "spark":  # (each was ignored)
        raise InputError("--spark-master is for --engine spark: add --engine spark, or drop it")
    if memory_limit is not None and engine == "spark":
        raise InputError(
            "--memory-limit is DuckDB's (--engine duckdb); Spark's driver memory is "
            "DGAWATCH_SPARK_DRIVER_MEMORY (README, Hunt)"
        )
    for option, db in (("--asn-db", asn_db), ("--country-db", country_db)):
        _check_text_db(option, db)
    with SinkholeStats(
        _directory(directory),
        skew=dt.timedelta(seconds=skew),
        engine=engine,
        spark_master=spark_master,
        memory_limit=memory_limit,
    ) as st:
        for path in st.skipped:
            err.print(f"not compacted, not read by Spark: {path}", markup=False)
        if by in ("hour", "day"):
            rows = st.by_time(by, days)
        elif by == "family":
            rows = st.by_family(days)
        else:
            enrich = Enricher(asn_db=asn_db, country_db=country_db)
            rows = st.by_network(by, enrich, days)
        estimates = st.estimates(days)
        observed = st.observed(days)
        dns_sources = st.dns_sources(days)
    doc = {
        "by": by,
        "unit": UNIT_OBSERVED,
        "method": "count(DISTINCT src_ip) per bucket; never summed across days",
        "rows": rows,
        "estimates": [e.to_dict() for e in estimates],
        "observed": observed,
        "dns_sources": dns_sources,
    }
    if as_json:
        sys.stdout.write(json.dumps(doc, default=str) + "\n")
        return
    out = output_console()
    if rows:
        table = Table(*rows[0].keys(), title=f"{UNIT_OBSERVED}, by {by}")
        for r in rows:
            table.add_row(*(str(v) for v in r.values()))
        out.print(table)
    elif days:  # the store may hold other days: say which were asked
        asked = ", ".join(str(d) for d in days)
        err.print(f"no events in the store on {asked} (--date); without --date: every day")
    else:
        err.print("no events in the store")
    if estimates:
        table = Table(
            "family",
            "variant",
            "list day",
            "protocol",
            "method",
            "estimate",
            "95% interval",
            "inputs",
            title="population estimates from HTTP sources (machines; NAT and churn blur)",
        )
        for e in estimates:
            ci = f"{e.ci95[0]:,.0f} .. {e.ci95[1]:,.0f}" if e.ci95 else ""
            inputs = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in e.inputs.items()
            )
            table.add_row(
                e.family, e.variant, e.day, e.protocol, e.method, f"{e.value:,.0f}", ci, inputs
            )
        out.print(table)
    if observed:
        table = Table(
            "list day",
            "variant",
            "addresses",
            "/24s",
            "(address, agent)",
            "(/24, agent)",
            "edge",
            "churn-adjusted range",
            title="HTTP sources under NAT and churn",
        )
        for o in observed:
            rng = o.get("churn_adjusted_range")
            table.add_row(
                str(o["day"]),
                f"{o['family']}/{o['variant']}",
                f"{o['addresses']:,}",
                f"{o['networks_24']:,}",
                f"{o['address_agent_pairs']:,}",
                f"{o['network_agent_pairs']:,}",
                f"{o['edge_addresses']:,}",
                f"{rng[0]:,.0f} .. {rng[1]:,.0f}" if isinstance(rng, list) else "",
            )
        out.print(table)
    if dns_sources:
        table = Table(
            "day",
            "variant",
            "resolvers",
            "end hosts",
            "unclassified",
            "queries",
            title="DNS sources (resolver counts, not a population)",
        )
        for r in dns_sources:
            table.add_row(
                str(r["day"]),
                f"{r['family']}/{r['variant']}",
                str(r["resolvers"]),
                str(r["end_hosts"]),
                str(r["unclassified"]),
                f"{r['queries']:,}",
            )
        out.print(table)


@sinkhole_app.command("report")
def report(
    output: Annotated[Path, typer.Option(help="Directory for the CSV files.")],
    asn: Annotated[list[str] | None, typer.Option(help="AS number (repeatable).")] = None,
    cidr: Annotated[list[str] | None, typer.Option(help="Network prefix (repeatable).")] = None,
    date: Annotated[
        list[str] | None, typer.Option(help="Only these UTC days (repeatable).")
    ] = None,
    asn_db: Annotated[Path | None, typer.Option(help="Prefix-to-ASN file (pyasn format).")] = None,
    country_db: Annotated[Path | None, typer.Option(help="Prefix-to-country file.")] = None,
    directory: DirOpt = None,
) -> None:
    """One CSV per network per day (Shadowserver event4_sinkhole_http columns)."""
    from dgawatch.sinkhole.enrich import Enricher
    from dgawatch.sinkhole.report import Network, write_reports

    networks = [Network.parse_asn(a) for a in asn or []] + [
        Network.parse_cidr(c) for c in cidr or []
    ]
    days = [d for d in (_parse_day(x) for x in date or []) if d is not None] or None
    counts: dict[str, int] = {}
    files = write_reports(
        _directory(directory),
        networks,
        output,
        days=days,
        enrich=Enricher(asn_db=asn_db, country_db=country_db),
        counts=counts,
    )
    for f in files:
        sys.stdout.write(f"{f}\n")
    when = "on the days asked (--date)" if days else "in the store"
    why = ""
    if not files:  # say why, rather than a bare 'wrote 0'
        seen = counts.get("events", 0)
        why = (
            f": no sinkhole event {when}"
            if not seen
            else f": none of the {counted(seen, 'event')} {when} came from these networks"
        )
    err.print(f"wrote {counted(len(files), 'report')} to {output}{why}")


sketch_app = typer.Typer(
    help="Mergeable distinct counts (DataSketches HLL) that hold no address.",
    no_args_is_help=True,
)
sinkhole_app.add_typer(sketch_app, name="sketch")


@sketch_app.command("export")
def sketch_export(
    output: Annotated[Path, typer.Option(help="Sketch file to write (JSON, 0600).")],
    date: Annotated[
        list[str] | None, typer.Option(help="Only these UTC list days (repeatable).")
    ] = None,
    lg_k: Annotated[int, typer.Option(help="log2 of the sketch's registers (4-21).")] = 12,
    asn_db: Annotated[Path | None, typer.Option(help="Prefix-to-ASN file (pyasn format).")] = None,
    country_db: Annotated[Path | None, typer.Option(help="Prefix-to-country file.")] = None,
    directory: DirOpt = None,
) -> None:
    """Distinct HTTP sources per day x variant x country x ASN as HLL sketches (no address)."""
    from dgawatch.outfile import check_output_file
    from dgawatch.sinkhole.enrich import Enricher
    from dgawatch.sinkhole.sketch import empty_reason, export, write

    check_output_file(output)  # before the events are read
    days = [d for d in (_parse_day(x) for x in date or []) if d is not None] or None
    sketches = export(
        _directory(directory),
        days=days,
        lg_k=lg_k,
        enrich=Enricher(asn_db=asn_db, country_db=country_db),
    )
    write(sketches, output)
    why = empty_reason(sketches)
    err.print(
        f"wrote {counted(len(sketches.sketches), 'sketch', 'sketches')} to {output}"
        + (f" ({why})" if why else ""),
        markup=False,
        soft_wrap=True,
    )


@sketch_app.command("merge")
def sketch_merge(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Sketch files of several operators.")
    ],
    output: Annotated[Path | None, typer.Option(help="Write the merged sketch file.")] = None,
    by: Annotated[
        str, typer.Option(help="Rows: comma list of day,family,variant,country,asn.")
    ] = "day,family,variant,country,asn",
    as_json: Annotated[bool, typer.Option("--json", help="Rows as one JSON document.")] = False,
) -> None:
    """Union the operators' sketches key by key; estimates with 95 % bounds."""
    from dgawatch.outfile import check_output_file
    from dgawatch.sinkhole.sketch import BOUND_SD, SketchSet, merge, relative_error, rollup, write

    if output is not None:
        check_output_file(output)
    dims = tuple(x.strip() for x in by.split(",") if x.strip())
    allowed = ("day", "family", "variant", "country", "asn")
    if not dims or any(d not in allowed for d in dims):
        raise InputError(f"--by {by!r}: give a comma list of {', '.join(allowed)}")
    merged = merge([SketchSet.read(f) for f in files])
    if output is not None:
        write(merged, output)
    rows = rollup(merged, dims).rows()
    doc = {
        "unit": "distinct HTTP source addresses (machines or their NAT), merged",
        "method": f"HLL union, lg_k={merged.lg_k}; bounds at {BOUND_SD} standard deviations",
        "relative_standard_error": relative_error(merged.lg_k, unioned=True),
        "files": [str(f) for f in files],
        "rows": rows,
    }
    if as_json:
        sys.stdout.write(json.dumps(doc) + "\n")
        return
    from rich.table import Table

    table = Table(*allowed, "estimate", "95% bounds", title=str(doc["unit"]))
    for r in rows:
        table.add_row(
            *(str(r[d]) for d in allowed),
            f"{r['estimate']:,.0f}",
            f"{r['lower']:,.0f} .. {r['upper']:,.0f}",
        )
    output_console().print(table)


@sinkhole_app.command("zone")
def zone(
    output: Annotated[Path, typer.Option(help="Directory for the zone and config files.")],
    address: Annotated[list[str] | None, typer.Option(help="Sinkhole IPv4 address.")] = None,
    address6: Annotated[list[str] | None, typer.Option(help="Sinkhole IPv6 address.")] = None,
    family: FamilyOpt = None,
    variant: VariantOpt = None,
    date: Annotated[str, typer.Option(help="Centre day of the set (default today).")] = "today",
    max_names_per_day: Annotated[
        int | None, typer.Option(help="Hold only the first N names of each variant's day list.")
    ] = None,
) -> None:
    """The same sinkholed set (today ± 1 day) as NSD and Knot zone configuration."""
    from dgawatch.days import parse_day
    from dgawatch.outfile import check_output_dir
    from dgawatch.sinkhole.names import SinkholeSet

    v4, v6 = tuple(address or ()), tuple(address6 or ())
    _check_addresses(v4, v6)
    check_output_dir(output, what="a zone set")  # before the set is built
    sinkset = SinkholeSet.around(
        select_variants(family, variant),
        parse_day(date, what="--date"),
        max_names_per_day=max_names_per_day,
    )
    from dgawatch.sinkhole.zone import write_planned_zones

    files = write_planned_zones(sinkset, output, addresses=v4, addresses6=v6)
    for f in files:
        sys.stdout.write(f"{f}\n")
    err.print(f"{len(sinkset):,} sinkholed names, answered by the address plan")


#: Most days either side that ``ingest`` attributes against (each is every selected
#: variant's list of that day: all families, +-7 days, is ~15 M names to hold).
MAX_RADIUS = 7


@sinkhole_app.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="dnstap files (or directories).")],
    family: FamilyOpt = None,
    variant: VariantOpt = None,
    max_names_per_day: Annotated[
        int | None, typer.Option(help="As given to `sinkhole zone` (first N names a day).")
    ] = None,
    radius: Annotated[int, typer.Option(help="Days either side the server held.")] = 1,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", hidden_negation("--no-strict"), help="Stop at the first malformed frame."
        ),
    ] = False,
    worker: Annotated[str, typer.Option(help="Writer name of the event files.")] = "ingest",
    as_json: Annotated[bool, typer.Option("--json", help="Summary as one JSON document.")] = (
        False
    ),
    directory: DirOpt = None,
) -> None:
    """Read an NSD/Knot server's dnstap into the event store as attributed DNS events."""
    from dgawatch.sinkhole.ingest import ingest as run_ingest
    from dgawatch.sinkhole.server import check_worker_name

    check_worker_name(worker)
    if not 0 <= radius <= MAX_RADIUS:
        raise InputError(
            f"--radius must be 0..{MAX_RADIUS} days (the days either side of a query's day "
            f"the server held; 'serve' and 'zone' hold 1), not {radius}"
        )
    if max_names_per_day is not None and max_names_per_day < 1:
        raise InputError(f"--max-names-per-day must be at least 1 (got {max_names_per_day})")

    result = run_ingest(
        paths,
        select_variants(family, variant),
        _directory(directory),
        worker=worker,
        radius=radius,
        max_names_per_day=max_names_per_day,
        strict=strict,
    )
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict()) + "\n")
        return
    err.print(
        f"{counted(result.read, 'query', 'queries')} read, {result.stored:,} sinkholed stored, "
        f"{result.not_sinkholed:,} for other names, {result.report.total_bad:,} malformed"
    )
    for (file, reason), n in sorted(result.report.counts.items()):
        err.print(f"  {file}: {reason}: {n:,}")
