"""``sinkhole stats`` on DuckDB and on Spark (local mode) over the same Parquet store.

The store is simulated Conficker C traffic (:mod:`dgawatch.sinkhole.simulate`, Parquet per
UTC day as ``compact`` leaves it, DNS through 4 resolvers): ``--chunks`` botnets of
``--bots`` machines each (distinct seeds, written under writers ``sim0``, ``sim1``...; DNS
from the first), so a store of 50 M events is built in pieces that fit in memory:
``--bots 250000 --held 2000 --chunks 10`` is ~52 M events for ~2.5 M distinct addresses
(each machine contacts ~20 of the 2,000 held names); ``--copies 10`` instead adds 9 copies
of one chunk's HTTP events from moved addresses (~56 M events, ~25 M distinct (day,
address) pairs), built faster. ``--store DIR`` keeps the store (and
reuses it when it exists). The command a user runs, ``dgawatch sinkhole stats --json --dir
STORE``, is timed as a whole process for each engine in ``--engines``, alternated; with both,
the two JSON documents must be identical. Peak memory is the whole process tree's (Spark's
JVM is a child of the dgawatch process), sampled from /proc every 0.2 s.

    nice .venv/bin/python bench/bench_sinkhole_stats_engines.py [--bots 200000] [--repeat 1]
    nice .venv/bin/python bench/bench_sinkhole_stats_engines.py --bots 250000 --held 2000 \\
        --copies 10 --engines duckdb --store /tmp/sinkhole/store56m [--memory-limit 1GB]
        [--by country]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from _timing import loadavg
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.store import count_events

DAY = dt.date(2026, 11, 27)
DGAWATCH = str(Path(sys.executable).parent / "dgawatch")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree(root: int) -> dict[int, tuple[int, int]]:
    """(resident bytes, CPU ticks user + sys) of ``root`` and each of its descendants now."""
    children: dict[int, list[int]] = {}
    stat: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            stat[int(entry)] = (int(fields[21]) * _PAGE, int(fields[11]) + int(fields[12]))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stat:
            out[pid] = stat[pid]
        todo += children.get(pid, [])
    return out


def run_sampled(argv: list[str], stdout: Path) -> tuple[float, float, float]:
    """(wall seconds, peak RSS of the process tree in MB, CPU seconds (user + sys) of the
    tree: on a loaded machine, the figure to compare). CPU is the larger of what the
    process reaped (rusage) and the last sampled ticks of every process seen in the tree
    (Spark's JVM is not reaped by the dgawatch process, so rusage misses it)."""
    peak = 0
    ticks: dict[int, int] = {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stdout, "wb") as out, open(f"{stdout}.err", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.2):
                now = _tree(proc.pid)
                peak = max(peak, sum(rss for rss, _t in now.values()))
                for pid, (_rss, t) in now.items():
                    ticks[pid] = max(ticks.get(pid, 0), t)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        rc = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        thread.join()
    if rc != 0:
        raise RuntimeError(f"{argv} failed ({rc}): {Path(f'{stdout}.err').read_text()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, peak / 2**20, max(cpu, sum(ticks.values()) / os.sysconf("SC_CLK_TCK"))


def build(store: Path, bots: int, held: int, chunks: int, copies: int) -> None:
    for i in range(chunks):
        if not any(store.glob(f"events-*.sim{i}.parquet")):
            t = simulate(Botnet(bots=bots, held=held, day=DAY, seed=1 + i))
            write_store(t, store, dns=i == 0, worker=f"sim{i}")
            del t
        print(f"  chunk {i + 1}/{chunks} written", flush=True)
    for j in range(1, copies):
        for path in sorted(store.glob("events-*.sim*.parquet")):
            day, writer = path.name.split(".")[0], path.name.split(".")[1]
            if "c" in writer:
                continue
            target = store / f"{day}.{writer}c{j}.parquet"
            if target.exists():
                continue
            table = pq.read_table(path)
            table = table.filter(pc.equal(table["proto"], "http"))
            # the same machines' traffic from other addresses: first octet permuted
            # within 11..125 (the simulator's public space)
            src = table["src_ip"]
            parts = pc.split_pattern(src, ".", max_splits=1)
            first = pc.cast(pc.list_element(parts, 0), pa.int32())
            rest = pc.list_element(parts, 1)
            x = pc.add(pc.subtract(first, 11), 7 * j)
            moved = pc.add(pc.if_else(pc.greater_equal(x, 115), pc.subtract(x, 115), x), 11)
            ip = pc.binary_join_element_wise(pc.cast(moved, pa.string()), rest, ".")
            table = table.set_column(table.schema.get_field_index("src_ip"), "src_ip", ip)
            pq.write_table(table, target)
        print(f"  copy {j + 1}/{copies} written", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bots", type=int, default=200_000)
    ap.add_argument("--held", type=int, default=200)
    ap.add_argument("--chunks", type=int, default=1)
    ap.add_argument("--copies", type=int, default=1, help="HTTP copies from moved addresses")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--engines", default="duckdb,spark")
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--store", type=Path, help="keep the store here (reused if present)")
    ap.add_argument(
        "--memory-limit", help="DuckDB's --memory-limit (e.g. 1GB); default: DuckDB's own"
    )
    ap.add_argument("--by", default="day", help="stats --by (day, country, asn ...)")
    ap.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build is not None:
        build(args.build, args.bots, args.held, args.chunks, args.copies)
        print(count_events(args.build))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "store"
        if not store.is_dir():
            # Built in a child: the timed commands run in a small parent.
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, __file__, "--build", str(store), "--bots", str(args.bots),
                 "--held", str(args.held), "--chunks", str(args.chunks),
                 "--copies", str(args.copies)],
                check=True,
            )  # fmt: skip
            print(f"built in {time.perf_counter() - t0:.0f} s")
        events = count_events(store)
        size = sum(p.stat().st_size for p in store.iterdir()) / 2**20
        base = ["sinkhole", "stats", "--json", "--by", args.by, "--dir", str(store)]
        limit = ["--memory-limit", args.memory_limit] if args.memory_limit else []
        cmds = {
            "duckdb": [DGAWATCH, *base, *limit],
            "spark": [DGAWATCH, *base, "--engine", "spark", "--spark-master", args.spark_master],
        }
        engines = [e for e in args.engines.split(",") if e]
        print(f"{events:,} events, {size:,.0f} MiB Parquet; {loadavg()}", flush=True)
        docs: dict[str, object] = {}
        times: dict[str, list[tuple[float, float, float]]] = {e: [] for e in engines}
        for r in range(args.repeat):
            for e in engines[r % len(engines) :] + engines[: r % len(engines)]:
                out = Path(tmp) / f"{e}.json"
                times[e].append(run_sampled(cmds[e], out))
                docs[e] = json.loads(out.read_text())
                wall, peak, cpu = times[e][-1]
                print(
                    f"  {e}: {wall:.1f} s wall, {cpu:.1f} CPU s, peak {peak:,.0f} MB "
                    f"(process tree); {loadavg()}",
                    flush=True,
                )
        for e, ts in times.items():
            walls = sorted(w for w, _p, _c in ts)
            cpus = sorted(c for _w, _p, c in ts)
            print(
                f"{e}: min {walls[0]:.1f} s, median {walls[len(walls) // 2]:.1f} s, "
                f"{events / walls[0] / 1e6:.2f} M events/s, CPU min {cpus[0]:.1f} s, "
                f"peak {max(p for _w, p, _c in ts):,.0f} MB"
            )
        if len(engines) == 2:
            pairs = [b[0] / a[0] for a, b in zip(times["duckdb"], times["spark"], strict=True)]
            print(f"spark / duckdb wall time per pair: {', '.join(f'{x:.1f}' for x in pairs)}")
            pairs = [b[2] / a[2] for a, b in zip(times["duckdb"], times["spark"], strict=True)]
            print(f"spark / duckdb CPU time per pair: {', '.join(f'{x:.1f}' for x in pairs)}")
            same = docs["duckdb"] == docs["spark"]
            print(f"identical JSON: {same}; {loadavg()}")
            return 0 if same else 1
        print(loadavg())
        return 0


if __name__ == "__main__":
    sys.exit(main())
