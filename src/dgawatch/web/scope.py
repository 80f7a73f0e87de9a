"""The one place the portal reads rows that name an address, filtered by who asks.

Every page and API endpoint that shows a victim's (or a resolver's) address calls
:class:`ScopedData` with the :class:`Caller`; nothing else in the portal selects ``src_ip``.
The filter: the sinkhole operator (``admin``) sees every row; a national CERT the addresses
the country data places in its country; a network owner those in its *verified* ASNs and
prefixes; an anonymous caller none (:class:`Forbidden`, 403). Aggregates without addresses
(the public sinkhole page) do not come through here.

A request names what it wants (a day, a network, an address); a target outside the
caller's scope is refused with 403 rather than answered with an empty list, so a caller
cannot probe which addresses the sinkhole saw elsewhere. The work of one request is
bounded: at most MAX_DAYS days, MAX_ROWS rows, read from those days' files only, by a DuckDB
limited to DUCKDB_MEMORY, within QUERY_BUDGET_S seconds (then the query is interrupted and
the answer is 503 with ``Retry-After``); addresses the scope must be decided for in Python
(AS, country, IPv6 scopes) are read in batches of ADDRESS_BATCH, never all at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgawatch.errors import InputError
from dgawatch.orgs import Enrich, Org, ScopeMatcher, normalise_scope
from dgawatch.sinkhole.report import COLUMNS, DNS_COLUMNS, infection
from dgawatch.web.common import WebError
from dgawatch.web.guard import Busy, Deadline

#: Most days one request reads.
MAX_DAYS = 31
#: DuckDB's memory for one request's query (beyond it DuckDB spills to disk or fails).
DUCKDB_MEMORY = "256MB"
#: Most rows one answer carries (a report longer than this says so: ``truncated``).
#: Measured on a 516 k-event store (one day, operator's HTTP report, JSON answer): the
#: process grew by 413 MiB at 100,000 rows, by 195 MiB at 20,000 (most of it DuckDB's,
#: under DUCKDB_MEMORY); two expensive slots bound the portal's total.
MAX_ROWS = 20_000
#: Seconds one request's queries may take; then DuckDB is interrupted and the answer is 503.
QUERY_BUDGET_S = 20.0
#: Distinct addresses read into Python at a time when the scope is decided per address.
ADDRESS_BATCH = 65_536

#: Shadowserver's event4_sinkhole_http and event4_sinkhole_dns columns, in order (those of
#: the sinkhole's per-network report files).
HTTP_COLUMNS = list(COLUMNS)
#: ``dns``: one row per query, as the sinkhole's report files; ``dns_resolvers``: the DNS
#: sightings per resolver, one row per (UTC day, source, name, type, family/variant) with
#: the first time and the number of queries in ``count`` (for resolver operators: which
#: of their resolvers asked, for what, how often).
REPORT_TYPES = {"http": HTTP_COLUMNS, "dns": DNS_COLUMNS, "dns_resolvers": DNS_COLUMNS}
STATS_COLUMNS = ["day", "addresses", "http_addresses", "dns_addresses", "events"]
#: The registration watch's names under a caller's verified domains (latest check).
WATCH_COLUMNS = ["domain", "tld", "family", "variant", "first_day", "last_day", "state",
                 "basis", "registrar", "created"]  # fmt: skip


class Forbidden(WebError):
    def __init__(self, message: str = "not within your verified scope") -> None:
        super().__init__(message, 403)


@dataclass(frozen=True)
class Caller:
    """Who asks: an organisation (with its key id), or nobody (anonymous)."""

    org: Org | None = None
    key_id: str = ""
    matcher: ScopeMatcher | None = field(default=None, compare=False)

    @classmethod
    def of(cls, org: Org | None, key_id: str = "") -> Caller:
        return cls(org, key_id, ScopeMatcher(org) if org is not None else None)

    @property
    def role(self) -> str:
        return "anonymous" if self.org is None else self.org.role

    @property
    def name(self) -> str:
        return "" if self.org is None else self.org.name

    def require(self) -> ScopeMatcher:
        """The caller's matcher; anonymous callers and empty scopes are refused."""
        if self.matcher is None:
            raise WebError("sign the request with an organisation's API key", 401)
        if self.matcher.nothing:
            raise Forbidden("your organisation has no verified scope yet ('dgawatch org verify')")
        return self.matcher


def parse_days(text: str | None, default: dt.date | None = None) -> list[dt.date]:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD:YYYY-MM-DD`` (Shadowserver's ``date``), at most
    MAX_DAYS days."""
    from dgawatch.days import parse_day

    if not text:
        if default is None:
            raise InputError("date is required (YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD)")
        return [default]
    first, _, last = text.partition(":")
    a = parse_day(first.strip(), what="date")
    b = parse_day(last.strip(), what="date") if last else a
    if b < a:
        raise InputError(f"date {text}: the end is before the start")
    n = (b - a).days + 1
    if n > MAX_DAYS:
        raise InputError(f"date {text} spans {n} days; at most {MAX_DAYS} per request")
    return [a + dt.timedelta(days=i) for i in range(n)]


class ScopedData:
    """Rows of the sinkhole event store as one caller may see them. ``budget_s``: seconds
    one read may take (None: no limit, for ``dgawatch deliver``, a batch job nobody waits
    on)."""

    def __init__(
        self,
        directory: Path,
        enrich: Enrich | None = None,
        *,
        budget_s: float | None = QUERY_BUDGET_S,
    ) -> None:
        self.directory = directory
        self._enrich = enrich
        self.budget_s = budget_s

    @property
    def enrich(self) -> Enrich:
        if self._enrich is None:
            from dgawatch.sinkhole.enrich import Enricher

            self._enrich = Enricher()
        return self._enrich

    # -- what a request may name ---------------------------------------------------------

    def check_target(self, caller: Caller, network: str | None, ip: str | None) -> None:
        """Refuse (403) a network or address outside the caller's scope."""
        m = caller.require()
        if ip is not None:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise InputError(f"ip {ip!r} is not an IP address") from None
            if not m.address(ip, self.enrich):
                raise Forbidden()
        if network is not None:
            kind, _, value = network.partition(":")
            if kind not in ("asn", "cidr", "country") or not value:
                raise InputError(
                    f"network {network!r}: give asn:AS64500, cidr:192.0.2.0/24 or country:NL"
                )
            label = f"{kind}:{normalise_scope(kind, value)}"
            if m.everything:
                return
            if label in {s.label for s in caller.org.verified()} if caller.org else set():
                return
            if kind == "cidr":  # a sub-prefix of a verified one is the caller's too
                net = ipaddress.ip_network(label[5:])
                if any(net.version == n.version and net.subnet_of(n) for n in m.nets):  # type: ignore[arg-type]
                    return
            raise Forbidden()

    def _selects(self, caller: Caller, network: str | None, ip: str | None) -> Any:
        """A predicate on an address: within the caller's scope and the named target."""
        m = caller.require()
        self.check_target(caller, network, ip)
        enrich = self.enrich
        target: Any = None
        if network is not None:
            kind, _, value = network.partition(":")
            value = normalise_scope(kind, value)
            if kind == "cidr":
                net = ipaddress.ip_network(value)
                target = lambda a: _in(a, net)  # noqa: E731
            elif kind == "asn":
                number = int(value[2:])
                target = lambda a: enrich.asn(a) == number  # noqa: E731
            else:
                target = lambda a: enrich.country(a) == value  # noqa: E731

        def sees(address: str) -> bool:
            if ip is not None and address != ip:
                return False
            if target is not None and not target(address):
                return False
            return m.address(address, enrich)

        sees.matcher = m  # type: ignore[attr-defined]
        sees.ip = ip  # type: ignore[attr-defined]
        sees.network = network  # type: ignore[attr-defined]
        return sees

    # -- reads ---------------------------------------------------------------------------

    @contextmanager
    def _stats(self, days: list[dt.date]) -> Iterator[tuple[Any, Deadline]]:
        """SinkholeStats over these days' event files only (plus the shared plan and
        held-names files), so a request reads what it asks for and nothing else, and the
        request's time budget: a watchdog interrupts DuckDB once it is spent, and the work
        between queries checks it (:class:`Busy`, 503, either way)."""
        import duckdb

        from dgawatch.sinkhole.stats import SinkholeStats
        from dgawatch.sinkhole.store import list_files

        wanted = {d.isoformat() for d in days}
        event_paths = {p for _d, _w, _k, p in list_files(self.directory)}
        with tempfile.TemporaryDirectory(prefix="dgawatch-scope-") as tmp:
            view = Path(tmp)
            if self.directory.is_dir():
                for e in os.scandir(self.directory):
                    p = Path(e.path)
                    if not e.is_file():
                        continue
                    if p in event_paths and not any(f"-{d}." in e.name for d in wanted):
                        continue
                    os.symlink(os.path.abspath(e.path), view / e.name)  # relative dirs too
            with SinkholeStats(view) as st:
                st.con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
                budget = Deadline(float("inf") if self.budget_s is None else self.budget_s)
                done = threading.Event()
                watchdog = threading.Thread(
                    target=_interrupt_when_spent, args=(st.con, budget, done), daemon=True
                )
                watchdog.start()
                try:
                    yield st, budget
                    budget.check("this report")
                except duckdb.InterruptException:
                    raise Busy(
                        f"this report took longer than the portal's {budget.budget_s:g} s "
                        "budget; ask for fewer days, or a network or address",
                        budget.retry_after,
                    ) from None
                finally:
                    done.set()
                    watchdog.join()

    def _allowed(self, st: Any, days: list[dt.date], sees: Any, budget: Deadline) -> list[str]:
        """The distinct source addresses of these days the predicate ``sees`` keeps. SQL
        narrows the candidates first (one address, or the caller's IPv4 prefixes) so that
        Python looks only at addresses that may be the caller's, ADDRESS_BATCH at a time
        (memory holds the kept ones, never every candidate), within the budget."""
        from dgawatch.sinkhole.stats import dayno

        m: ScopeMatcher = sees.matcher
        if not (m.everything or m.nets or m.asns or m.countries):
            return []  # domain scopes only: no address is the caller's
        nos = ", ".join(str(dayno(d)) for d in days)
        narrow, params = _prefilter(sees.matcher, sees.ip)
        cur = st.con.execute(
            f"SELECT DISTINCT src_ip FROM ev WHERE dayno IN ({nos}) {narrow}", params
        )
        kept: list[str] = []
        while batch := cur.fetchmany(ADDRESS_BATCH):
            budget.check("this report")
            kept += [a for (a,) in batch if a is not None and sees(a)]
        return kept

    def _restrict(
        self, st: Any, days: list[dt.date], sees: Any, budget: Deadline
    ) -> tuple[str, list[object]] | None:
        """The SQL condition (``AND ...`` on ``src_ip``) selecting exactly the addresses
        ``sees`` keeps, or None when it keeps none. Where the scope and target are IPv4
        prefixes (or one address, or everything) the condition is the scope itself, one
        pass over the events; otherwise (AS, country, IPv6) Python decides per distinct
        address and the condition names the kept ones (a temporary table)."""
        m: ScopeMatcher = sees.matcher
        if not (m.everything or m.nets or m.asns or m.countries):
            return None  # domain scopes only: no address is the caller's
        exact = _exact_sql(sees)
        if exact is not None:
            return exact
        allowed = self._allowed(st, days, sees, budget)
        if not allowed:
            return None
        import pyarrow as pa

        kept = pa.table({"ip": pa.array(allowed, pa.string())})
        st.con.register("allowed_kept", kept)
        st.con.execute("CREATE OR REPLACE TEMP TABLE allowed AS SELECT ip FROM allowed_kept")
        st.con.unregister("allowed_kept")
        budget.check("this report")
        return "AND src_ip IN (SELECT ip FROM allowed)", []

    def report(
        self,
        caller: Caller,
        kind: str,
        days: list[dt.date],
        *,
        network: str | None = None,
        ip: str | None = None,
        limit: int = MAX_ROWS,
    ) -> tuple[list[str], list[list[object]], bool]:
        """(columns, rows, truncated) of the HTTP or DNS report, Shadowserver's columns."""
        if kind not in REPORT_TYPES:
            raise InputError(f"type {kind!r}: choose from {', '.join(REPORT_TYPES)}")
        sees = self._selects(caller, network, ip)
        limit = min(limit, MAX_ROWS)
        with self._stats(days) as (st, budget):
            restrict = self._restrict(st, days, sees, budget)
            if restrict is None:
                return list(REPORT_TYPES[kind]), [], False
            cond, params = restrict
            from dgawatch.sinkhole.stats import dayno

            nos = ", ".join(str(dayno(d)) for d in days)
            if kind == "http":
                rows = st.con.execute(
                    f"""SELECT ts, src_ip, src_port, dst_ip, dst_port, request_line, path, host,
                               user_agent, headers, a_family, a_variant
                        FROM http_attr WHERE uday IN ({nos}) {cond}
                        ORDER BY ts, src_ip LIMIT {limit + 1}""",
                    params,
                ).fetchall()
                out = [self._http_row(r) for r in rows[:limit]]
            elif kind == "dns":
                rows = st.con.execute(
                    f"""SELECT ts, proto, src_ip, src_port, qtype, coalesce(qname, domain),
                               family, variant
                        FROM dns_ev WHERE dayno IN ({nos}) {cond}
                        ORDER BY ts, src_ip LIMIT {limit + 1}""",
                    params,
                ).fetchall()
                out = [self._dns_row(r) for r in rows[:limit]]
            else:
                rows = st.con.execute(
                    f"""SELECT min(ts), NULL, src_ip, NULL, qtype, coalesce(qname, domain) AS q,
                               family, variant, count(*)
                        FROM dns_ev WHERE dayno IN ({nos}) {cond}
                        GROUP BY dayno, src_ip, q, qtype, family, variant
                        ORDER BY 1, src_ip, q LIMIT {limit + 1}""",
                    params,
                ).fetchall()
                out = [self._dns_row(r) for r in rows[:limit]]
        return list(REPORT_TYPES[kind]), out, len(rows) > limit

    def _http_row(self, r: tuple[Any, ...]) -> list[object]:
        ts, src_ip, src_port, dst_ip, dst_port, line, path, host, agent, headers, fam, var = r
        when = dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
        header_map = {str(k).lower(): str(v) for k, v in (headers or [])}
        version = str(line).rsplit(" ", 1)[-1].removeprefix("HTTP/") if line else ""
        event_id = hashlib.sha256(f"{ts}|{src_ip}|{src_port}|{dst_port}|{line}".encode())
        record = {
            "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
            "protocol": "tcp",
            "src_ip": src_ip,
            "src_port": src_port,
            "src_asn": self.enrich.asn(src_ip) or "",
            "src_geo": self.enrich.country(src_ip) or "",
            "severity": "high",
            "dst_ip": dst_ip,
            "dst_port": dst_port,
            "public_source": "dgawatch",
            "infection": infection(fam),
            "family": fam or "",
            "tag": f"{fam}-{var}".replace("/", "") if fam and var else "",
            "application": "http",
            "version": version,
            "event_id": event_id.hexdigest()[:32],
            "http_url": path or "",
            "http_host": host or "",
            "http_agent": agent or "",
            "forwarded_by": header_map.get("x-forwarded-for", ""),
            "http_referer": header_map.get("referer", ""),
        }
        return [record.get(c, "") for c in HTTP_COLUMNS]

    def _dns_row(self, r: tuple[Any, ...]) -> list[object]:
        ts, proto, src_ip, src_port, qtype, qname, fam, var = r[:8]
        count = r[8] if len(r) > 8 else 1
        when = dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
        record = {
            "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
            "protocol": str(proto).removeprefix("dns/")
            if proto not in (None, "dns/dnstap")
            else "",
            "src_ip": src_ip,
            "src_port": src_port if src_port is not None else "",
            "src_asn": self.enrich.asn(src_ip) or "",
            "src_geo": self.enrich.country(src_ip) or "",
            "infection": infection(fam),
            "family": fam or "",
            "tag": f"{fam}-{var}".replace("/", "") if fam and var else "",
            "query_type": qtype or "",
            "query": qname or "",
            "count": count,
        }
        return [record.get(c, "") for c in DNS_COLUMNS]

    def stats(
        self, caller: Caller, days: list[dt.date], *, network: str | None = None
    ) -> list[dict[str, object]]:
        """Per day, the caller's distinct addresses (all, HTTP, DNS) and events."""
        sees = self._selects(caller, network, None)
        from dgawatch.sinkhole.stats import day_of_no, dayno

        with self._stats(days) as (st, budget):
            restrict = self._restrict(st, days, sees, budget)
            out = {d.isoformat(): {"day": d.isoformat(), "addresses": 0, "http_addresses": 0,
                                   "dns_addresses": 0, "events": 0} for d in days}  # fmt: skip
            if restrict is not None:
                cond, params = restrict
                nos = ", ".join(str(dayno(d)) for d in days)
                for no, a, h, d, n in st.con.execute(
                    f"""SELECT dayno, count(DISTINCT src_ip),
                          count(DISTINCT src_ip) FILTER (WHERE proto = 'http'),
                          count(DISTINCT src_ip) FILTER (WHERE proto LIKE 'dns/%'), count(*)
                        FROM ev WHERE dayno IN ({nos}) {cond} GROUP BY dayno""",
                    params,
                ).fetchall():
                    out[day_of_no(no).isoformat()].update(
                        addresses=a, http_addresses=h, dns_addresses=d, events=n
                    )
        return list(out.values())

    def listing(self, caller: Caller, days: list[dt.date]) -> list[dict[str, object]]:
        """The reports the caller can download for these days: (day, type, rows)."""
        sees = self._selects(caller, None, None)
        from dgawatch.sinkhole.stats import day_of_no, dayno

        with self._stats(days) as (st, budget):
            restrict = self._restrict(st, days, sees, budget)
            if restrict is None:
                return []
            cond, params = restrict
            nos = ", ".join(str(dayno(d)) for d in days)
            counts = st.con.execute(
                f"""SELECT dayno, 'http' AS type, count(*) FROM http_ev
                      WHERE dayno IN ({nos}) {cond} GROUP BY dayno
                    UNION ALL
                    SELECT dayno, 'dns', count(*) FROM dns_ev
                      WHERE dayno IN ({nos}) {cond} GROUP BY dayno
                    ORDER BY 1, 2""",
                params + params,
            ).fetchall()
        return [{"day": day_of_no(no).isoformat(), "type": kind, "rows": int(n)}
                for no, kind, n in counts]  # fmt: skip

    def watch_names(
        self, caller: Caller, where: Path, *, limit: int = MAX_ROWS
    ) -> tuple[list[str], list[list[object]], bool]:
        """(columns, rows, truncated): the names of the registration watch's latest check
        under the caller's verified domains (the operator: every name), with their state
        (free, reserved, sinkholed, collision, alert, unknown) and when each is due. For a
        registry or a domain's owner: which forecast names in its zone are still free to
        be registered. Names, no address: the watch's observed addresses are left out.
        ``where``: the data directory or the watch store file."""
        m = caller.require()
        if not (m.everything or m.domains):
            raise Forbidden("your organisation has no verified domain scope")
        from dgawatch.errors import StoreError
        from dgawatch.watch.store import WatchStore, resolve

        path = resolve(where)
        if not path.exists():
            return list(WATCH_COLUMNS), [], False
        cond, params = "", []
        if not m.everything:
            cond = "AND (" + " OR ".join("n.domain = ? OR ends_with(n.domain, ?)"
                                         for _ in m.domains) + ")"  # fmt: skip
            for d in m.domains:
                params += [d, "." + d]
        limit = min(limit, MAX_ROWS)
        try:
            store = WatchStore(path, read_only=True)
        except StoreError:
            raise Busy("the watch store is being written; retry shortly", 10) from None
        with store:
            store.con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
            latest = store.latest_check()
            if latest is None:
                return list(WATCH_COLUMNS), [], False
            rows = store.con.execute(
                f"""SELECT n.domain, n.tld, n.family, n.variant, min(n.day), max(n.day),
                           v.state, v.basis, v.registrar, v.created
                    FROM names n JOIN verdicts v ON v.check_id = n.check_id
                                                AND v.domain = n.domain
                    WHERE n.check_id = ? {cond}
                    GROUP BY ALL ORDER BY n.domain, n.family, n.variant
                    LIMIT {limit + 1}""",
                [latest, *params],
            ).fetchall()
        out = [[v.isoformat() if isinstance(v, dt.date) else ("" if v is None else v)
                for v in r] for r in rows[:limit]]  # fmt: skip
        return list(WATCH_COLUMNS), out, len(rows) > limit

    def addresses(self, caller: Caller, days: list[dt.date]) -> set[str]:
        """The caller's distinct source addresses of these days (digests: new hosts)."""
        sees = self._selects(caller, None, None)
        with self._stats(days) as (st, budget):
            return set(self._allowed(st, days, sees, budget))


_V4_INT = (
    "(TRY_CAST(split_part(src_ip, '.', 1) AS BIGINT) * 16777216"
    " + TRY_CAST(split_part(src_ip, '.', 2) AS BIGINT) * 65536"
    " + TRY_CAST(split_part(src_ip, '.', 3) AS BIGINT) * 256"
    " + TRY_CAST(split_part(src_ip, '.', 4) AS BIGINT))"
)


#: An IPv4 address in dotted-quad form without leading zeros (as Python's ipaddress reads it).
_V4_TEXT = r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}"


def _exact_sql(sees: Any) -> tuple[str, list[object]] | None:
    """A SQL condition equal to ``sees`` where one exists: the operator's everything, one
    named address, or IPv4 prefixes (the caller's, and a named prefix); else None."""
    m: ScopeMatcher = sees.matcher
    if sees.ip is not None:
        # In scope (check_target refused it otherwise); with a named network too, in that.
        return ("AND src_ip = ?", [sees.ip]) if sees(sees.ip) else ("AND false", [])
    network = sees.network
    target: ipaddress.IPv4Network | None = None
    if network is not None:
        kind, _, value = network.partition(":")
        if kind != "cidr":
            return None
        net = ipaddress.ip_network(normalise_scope(kind, value))
        if net.version != 4:
            return None
        target = net
    if not m.everything and (m.asns or m.countries or not m.nets or
                             any(n.version != 4 for n in m.nets)):  # fmt: skip
        return None
    if target is None and m.everything:
        return "", []
    # A cheap text test first (the dotted quads' leading octets; a superset), then the exact
    # one: the string prefix spares the regular expression and the arithmetic most rows.
    cond = ""
    params: list[object] = []
    for nets in ([target] if target is not None else [], [] if m.everything else m.nets):
        starts = _text_prefixes(nets)  # type: ignore[arg-type]
        if starts:
            cond += f" AND ({' OR '.join('starts_with(src_ip, ?)' for _ in starts)})"
            params += starts
    cond += " AND regexp_full_match(src_ip, ?)"
    params.append(_V4_TEXT)
    if not m.everything:
        ranges = " OR ".join(f"{_V4_INT} BETWEEN ? AND ?" for _ in m.nets)
        cond += f" AND ({ranges})"
        for n in m.nets:
            params += [int(n.network_address), int(n.broadcast_address)]
    if target is not None:
        cond += f" AND {_V4_INT} BETWEEN ? AND ?"
        params += [int(target.network_address), int(target.broadcast_address)]
    return cond.lstrip(), params


#: Most string prefixes one condition lists (a /2 needs 64; wider scopes skip the test).
_MAX_PREFIXES = 64


def _text_prefixes(nets: list[ipaddress.IPv4Network]) -> list[str]:
    """Texts every dotted quad inside ``nets`` starts with (``"203.0.113."`` for a /24 and
    longer, ``"10."`` ... for a /8 and longer, each first octet for shorter ones); empty
    when there would be more than _MAX_PREFIXES (no test)."""
    out: list[str] = []
    for net in nets:
        octets = str(net.network_address).split(".")
        whole = min(net.prefixlen // 8, 3)
        if whole:
            out.append(".".join(octets[:whole]) + ".")
        else:
            first = int(octets[0])
            out += [f"{o}." for o in range(first, first + (1 << (8 - net.prefixlen)))]
        if len(out) > _MAX_PREFIXES:
            return []
    return sorted(set(out))


def _prefilter(m: ScopeMatcher, ip: str | None) -> tuple[str, list[object]]:
    """A SQL condition no address of the caller's fails (a superset; Python decides)."""
    if ip is not None:
        return "AND src_ip = ?", [ip]
    if m.everything or m.asns or m.countries or not m.nets:
        return "", []
    parts: list[str] = []
    params: list[object] = []
    for net in m.nets:
        if net.version == 4:
            parts.append(f"{_V4_INT} BETWEEN ? AND ?")
            params += [int(net.network_address), int(net.broadcast_address)]
    if any(net.version == 6 for net in m.nets):
        parts.append("contains(src_ip, ':')")
    return f"AND ({' OR '.join(parts)})", params


def _interrupt_when_spent(con: Any, budget: Deadline, done: threading.Event) -> None:
    """Interrupt ``con``'s running query once ``budget`` is spent, and again every 0.1 s
    (an interrupt between two queries is lost) until the request is ``done``."""
    import time

    left = budget.end - time.monotonic()
    if done.wait(None if left == float("inf") else max(0.0, left)):
        return
    while True:
        con.interrupt()
        if done.wait(0.1):
            return


def _in(address: str, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    try:
        return ipaddress.ip_address(address) in net
    except ValueError:
        return False
