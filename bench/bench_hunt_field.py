"""Unknown DGAs in the field (issue 11): recall and false positives of ``dgawatch hunt`` on
simulated office days (``tests/hunt/netsim.py``: ground truth from the simulator), over
several seeds and client counts, and the cost of the unknown-DGA stage.

For each (clients, seed): the day's Zeek dns.log is written, ``dgawatch hunt LOG --json``
runs as a user runs it (default options: every registered family, unknown-DGA stage on),
and its unknown-DGA findings are compared with the infected clients. Then, on the largest
day, the same command with and without ``--no-unknown-dga``, alternated (``--pairs``),
wall time and peak RSS of each run (``os.wait4``); the ratio on/off throughput is printed.

    nice .venv/bin/python bench/bench_hunt_field.py [--days 500:1,2000:2,5000:3] [--pairs 2]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hunt.netsim import NetDay, describe, simulate  # noqa: E402

CLI = [sys.executable, "-c", "from dgawatch.cli import main; main()"]


def run_hunt(log: Path, *extra: str) -> tuple[float, float, dict[str, object]]:
    """(seconds, peak RSS MiB, JSON summary) of one ``dgawatch hunt LOG --json`` process;
    the summary gains ``known_clients``: clients of the listed known-family findings."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([*CLI, "hunt", str(log), "--json", *extra], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"dgawatch hunt exited {proc.returncode} on {log}:\n{tail}")
        out.seek(0)
        lines = out.read().decode().splitlines()
    summary = json.loads(lines[-1])["summary"]
    summary["known_clients"] = sorted({json.loads(line)["client"] for line in lines[:-1]})
    return took, usage.ru_maxrss / 1024, summary


def score(day: NetDay, summary: dict[str, object]) -> tuple[int, int, int, int, list[str]]:
    """(infected found, infected, clean reported as unknown DGA, clean reported with a known
    family's finding, families missed). The simulated infections are of families no forecast
    knows, so every known-family finding is on a clean host: a false alarm."""
    found: set[str] = set()
    for f in summary.get("unknown_dga", []):  # type: ignore[attr-defined]
        found.update(f["clients"])
    known = set(summary.get("known_clients", [])) - set(day.infected)  # type: ignore[arg-type]
    missed = sorted({day.infected[c] for c in set(day.infected) - found})
    infected = set(day.infected)
    return len(found & infected), len(infected), len(found - infected), len(known), missed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", default="500:1,2000:2,5000:3", help="clients:seed,...")
    ap.add_argument("--pairs", type=int, default=2, help="alternated on/off pairs")
    args = ap.parse_args()
    configs = [tuple(int(x) for x in c.split(":")) for c in args.days.split(",")]
    with tempfile.TemporaryDirectory(prefix="dgawatch-field-") as tmp:
        rows = []
        logs = []
        for clients, seed in configs:
            log = Path(tmp) / f"dns-{clients}-{seed}.log"
            day = simulate(log, clients, seed)
            logs.append((day, log))
            _took, _rss, summary = run_hunt(log)
            found, infected, fp, fp_known, missed = score(day, summary)
            clusters = len(summary.get("unknown_dga", []))  # type: ignore[arg-type]
            weak = summary.get("weak_matches", 0)
            print(f"# {describe(day)}", flush=True)
            rows.append(
                (clients, seed, day.lines, infected, found, fp, fp_known, weak, clusters, missed)
            )
        print()
        print(
            "| clients | seed | queries | infected | found | clean reported (unknown DGA) "
            "| clean reported (known family) | weak matches (not listed) | findings | missed |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for clients, seed, lines, infected, found, fp, fp_known, weak, clusters, missed in rows:
            print(
                f"| {clients:,} | {seed} | {lines:,} | {infected} | {found} | {fp} | {fp_known} "
                f"| {weak} | {clusters} | {', '.join(missed) or '-'} |"
            )
        day, log = logs[-1]
        on_t, off_t, on_m, off_m = [], [], [], []
        for _ in range(args.pairs):
            t, m, _s = run_hunt(log, "--no-unknown-dga")
            off_t.append(t)
            off_m.append(m)
            t, m, _s = run_hunt(log)
            on_t.append(t)
            on_m.append(m)
        print()
        print(f"throughput on {day.lines:,} lines ({len(day.clients):,} clients), {args.pairs} "
              "alternated pairs, whole CLI process:")  # fmt: skip
        for name, ts, ms in (("--no-unknown-dga", off_t, off_m), ("default (on)", on_t, on_m)):
            print(
                f"  {name:17} min {min(ts):6.2f} s  median {statistics.median(ts):6.2f} s  "
                f"{day.lines / min(ts):10,.0f} lines/s  peak RSS {max(ms):7.0f} MiB"
            )
        print(f"  on/off throughput ratio (min/min): {min(off_t) / min(on_t):.2f}")
        print(f"  on/off throughput ratio (median/median): "
              f"{statistics.median(off_t) / statistics.median(on_t):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
