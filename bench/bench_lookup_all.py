"""``dgawatch lookup --all``: all-time index against regeneration, as whole CLI processes.

Targets (issue 13): one name in <= 1 s (cold process, warm index) and >= 10,000 names/s
for a batch, over each variant's whole active period. The baseline, measured in the same
run and alternated with the index run, is the same command with no index present (the
signature-pruned regeneration of every active day).

The default family set is the families whose whole history indexes in well under a minute
here (the full registry, 1.35 billion names, is ~25 CPU-minutes and ~10 GiB: see the
README); ``--families all`` measures everything. Query mix for the batch: half names the
families generate on random days of their periods (a third as ``www.`` subdomains), half
Alexa top-100k names from ../shared/data.

    nice .venv/bin/python bench/bench_lookup_all.py [--names 10000] [--families a,b,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dgawatch.families import all_families, get_family
from dgawatch.index import INDEX_DIR, AllTimeIndex, active_span

CHEAP = (
    "banjori chinad dircrypt dmsniff dnschanger fobber gozi locky mydoom ramnit reconyc "
    "simda sisron symmi tempedreve tinba vawtrak zloader"
).split()
CLI = "from dgawatch.cli import main; main()"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


CPU: list[float] = []  # CPU seconds (user + sys) of each cli() call, in order


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cli(home: Path, *args: str) -> float:
    """Wall seconds of one dgawatch process (its CPU seconds are appended to CPU: on this
    shared 2-core machine wall time includes waiting for a core)."""
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, env=env, check=False
    )
    took = time.perf_counter() - t0
    CPU.append(_children_cpu() - c0)
    if proc.returncode != 0:
        raise SystemExit(f"dgawatch {' '.join(args[:3])} failed: {proc.stderr[-2000:]}")
    return took


def queries(families: list[str], n: int, seed: int = 13) -> list[str]:
    rng = random.Random(seed)
    variants = [v for f in families for v in get_family(f).variants]
    out: list[str] = []
    while len(out) < n // 2:
        v = rng.choice(variants)
        first, last = active_span(v)
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        names = v.domains(day)
        if names:
            name = rng.choice(names)
            out.append("www." + name if len(out) % 3 == 0 else name)
    benign = (SHARED / "benign" / "alexa_top100k_2015-05.csv").read_text().splitlines()[1:]
    out += [line.split(",")[1] for line in rng.sample(benign, n - len(out))]
    rng.shuffle(out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=10_000)
    ap.add_argument("--families", default=",".join(CHEAP))
    ap.add_argument("--pairs", type=int, default=2, help="alternated pairs, one-name run")
    args = ap.parse_args()
    families = (
        [f.name for f in all_families()] if args.families == "all" else args.families.split(",")
    )
    fam_args = [a for f in families for a in ("--family", f)]
    with tempfile.TemporaryDirectory() as tmp:
        indexed, bare = Path(tmp) / "indexed", Path(tmp) / "bare"
        bare.mkdir()
        build = cli(indexed, "store", "build", "--all-time", *fam_args)
        index = AllTimeIndex(indexed / INDEX_DIR)
        size = index.size_bytes()
        names = sum(int(str(r["names"])) for r in index.summary(
            [v for f in families for v in get_family(f).variants]))  # fmt: skip
        print(f"families: {len(families)} ({', '.join(families)})")
        print(f"index build (store build --all-time): {build:.1f} s, {names:,} names, "
              f"{size / 2**20:.1f} MiB on disk ({size / max(names, 1):.1f} B/name)")  # fmt: skip
        batch = queries(families, args.names)
        one = batch[0]
        file = Path(tmp) / "names.txt"
        file.write_text("\n".join(batch) + "\n")
        fast, slow, fast_cpu = [], [], []
        for _ in range(args.pairs):
            fast.append(cli(indexed, "lookup", "--all", one, *fam_args))
            fast_cpu.append(CPU[-1])
            slow.append(cli(bare, "lookup", "--all", one, *fam_args))
        ratio = min(slow) / min(fast)
        print(f"one name --all, cold process: index min {min(fast):.2f} s wall "
              f"(median {statistics.median(fast):.2f} s; CPU {min(fast_cpu):.2f} s); "
              f"regeneration min {min(slow):.2f} s; ratio {ratio:.0f}x")  # fmt: skip
        t_idx = cli(indexed, "lookup", "--all", "--file", str(file), "--json", *fam_args)
        cpu = CPU[-1]
        t_gen = cli(bare, "lookup", "--all", "--file", str(file), "--json", *fam_args)
        t_idx2 = cli(indexed, "lookup", "--all", "--file", str(file), "--json", *fam_args)
        best, cpu = min(t_idx, t_idx2), min(cpu, CPU[-1])
        rate, base = len(batch) / best, len(batch) / t_gen
        print(f"{len(batch):,} names --all --json: index {best:.2f} s wall ({rate:,.0f} names/s, "
              f"process start included; CPU {cpu:.2f} s = {len(batch) / cpu:,.0f} names/CPU-s); "
              f"regeneration {t_gen:.2f} s ({base:,.0f} names/s); "
              f"ratio {t_gen / best:.0f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
