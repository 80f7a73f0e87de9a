"""``/dashboard``: the sinkhole's and the registration watch's figures as charts, each drawn on
the server as SVG (:mod:`dgawatch.web.charts`) from rows that are also its data twins
(``/dashboard/<name>.json`` and ``.csv``, sorted, filtered and paged as in
:mod:`dgawatch.web.tables`). Every figure is an aggregate (counts of distinct addresses per
day, country, ASN, family; names per TLD and state): no address is ever shown, so the
pages are public.

Where the figures come from:

* per day and per family: the portal's cached per-day sinkhole figures
  (:mod:`dgawatch.web.sinkhole_cache`), with the population estimates of
  :mod:`dgawatch.sinkhole.stats` (95 % interval drawn as a band);
* per country and per ASN: one UTC day at a time (``day``, default the last day with
  events), counted over that day's event files only and cached by their size and mtime,
  so a request's work is bounded by one day of events and a repeated one costs nothing.
  ASN counts are normalised by the ASN's announced IPv4 space where the enrichment uses
  plevin's routing data (RIPE RIS), for the 20 largest; country counts are not normalised
  (the project's data has no address space per country);
* per TLD: :func:`dgawatch.watch.report_rows` of the data directory's watch store, cached
  by the store file's size and mtime.

Work per request is bounded: a request answered from cached figures (the warm dashboard, its
tables, filters, pages and CSV, all over aggregates of a bounded size) takes no slot, so a
flood of expensive requests never delays it; only work the caches lack (counting a day's
networks, reading the watch store, drawing a chart whose data changed) runs in one of the
portal's few expensive slots, and a request that finds them all taken gets 503 with
``Retry-After`` (:class:`~dgawatch.web.guard.Limiter`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from markupsafe import Markup

from dgawatch.sinkhole.enrich import PLEVIN_LOCK
from dgawatch.web.common import Portal, WebError, day_param
from dgawatch.web.guard import Busy
from dgawatch.web.pages import Page, Route
from dgawatch.web.tables import TABLE_TEMPLATE, Column, Table

#: Bars drawn in the per-country and per-ASN charts (the tables hold every row).
TOP = 20
#: Memory DuckDB may use for one day's distinct addresses (beyond it, it spills to disk).
MEMORY_LIMIT = "512MB"
_BATCH = 65_536
#: Addresses looked up per hold of plevin's lock: short holds, so that a request needing
#: one look-up (the ASN chart's announced space) never waits for a whole day's count.
_LOCKED_BATCH = 1_024
#: Days whose country/ASN counts are kept (one day holds one counter per ASN seen).
CACHED_DAYS = 32

OBSERVED = "distinct source addresses"
ESTIMATED = "machines (estimate)"
SERIES_ALL = "all sources"
SERIES_HTTP = "HTTP sources"
SERIES_DNS = "DNS sources (mostly resolvers)"


# -- per-day network counts (country, ASN) ---------------------------------------------------


#: plevin's database decompresses lazily into shared state: one reader at a time (two
#: concurrent ``routes()`` calls failed with EOFError in bench_dashboard.py); the same
#: (re-entrant) lock as the sinkhole enricher's lookups.
_plevin_lock = PLEVIN_LOCK


@contextlib.contextmanager
def _slot(limiter: Any) -> Iterator[None]:
    """One of the portal's expensive slots (503 when all are taken); none without a limiter."""
    if limiter is None:
        yield
        return
    limiter.acquire()
    try:
        yield
    finally:
        limiter.release()


class NetworkCounts:
    """Distinct addresses per country and per ASN of one UTC day, cached per day by the
    signature of that day's files (and of the shared ones, e.g. the address plan). A day
    not cached is counted in one of ``limiter``'s slots (503 when all are taken), in a
    worker process when ``isolated``."""

    def __init__(
        self, directory: Path, enrich: Any, limiter: Any = None, *, isolated: bool = False
    ) -> None:
        self.directory = directory
        self.enrich = enrich
        self.limiter = limiter
        #: Count in a separate process (the portal): the per-address work then never holds
        #: the interpreter lock the portal's other requests need.
        self.isolated = isolated
        self._pool: Any = None
        self._lock = threading.Lock()
        self._days: dict[dt.date, tuple[object, dict[str, Any]]] = {}
        #: Day computations so far (the bench and tests read it).
        self.computed = 0

    def latest_day(self) -> dt.date | None:
        from dgawatch.web.sinkhole_cache import StoreSignature

        days = StoreSignature(self.directory).event_days
        return max(days) if days else None

    def counts(self, day: dt.date) -> dict[str, Any]:
        from dgawatch.web.sinkhole_cache import StoreSignature

        sig = StoreSignature(self.directory)
        files = sig.days.get(day, ())
        key = (sig.shared, files)
        with self._lock:
            found = self._days.get(day)
        if found is not None and found[0] == key:
            return found[1]
        if day not in sig.event_days:
            return {"country": {}, "asn": {}, "asn_ipv4": {}}
        # Outside the lock: a cached day is answered while another is being counted (the
        # portal's expensive slots bound how many are counted at once).
        with _slot(self.limiter):
            figures = self._compute(day, [s[0] for s in (*sig.shared, *files)])
        with self._lock:
            self._days[day] = (key, figures)
            while len(self._days) > CACHED_DAYS:  # the oldest counted first
                self._days.pop(next(iter(self._days)))
            self.computed += 1
        return figures

    def _compute(self, day: dt.date, names: Sequence[str]) -> dict[str, Any]:
        if not self.isolated:
            return count_day(self.directory, names, day, self.enrich)
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        with self._lock:
            if self._pool is None:
                import multiprocessing

                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_start,
                    initargs=(self.enrich,),
                )
            pool = self._pool
        try:
            return pool.submit(_worker_count, self.directory, list(names), day).result()
        except BrokenProcessPool:  # the worker died (killed for memory?): a new one next time
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise Busy(f"counting {day} failed; retry later", 30) from None

    def close(self) -> None:
        """Stop the counting process, if any (the portal's shutdown), without waiting for a
        count in progress (it would be thrown away)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        workers = list(getattr(pool, "_processes", {}).values())  # no public way to stop them
        pool.shutdown(wait=False, cancel_futures=True)
        for w in workers:
            w.terminate()
        for w in workers:
            w.join(10)


def count_day(directory: Path, names: Sequence[str], day: dt.date, enrich: Any) -> dict[str, Any]:
    """Distinct addresses of ``day`` per country and ASN, over the store files ``names``:
    one pass over the day's distinct addresses, read in batches (memory holds the counters,
    one per country / ASN, never the addresses)."""
    from dgawatch.sinkhole.stats import SinkholeStats, dayno

    country: dict[str, int] = {}
    asn: dict[str, int] = {}
    asn_ipv4: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="dgawatch-dash-") as tmp:
        view = Path(tmp)
        for name in names:
            os.symlink(os.path.abspath(directory / name), view / name)
        with SinkholeStats(view) as st:
            st.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
            cur = st.con.execute("SELECT DISTINCT src_ip FROM ev WHERE dayno = ?", [dayno(day)])
            while batch := cur.fetchmany(_BATCH):
                for i in range(0, len(batch), _LOCKED_BATCH):
                    with _plevin_lock:
                        _count(enrich, batch[i : i + _LOCKED_BATCH], country, asn, asn_ipv4)
    return {"country": country, "asn": asn, "asn_ipv4": asn_ipv4}


def _count(
    enrich: Any,
    batch: list[tuple[Any, ...]],
    country: dict[str, int],
    asn: dict[str, int],
    asn_ipv4: dict[str, int],
) -> None:
    for (ip,) in batch:
        cc = enrich.country(ip) or "unknown"
        country[cc] = country.get(cc, 0) + 1
        number = enrich.asn(ip)
        a = f"AS{number}" if number else "unknown"
        asn[a] = asn.get(a, 0) + 1
        if ":" not in ip:
            asn_ipv4[a] = asn_ipv4.get(a, 0) + 1


#: The enricher of the counting process (set once when it starts).
_worker_enrich: Any = None


def _worker_start(enrich: Any) -> None:
    global _worker_enrich
    _worker_enrich = enrich


def _worker_count(directory: Path, names: list[str], day: dt.date) -> dict[str, Any]:
    return count_day(directory, names, day, _worker_enrich)


_counts: weakref.WeakKeyDictionary[Portal, NetworkCounts] = weakref.WeakKeyDictionary()
_counts_lock = threading.Lock()


def network_counts(portal: Portal) -> NetworkCounts:
    with _counts_lock:
        found = _counts.get(portal)
        if found is None:
            scoped = getattr(portal, "scoped", None)
            enrich = getattr(scoped, "enrich", None) if scoped is not None else None
            if enrich is None:
                from dgawatch.sinkhole.enrich import Enricher

                enrich = Enricher()
            found = _counts[portal] = NetworkCounts(
                portal.sinkhole_dir, enrich, getattr(portal, "limiter", None),
                isolated=getattr(portal, "isolate_counts", False),
            )  # fmt: skip
            closers = getattr(portal, "closers", None)
            if closers is not None:
                closers.append(found.close)
        return found


#: Announced IPv4 space per ASN (None: unknown), read from plevin's (static) data once.
_announced: dict[str, int | None] = {}


def _announced_ipv4(enrich: Any, asns: Sequence[str]) -> dict[str, int] | None:
    """Announced IPv4 addresses per ASN from plevin's routing data (RIPE RIS), or None
    when the enrichment does not use it (an operator's own ASN file has no sizes). Each
    ASN is looked up once per process: a warm dashboard never waits for plevin's lock."""
    if getattr(enrich, "sources", {}).get("asn") != "plevin":
        return None
    try:
        import plevin
    except ImportError:
        return None
    out: dict[str, int] = {}
    for a in asns:
        if not a.startswith("AS"):
            continue
        if a not in _announced:
            try:
                with _plevin_lock:
                    _announced[a] = int(plevin.routes(int(a[2:])).ipv4_addresses)
            except (ValueError, LookupError, OSError, EOFError):
                _announced[a] = None
        found = _announced[a]
        if found is not None:
            out[a] = found
    return out


# -- datasets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    columns: tuple[Column, ...]
    #: (request, portal) -> rows, chart rows, note
    build: Callable[[Request, Portal], tuple[list[dict[str, Any]], list[dict[str, Any]], str]]
    #: chart rows -> Vega-Lite spec
    chart: Callable[[list[dict[str, Any]]], dict[str, Any]]
    #: The chart's SVG marks (CSS selector) a browser test expects.
    marks: str


def _figures(portal: Portal) -> dict[str, Any]:
    return portal.sinkhole.figures()


def _daily(
    request: Request, portal: Portal
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    figures = _figures(portal)
    rows: list[dict[str, Any]] = []
    for r in figures["by_day"]:
        for series, key in ((SERIES_ALL, "addresses"), (SERIES_HTTP, "http_addresses"),
                            (SERIES_DNS, "dns_addresses")):  # fmt: skip
            rows.append({"day": r["day"], "series": series, "unit": OBSERVED,
                         "value": int(r[key]), "low": None, "high": None,
                         "method": "observed"})  # fmt: skip
    for e in figures["estimates"]:
        ci = e.get("ci95")
        rows.append({
            "day": e["day"], "series": f"{e['family']}/{e['variant']} {e['method']}",
            "unit": ESTIMATED, "value": round(float(e["value"]), 1),
            "low": round(float(ci[0]), 1) if ci else None,
            "high": round(float(ci[1]), 1) if ci else None, "method": e["method"],
        })  # fmt: skip
    note = (
        "Observed: distinct source addresses per UTC day (an address is not a machine: NAT "
        "and DHCP). Estimates: machines behind the HTTP sources of one list day, with the "
        "95 % interval as a band where the method gives one (see 'dgawatch sinkhole stats')."
    )
    return rows, rows, note


def _families(
    request: Request, portal: Portal
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    rows = [
        {"day": r["day"], "family": r["family"], "variant": r["variant"],
         "key": f"{r['family']}/{r['variant']}" if r["variant"] else str(r["family"]),
         "attribution": r["attribution"], "addresses": int(r["addresses"]),
         "events": int(r["events"])}
        for r in _figures(portal)["by_family"]
    ]  # fmt: skip
    # One bar per (day, family/variant): attributions of one variant are added up only in
    # the chart's data when they are different addresses' ways of being attributed.
    merged: dict[tuple[str, str], int] = {}
    for r in rows:
        merged[(r["day"], r["key"])] = merged.get((r["day"], r["key"]), 0) + r["addresses"]
    chart = [{"day": d, "key": k, "addresses": n} for (d, k), n in sorted(merged.items())]
    note = (
        "Distinct source addresses per UTC day and family/variant (DNS by the name asked, "
        "HTTP by the address plan); bars side by side, since one address may ask for names "
        "of several families."
    )
    return rows, chart, note


def _day(request: Request, portal: Portal) -> dt.date | None:
    return day_param(request, "day") or network_counts(portal).latest_day()


def _countries(
    request: Request, portal: Portal
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    day = _day(request, portal)
    if day is None:
        return [], [], "No sinkhole events."
    counts = network_counts(portal).counts(day)["country"]
    rows = [{"day": day.isoformat(), "country": c, "addresses": n}
            for c, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]  # fmt: skip
    note = (
        f"Distinct source addresses on {day} per country the registry assigned the address "
        "to (RIR delegations via iptocc, or the operator's --country-db); 'unknown' for "
        "private and unassigned addresses. Not normalised: the project's data has no "
        f"address space per country. The chart shows the {TOP} largest."
    )
    return rows, rows[:TOP], note


def _asns(
    request: Request, portal: Portal
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    day = _day(request, portal)
    if day is None:
        return [], [], "No sinkhole events."
    nc = network_counts(portal)
    figures = nc.counts(day)
    ranked = sorted(figures["asn"].items(), key=lambda kv: (-kv[1], kv[0]))
    announced = _announced_ipv4(nc.enrich, [a for a, _n in ranked[:TOP]])
    rows: list[dict[str, Any]] = []
    for a, n in ranked:
        v4 = figures["asn_ipv4"].get(a, 0)
        space = announced.get(a) if announced is not None else None
        rows.append({
            "day": day.isoformat(), "asn": a, "addresses": n, "ipv4_addresses": v4,
            "announced_ipv4": space,
            "per_million_announced": round(v4 * 1e6 / space, 3) if space else None,
        })  # fmt: skip
    if announced is not None and any(r["per_million_announced"] is not None for r in rows):
        chart = [
            {"asn": r["asn"], "per_million_announced": r["per_million_announced"]}
            for r in rows[:TOP]
            if r["per_million_announced"] is not None
        ]
        how = (
            "The chart shows, for the 20 largest, IPv4 sources per million IPv4 addresses the "
            "ASN announces (plevin's routing data from RIPE RIS)."
        )
    else:
        chart = [{"asn": r["asn"], "addresses": r["addresses"]} for r in rows[:TOP]]
        how = (
            "Not normalised: the ASN data in use (an operator's --asn-db, or none) has no "
            f"announced address space; the chart shows the {TOP} largest by addresses."
        )
    note = f"Distinct source addresses on {day} per origin ASN ('unknown': not routed). {how}"
    return rows, chart, note


_STATES = ("free", "reserved", "sinkholed", "collision", "alert", "unknown")


_watch_rows: dict[object, tuple[object, list[dict[str, Any]]]] = {}
_watch_lock = threading.Lock()


def _watch_report(portal: Portal) -> list[dict[str, Any]]:
    """The watch report's rows, read again (in a slot) only when the store file changed."""
    from dgawatch.watch import report_rows
    from dgawatch.watch.store import resolve

    where = portal.store_path.parent
    try:
        st = resolve(where).stat()
        key: object = (st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    with _watch_lock:
        found = _watch_rows.get(where)
    if found is not None and found[0] == key:
        return found[1]
    with _slot(getattr(portal, "limiter", None)):
        rows = report_rows(where) if key is not None else []
    with _watch_lock:
        _watch_rows[where] = (key, rows)
        while len(_watch_rows) > 8:
            _watch_rows.pop(next(iter(_watch_rows)))
    return rows


def _tlds(
    request: Request, portal: Portal
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    rows = _watch_report(portal)
    columns = [c.name for c in _TLD_COLUMNS]
    rows = [{c: r.get(c) for c in columns} for r in rows]
    chart = [
        {"tld": r["tld"], "family": r["family"], "state": s, "names": int(r[s])}
        for r in rows
        for s in _STATES
        if r[s]
    ]
    if not rows:
        return [], [], "No finished registration watch check ('dgawatch watch check')."
    first = rows[0]
    note = (
        f"State of the forecast names of {first['start_day']}..{first['end_day']} in the "
        f"latest registration watch check ({first['checked_at']}), per TLD: reserved or "
        "sinkholed names are protected; free ones could be registered by anyone; collision: "
        "registered before publication; alert: registered after it by someone else."
    )
    return rows, chart, note


def _num(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, numeric=True) for n in names)


_TLD_COLUMNS = (
    Column("tld"), Column("family"), *_num("names", *_STATES),
    *_num(*(f"share_{s}" for s in _STATES)), Column("checked_at"), Column("start_day"),
    Column("end_day"),
)  # fmt: skip


def _daily_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from dgawatch.web.charts import daily_chart

    return daily_chart(rows)


def _families_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from dgawatch.web.charts import grouped_bar_chart

    return grouped_bar_chart(rows, "day", "key", "addresses", value_title=OBSERVED)


def _countries_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from dgawatch.web.charts import bar_chart

    return bar_chart(rows, "country", "addresses", value_title=OBSERVED)


def _asns_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from dgawatch.web.charts import bar_chart

    if rows and "per_million_announced" in rows[0]:
        title = "IPv4 sources per million announced IPv4 addresses"
        return bar_chart(rows, "asn", "per_million_announced", value_title=title)
    return bar_chart(rows, "asn", "addresses", value_title=OBSERVED)


def _tlds_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from dgawatch.web.charts import share_chart

    return share_chart(rows)


DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset("addresses", "Distinct addresses per day",
                (Column("day"), Column("series"), Column("unit"), *_num("value", "low", "high"),
                 Column("method")),
                _daily, _daily_chart, "g.mark-line.role-mark path"),
        Dataset("families", "Per family",
                (Column("day"), Column("family"), Column("variant"), Column("key"),
                 Column("attribution"), *_num("addresses", "events")),
                _families, _families_chart, "g.mark-rect.role-mark path"),
        Dataset("countries", "Per country",
                (Column("day"), Column("country"), *_num("addresses")),
                _countries, _countries_chart, "g.mark-rect.role-mark path"),
        Dataset("asns", "Per ASN",
                (Column("day"), Column("asn"),
                 *_num("addresses", "ipv4_addresses", "announced_ipv4", "per_million_announced")),
                _asns, _asns_chart, "g.mark-rect.role-mark path"),
        Dataset("tlds", "Registration watch: protection per TLD", _TLD_COLUMNS, _tlds,
                _tlds_chart, "g.mark-rect.role-mark path"),
    )
}  # fmt: skip


def _dataset(request: Request) -> Dataset:
    name = request.path_params.get("name", "")
    found = DATASETS.get(name)
    if found is None:
        raise WebError(f"no dashboard chart {name!r} (one of {', '.join(DATASETS)})", 404)
    return found


def _params(request: Request) -> dict[str, list[str]]:
    return {k: request.query_params.getlist(k) for k in request.query_params}


# -- views -----------------------------------------------------------------------------------


def dataset_view(request: Request, portal: Portal) -> dict[str, Any]:
    """One chart's data: the table page asked for (sort, filter, page), the rows drawn."""
    ds = _dataset(request)
    rows, chart, note = ds.build(request, portal)
    table = Table(ds.columns, rows)
    return {"name": ds.name, "title": ds.title, "note": note,
            **table.query(_params(request)), "chart": chart}  # fmt: skip


def dashboard_view(request: Request, portal: Portal) -> dict[str, Any]:
    """Every chart's data (the rows drawn) and where its full table is."""
    figures = _figures(portal)
    out: dict[str, Any] = {
        "present": bool(figures["present"]),
        "events": figures["events"],
        "as_of": figures["as_of"],
        "stale": figures["stale"],
        "charts": [],
    }
    day = _day(request, portal)
    out["day"] = day.isoformat() if day else None
    for ds in DATASETS.values():
        rows, chart, note = ds.build(request, portal)
        out["charts"].append({"name": ds.name, "title": ds.title, "note": note,
                              "rows": len(rows), "chart": chart})  # fmt: skip
    return out


# -- HTML and downloads ----------------------------------------------------------------------


def _query(request: Request) -> str:
    return f"?{request.url.query}" if request.url.query else ""


_drawn: dict[tuple[str, str], str] = {}
_drawn_lock = threading.Lock()


def _svg_of(ds: Dataset, chart: list[dict[str, Any]], limiter: Any = None) -> Markup | None:
    """The chart's SVG, kept per (chart, rows): unchanged figures skip building the
    specification as well as drawing it (a new one is drawn in one of ``limiter``'s slots)."""
    import json

    from dgawatch.web.charts import svg

    if not chart:
        return None
    key = (ds.name, json.dumps(chart, sort_keys=True, default=str))
    with _drawn_lock:
        found = _drawn.get(key)
    if found is None:
        with _slot(limiter):
            found = svg(ds.chart(chart))
        with _drawn_lock:
            _drawn[key] = found
            while len(_drawn) > 64:
                _drawn.pop(next(iter(_drawn)))
    # vl-convert escapes every text it draws (tested); the SVG has no script or style.
    return Markup(found)


def _html(request: Request, template: str, title: str, **context: Any) -> HTMLResponse:
    from dgawatch.web.templates import render

    json_url = request.url.path + ".json" + _query(request)
    if request.url.path == "/dashboard":
        json_url = "/dashboard.json" + _query(request)
    html = render(template, request.app.state.templates, title=title, json_url=json_url,
                  **context)  # fmt: skip
    return HTMLResponse(html)


def _dashboard_html(request: Request, portal: Portal) -> dict[str, Any]:
    data = dashboard_view(request, portal)
    for c in data["charts"]:
        c["svg"] = _svg_of(DATASETS[c["name"]], c["chart"], portal.limiter)
    return data


def dashboard_page(request: Request) -> Response:
    data = _dashboard_html(request, request.app.state.portal)
    return _html(request, "dashboard.html", "Dashboard", data=data,
                 day=request.query_params.get("day", ""))  # fmt: skip


def _dataset_html(request: Request, portal: Portal) -> dict[str, Any]:
    doc = dataset_view(request, portal)
    doc["svg"] = _svg_of(_dataset(request), doc["chart"], portal.limiter)
    return doc


def dataset_page(request: Request) -> Response:
    ds = _dataset(request)
    doc = _dataset_html(request, request.app.state.portal)
    table = Table(ds.columns, [])
    links = table.links(request.url.path, _params(request), doc)
    numeric = [c.name for c in ds.columns if c.numeric]
    return _html(request, "dashboard_table.html", ds.title, data=doc, links=links,
                 numeric=numeric, day=request.query_params.get("day", ""))  # fmt: skip


def _csv_rows(request: Request, portal: Portal) -> dict[str, Any]:
    ds = _dataset(request)
    rows, _chart, _note = ds.build(request, portal)
    table = Table(ds.columns, rows)
    return {"columns": table.names, "rows": table.matching(_params(request))}


def dataset_csv(request: Request) -> Response:
    from dgawatch.web.charts import csv_text

    ds = _dataset(request)
    doc = _csv_rows(request, request.app.state.portal)
    return PlainTextResponse(
        csv_text(doc["columns"], doc["rows"]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="dgawatch-{ds.name}.csv"'},
    )


def _svg_doc(request: Request, portal: Portal) -> dict[str, Any]:
    ds = _dataset(request)
    _rows, chart, _note = ds.build(request, portal)
    if not chart:
        raise WebError(f"nothing to draw in {ds.name!r} yet", 404)
    return {"svg": str(_svg_of(ds, chart, portal.limiter))}


def dataset_svg(request: Request) -> Response:
    doc = _svg_doc(request, request.app.state.portal)
    return Response(doc["svg"], media_type="image/svg+xml")


_DASHBOARD = """{% extends "base.html" %}{% block content %}
{% if not data.present %}
<p class="empty">No sinkhole events in the event store yet. Run
<code>dgawatch sinkhole serve</code> or <code>dgawatch sinkhole ingest</code> to collect some.</p>
{% else %}
<p>{{ "{:,}".format(data.events) }} events; figures as of {{ data.as_of }}{% if data.stale %}
(being refreshed){% endif %}. Every figure is an aggregate: no address is shown.</p>
<form method="get"><label>Day for the country and ASN charts
<input name="day" value="{{ day or data.day or '' }}" size="10"></label>
<button>show</button></form>
{% endif %}
{% for c in data.charts %}
<section id="{{ c.name }}" class="chart">
<h2>{{ c.title }}</h2>
{% if c.svg %}<figure>{{ c.svg }}</figure>
{% else %}<p class="empty">Nothing to draw yet.</p>{% endif %}
<p>{{ c.note }}</p>
<p><a href="/dashboard/{{ c.name }}{{ '?day=' ~ day if day else '' }}">table</a> &middot;
<a href="/dashboard/{{ c.name }}.json{{ '?day=' ~ day if day else '' }}">JSON</a> &middot;
<a href="/dashboard/{{ c.name }}.csv{{ '?day=' ~ day if day else '' }}">CSV</a> &middot;
<a href="/dashboard/{{ c.name }}.svg{{ '?day=' ~ day if day else '' }}">SVG</a></p>
</section>
{% endfor %}
{% endblock %}"""

_DATASET = """{% extends "base.html" %}{% import "_table.html" as tables %}{% block content %}
<p><a href="/dashboard">&larr; dashboard</a></p>
{% if data.svg %}<figure>{{ data.svg }}</figure>{% endif %}
<p>{{ data.note }}</p>
{{ tables.table(data, links, numeric) }}
{% endblock %}"""

PAGES = (
    Page("/dashboard", dashboard_view, None, "Dashboard", nav="dashboard",
         order=45, access="public",
         summary="charts of the sinkhole's and the watch's figures (aggregates only)",
         templates={"dashboard.html": _DASHBOARD, "dashboard_table.html": _DATASET,
                    "_table.html": TABLE_TEMPLATE},
         extra_routes=(Route("/dashboard", dashboard_page),
                       Route("/dashboard/{name}.csv", dataset_csv),
                       Route("/dashboard/{name}.svg", dataset_svg),
                       Route("/dashboard/{name}", dataset_page))),
    Page("/dashboard/{name}", dataset_view, None,
         lambda r: DATASETS[r.path_params["name"]].title if r.path_params.get("name")
         in DATASETS else "Dashboard", order=46, access="public"),
)  # fmt: skip
