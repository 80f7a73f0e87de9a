"""``dgawatch lookup`` CPU before/after pruning variants by TLD set and grammar.

Runs the command a user runs (``--no-store``, no all-time index) with the current source
and with a baseline source tree (``--baseline-src``, e.g. ``git archive <rev> src``
unpacked), alternated, and prints child CPU seconds (min/median) and their ratio.

    nice .venv/bin/python bench/bench_lookup_prune.py --baseline-src /tmp/dgaw-head/src \\
        --repeat 3 -- www.xpun.nl --start 2014-11-01 --end 2014-11-30
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CLI = "from dgawatch.cli import main; main()"
HERE = Path(__file__).resolve().parents[1] / "src"


def cpu_of(src: Path, args: list[str], home: str) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PYTHONPATH=str(src), DGAWATCH_HOME=home)
    subprocess.run(
        [sys.executable, "-c", CLI, "lookup", "--no-store", *args],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--baseline-src", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("args", nargs="+")
    a = p.parse_args()
    now: list[float] = []
    base: list[float] = []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(a.repeat):
            if a.baseline_src is not None:
                base.append(cpu_of(a.baseline_src, a.args, home))
            now.append(cpu_of(HERE, a.args, home))
    print(f"lookup {' '.join(a.args)}")
    print(f"  pruned   CPU-s min {min(now):.2f} median {statistics.median(now):.2f}")
    if base:
        print(f"  baseline CPU-s min {min(base):.2f} median {statistics.median(base):.2f}")
        print(f"  ratio baseline/pruned (min) {min(base) / min(now):.1f}x")


if __name__ == "__main__":
    main()
