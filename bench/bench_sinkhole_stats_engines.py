"""``sinkhole stats`` on DuckDB and on Spark (local mode) over the same Parquet store.

The store is a simulated Conficker C day (:mod:`dgawatch.sinkhole.simulate`, Parquet per
UTC day as ``compact`` leaves it, DNS through 4 resolvers). The command a user runs,
``dgawatch sinkhole stats --json --dir STORE``, is timed as a whole process for each engine,
alternated; the two JSON documents must be identical. Spark's time is mostly its start
(JVM, session, code generation): it is there for stores past one machine, not for speed
on one. Peak RSS is the dgawatch process's (Spark's JVM is a child it may not wait for).

    nice .venv/bin/python bench/bench_sinkhole_stats_engines.py [--bots 200000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import Command, alternate, line, loadavg, pair_ratios, ratio_line
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.store import count_events

DAY = dt.date(2026, 11, 27)
DGAWATCH = str(Path(sys.executable).parent / "dgawatch")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bots", type=int, default=200_000)
    ap.add_argument("--held", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.build is not None:
        write_store(simulate(Botnet(bots=args.bots, held=args.held, day=DAY, seed=1)), args.build)
        print(count_events(args.build))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        # Built in a child: a child's peak RSS starts at its parent's (fork), so this
        # process stays small for the timed commands' figures to be theirs.
        built = subprocess.run(
            [sys.executable, __file__, "--build", str(store), "--bots", str(args.bots),
             "--held", str(args.held)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        events = int(built.stdout.split()[-1])
        base = ["sinkhole", "stats", "--json", "--dir", str(store)]
        cmds = [
            Command("duckdb", [DGAWATCH, *base], Path(tmp) / "duck.json"),
            Command(
                "spark",
                [DGAWATCH, *base, "--engine", "spark", "--spark-master", args.spark_master],
                Path(tmp) / "spark.json",
            ),
        ]
        print(f"{events:,} events ({args.bots:,} bots, k = {args.held}); {loadavg()}")
        runs = alternate(cmds, args.repeat)
        same = json.loads(cmds[0].stdout.read_text()) == json.loads(cmds[1].stdout.read_text())
        for r in runs.values():
            print(line(r, events, "events"))
        print(ratio_line("duckdb speed-up over spark", pair_ratios(runs["spark"], runs["duckdb"])))
        print(f"identical JSON: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
