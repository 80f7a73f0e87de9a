"""Portal latency over a 10 M-event sinkhole store, and bounded work per request (issue 16).

1. Store: a deterministic simulated store (Conficker C botnets, one per UTC day, seeds
   100, 101, ...; :mod:`dgawatch.sinkhole.simulate`, vectorised, written straight to the
   store's day-partitioned Parquet) of at least ``--events`` events, under ``--dir``
   (default /tmp/portal/store-<events>); reused when its manifest matches. Also two
   organisations: ``bench-net`` (a verified /8: the exact-SQL scope path) and ``bench-as``
   (a verified AS: decided per address in Python), and the operator.
2. The portal (``create_app`` as ``dgawatch web serve`` builds it, default enrichment) is
   started as a separate process, uvicorn on loopback; its CPU seconds (user+sys, from
   /proc) and peak RSS (VmHWM) are read per phase.
3. Cold: time and server CPU to the first 200 of ``/dashboard`` (every day's figures, the
   latest day's country/ASN counts, vl-convert's start, the charts), of
   ``/dashboard.json?day=<a full day>`` (one full day's network counts) and of the
   organisation's ``/my`` over every day.
4. Warm: p50/p99 of ``/dashboard``, ``/dashboard.json`` and ``/my.json`` (scoped, signed),
   alternated with ``/families.json`` as the baseline (ratio printed).
5. Flood: ``--clients`` clients fire the most expensive requests (largest table page, wide
   filters, the ASN table's CSV, the dashboard of a different day each time, the operator's
   API stats over every day, a 20,000-row CSV report, an AS-scoped organisation's stats
   over every day) for ``--seconds``, while two probes time ``/families.json`` and the warm
   ``/dashboard.json``; prints their p50/p99 against the same probes with no flood (the
   ratio), how the expensive requests were answered, and the server's peak RSS against
   ``--rss-cap-mb``.

    nice .venv/bin/python bench/bench_dashboard.py [--events 10000000] [--bots 200000]
        [--dir DIR] [--requests 30] [--seconds 60] [--clients 4] [--rss-cap-mb 2048]

10 M events: the store takes ~60 CPU-s to build once (~210 MB); the rest ~4-6 min on a
loaded 2-core machine. ``--events 1000000`` runs in ~2 min. Timings from a shared machine:
compare ratios and CPU seconds within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FIRST_DAY = dt.date(2026, 10, 1)
MANIFEST_VERSION = 1
#: Bytes per event of the simulated store's Parquet (measured: 21), with a margin.
BYTES_PER_EVENT = 40
NET_SCOPE = "11.0.0.0/8"
AS_SCOPE = "AS3356"


# -- the store -------------------------------------------------------------------------------


def build(home: Path, events: int, bots: int) -> dict[str, Any]:
    """The store (and organisations) under ``home``; reused when the manifest matches."""
    manifest = home / "manifest.json"
    want = {"version": MANIFEST_VERSION, "events": events, "bots": bots}
    if manifest.exists():
        doc = json.loads(manifest.read_text())
        if {k: doc.get(k) for k in want} == want:
            print(f"store: reusing {home} ({doc['stored']:,} events, {doc['days']} days)")
            return dict(doc)
    from dgawatch.sinkhole.simulate import Botnet, simulate, write_store

    home.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(home).free
    need = events * BYTES_PER_EVENT
    print(f"disk: {free / 2**30:.1f} GiB free under {home}; the store needs "
          f"~{need / 2**20:.0f} MiB")  # fmt: skip
    if free < 2 * need:
        raise SystemExit(f"not enough disk under {home}: give --dir elsewhere")
    tmp = home / "sinkhole.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(home / "sinkhole", ignore_errors=True)
    cpu, wall = time.process_time(), time.perf_counter()
    stored, i = 0, 0
    import pyarrow.parquet as pq

    while stored < events:
        day = FIRST_DAY + dt.timedelta(days=i)
        b = Botnet(bots=bots, held=200, day=day, seed=100 + i, nat_fraction=0.1,
                   churn_fraction=0.1)  # fmt: skip
        for path in write_store(simulate(b), tmp, worker=f"b{i:03d}"):
            stored += pq.ParquetFile(path).metadata.num_rows
        i += 1
        print(f"  day {day}: {stored:,} events so far", flush=True)
    tmp.rename(home / "sinkhole")
    orgs = write_orgs(home / "accounts")
    doc = {**want, "stored": stored, "days": i, "first": FIRST_DAY.isoformat(),
           "last": (FIRST_DAY + dt.timedelta(days=i - 1)).isoformat(), "orgs": orgs,
           "build_cpu_s": round(time.process_time() - cpu, 1),
           "build_wall_s": round(time.perf_counter() - wall, 1)}  # fmt: skip
    manifest.write_text(json.dumps(doc, indent=1))
    print(f"store: {stored:,} events over {i} days written in {doc['build_wall_s']} s "
          f"({doc['build_cpu_s']} CPU-s)")  # fmt: skip
    return doc


def write_orgs(accounts: Path) -> dict[str, list[str]]:
    from dgawatch.orgs import FILE_NAME, Org, OrgStore, Scope, new_key

    accounts.mkdir(parents=True, exist_ok=True)
    made = {
        "net": Org("bench-net", email="noc@net.example",
                   scopes=[Scope("cidr", NET_SCOPE, "verified", method="admin")]),
        "as": Org("bench-as", email="noc@as.example",
                  scopes=[Scope("asn", AS_SCOPE, "verified", method="admin")]),
        "admin": Org("operator", role="admin"),
    }  # fmt: skip
    keys = {}
    with OrgStore(accounts / FILE_NAME).edit() as stored:
        for who, org in made.items():
            key = new_key()
            org.keys.append(key)
            stored[org.name] = org
            keys[who] = [key.key_id, key.secret]
    return keys


# -- the server process ------------------------------------------------------------------------


def serve(home: Path, port: int) -> None:
    """The portal as ``dgawatch web serve`` builds it, rate limits lifted for the bench."""
    import uvicorn

    from dgawatch.sinkhole.enrich import Enricher
    from dgawatch.web.app import create_app
    from dgawatch.web.auth import RateLimit

    app = create_app(home / "forecast.duckdb", home / "sinkhole", accounts_dir=home / "accounts",
                     enrich=Enricher(), rate_limit=RateLimit(burst=10**6, per_s=10**6),
                     isolate_counts=not os.environ.get("BENCH_IN_PROCESS"))  # fmt: skip
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


class Server:
    def __init__(self, home: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, __file__, "--serve", "--dir", str(home), "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd)
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(self.base + "/families.json", timeout=5)
                break
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the portal did not start") from None
                time.sleep(0.2)

    def pids(self) -> list[int]:
        """The portal and its live worker processes (the dashboard's counting process)."""
        out = [self.proc.pid]
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return out

    def cpu_s(self) -> float:
        """User+sys seconds of the portal, its live workers and its ended children."""
        total = 0
        for i, pid in enumerate(self.pids()):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
            if i == 0:  # children already waited for
                total += int(fields[13]) + int(fields[14])
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self, field: str = "VmHWM") -> float:
        """Peak (or current) RSS of the portal plus its live workers' (a bound: the peaks
        need not have been at the same time)."""
        total = 0
        for pid in self.pids():
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            total += sum(int(x.split()[1]) for x in lines if x.startswith(field + ":"))
        return total / 1024

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- clients ---------------------------------------------------------------------------------


class Signer:
    """Signed requests; never the same (key, timestamp, request) twice (replay check)."""

    def __init__(self, keys: dict[str, list[str]]) -> None:
        self.keys = keys
        self.used: set[tuple[str, int, str, str, bytes]] = set()
        self.lock = threading.Lock()

    def headers(self, who: str, method: str, path: str, body: bytes = b"") -> dict[str, str]:
        from dgawatch.web.auth import sign

        key_id, secret = self.keys[who]
        with self.lock:
            ts = int(time.time())
            while (key_id, ts, method, path, body) in self.used:
                ts -= 1
            self.used.add((key_id, ts, method, path, body))
        return {"X-Dgawatch-Key": key_id, "X-Dgawatch-Timestamp": str(ts),
                "X-Dgawatch-Signature": sign(secret, ts, method, path, body)}  # fmt: skip

    def get(self, c: httpx.Client, who: str, path: str) -> httpx.Response:
        return c.get(path, headers=self.headers(who, "GET", path))

    def post(self, c: httpx.Client, who: str, endpoint: str, **params: object) -> httpx.Response:
        path = f"/api/v1/{endpoint}"
        body = json.dumps(params).encode()
        return c.post(path, content=body, headers=self.headers(who, "POST", path, body))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], httpx.Response]) -> tuple[float, int]:
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r.status_code


def until_ok(fn: Callable[[], httpx.Response], limit_s: float = 1800) -> tuple[float, int]:
    """Time to the first 200 (a cold portal answers 503 while it computes), and tries."""
    t0 = time.perf_counter()
    tries = 0
    while True:
        tries += 1
        r = fn()
        if r.status_code == 200 or time.perf_counter() - t0 > limit_s:
            return time.perf_counter() - t0, tries
        if r.status_code != 503:
            raise SystemExit(f"unexpected {r.status_code}: {r.text[:300]}")
        time.sleep(float(r.headers.get("retry-after", "1")) / 5)


def ms(v: float) -> str:
    return f"{v * 1000:8.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000_000, help="least events in the store")
    ap.add_argument("--bots", type=int, default=200_000, help="machines per simulated day")
    ap.add_argument("--dir", type=Path, help="store directory (default /tmp/portal/store-N)")
    ap.add_argument("--requests", type=int, default=30, help="warm requests per page")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the flood")
    ap.add_argument("--clients", type=int, default=4, help="expensive clients in the flood")
    ap.add_argument("--rss-cap-mb", type=float, default=2048.0, help="stated memory cap")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    home = args.dir or Path(f"/tmp/portal/store-{args.events}")
    if args.serve:
        serve(home, args.port)
        return
    doc = build(home, args.events, args.bots)
    first, last = dt.date.fromisoformat(doc["first"]), dt.date.fromisoformat(doc["last"])
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    span = f"{days[0]}:{days[min(len(days), 31) - 1]}"
    middle = days[len(days) // 2]
    signer = Signer(doc["orgs"])
    server = Server(home)
    print(f"portal: pid {server.proc.pid} on {server.base}; store {doc['stored']:,} events, "
          f"{len(days)} list days; start-up RSS {server.rss_mb('VmRSS'):.0f} MB")  # fmt: skip
    try:
        with httpx.Client(base_url=server.base, timeout=1800) as c:
            # 3. cold
            print("cold (first answer; server CPU-s = user+sys of the portal and its worker):")
            for label, fn in (
                ("/dashboard", lambda: c.get("/dashboard")),
                (f"/dashboard.json?day={middle}", lambda: c.get(f"/dashboard.json?day={middle}")),
                (f"/my?date={span} (bench-net)",
                 lambda: signer.get(c, "net", f"/my?date={span}")),
            ):  # fmt: skip
                cpu = server.cpu_s()
                took, tries = until_ok(fn)
                print(f"  {label:44} {took:7.2f} s  {server.cpu_s() - cpu:6.2f} CPU-s  "
                      f"({tries} tries)")  # fmt: skip
            # 4. warm, alternated with the baseline
            pages: dict[str, Callable[[], httpx.Response]] = {
                "/families.json (baseline)": lambda: c.get("/families.json"),
                "/dashboard": lambda: c.get("/dashboard"),
                "/dashboard.json": lambda: c.get("/dashboard.json"),
                f"/my.json?date={span} (signed)": lambda: signer.get(
                    c, "net", f"/my.json?date={span}"
                ),
            }
            times: dict[str, list[float]] = {p: [] for p in pages}
            cpu = server.cpu_s()
            for _ in range(args.requests):
                for p, fn in pages.items():
                    took, status = timed(fn)
                    assert status == 200, (p, status)
                    times[p].append(took)
            base_p50 = statistics.median(times["/families.json (baseline)"])
            print(f"warm ({args.requests} each, alternated; {server.cpu_s() - cpu:.1f} CPU-s):")
            for p, ts in times.items():
                print(f"  {p:44} p50 {ms(statistics.median(ts))}  p99 {ms(pct(ts, 99))}  "
                      f"({statistics.median(ts) / base_p50:6.1f}x baseline p50)")  # fmt: skip
        quiet = probe_only(server.base, min(10.0, args.seconds / 3))
        flood(server, signer, days, span, quiet, args)
    finally:
        server.stop()


def probe_only(base: str, seconds: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"/families.json": [], "/dashboard.json": []}
    stop = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=600) as c:
        while time.monotonic() < stop:
            for p in out:
                out[p].append(timed(lambda p=p: c.get(p))[0])  # type: ignore[misc]
            time.sleep(0.05)
    return out


def flood(
    server: Server,
    signer: Signer,
    days: list[dt.date],
    span: str,
    quiet: dict[str, list[float]],
    args: argparse.Namespace,
) -> None:
    """``args.clients`` clients fire expensive requests while two probes time cheap ones."""
    kinds: list[tuple[str, Callable[[httpx.Client, int], httpx.Response]]] = [
        ("table page 1000 rows", lambda c, i: c.get(
            "/dashboard/asns?_size=1000&_sort_desc=addresses")),
        ("wide filter", lambda c, i: c.get(
            "/dashboard/asns.json?_size=1000&asn__contains=1&addresses__gte=1")),
        ("ASN table CSV", lambda c, i: c.get("/dashboard/asns.csv")),
        ("dashboard, day i", lambda c, i: c.get(
            f"/dashboard.json?day={days[i % len(days)]}")),
        ("API stats all days (operator)", lambda c, i: signer.post(
            c, "admin", "reports/stats", date=span)),
        ("API 20k-row CSV (operator)", lambda c, i: signer.post(
            c, "admin", "reports/download", date=str(days[i % len(days)]), type="http",
            format="csv")),
        ("API stats all days (AS scope)", lambda c, i: signer.post(
            c, "as", "reports/stats", date=span)),
    ]  # fmt: skip
    answers: dict[str, Counter[int]] = {k: Counter() for k, _f in kinds}
    probes: dict[str, list[float]] = {"/families.json": [], "/dashboard.json": []}
    stop = time.monotonic() + args.seconds

    def expensive(k: int) -> None:
        with httpx.Client(base_url=server.base, timeout=600) as fc:
            i = k
            while time.monotonic() < stop:
                name, fn = kinds[i % len(kinds)]
                answers[name][fn(fc, i // len(kinds)).status_code] += 1
                i += 1

    def probe(path: str) -> None:
        with httpx.Client(base_url=server.base, timeout=600) as pc:
            while time.monotonic() < stop:
                took, status = timed(lambda: pc.get(path))
                assert status == 200, (path, status)
                probes[path].append(took)
                time.sleep(0.05)

    workers: list[Callable[[], None]] = [*(lambda k=k: expensive(k) for k in range(args.clients)),
                                         *(lambda p=p: probe(p) for p in probes)]  # fmt: skip
    cpu = server.cpu_s()
    threads = [threading.Thread(target=w) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"flood ({args.seconds:g} s, {args.clients} clients of expensive requests; "
          f"{server.cpu_s() - cpu:.1f} server CPU-s):")  # fmt: skip
    for name, got in answers.items():
        print(f"  {name:34} answers {dict(sorted(got.items()))}")
    for p, ts in probes.items():
        q = quiet[p]
        print(f"  probe {p:16} p50 {ms(statistics.median(ts))}  p99 {ms(pct(ts, 99))}  "
              f"({len(ts)} requests; no flood: p50 {ms(statistics.median(q))} p99 "
              f"{ms(pct(q, 99))}; p99 ratio {pct(ts, 99) / pct(q, 99):.1f}x)")  # fmt: skip
    peak = server.rss_mb()
    verdict = "within" if peak <= args.rss_cap_mb else "OVER"
    print(f"server peak RSS (portal + counting worker) {peak:.0f} MB: {verdict} the stated cap "
          f"of {args.rss_cap_mb:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
