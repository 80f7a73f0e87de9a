"""``dgawatch watch ...``: check, serve, report, history, rdap-bootstrap."""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dgawatch.clihelp import output_console
from dgawatch.errors import InputError
from dgawatch.words import counted

watch_app = typer.Typer(
    help="Registration watch: are the coming days' forecast names free, held by the registry, "
    "sinkholed, or registered by someone else?",
    no_args_is_help=True,
)
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # verbatim

SOURCES = ("zone", "authoritative", "rdap")
#: Requests a second per source unless --rate says otherwise: polite to a registry.
DEFAULT_RATES = {"zone": None, "authoritative": 20.0, "rdap": 2.0}

FamilyOpt = Annotated[
    list[str] | None, typer.Option("--family", help="Family (repeatable; default all).")
]
VariantOpt = Annotated[list[str] | None, typer.Option("--variant", help="Variant (repeatable).")]
TldOpt = Annotated[list[str], typer.Option("--tld", help="Registry suffix to watch (repeatable).")]
StartOpt = Annotated[str, typer.Option(help="First UTC day, YYYY-MM-DD or 'today'.")]
DaysOpt = Annotated[int, typer.Option(help="Days from --start (the horizon handed to registries).")]
ZoneFileOpt = Annotated[
    list[str] | None,
    typer.Option("--zone-file", help="SUFFIX=PATH: a zone file (master format, .gz ok)."),
]
ZoneDirOpt = Annotated[
    Path | None,
    typer.Option("--zone-dir", help="CZDS folder of <tld>.zone[.gz] / <tld>.txt[.gz] files."),
]
AxfrOpt = Annotated[
    list[str] | None, typer.Option("--axfr", help="SUFFIX=ADDR[@PORT]: transfer the zone (AXFR).")
]
AuthOpt = Annotated[bool, typer.Option("--auth-dns", help="Ask the TLD's authoritative servers.")]
RootOpt = Annotated[
    list[str] | None,
    typer.Option("--root-server", help="ADDR[@PORT] to find TLD servers from (repeatable)."),
]
TldServerOpt = Annotated[
    list[str] | None,
    typer.Option("--tld-server", help="SUFFIX=ADDR[@PORT]: the suffix's server, directly."),
]
RdapOpt = Annotated[bool, typer.Option("--rdap", help="Ask the registry's RDAP service.")]
RdapServerOpt = Annotated[
    list[str] | None,
    typer.Option("--rdap-server", help="SUFFIX=URL: RDAP base URL (over the bootstrap)."),
]
RateOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--rate", help="SOURCE=PER_SECOND (zone, authoritative, rdap; defaults 20/s DNS, 2/s RDAP)."
    ),
]
WorkersOpt = Annotated[int, typer.Option(help="Parallel requests per source (1..256).")]
SinkholesOpt = Annotated[
    Path | None, typer.Option("--sinkholes", help="Your sinkhole list (kind,value[,org]).")
]
PublishedOpt = Annotated[
    str | None,
    typer.Option("--published", help="Day the lists were handed out (go-pack/export sent)."),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--watch-store", help="Watch store file (default: <data dir>/watch.duckdb)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
IntervalOpt = Annotated[float, typer.Option(help="Seconds from one check's start to the next.")]
ChecksOpt = Annotated[int, typer.Option(help="Stop after this many checks (0 = until stopped).")]


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise InputError(f"{option} {value!r}: want KEY=VALUE, e.g. {option} info=...")
        out.append((key.strip().strip(".").lower(), rest.strip()))
    return out


@dataclass
class _Plan:
    """Everything a check needs, validated before any work (bad arguments: exit 2)."""

    variants: list
    tlds: list[str]
    start: str
    days: int
    sources: list
    sinkholes: object
    published: dt.datetime | None
    workers: int
    store: Path


def _plan(
    family: list[str] | None, variant: list[str] | None, tld: list[str], start: str, days: int,
    zone_file: list[str] | None, zone_dir: Path | None, axfr: list[str] | None, auth_dns: bool,
    root_server: list[str] | None, tld_server: list[str] | None, rdap: bool,
    rdap_server: list[str] | None, rate: list[str] | None, workers: int, sinkholes: Path | None,
    published: str | None, watch_store: Path | None,
) -> _Plan:  # fmt: skip
    from dgawatch.days import parse_day
    from dgawatch.families import choose_variants
    from dgawatch.gopack import registry_suffix
    from dgawatch.store import check_store_file
    from dgawatch.watch.authdns import AuthoritativeSource, parse_server
    from dgawatch.watch.engine import MAX_DAYS, ZoneSource
    from dgawatch.watch.ratelimit import TokenBucket
    from dgawatch.watch.rdap import RdapSource
    from dgawatch.watch.sinkholes import load_sinkholes
    from dgawatch.watch.store import default_path
    from dgawatch.watch.zonefile import czds_file, read_zone_file, transfer_zone

    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    if not 1 <= workers <= 256:
        raise InputError(f"--workers must be between 1 and 256, not {workers}")
    parse_day(start, what="--start")
    suffixes = [registry_suffix(t) for t in tld]
    variants = choose_variants(family, variant)
    rates = dict(DEFAULT_RATES)
    for key, value in _pairs(rate, "--rate"):
        if key not in SOURCES:
            raise InputError(f"--rate {key}=...: unknown source (known: {', '.join(SOURCES)})")
        try:
            rates[key] = float(value)
        except ValueError:
            raise InputError(
                f"--rate {key}={value}: want requests per second, e.g. 5 or 0.5"
            ) from None
        if not rates[key] or rates[key] <= 0:  # type: ignore[operator]
            raise InputError(f"--rate {key}={value}: must be more than 0")
    sources: list = []
    loaders: dict = {}
    for key, value in _pairs(zone_file, "--zone-file"):
        path = Path(value)
        if path.is_dir():
            raise InputError(
                f"--zone-file {key}={value} is a directory; give a zone file, or the folder "
                "as --zone-dir"
            )
        if not path.is_file():
            raise InputError(f"--zone-file {key}={value}: no such file")
        suffix = registry_suffix(key)
        loaders[suffix] = lambda want, p=path, k=suffix: read_zone_file(p, k, want)
    if zone_dir is not None:
        if not zone_dir.is_dir():
            raise InputError(f"--zone-dir {zone_dir}: not a directory")
        found = {s: czds_file(zone_dir, s) for s in suffixes}
        if not any(found.values()):
            raise InputError(f"--zone-dir {zone_dir}: holds no zone file for {', '.join(suffixes)}")
        for s, p in found.items():
            if p is not None:
                loaders.setdefault(s, lambda want, p=p, s=s: read_zone_file(p, s, want))
    for key, value in _pairs(axfr, "--axfr"):
        server = parse_server(value, "--axfr")
        suffix = registry_suffix(key)
        loaders[suffix] = lambda want, k=suffix, sv=server: transfer_zone(k, sv, want)
    if loaders:
        sources.append(ZoneSource(loaders, TokenBucket(rates["zone"])))
    if auth_dns:
        roots = [parse_server(r, "--root-server") for r in root_server or []]
        overrides: dict = {}
        for key, value in _pairs(tld_server, "--tld-server"):
            overrides.setdefault(registry_suffix(key), []).append(
                parse_server(value, "--tld-server")
            )
        sources.append(
            AuthoritativeSource(
                roots=roots,
                overrides=overrides,
                bucket=TokenBucket(rates["authoritative"], burst=workers),
            )
        )
    elif root_server or tld_server:
        raise InputError("--root-server/--tld-server need --auth-dns")
    if rdap:
        urls = {registry_suffix(k): v for k, v in _pairs(rdap_server, "--rdap-server")}
        for k, v in urls.items():
            if not v.startswith(("http://", "https://")):
                raise InputError(f"--rdap-server {k}={v}: want an http(s) URL")
        src = RdapSource(overrides=urls, bucket=TokenBucket(rates["rdap"], burst=workers))
        missing = [s for s in suffixes if src.base_url(s) is None]
        if missing:
            raise InputError(
                f"--rdap: no RDAP server known for {', '.join(missing)}; give --rdap-server "
                "SUFFIX=URL or refresh the bootstrap ('dgawatch watch rdap-bootstrap --from ...')"
            )
        sources.append(src)
    elif rdap_server:
        raise InputError("--rdap-server needs --rdap")
    if not sources:
        raise InputError(
            "give at least one source: --zone-file, --zone-dir, --axfr, --auth-dns or --rdap"
        )
    pub = None
    if published is not None:
        day = parse_day(published, what="--published")
        pub = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    store = watch_store if watch_store is not None else default_path()
    check_store_file(
        store, kind="watch store", option="--watch-store", writer="dgawatch watch check"
    )
    return _Plan(
        variants, suffixes, start, days, sources, load_sinkholes(sinkholes), pub, workers, store
    )


def _check_once(plan: _Plan) -> dict[str, object]:
    from dgawatch.days import parse_day
    from dgawatch.watch.engine import prepare_zones, run_check, watch_list

    first = parse_day(plan.start, what="--start")
    watched = watch_list(plan.variants, plan.tlds, first, plan.days)
    zone_seconds = prepare_zones(watched, plan.sources)
    result = run_check(
        watched, plan.sources, plan.store, plan.sinkholes,  # type: ignore[arg-type]
        published=plan.published, workers=plan.workers, start_day=first,
        end_day=first + dt.timedelta(days=plan.days - 1), zones_ready=True,
    )  # fmt: skip
    seconds = dict(result.per_source_seconds)
    for name, secs in zone_seconds.items():
        seconds[name] = seconds.get(name, 0.0) + secs
    rates = {name: round(result.names / s, 1) if s > 0 else None for name, s in seconds.items()}
    return {
        "check_id": result.check_id,
        "names": result.names,
        "states": result.counts,
        "names_per_second": rates,
        "store": str(plan.store),
        "unanswered": result.unanswered,
    }


def _summary(doc: dict[str, object]) -> str:
    states = doc["states"]
    assert isinstance(states, dict)
    parts = ", ".join(f"{n} {s}" for s, n in states.items() if n)
    return f"check {doc['check_id']}: {doc['names']} names: {parts} (store {doc['store']})"


@watch_app.command("check")
def check(
    tld: TldOpt, family: FamilyOpt = None, variant: VariantOpt = None, start: StartOpt = "today",
    days: DaysOpt = 90, zone_file: ZoneFileOpt = None, zone_dir: ZoneDirOpt = None,
    axfr: AxfrOpt = None, auth_dns: AuthOpt = False, root_server: RootOpt = None,
    tld_server: TldServerOpt = None, rdap: RdapOpt = False, rdap_server: RdapServerOpt = None,
    rate: RateOpt = None, workers: WorkersOpt = 8, sinkholes: SinkholesOpt = None,
    published: PublishedOpt = None, watch_store: StoreOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Check the coming days' names once and record each name's state (with history)."""
    plan = _plan(
        family, variant, tld, start, days, zone_file, zone_dir, axfr, auth_dns, root_server,
        tld_server, rdap, rdap_server, rate, workers, sinkholes, published, watch_store,
    )  # fmt: skip
    doc = _check_once(plan)
    if as_json:
        print(json.dumps(doc, sort_keys=True))
    _tell(doc)


def _tell(doc: dict[str, object], *, stamped: bool = False) -> None:
    """A check's summary line on stderr, then an ALERT line when it found any: the same
    for one check and for every check of ``serve`` (whose lines carry the UTC time, as a
    daemon's log does)."""
    import datetime as dt

    stamp = f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} " if stamped else ""
    err.print(stamp + _summary(doc), markup=False, soft_wrap=True)
    unanswered = doc.get("unanswered") or {}
    assert isinstance(unanswered, dict)
    if unanswered:  # a source that failed (refused AXFR, unreachable RDAP) is said
        shown = list(unanswered.items())[:3]
        more = len(unanswered) - len(shown)
        err.print(
            f"{stamp}not answered: "
            + "; ".join(f"{why} ({counted(n, 'name')})" for why, n in shown)
            + (
                f"; and {more} other reason{'s' if more != 1 else ''} (--json lists all)"
                if more
                else ""
            ),
            markup=False,
            soft_wrap=True,
        )
    states = doc["states"]
    assert isinstance(states, dict)
    if states.get("alert"):
        err.print(
            f"{stamp}ALERT: {states['alert']} names registered after publication; "
            "see 'dgawatch watch report --alerts'",
            markup=False,
            soft_wrap=True,
        )


@watch_app.command("serve")
def serve(
    tld: TldOpt, family: FamilyOpt = None, variant: VariantOpt = None, start: StartOpt = "today",
    days: DaysOpt = 90, zone_file: ZoneFileOpt = None, zone_dir: ZoneDirOpt = None,
    axfr: AxfrOpt = None, auth_dns: AuthOpt = False, root_server: RootOpt = None,
    tld_server: TldServerOpt = None, rdap: RdapOpt = False, rdap_server: RdapServerOpt = None,
    rate: RateOpt = None, workers: WorkersOpt = 8, sinkholes: SinkholesOpt = None,
    published: PublishedOpt = None, watch_store: StoreOpt = None,
    interval: IntervalOpt = 86400.0, checks: ChecksOpt = 0,
) -> None:  # fmt: skip
    """Run 'watch check' every --interval seconds ('today' moves with the clock)."""
    if not interval >= 1:
        raise InputError(f"--interval must be at least 1 second, not {interval}")
    if checks < 0:
        raise InputError(f"--checks must be 0 (forever) or more, not {checks}")
    plan = _plan(
        family, variant, tld, start, days, zone_file, zone_dir, axfr, auth_dns, root_server,
        tld_server, rdap, rdap_server, rate, workers, sinkholes, published, watch_store,
    )  # fmt: skip
    done = 0
    try:
        while True:
            began = time.monotonic()
            doc = _check_once(plan)
            done += 1  # finished in the store: counted before its summary line is printed
            _tell(doc, stamped=True)
            sys.stderr.flush()
            if checks and done >= checks:
                return
            time.sleep(max(0.0, interval - (time.monotonic() - began)))
    except SystemExit as exc:
        # SIGTERM (the CLI turns it into an exit that unwinds) is a server's normal stop,
        # exit status 0 as 'sinkhole serve' and 'web serve'; a check it cut short is left
        # unfinished in the store, and reports read the last finished one.
        if exc.code != 128 + signal.SIGTERM:
            raise
        err.print(f"stopped (SIGTERM) after {counted(done, 'finished check')}")


@watch_app.command("report")
def report(
    tld: Annotated[list[str] | None, typer.Option("--tld", help="Only these suffixes.")] = None,
    family: FamilyOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json | csv.")] = "table",
    as_json: JsonOpt = False,
    alerts_only: Annotated[
        bool, typer.Option("--alerts", help="Only the alerts, with evidence.")
    ] = False,
    watch_store: StoreOpt = None,
) -> None:
    """The weakest-link table (share of names per state, per TLD and family) and the alerts."""
    from dgawatch.watch.report import (
        ALERT_FIELDS,
        ROW_FIELDS,
        SCHEMA,
        alert_rows,
        report_rows,
        to_csv,
    )
    from dgawatch.watch.store import default_path

    if fmt not in ("table", "json", "csv"):
        raise InputError(f"--format {fmt!r}: want table, json or csv")
    if as_json:
        fmt = "json"
    path = watch_store if watch_store is not None else default_path()
    if not path.exists():
        raise InputError(f"no watch store at {path}; run 'dgawatch watch check' first")
    tlds = [t.strip(".").lower() for t in tld or []]
    if family:
        from dgawatch.families import get_family

        for name in family:
            get_family(name)  # an unknown family is its own error, not 'no check'
    rows = report_rows(path, tlds=tlds or None, families=family)
    alerts = [
        a
        for a in alert_rows(path)
        if (not tlds or a["tld"] in tlds) and (not family or a["family"] in family)
    ]
    if not rows:
        raise InputError(
            f"{path} holds no finished check{' for that selection' if tlds or family else ''}"
        )
    if fmt == "json":
        doc = (
            {"schema": SCHEMA, "alerts": alerts}
            if alerts_only
            else {"schema": SCHEMA, "rows": rows, "alerts": alerts}
        )
        print(json.dumps(doc, sort_keys=True))
        return
    if fmt == "csv":
        sys.stdout.write(to_csv(alerts, ALERT_FIELDS) if alerts_only else to_csv(rows, ROW_FIELDS))
        return
    out = output_console()
    if not alerts_only:
        table = Table(
            title=f"check {rows[0]['check_id']} ({rows[0]['start_day']} .. {rows[0]['end_day']})",
            caption="most names still free first: the weakest links",
        )
        for col in (
            "tld",
            "family",
            "names",
            "free",
            "reserved",
            "sinkholed",
            "collision",
            "alert",
            "unknown",
        ):
            table.add_column(col, justify="left" if col in ("tld", "family") else "right")
        for r in sorted(rows, key=lambda r: (-r["share_free"], r["tld"], r["family"])):
            cells = [
                f"{r[s]} ({r['share_' + s]:.0%})"
                for s in ("free", "reserved", "sinkholed", "collision", "alert", "unknown")
            ]
            table.add_row(r["tld"], r["family"], str(r["names"]), *cells)
        out.print(table)
    if alerts:
        table = Table(title=f"ALERTS: {len(alerts)} names registered after publication")
        for col in ("domain", "family", "day", "created", "registrar", "ns", "basis"):
            table.add_column(col)
        for a in alerts:
            table.add_row(
                a["domain"], f"{a['family']}/{a['variant']}", str(a["day"]),
                str(a["created"] or "-"), str(a["registrar"] or "-"), " ".join(a["ns"] or []),
                a["basis"],
            )  # fmt: skip
        out.print(table)
    elif alerts_only:
        out.print("no alerts")


@watch_app.command("history")
def history(
    name: Annotated[str, typer.Argument(help="A watched name.")],
    watch_store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every check's state for one name, with its evidence (oldest first)."""
    from dgawatch.domain import normalise
    from dgawatch.watch.report import history_rows
    from dgawatch.watch.store import default_path

    path = watch_store if watch_store is not None else default_path()
    if not path.exists():
        raise InputError(f"no watch store at {path}; run 'dgawatch watch check' first")
    domain = normalise(name)
    rows = history_rows(path, domain)
    if not rows:
        raise InputError(f"{domain} was never checked (store {path})")
    if as_json:
        for r in rows:
            print(json.dumps(r, sort_keys=True))
        return
    table = Table(title=domain)
    for col in ("check_id", "checked_at", "state", "basis", "created", "registrar", "ns"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            *(
                " ".join(v) if isinstance(v, list) else str(v if v is not None else "-")
                for v in r.values()
            )
        )
    output_console().print(table)


@watch_app.command("rdap-bootstrap")
def rdap_bootstrap(
    source: Annotated[
        str | None,
        typer.Option("--from", help="URL or file of IANA's dns.json to keep as the bootstrap."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show (or refresh, with --from) the RDAP bootstrap in use."""
    from dgawatch.watch.rdap import bootstrap_info, refresh_bootstrap

    info = refresh_bootstrap(source) if source is not None else bootstrap_info()
    if as_json:
        print(json.dumps(info, sort_keys=True))
    else:
        print(f"{info['source']}: publication {info['publication']}, {info['tlds']} TLDs")
    age = _age_days(info.get("publication"))
    if source is None and age is not None and age > STALE_BOOTSTRAP_DAYS:
        err.print(
            f"note: the RDAP bootstrap is {age:,} days old (TLDs have moved RDAP servers since); "
            f"refresh it: dgawatch watch rdap-bootstrap --from {IANA_BOOTSTRAP}",
            markup=False,
            soft_wrap=True,
        )


#: IANA's published RDAP bootstrap for domain names (RFC 9224).
IANA_BOOTSTRAP = "https://data.iana.org/rdap/dns.json"
#: Older than this, ``rdap-bootstrap`` says to refresh it.
STALE_BOOTSTRAP_DAYS = 180


def _age_days(publication: object) -> int | None:
    """Whole days since an RFC 3339 publication time (None when it cannot be read)."""
    import datetime as dt

    if not isinstance(publication, str):
        return None
    try:
        when = dt.datetime.fromisoformat(publication.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - when).days
