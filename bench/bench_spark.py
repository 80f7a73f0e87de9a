"""Spark engine scaling: ``dgawatch hunt --engine spark --spark-master local[N] DIR`` as a
user runs it (whole process, JVM start-up included, default options otherwise) for N = 1, 2
(more with ``--cores``), alternated, on bench_hunt.py's realistic week of Zeek logs, next to
the local engine. Prints each one's min/median wall time and the same job's core-seconds
(median x N): when core-seconds stay flat as N grows, a cluster pays off for logs of that
size; when they grow, the fixed cost (JVM, Parquet conversion, task scheduling) dominates.

    .venv/bin/python bench/bench_spark.py [--lines 200000] [--cores 1 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_hunt
from _timing import Command, alternate, line, loadavg


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, help="keep the log here (reused)")
    args = ap.parse_args()
    if shutil.which("java") is None:
        print("the Spark engine needs Java 17 (no java on PATH)", file=sys.stderr)
        return 2
    tmp = tempfile.TemporaryDirectory() if args.workdir is None else None
    workdir = args.workdir or Path(tmp.name)  # type: ignore[union-attr]
    try:
        logdir = workdir / f"log{args.lines}"
        if not (logdir / "dns.log").exists():
            logdir.mkdir(parents=True, exist_ok=True)
            bench_hunt.make_log(logdir / "dns.log", args.lines, dt.date(2026, 11, 2), 7)
        hunt = [bench_hunt.DGAWATCH, "hunt"]
        commands = [
            Command("local engine", [*hunt, str(logdir)], workdir / "local.out"),
            *(
                Command(
                    f"spark local[{n}]",
                    [*hunt, "--engine", "spark", "--spark-master", f"local[{n}]", str(logdir)],
                    workdir / f"spark{n}.out",
                )
                for n in args.cores
            ),
        ]
        runs = alternate(commands, args.repeat, progress=True)
        print(f"== {args.lines:,} lines, {loadavg()}")
        for cmd in commands:
            r = runs[cmd.name]
            cores = int(cmd.name.split("[")[1].rstrip("]")) if "[" in cmd.name else 0
            extra = f"  {r.median * cores:7.1f} core-s" if cores else ""
            print(line(r, args.lines) + extra)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
