"""``dgawatch classify --file F --json`` as a user runs it (defaults: the forecast look-up
on), one whole process (start-up, reading, scoring, the look-up, the JSON lines written to a
file), against the same command with ``--no-lookup`` (the model alone), alternated in pairs.

Target (issue 19): >= 150,000 names/s end to end. Names: ``--names`` (default 1 M) drawn
with a fixed seed, 70 % from the Alexa top 100k (``../shared/data/benign``), 30 % from the
DGA examples file (``../shared/data/families/examples.csv.gz``), shuffled: like a day of
queries, a name recurs (the 1 M hold ~236 k distinct names). The data dir is a fresh
temporary one (``DGAWATCH_HOME``: no forecast store, an empty list cache), so every run
is comparable: the first run fills the list cache with today +- 7 days' lists (timed
apart, "cold"), the pairs then read them ("warm": every later verdict of the day).
Wall and CPU seconds (user + system of the child) and peak RSS, min / median.

    nice .venv/bin/python bench/bench_classify_cli.py [--names 1000000] [--pairs 3]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import loadavg

CLI = "from dgawatch.cli import main; main()"
SHARED = Path(os.environ.get("DGAWATCH_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def make_names(n: int, seed: int = 19) -> list[str]:
    rng = random.Random(seed)
    with (SHARED / "data/benign/alexa_top100k_2015-05.csv").open() as fh:
        alexa = [r[1].split("/")[0] for r in csv.reader(fh) if len(r) >= 2 and r[1] != "domain"]
    with gzip.open(SHARED / "data/families/examples.csv.gz", "rt") as fh:
        dga = [r[1] for r in csv.reader(fh) if len(r) >= 2 and r[1] != "domain"]
    k = int(n * 0.7)
    names = [rng.choice(alexa) for _ in range(k)] + [rng.choice(dga) for _ in range(n - k)]
    rng.shuffle(names)
    return names


def timed(cmd: list[str], out: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one child process, its stdout into ``out`` (as
    ``_timing.run_once``, with the child's CPU seconds from the same ``wait4``)."""
    with out.open("wb") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.DEVNULL, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd[3:])} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        names = make_names(args.names)
        path = tmp / "names.txt"
        path.write_text("\n".join(names) + "\n")
        env = {**os.environ, "DGAWATCH_HOME": str(tmp / "home")}
        env.pop("DGAWATCH_LIST_CACHE", None)
        ours = [sys.executable, "-c", CLI, "classify", "--file", str(path), "--json"]
        base = [*ours, "--no-lookup"]
        cold = timed(ours, tmp / "cold.out", env)
        runs: dict[str, list[tuple[float, float, float]]] = {"classify": [], "--no-lookup": []}
        for pair in range(args.pairs):
            order = [("classify", ours), ("--no-lookup", base)]
            for label, cmd in order if pair % 2 == 0 else order[::-1]:
                runs[label].append(timed(cmd, tmp / f"{label}.out", env))
        out = (tmp / "classify.out").read_bytes()
        lines = out.count(b"\n")
        same = out == (tmp / "cold.out").read_bytes()
        matched = out.count(b'"forecast": [{')
    print(loadavg())
    print(
        f"names                       {args.names:,} ({len(set(names)):,} distinct; "
        f"{lines:,} lines, {matched:,} forecast matches)"
    )
    print(f"{'':28}wall min / median      CPU min / median   peak MB  names/s (min wall)")
    print(
        f"{'classify (cold list cache)':27} {cold[0]:7.2f}           s  {cold[1]:7.2f}           s"
        f"  {cold[2]:7.0f}  {args.names / cold[0]:9,.0f}"
    )
    for label, values in runs.items():
        walls, cpus = [w for w, _, _ in values], [c for _, c, _ in values]
        print(
            f"{label:27} {min(walls):7.2f} / {statistics.median(walls):7.2f} s  "
            f"{min(cpus):7.2f} / {statistics.median(cpus):7.2f} s  "
            f"{max(m for _, _, m in values):7.0f}  {args.names / min(walls):9,.0f}"
        )
    ratios = [a[0] / b[0] for a, b in zip(runs["classify"], runs["--no-lookup"], strict=True)]
    print(
        f"look-up's cost (pairs)      {min(ratios):.2f} / {statistics.median(ratios):.2f}x "
        "the --no-lookup time (min / median)"
    )
    best = args.names / min(w for w, _, _ in runs["classify"])
    print(f"rate / target (150 k/s)     {best / 150_000:8.2f}  (target >= 1.0)")
    print(f"warm output == cold output  {same}")
    return 0 if lines == args.names and same else 1


if __name__ == "__main__":
    sys.exit(main())
