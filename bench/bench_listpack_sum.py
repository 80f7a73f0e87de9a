"""The cost of a list pack's checksum (``dgawatch.hunt.listpack``, session 8) on the pack a
1 M-line hunt of a week writes (bench/bench_hunt.py's log: every family, window 1):

- the check on a pack's first use (``_body_sum`` over the whole file, read with ``pread``):
  paid once per pack file (and again if the file is written to);
- a later hunt's ``find`` of the pack (open, then its times renewed), which checks only the
  file's identity against the mark of that check, against a ``find`` that skips the check
  (what every hunt paid before), alternated.

    .venv/bin/python bench/bench_listpack_sum.py [--lines 1000000] [--workdir DIR] [--repeat 30]

The first run generates the log (~30 s) and runs one hunt to write the pack (~10 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dgawatch.filestamp
from bench_hunt import CACHE, DGAWATCH, make_log
from dgawatch.families import all_variants
from dgawatch.hunt import listpack


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--start", default="2026-11-02")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/ends/bench_listpack"))
    args = ap.parse_args()
    work = args.workdir
    logdir, cache = work / f"log{args.lines}", work / "cache"
    os.environ[CACHE] = str(cache)
    if not (logdir / "dns.log").exists():
        logdir.mkdir(parents=True, exist_ok=True)
        make_log(logdir / "dns.log", args.lines, dt.date.fromisoformat(args.start), args.days)
    packs = listpack.ListPacks.for_variants(cache, all_variants())
    assert packs is not None
    if not list(packs.folder.glob("*.pack")):
        env = dict(os.environ, **{CACHE: str(cache)})
        subprocess.run([DGAWATCH, "hunt", "--json", str(logdir)], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    path = max(packs.folder.glob("*.pack"), key=lambda p: p.stat().st_size)
    size = path.stat().st_size
    print(f"pack {path.name}: {size / 1e6:.1f} MB (loadavg {os.getloadavg()[0]:.1f})")

    first = []
    for _ in range(5):
        with open(path, "rb") as fh:
            t0, c0 = time.perf_counter(), cpu()
            listpack._body_sum(fh.fileno(), size - 16)
            first.append((time.perf_counter() - t0, cpu() - c0))
    wall, cpus = statistics.median(w for w, _ in first), statistics.median(c for _, c in first)
    print(f"first use (whole-file check): {wall * 1e3:.1f} ms wall, {cpus * 1e3:.1f} ms CPU "
          f"(median of 5; {size / wall / 1e9:.1f} GB/s)")  # fmt: skip

    pack = packs.open(path)  # the check, and its mark
    assert pack is not None
    wanted = pack.keys()
    real = listpack.ListPacks.find

    def skipping(self: listpack.ListPacks, keys: list[listpack.SpecKey]) -> listpack.Pack | None:
        # (the mark is still renewed: else the next find with the check reads it all again)
        saved = dgawatch.filestamp.checked_before
        dgawatch.filestamp.checked_before = lambda *_a: True
        try:
            return real(self, keys)
        finally:
            dgawatch.filestamp.checked_before = saved

    with_mark, without = [], []
    for _ in range(args.repeat):
        for runs, fn in ((with_mark, real), (without, skipping)):
            t0 = time.perf_counter()
            assert fn(packs, wanted) is not None
            runs.append(time.perf_counter() - t0)
    a, b = statistics.median(with_mark), statistics.median(without)
    print(f"later find: {a * 1e3:.2f} ms with the identity check, {b * 1e3:.2f} ms without "
          f"(medians of {args.repeat} alternated; +{(a - b) * 1e3:.2f} ms, ratio {a / b:.2f}; "
          "target +10 ms at most)")  # fmt: skip
    renew = []
    identity = dgawatch.filestamp.file_identity(path.stat())
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        dgawatch.filestamp.remember_checked(path, identity, listpack.PACKS_CHECKED)
        renew.append(time.perf_counter() - t0)
    print(f"renewing the mark after a find (new in both): {statistics.median(renew) * 1e3:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
