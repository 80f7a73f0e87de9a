"""``dgawatch export stix`` against ``dgawatch export jsonl`` for the same names (issue 17).

Target: at least 50,000 indicators a second, memory flat. Both commands run as a user runs
them, whole processes with their default options (output to stdout, here a file), on the
same selection (Conficker C, 50,000 names a day, from ``--start`` for ``--days``), in
alternated pairs in one run (the order swapped every round). Printed: min / median wall
and CPU (user + system) time of each, the per-pair ratio jsonl time / stix time (1.0 would
be "as fast as writing the names as JSON lines"), indicators a second for the whole stix
process, and for the CPU time it spends beyond jsonl (median of the per-pair
differences). The indicator count is checked against the distinct names per day of the
jsonl output. Memory: peak RSS of each command, and of stix for one day against ``--days``
days (flat: it does not grow with the selection). Exit status 0 when the count is right
and the whole process reaches the target in its CPU time (on a shared machine wall time
stretches with the load: there, compare the wall and CPU ratios to jsonl, which agree when
the load is steady).

    nice .venv/bin/python bench/bench_export_stix.py [--days 7] [--start 2014-11-11] [--repeat 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _timing import Command, loadavg, ratio_line

DGAWATCH = str(Path(sys.executable).parent / "dgawatch")
TARGET = 50_000


def distinct_per_day(jsonl: Path) -> int:
    """Distinct names per (variant, day) in a forecast/1 JSON lines file: the indicators."""
    days: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    with open(jsonl, "rb") as fh:
        for raw in fh:
            row = json.loads(raw)
            days[(row["family"], row["variant"], row["day"])].add(row["domain"])
    return sum(len(names) for names in days.values())


def run(cmd: Command) -> tuple[float, float, float]:
    """(wall s, CPU s (user + system), peak RSS MB) of one whole process; raises on failure.

    CPU time is reported beside wall time because the development machine is shared: its
    wall times stretch with the load, a process's own CPU time much less."""
    with open(cmd.stdout, "wb") as out, open(str(cmd.stdout) + ".err", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd.argv), stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        msg = Path(str(cmd.stdout) + ".err").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{cmd.name} failed: {msg}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def count_indicators(path: Path) -> tuple[int, int]:
    """(indicators, bytes) of a bundle file, read in chunks (the bench stays small)."""
    marker = b'\n{"type": "indicator", '
    count = size = 0
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 24):
            data = tail + chunk
            count += data.count(marker)
            tail = data[-(len(marker) - 1) :]
            size += len(chunk)
    return count, size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", default="2014-11-11")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=4)
    args = ap.parse_args(argv)

    def argv_for(fmt: str, days: int) -> list[str]:
        selection = ["--start", args.start, "--days", str(days)]
        return [DGAWATCH, "export", fmt, *selection, "--family", "conficker", "--variant", "c"]

    print(f"conficker/c from {args.start}, {args.days} days; {loadavg()}")
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    peak: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory(prefix="bench-stix-") as tmp:
        one_day = Command("stix 1 day", argv_for("stix", 1), Path(tmp) / "one.json")
        _, _, peak["stix 1 day"] = run(one_day)
        commands = [
            Command("stix", argv_for("stix", args.days), Path(tmp) / "out.json"),
            Command("jsonl", argv_for("jsonl", args.days), Path(tmp) / "out.jsonl"),
        ]
        for r in range(args.repeat):  # alternated, the order swapped every round
            for cmd in commands if r % 2 == 0 else commands[::-1]:
                w, c, p = run(cmd)
                wall[cmd.name].append(w)
                cpu[cmd.name].append(c)
                peak[cmd.name] = max(peak[cmd.name], p)
        indicators, size = count_indicators(commands[0].stdout)
        expected = distinct_per_day(commands[1].stdout)

    med = {k: statistics.median(v) for k, v in wall.items()}
    for name in ("stix", "jsonl"):
        print(
            f"export {name:<6} wall min {min(wall[name]):6.2f} s  median {med[name]:6.2f} s   "
            f"CPU min {min(cpu[name]):6.2f} s  median {statistics.median(cpu[name]):6.2f} s   "
            f"peak {peak[name]:5.0f} MB"
        )
    ratios = [j / s for s, j in zip(wall["stix"], wall["jsonl"], strict=True)]
    cpu_ratios = [j / s for s, j in zip(cpu["stix"], cpu["jsonl"], strict=True)]
    print(ratio_line("jsonl time / stix time (wall)", ratios))
    print(ratio_line("jsonl time / stix time (CPU)", cpu_ratios))
    print(
        f"{indicators:,} indicators ({expected:,} distinct names per day in the jsonl), "
        f"{size / 2**20:.0f} MiB"
    )
    rate = indicators / med["stix"]
    rate_cpu = indicators / statistics.median(cpu["stix"])
    print(
        f"whole stix process: {rate:,.0f} indicators/s of wall time, {rate_cpu:,.0f} of its "
        f"CPU time (medians; target >= {TARGET:,})"
    )
    extra = statistics.median(s - j for s, j in zip(cpu["stix"], cpu["jsonl"], strict=True))
    if extra > 0:
        print(f"stix beyond jsonl: {extra:.2f} CPU s, {indicators / extra:,.0f} indicators/s")
    print(
        f"peak RSS: stix {peak['stix']:.0f} MB for {args.days} days, "
        f"{peak['stix 1 day']:.0f} MB for 1 day; jsonl {peak['jsonl']:.0f} MB"
    )
    print(
        f"count {'right' if indicators == expected else 'WRONG'}; target in wall time: "
        f"{'met' if rate >= TARGET else 'not met'}, in CPU time: "
        f"{'met' if rate_cpu >= TARGET else 'not met'}"
    )
    ok = indicators == expected and rate_cpu >= TARGET
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
