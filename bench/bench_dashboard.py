"""What the dashboard costs over a larger sinkhole store (issue 16), in one run:

1. Cold: the first ``/dashboard`` (the portal's per-day figures, the last day's country/ASN
   counts, vl-convert's start-up, every chart drawn), and the CPU seconds of counting one
   day per country and ASN (the dashboard's only per-request scan, bounded by one day).
2. Warm: p50/p99 of ``/dashboard`` (HTML, five inline SVG charts) and ``/dashboard.json``
   over real HTTP, alternated with the existing ``/sinkhole.json`` page as the baseline
   (the same cached figures, no chart): the ratio is the dashboard's own cost.
3. Bounded work: 4 clients keep asking for the dashboard of a *different* day each time
   (each a cold country/ASN count) while one client times a cheap page
   (``/families.json``); reports the cheap page's p50/p99, how the expensive requests were
   answered (200 / 503) and the process's peak RSS.

    nice .venv/bin/python bench/bench_dashboard.py [--bots 50000] [--days 3] [--requests 20]
        [--seconds 10]

The defaults (553 k events) run in ~35 s on the shared 2-core machine; ``--bots 100000``
gives 1.0 M events (~100 s). Timings come from a shared machine: compare the ratios within
one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.store import count_events
from dgawatch.web.app import create_app
from dgawatch.web.pages.dashboard import network_counts

FIRST_DAY = dt.date(2026, 11, 1)


def build(directory: Path, bots: int, days: int) -> int:
    for i in range(days):
        day = FIRST_DAY + dt.timedelta(days=i)
        b = Botnet(bots=bots, held=200, day=day, seed=100 + i, nat_fraction=0.1,
                   churn_fraction=0.1)  # fmt: skip
        write_store(simulate(b), directory, worker=f"b{i}")
    return count_events(directory)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(client: httpx.Client, path: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = client.get(path)
    return time.perf_counter() - t0, r.status_code


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bots", type=int, default=50_000, help="machines per simulated day")
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--requests", type=int, default=20, help="warm requests per page")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of part 3")
    args = ap.parse_args()

    import uvicorn

    with tempfile.TemporaryDirectory(prefix="bench-dash-") as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        events = build(home / "sinkhole", args.bots, args.days)
        took = time.perf_counter() - t0
        print(f"store: {events:,} events over {args.days} days ({args.bots:,} machines a day), "
              f"written in {took:.1f} s")  # fmt: skip
        app = create_app(home / "forecast.duckdb", home / "sinkhole")
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=600) as c:
                # 1. cold
                t_cold, status = timed(c, "/dashboard")
                print(f"cold /dashboard: {t_cold:.2f} s (status {status})")
                nc = network_counts(app.state.portal)
                day = FIRST_DAY + dt.timedelta(days=args.days // 2)
                cpu = time.process_time()
                wall = time.perf_counter()
                figures = nc.counts(day)
                print(
                    f"one day's country/ASN count ({day}, "
                    f"{sum(figures['country'].values()):,} addresses): "
                    f"{time.process_time() - cpu:.2f} CPU-s, {time.perf_counter() - wall:.2f} s"
                )
                # 2. warm, alternated with the baseline
                pages = ("/dashboard", "/dashboard.json", "/sinkhole.json")
                times: dict[str, list[float]] = {p: [] for p in pages}
                for _ in range(args.requests):
                    for p in pages:
                        times[p].append(timed(c, p)[0])
                base_p50 = statistics.median(times["/sinkhole.json"])
                for p in pages:
                    ts = times[p]
                    print(f"warm {p:16} p50 {statistics.median(ts) * 1000:7.1f} ms  "
                          f"p99 {pct(ts, 99) * 1000:7.1f} ms  "
                          f"({statistics.median(ts) / base_p50:.1f}x /sinkhole.json)")  # fmt: skip
            # 3. bounded work under a flood of cold days
            from dgawatch.web.sinkhole_cache import StoreSignature

            event_days = StoreSignature(home / "sinkhole").event_days
            stop = time.monotonic() + args.seconds
            answers: Counter[int] = Counter()
            cheap: list[float] = []
            all_days = [FIRST_DAY + dt.timedelta(days=i) for i in range(args.days)]

            def flood(k: int) -> None:
                with httpx.Client(base_url=base, timeout=600) as fc:
                    i = k
                    while time.monotonic() < stop:
                        d = all_days[i % len(all_days)]
                        answers[fc.get(f"/dashboard.json?day={d}").status_code] += 1
                        i += 1

            def probe() -> None:
                with httpx.Client(base_url=base, timeout=600) as pc:
                    while time.monotonic() < stop:
                        cheap.append(timed(pc, "/families.json")[0])
                        time.sleep(0.05)

            workers: list[Callable[[], None]] = [*(lambda k=k: flood(k) for k in range(4)),
                                                 probe]  # fmt: skip
            threads = [threading.Thread(target=w) for w in workers]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print(
                f"flood ({args.seconds:g} s, 4 clients, a different day each request): "
                f"answers {dict(sorted(answers.items()))}; /families.json p50 "
                f"{statistics.median(cheap) * 1000:.1f} ms p99 {pct(cheap, 99) * 1000:.1f} ms "
                f"({len(cheap)} requests); days counted {nc.computed} (of {len(event_days)} "
                "with events, each once); "
                f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
