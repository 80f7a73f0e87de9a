"""Timing whole processes, alternated with their baselines, for the benches.

Why whole processes: a user runs ``dgawatch hunt DIR``, not ``hunt_paths()``; start-up,
reading and writing the output are part of what they wait for. Why alternated (A B A B ...):
on a shared machine the load drifts, and a pair measured back to back sees the same load,
so ratios of pairs are steadier than ratios of separate best times.

Each run's wall time and peak resident memory (``ru_maxrss`` of that one child, from
``os.wait4``) are recorded; stdout goes to a file (never /dev/null: GNU grep stops at its
first match when its output is /dev/null).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Runs:
    """Wall seconds and peak RSS (MB) of each run of one command."""

    name: str
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class Command:
    """One command line; its stdout is written to ``stdout`` (a file)."""

    name: str
    argv: Sequence[str]
    stdout: Path
    env: Mapping[str, str] | None = None


def run_once(cmd: Command) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one run; raises if the command fails."""
    env = {**os.environ, **(cmd.env or {})}
    with open(cmd.stdout, "wb") as out, open(str(cmd.stdout) + ".err", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd.argv), stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):  # grep exits 1 when nothing matched
        msg = Path(str(cmd.stdout) + ".err").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{cmd.name} failed ({proc.returncode}): {msg}")
    return wall, usage.ru_maxrss / 1024


def wall_and_cpu(
    argv: Sequence[str], out: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(wall, CPU) seconds of one child process, its stdout into ``out`` (discarded when
    None); raises if it fails."""
    before = os.times()
    t0 = time.perf_counter()
    with open(out if out is not None else os.devnull, "wb") as fh:
        subprocess.run(list(argv), stdout=fh, stderr=subprocess.DEVNULL, env=env, check=True)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def alternate(commands: Sequence[Command], repeat: int, progress: bool = False) -> dict[str, Runs]:
    """Run the commands in turn, ``repeat`` rounds, the order rotated each round
    (``progress``: print each run as it ends, for long runs)."""
    runs = {c.name: Runs(c.name) for c in commands}
    for r in range(repeat):
        k = r % len(commands)
        for cmd in [*commands[k:], *commands[:k]]:
            wall, peak = run_once(cmd)
            runs[cmd.name].seconds.append(wall)
            runs[cmd.name].peak_mb.append(peak)
            if progress:
                print(f"  round {r + 1}: {cmd.name} {wall:.2f} s, {peak:.0f} MB", flush=True)
    return runs


def pair_ratios(base: Runs, ours: Runs) -> list[float]:
    """Speed-up of ``ours`` over ``base`` in each round (base time / our time)."""
    return [b / o for b, o in zip(base.seconds, ours.seconds, strict=True)]


def line(runs: Runs, unit_count: float | None = None, unit: str = "lines") -> str:
    """``min / median s``, throughput at the median, and peak memory."""
    text = f"{runs.name:<34} min {runs.min:7.2f} s  median {runs.median:7.2f} s"
    if unit_count:
        text += f"  ({unit_count / runs.median / 1e6:6.2f} M {unit}/s)"
    return text + f"  peak {max(runs.peak_mb):6.0f} MB"


def ratio_line(label: str, ratios: Sequence[float], target: str = "") -> str:
    return f"{label:<34} min {min(ratios):6.2f}x  median {statistics.median(ratios):6.2f}x" + (
        f"  (target {target})" if target else ""
    )


def loadavg() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} CPUs"
