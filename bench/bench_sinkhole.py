"""Sinkhole load and fault benchmark, loopback only, bounded in count and time.

1. DNS queries/s of the built-in listener vs NSD serving the same sinkholed names, both
   measured with dnsperf in this run (ratio printed; target >= 0.5).
2. HTTP durable events/s (each response written only after its event is fsync-ed).
3. 10,000 concurrent idle/slowloris HTTP connections: server memory, a normal client still
   served, the hanging ones timed out.
4. A burst of random and mutated UDP packets: all counted, the server still answers.

    .venv/bin/python bench/bench_sinkhole.py [--seconds 10] [--workers 2]

Needs the apt packages nsd and dnsperf for part 1 (skipped otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DGAWATCH = str(Path(sys.executable).parent / "dgawatch")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sinkhole(
    directory: Path, dns_port: int, http_port: int, workers: int, extra: list[str]
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            DGAWATCH,
            "sinkhole",
            "serve",
            "--dir",
            str(directory),
            "--address",
            "192.0.2.1",
            "--listen",
            "127.0.0.1",
            "--dns-port",
            str(dns_port),
            "--http-port",
            str(http_port),
            "--workers",
            str(workers),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    for _ in range(workers):
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(proc.stderr.read().decode() if proc.stderr else "serve failed")
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def statuses(directory: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text()) for p in directory.glob("status.*.json")]


def rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]


def dnsperf(port: int, queries: Path, seconds: int) -> float:
    out = subprocess.run(
        [
            "dnsperf",
            "-s",
            "127.0.0.1",
            "-p",
            str(port),
            "-d",
            str(queries),
            "-l",
            str(seconds),
            "-c",
            "8",
            "-T",
            "2",
            "-q",
            "500",
            "-t",
            "2",
        ],
        capture_output=True,
        text=True,
    )
    m = re.search(r"Queries per second:\s+([\d.]+)", out.stdout)
    if not m:
        raise SystemExit(f"dnsperf failed: {out.stdout}\n{out.stderr}")
    lost = re.search(r"Queries lost:\s+(\d+)", out.stdout)
    print(f"    dnsperf: {m.group(1)} qps, lost {lost.group(1) if lost else '?'}")
    return float(m.group(1))


def bench_dns(work: Path, seconds: int, workers: int, names_per_day: int) -> None:
    print("== 1. DNS qps, built-in listener vs NSD (same names, dnsperf, this run)")
    if not (shutil.which("dnsperf") and Path("/usr/sbin/nsd").exists()):
        print("    skipped: needs the apt packages nsd and dnsperf")
        return
    sel = ["--family", "conficker", "--variant", "c", "--max-names-per-day", str(names_per_day)]
    zone_dir = work / "nsd"
    out = subprocess.run(
        [DGAWATCH, "sinkhole", "zone", "--address", "192.0.2.1", "--output", str(zone_dir), *sel],
        capture_output=True,
        text=True,
        check=True,
    )
    conf_include = next(p for p in out.stdout.split() if "nsd" in Path(p).name)
    names = [
        ln.split('"')[1]
        for ln in Path(conf_include).read_text().splitlines()
        if ln.strip().startswith("name:") and "dgawatch" not in ln
    ]
    rng = random.Random(1)
    qfile = work / "queries.txt"
    qfile.write_text("".join(f"{rng.choice(names)} A\n" for _ in range(100_000)))
    nsd_port = free_port()
    conf = zone_dir / "nsd-main.conf"
    conf.write_text(
        f'server:\n  ip-address: 127.0.0.1@{nsd_port}\n  username: ""\n  chroot: ""\n'
        f'  zonesdir: "{zone_dir}"\n  pidfile: "{zone_dir}/nsd.pid"\n'
        f'  zonelistfile: "{zone_dir}/zone.list"\n  xfrdfile: "{zone_dir}/xfrd.state"\n'
        f'  xfrdir: "{zone_dir}"\n  database: ""\n  server-count: {workers}\n'
        f'  verbosity: 0\nremote-control:\n  control-enable: no\ninclude: "{conf_include}"\n'
    )
    nsd = subprocess.Popen(
        ["/usr/sbin/nsd", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        time.sleep(3)
        print(f"    NSD ({workers} server processes, {len(names):,} zones):")
        nsd_qps = dnsperf(nsd_port, qfile, seconds)
    finally:
        nsd.send_signal(signal.SIGTERM)
        nsd.wait(20)
    store = work / "dns-store"
    port = free_port()
    srv = start_sinkhole(store, port, free_port(), workers, sel)
    try:
        print(f"    dgawatch sinkhole ({workers} workers, every answer durably logged first):")
        ours = dnsperf(port, qfile, seconds)
    finally:
        stop(srv)
    acked = sum(s["store"]["acknowledged"] for s in statuses(store))
    print(f"    events stored: {acked:,}")
    print(
        f"    RESULT dns qps: dgawatch {ours:,.0f} / nsd {nsd_qps:,.0f} = {ours / nsd_qps:.2f}"
        " (target >= 0.5)"
    )


async def _http_client(port: int, stop_at: float, pipeline: int, counter: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    req = b"GET /search?q=42&aq=7 HTTP/1.1\r\nHost: 192.0.2.1\r\nUser-Agent: bench\r\n\r\n"
    resp_len = None
    while time.monotonic() < stop_at:
        writer.write(req * pipeline)
        await writer.drain()
        if resp_len is None:
            head = await reader.readuntil(b"\r\n\r\n")
            body = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            resp_len = len(head) + body
            await reader.readexactly(body)
            await reader.readexactly(resp_len * (pipeline - 1))
        else:
            await reader.readexactly(resp_len * pipeline)
        counter[0] += pipeline
    writer.close()


def _http_load(port: int, seconds: float, conns: int, pipeline: int, out: list[int]) -> None:
    counter = [0]

    async def main() -> None:
        stop_at = time.monotonic() + seconds
        await asyncio.gather(
            *(_http_client(port, stop_at, pipeline, counter) for _ in range(conns))
        )

    asyncio.run(main())
    out.append(counter[0])


def bench_http(work: Path, seconds: int, workers: int) -> None:
    print("== 2. HTTP durable events/s")
    import multiprocessing as mp

    store = work / "http-store"
    port = free_port()
    srv = start_sinkhole(
        store, free_port(), port, workers, ["--family", "conficker", "--variant", "a", "--no-dns"]
    )
    try:
        ctx = mp.get_context("fork")
        with ctx.Manager() as manager:
            results = manager.list()
            procs = [
                ctx.Process(target=_http_load, args=(port, seconds, 32, 16, results))
                for _ in range(2)
            ]
            t = time.monotonic()
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            elapsed = time.monotonic() - t
            acked = sum(results)
    finally:
        stop(srv)
    stored = sum(s["store"]["acknowledged"] for s in statuses(store))
    print(f"    {acked:,} responses in {elapsed:.1f} s; {stored:,} events durable")
    print(
        f"    RESULT http: {acked / seconds:,.0f} durable events/s ({workers} workers,"
        f" client on the same {os.cpu_count()} cores; target >= 10,000)"
    )


async def _hang(port: int, n: int) -> list[asyncio.StreamWriter]:
    writers = []
    for i in range(n):
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            print(f"    could open only {i} connections: {exc}")
            break
        if i % 2:
            w.write(b"GET / HTTP/1.1\r\nHost: slow")
        writers.append(w)
    return writers


def bench_slow(work: Path, conns: int) -> None:
    print(f"== 3. {conns:,} idle/slowloris HTTP connections")
    from dgawatch.sinkhole.server import raise_nofile_limit

    limit = raise_nofile_limit()
    conns = min(conns, limit - 200)
    store = work / "slow-store"
    port = free_port()
    srv = start_sinkhole(
        store,
        free_port(),
        port,
        1,
        [
            "--family",
            "conficker",
            "--variant",
            "a",
            "--no-dns",
            "--request-timeout",
            "5",
            "--idle-timeout",
            "5",
        ],
    )

    async def main() -> None:
        before = rss_kib(srv.pid)
        writers = await _hang(port, conns)
        await asyncio.sleep(1.0)
        during = rss_kib(srv.pid)
        t = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        reply = await reader.read()
        latency = (time.monotonic() - t) * 1000
        await asyncio.sleep(6.5)
        st = statuses(store)[0]
        print(
            f"    server RSS {before / 1024:.0f} MiB idle -> {during / 1024:.0f} MiB with "
            f"{len(writers):,} hanging ({(during - before) / max(1, len(writers)):.1f} KiB each)"
        )
        print(f"    normal client served meanwhile: {reply[:15]!r} in {latency:.0f} ms")
        print(
            f"    after the timeouts: {st['open_connections']} open, "
            f"{st['http']['timed_out']:,} timed out"
        )
        for w in writers:
            w.close()

    try:
        asyncio.run(main())
    finally:
        stop(srv)


def bench_garbage(work: Path, count: int) -> None:
    print(f"== 4. {count:,} random/mutated UDP packets at the listener")
    import dns.message
    from tests.sinkhole.fuzz import packets, seed_queries

    from dgawatch.families import get_family

    store = work / "garbage-store"
    port = free_port()
    srv = start_sinkhole(store, port, free_port(), 1, ["--family", "conficker", "--variant", "b"])
    try:
        names = get_family("conficker").variant("b").domains(dt.datetime.now(dt.UTC).date())
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i, p in enumerate(packets(seed_queries(names[:20]), count, 3)):
                s.sendto(p, ("127.0.0.1", port))
                if i % 100 == 0:
                    time.sleep(0.004)  # stay under the socket buffer: count, not drops
        time.sleep(1.5)
        import dns.query

        r = dns.query.udp(dns.message.make_query(names[0], "A"), "127.0.0.1", 2, port)
        st = statuses(store)[0]["dns"]
        print(f"    counters: {st}")
        print(f"    sent {count:,}, counted {st['queries'] - 1:,} (the rest dropped by the kernel)")
        print(f"    still answering: {r.answer[0][0]}")
    finally:
        stop(srv)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--names-per-day", type=int, default=5000)
    ap.add_argument("--connections", type=int, default=10_000)
    ap.add_argument("--packets", type=int, default=100_000)
    ap.add_argument("--only", choices=["dns", "http", "slow", "garbage"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sinkhole-") as tmp:
        work = Path(tmp)
        if args.only in (None, "dns"):
            bench_dns(work, args.seconds, args.workers, args.names_per_day)
        if args.only in (None, "http"):
            bench_http(work, args.seconds, args.workers)
        if args.only in (None, "slow"):
            bench_slow(work, args.connections)
        if args.only in (None, "garbage"):
            bench_garbage(work, args.packets)


if __name__ == "__main__":
    main()
