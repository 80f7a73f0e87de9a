"""What the look-up table's integrity checks cost ``dgawatch lookup --file F --json`` (the
compiled path, ``dgawatch.lookuptable``): one whole process over 1 M names from a one-year
Conficker C store (the names of ``bench_lookup.py``), in three states, alternated in each
round:

- ``checked``: a table whose sections were checked already (every run but the first after a
  build): the header checksum and the section table only;
- ``first open``: the first open of a table file (each section's checksum read too: the
  whole ~600 MB table), the remembered check removed before each run;
- ``unchecked``: the section table and the sections' checksums skipped (what format 1 did;
  the header's checksum is kept, ~20 kB).

Wall and CPU seconds (user + system of the child) as min / median, and the ratios to
``unchecked`` from the same round. The first run (which builds the table when missing or of
format 1, ~10 CPU-s) is left out.

    nice .venv/bin/python bench/bench_lookup_integrity.py [--names 1000000] [--rounds 3] [--store S]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import wall_and_cpu
from bench_lookup import make_queries
from dgawatch.days import day_range
from dgawatch.families import get_family
from dgawatch.store import ForecastStore

CLI = "from dgawatch.cli import main; main()"
UNCHECKED = (
    "import dgawatch.lookuptable as t; t.check_sections = t.check_contents = lambda *a: None; "
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--store", type=Path, help="reuse a store holding 2020 of Conficker C")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        store = args.store or tmp / "forecast.duckdb"
        if args.store is None:
            with ForecastStore(store) as fs:
                fs.build(
                    [get_family("conficker").variant("c")], day_range(dt.date(2020, 1, 1), 366)
                )
        with ForecastStore(store, read_only=True) as fs:
            names = make_queries(fs, args.names)
        path = tmp / "names.txt"
        path.write_text("\n".join(names) + "\n")
        cache = tmp / "cache"
        env = dict(os.environ, DGAWATCH_LIST_CACHE=str(cache))
        tail = ["lookup", "--file", str(path), "--store", str(store), "--json"]
        tail += ["--family", "conficker", "--variant", "c", "--start", "2020-01-01"]
        tail += ["--end", "2020-12-31"]
        cmds = {
            "checked": [sys.executable, "-c", CLI, *tail],
            "first open": [sys.executable, "-c", CLI, *tail],
            "unchecked": [sys.executable, "-c", UNCHECKED + CLI, *tail],
        }
        wall_and_cpu(cmds["checked"], env=env)  # builds the table when missing, then checks it once
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
        for r in range(args.rounds):
            order = list(cmds) if r % 2 == 0 else list(cmds)[::-1]
            for label in order:
                if label == "first open":
                    shutil.rmtree(cache / "lookup-verified", ignore_errors=True)
                runs[label].append(wall_and_cpu(cmds[label], env=env))
    print(
        f"names {args.names:,}, {args.rounds} rounds; load average (1 min) {os.getloadavg()[0]:.2f}"
    )
    print(f"{'':12} wall min / median     CPU min / median    CPU / unchecked (median)")
    for label, values in runs.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        ratio = statistics.median(
            c / u for (_, c), (_, u) in zip(values, runs["unchecked"], strict=True)
        )
        print(
            f"{label:12} {min(walls):6.2f} / {statistics.median(walls):6.2f} s  "
            f"{min(cpus):6.2f} / {statistics.median(cpus):6.2f} s   {ratio:6.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
