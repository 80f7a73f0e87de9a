"""Spark engine scaling (issue 19: "local[1], local[2], and the same job's time per core so a
user can tell when a cluster pays off").

``dgawatch hunt --engine spark --spark-master local[N] DIR`` as a user runs it (whole
process, JVM start-up included, default options otherwise) for N = 1, 2 (more with
``--cores``), next to ``dgawatch hunt DIR`` (the local engine), alternated in rounds, on
bench_hunt.py's realistic week of Zeek logs at two sizes (``--lines``). For each run:

- wall seconds (min / median over the rounds);
- CPU seconds of the whole process tree (``perf stat -e task-clock``: the JVM and the
  Python workers included; "n/a" without perf);
- lines per wall second, lines per CPU second, and core-seconds reserved (N x wall, what
  a cluster bills) with the lines per reserved core-second;
- the local engine's wall time in the same rounds, and Spark's time over it.

Break-even: each engine's time is fitted as fixed + per-line cost from the two sizes
(t = F + L * c), on wall seconds and, steadier on a loaded machine, on CPU seconds. If
Spark's per-line part spread perfectly over N cores (t_N = F_1 + L * c_1 / N: the best
case; the measured local[2] vs local[1] efficiency is printed beside it), Spark on N cores
beats the local engine from L* = (F_1 - F_local) / (c_local - c_1 / N) lines; "never"
when c_1 / N >= c_local.

    .venv/bin/python bench/bench_spark.py [--lines 100000 400000] [--cores 1 2] [--repeat 1]
        [--workdir DIR] [--save FILE.json | --replay FILE.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_hunt
from _timing import loadavg


@dataclass
class Cell:
    """Runs of one engine on one log size."""

    name: str
    cores: int  # 0: the local engine (its own threads)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None


def run(argv: list[str], out: Path, perf: bool) -> tuple[float, float | None]:
    """(wall seconds, CPU seconds of the process tree or None) of one run."""
    stat = out.with_suffix(".perf")
    cmd = (
        ["perf", "stat", "-x,", "-e", "task-clock", "-o", str(stat), "--", *argv] if perf else argv
    )
    with open(out, "wb") as fh, open(out.with_suffix(".err"), "wb") as err:
        t0 = time.perf_counter()
        done = subprocess.run(cmd, stdout=fh, stderr=err, check=False)
        wall = time.perf_counter() - t0
    if done.returncode != 0:
        tail = out.with_suffix(".err").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{argv[:6]} failed ({done.returncode}): {tail}")
    cpu = None
    if perf:
        for row in stat.read_text().splitlines():
            parts = row.split(",")
            if (
                len(parts) > 2
                and parts[2] == "task-clock"
                and parts[0] not in ("", "<not counted>")
            ):
                cpu = float(parts[0]) / 1000  # msec
    return wall, cpu


def measure(
    workdir: Path, lines: int, cores: list[int], repeat: int, perf: bool
) -> dict[str, Cell]:
    logdir = workdir / f"log{lines}"
    if not (logdir / "dns.log").exists():
        logdir.mkdir(parents=True, exist_ok=True)
        bench_hunt.make_log(logdir / "dns.log", lines, dt.date(2026, 11, 2), 7)
    hunt = [bench_hunt.DGAWATCH, "hunt", "--json"]
    cmds: list[tuple[Cell, list[str]]] = [(Cell("local engine", 0), [*hunt, str(logdir)])]
    for n in cores:
        argv = [*hunt, "--engine", "spark", "--spark-master", f"local[{n}]", str(logdir)]
        cmds.append((Cell(f"spark local[{n}]", n), argv))
    for r in range(repeat):
        k = r % len(cmds)
        for cell, argv in [*cmds[k:], *cmds[:k]]:
            wall, cpu = run(argv, workdir / f"{lines}-{cell.cores}.out", perf)
            cell.wall.append(wall)
            if cpu is not None:
                cell.cpu.append(cpu)
            cpu_text = f", {cpu:.1f} CPU-s" if cpu is not None else ""
            print(
                f"  {lines:,} lines, round {r + 1}: {cell.name} {wall:.1f} s{cpu_text}", flush=True
            )
    local = (workdir / f"{lines}-0.out").read_text()
    for cell, _ in cmds[1:]:  # same findings from both engines (the hunt's JSON report)
        if _findings(workdir / f"{lines}-{cell.cores}.out") != _findings_text(local):
            print(f"  WARNING: {cell.name} reported other findings than the local engine")
    return {cell.name: cell for cell, _ in cmds}


def _findings_text(text: str) -> object:
    """The findings of a ``hunt --json`` output (JSON lines, the last one the summary)."""
    rows = [json.loads(x) for x in text.splitlines() if x.strip()]
    return sorted(
        (r.get("client"), r.get("family"), r.get("variant"), r.get("queries"))
        for r in rows
        if "summary" not in r
    )


def _findings(path: Path) -> object:
    return _findings_text(path.read_text())


def table(results: dict[int, dict[str, Cell]]) -> None:
    head = (
        f"{'engine':<16}{'lines':>10}{'wall min':>10}{'median':>9}{'CPU-s':>8}"
        f"{'lines/s':>10}{'per CPU-s':>11}{'core-s':>9}{'per core-s':>12}{'local s':>9}"
        f"{'x local':>9}"
    )
    print(head)
    print("-" * len(head))
    for lines, cells in results.items():
        local = cells["local engine"].median
        for cell in cells.values():
            med, cpu = cell.median, cell.cpu_median
            reserved = med * cell.cores if cell.cores else (cpu if cpu is not None else med)
            print(
                f"{cell.name:<16}{lines:>10,}{min(cell.wall):>10.1f}{med:>9.1f}"
                f"{(f'{cpu:.1f}' if cpu is not None else 'n/a'):>8}"
                f"{lines / med:>10,.0f}"
                f"{(f'{lines / cpu:,.0f}' if cpu else 'n/a'):>11}"
                f"{reserved:>9.1f}{lines / reserved:>12,.0f}{local:>9.1f}{med / local:>8.1f}x"
            )
    print(
        "core-s: N x wall for Spark local[N] (reserved cores); the local engine's own CPU seconds"
    )


def fit(a: tuple[int, float], b: tuple[int, float]) -> tuple[float, float]:
    """(fixed seconds, seconds per line) of the line through two (lines, wall) points."""
    (l1, w1), (l2, w2) = a, b
    c = (w2 - w1) / (l2 - l1)
    return w1 - c * l1, c


def break_even(results: dict[int, dict[str, Cell]], cores: list[int], basis: str) -> None:
    """The fits and break-even sizes on ``basis`` "wall" (what a quiet machine shows) or
    "CPU" (task-clock seconds, taken as one core's wall time: steadier under load)."""
    sizes = sorted(results)
    if len(sizes) < 2 or 1 not in cores:
        print("break-even: needs two log sizes and local[1]")
        return
    lo, hi = sizes[0], sizes[-1]

    def value(cell: Cell) -> float | None:
        return cell.median if basis == "wall" else cell.cpu_median

    def model(name: str) -> tuple[float, float] | None:
        a, b = value(results[lo][name]), value(results[hi][name])
        return None if a is None or b is None else fit((lo, a), (hi, b))

    local, one = model("local engine"), model("spark local[1]")
    if local is None or one is None:
        print(f"\nbreak-even on {basis}: not measured (no perf)")
        return
    (f_loc, c_loc), (f_1, c_1) = local, one
    print(
        f"\n{basis} fit over {lo:,} and {hi:,} lines: local engine {f_loc:.1f} s + "
        f"{c_loc * 1e6:.2f} us/line; Spark local[1] {f_1:.1f} s + {c_1 * 1e6:.2f} us/line"
    )
    for n in cores:
        fitted = model(f"spark local[{n}]") if n != 1 else None
        if fitted is not None:
            f_n, c_n = fitted
            # wall: N cores should cut the per-line time N-fold; CPU: it should stay flat
            ideal = c_1 / n if basis == "wall" else c_1
            eff = f"{ideal / c_n:.0%}" if c_n > 0 else "n/a (no growth measured)"
            print(
                f"Spark local[{n}]: {f_n:.1f} s + {c_n * 1e6:.2f} us/line; scaling efficiency "
                f"of the per-line part vs local[1]: {eff}"
            )
    if c_1 <= 0 or c_loc <= 0:
        print("break-even: a per-line cost is not positive (noise larger than the work)")
        return
    print(f"break-even ({basis}) if Spark's per-line work spread perfectly over N cores:")
    for n in (1, 2, 4, 8, 16, 32, 64):
        per_line = c_1 / n
        if per_line >= c_loc:
            print(f"  N = {n:>2}: never (Spark {per_line * 1e6:.2f} us/line >= local)")
        else:
            lines = max((f_1 - f_loc) / (c_loc - per_line), 0)
            print(
                f"  N = {n:>2}: from {lines:,.0f} lines (the local engine: "
                f"{f_loc + c_loc * lines:,.0f} s for that)"
            )
    if hi < 4 * lo or hi < 1_000_000:
        print(
            "  (extrapolated far beyond the sizes measured: rerun with larger --lines, "
            "e.g. 1000000 5000000)"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, nargs="+", default=[100_000, 400_000])
    ap.add_argument("--cores", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", type=Path, help="keep the logs here (reused)")
    ap.add_argument("--save", type=Path, help="write the measurements to this JSON file")
    ap.add_argument("--replay", type=Path, help="print the table of a --save file, run nothing")
    args = ap.parse_args()
    if args.replay is not None:
        doc = json.loads(args.replay.read_text())
        results = {
            int(lines): {c["name"]: Cell(**c) for c in cells}
            for lines, cells in doc["runs"].items()
        }
        print(f"== Spark scaling (replay of {args.replay}: {doc['load']})")
        table(results)
        break_even(results, doc["cores"], "wall")
        break_even(results, doc["cores"], "CPU")
        return 0
    if shutil.which("java") is None:
        print("the Spark engine needs Java 17 (no java on PATH)", file=sys.stderr)
        return 2
    perf = shutil.which("perf") is not None and os.environ.get("BENCH_NO_PERF") is None
    if perf and subprocess.run(["perf", "stat", "-o", os.devnull, "true"], check=False).returncode:
        perf = False
    tmp = tempfile.TemporaryDirectory() if args.workdir is None else None
    workdir = args.workdir or Path(tmp.name)  # type: ignore[union-attr]
    try:
        results = {}
        for lines in sorted(args.lines):
            results[lines] = measure(workdir, lines, args.cores, args.repeat, perf)
        load = loadavg()
        if args.save is not None:
            runs = {str(k): [asdict(c) for c in v.values()] for k, v in results.items()}
            doc = {"load": load, "cores": args.cores, "runs": runs}
            args.save.write_text(json.dumps(doc, indent=1))
        print(f"\n== Spark scaling, {args.repeat} round(s) per size, {load}")
        table(results)
        break_even(results, args.cores, "wall")
        break_even(results, args.cores, "CPU")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
