"""What one anonymous portal request costs, before and after the abuse limits (issue 14,
item 10), on one sinkhole store, in one run.

1. ``/sinkhole``: CPU seconds (process time: every thread, DuckDB's included) of the old
   per-request computation (count the store, scan it for per-day, per-family and estimate
   figures, count it again), alternated with the portal's cached figures
   (``SinkholeAggregates.figures()`` when the store has not changed), and of one
   incremental refresh after a day's file grew.
2. The reports API (issue 16): a signed one-day report for an organisation, p50/p99 over
   HTTP, and the scoped read's CPU against the sinkhole's per-network report writer.
3. Latency of a cheap page (``/families.json``) over real HTTP while 4 clients keep asking
   for ``/sinkhole.json``: the old behaviour (every request scans, no limit) against the
   portal as shipped (cache, 2 expensive slots, 503 beyond). Reports p50/p99 of the cheap
   request and how the expensive ones were answered.

    nice .venv/bin/python bench/bench_portal.py [--bots 300000] [--raw 100000] [--seconds 20]
        [--api-only] [--api-requests 20]

Timings come from a shared machine: compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

import dgawatch.web.app as web_app
import dgawatch.web.pages.forecast as forecast_page
from dgawatch.families import get_family
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.stats import UNIT_OBSERVED, SinkholeStats
from dgawatch.sinkhole.store import count_events, list_files, write_events
from dgawatch.web.guard import Busy
from dgawatch.web.pages import all_pages

DAY = dt.date(2026, 11, 20)
RAW_DAY = dt.date(2026, 11, 25)


def old_sinkhole_view(request: Any, portal: Any) -> dict[str, Any]:
    """The view as it was before the cache: the whole store scanned per request."""
    directory = portal.sinkhole_dir
    doc: dict[str, Any] = {"unit": UNIT_OBSERVED}
    if not list_files(directory) or count_events(directory) == 0:
        return doc | {"present": False, "events": 0}
    with SinkholeStats(directory) as st:
        by_day = st.by_time("day")
        by_family = st.by_family()
        estimates = [e.to_dict() for e in st.estimates()]
    return doc | {
        "present": True,
        "events": count_events(directory),
        "by_day": by_day,
        "by_family": by_family,
        "estimates": estimates,
    }


def raw_events(day: dt.date, n: int, first: int = 0) -> list[SinkholeEvent]:
    t0 = int(dt.datetime.combine(day, dt.time(0), dt.UTC).timestamp() * 1000)
    return [
        SinkholeEvent(
            ts=t0 + i * 50,
            proto="dns/udp",
            src_ip=f"198.51.{i % 200}.{i % 250}",
            src_port=5353,
            dst_ip="192.0.2.53",
            dst_port=53,
            domain="abc.com",
            family="conficker",
            variant="b",
            day=day.isoformat(),
            qname="abc.com",
            qtype="A",
        )
        for i in range(first, first + n)
    ]


def cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(url + "/api", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return server, thread, url


def under_load(app: Any, seconds: float) -> tuple[list[float], Counter[int]]:
    """Latencies of the cheap page while 4 clients hammer /sinkhole.json; their statuses."""
    server, thread, url = serve(app)
    stop = threading.Event()
    statuses: Counter[int] = Counter()

    def hammer() -> None:
        with httpx.Client(timeout=600) as c:
            while not stop.is_set():
                statuses[c.get(url + "/sinkhole.json").status_code] += 1

    clients = [threading.Thread(target=hammer) for _ in range(4)]
    for t in clients:
        t.start()
    time.sleep(0.5)
    lat: list[float] = []
    end = time.monotonic() + seconds
    with httpx.Client(timeout=600) as c:
        while time.monotonic() < end:
            t0 = time.perf_counter()
            assert c.get(url + "/families.json").status_code == 200
            lat.append(time.perf_counter() - t0)
            time.sleep(0.05)
    stop.set()
    for t in clients:
        t.join()
    server.should_exit = True
    thread.join(30)
    return lat, statuses


def api_section(store: Path, tmp: Path, requests: int) -> None:
    """Signed ``reports/download`` of one day for an organisation owning 20.0.0.0/8 (about
    1/115 of the simulated sources) over real HTTP: p50/p99, against the sinkhole's own
    per-network report writer for the same network and day (``sinkhole report``'s path:
    one scan of the whole store), and the scoped read alone in CPU seconds."""
    import json as _json

    from dgawatch.orgs import Org, OrgStore, Scope, new_key
    from dgawatch.sinkhole.enrich import Enricher
    from dgawatch.sinkhole.report import Network, write_reports
    from dgawatch.web.auth import RateLimit, sign
    from dgawatch.web.scope import Caller, ScopedData

    key = new_key()
    org = Org("bench", scopes=[Scope("cidr", "20.0.0.0/8", "verified")], keys=[key])
    with OrgStore(tmp / "orgs.json").edit() as orgs:
        orgs["bench"] = org
    enrich = Enricher(packages=False)
    base = []
    for _ in range(3):
        t0 = time.process_time()
        written = write_reports(store, [Network.parse_cidr("20.0.0.0/8")], tmp / "reports",
                                days=[DAY], enrich=enrich)  # fmt: skip
        base.append(time.process_time() - t0)
    data = ScopedData(store, enrich)
    scoped = []
    for _ in range(3):
        t0 = time.process_time()
        rows = sum(len(data.report(Caller.of(org), k, [DAY])[1]) for k in ("http", "dns"))
        scoped.append(time.process_time() - t0)
    print(f"API: org 20.0.0.0/8, day {DAY}: {rows:,} report rows (HTTP + DNS)")
    print(f"  sinkhole report files (whole-store scan): median {statistics.median(base):.2f} "
          f"CPU s ({len(written)} files)")  # fmt: skip
    mb, ms = statistics.median(base), statistics.median(scoped)
    print(f"  scoped read (that day's files only):      median {ms:.2f} CPU s; "
          f"ratio {mb / max(ms, 1e-6):.1f}x")  # fmt: skip
    app = web_app.create_app(store_path=tmp / "none.duckdb", sinkhole_dir=store,
                             enrich=enrich, rate_limit=RateLimit(burst=10_000))  # fmt: skip
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    lat = []
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(url + "/api", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        path = "/api/v1/reports/download"
        used: set[tuple[int, bytes]] = set()
        for i in range(requests):
            body = _json.dumps({"date": DAY.isoformat(), "type": ("http", "dns")[i % 2]}).encode()
            ts = int(time.time())
            while (ts, body) in used:  # the same request signed twice in a second is a replay
                ts -= 1
            used.add((ts, body))
            h = {"X-Dgawatch-Key": key.key_id, "X-Dgawatch-Timestamp": str(ts),
                 "X-Dgawatch-Signature": sign(key.secret, ts, "POST", path, body)}  # fmt: skip
            t0 = time.perf_counter()
            r = httpx.post(url + path, content=body, headers=h, timeout=120)
            lat.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text[:200]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    print(
        f"  signed reports/download over HTTP, {requests} requests: p50 "
        f"{p(lat, 50) * 1000:.0f} ms, p99 {p(lat, 99) * 1000:.0f} ms (wall, loaded)"
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bots", type=int, default=300_000)
    ap.add_argument("--raw", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--api-only", action="store_true", help="only the reports API part")
    ap.add_argument("--api-requests", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "sinkhole"
        write_store(simulate(Botnet(bots=args.bots, held=100, day=DAY)), store)
        write_events(raw_events(RAW_DAY, args.raw), store)
        n = count_events(store)
        print(f"store: {n:,} events in {len(list_files(store))} files")
        api_section(store, Path(tmp), args.api_requests)
        if args.api_only:
            return

        app = web_app.create_app(store_path=Path(tmp) / "none.duckdb", sinkhole_dir=store)
        portal = app.state.portal
        t_first = cpu(portal.sinkhole.figures)
        old, new = [], []
        for _ in range(args.pairs):
            old.append(cpu(lambda: old_sinkhole_view(None, portal)))
            new.append(cpu(portal.sinkhole.figures))
        write_events(raw_events(RAW_DAY, 1000, first=args.raw), store)
        time.sleep(0.01)
        portal.sinkhole.refresh_interval_s = 0.0
        t_incr = cpu(portal.sinkhole.figures)
        mo, mn = statistics.median(old), statistics.median(new)
        print("/sinkhole CPU seconds per request (process time, all threads):")
        print(f"  before (scan per request): min {min(old):.2f}  median {mo:.2f}")
        print(f"  after, cached:             min {min(new):.4f}  median {mn:.4f}")
        print(f"  ratio before/after (medians): {mo / max(mn, 1e-6):,.0f}x")
        print(f"  after, first computation: {t_first:.2f}; one day grew, refresh: {t_incr:.2f}")

        # A forecast download: the whole year before, at most 31 generated days now.
        fam = get_family("pushdo")
        for v in fam.variants:
            n_days = min(31, forecast_page.MAX_GENERATED_NAMES // v.domains_per_day)
            days = [dt.date(2014, 1, 1) + dt.timedelta(days=i) for i in range(n_days)]
            t0 = time.process_time()
            try:
                sel = forecast_page.Selection(["pushdo"], [v.name], [v], days, [])
                forecast_page._generate_download(portal, sel, "txt").close()
                what = "served"
            except Busy as exc:
                what = f"503 ({exc})"
            t = time.process_time() - t0
            print(f"/forecast.txt pushdo/{v.name}, {n_days} days (the most generated now): "
                  f"{t:.2f} s CPU, {what}")  # fmt: skip
        print("  (366 days: refused with 400 before any work; it used to stream all of them)")

        # Cheap-page latency under 4 expensive clients, old behaviour vs shipped.
        old_pages = tuple(
            dataclasses.replace(pg, view=old_sinkhole_view) if pg.path == "/sinkhole" else pg
            for pg in all_pages()
        )
        before_app = web_app.create_app(
            store_path=Path(tmp) / "none.duckdb", sinkhole_dir=store, pages=old_pages
        )
        before_app.state.portal.limiter._sem = threading.BoundedSemaphore(1000)
        lat_b, st_b = under_load(before_app, args.seconds)
        after_app = web_app.create_app(store_path=Path(tmp) / "none.duckdb", sinkhole_dir=store)
        lat_a, st_a = under_load(after_app, args.seconds)
        print("cheap /families.json while 4 clients ask /sinkhole.json:")
        for name, lat, st in (("before", lat_b, st_b), ("after", lat_a, st_a)):
            print(
                f"  {name:6}: {len(lat)} cheap requests, p50 {p(lat, 50) * 1000:.0f} ms, "
                f"p99 {p(lat, 99) * 1000:.0f} ms; /sinkhole.json answered {dict(st)}"
            )


if __name__ == "__main__":
    main()
