"""RPZ export of 30 days of Conficker C (1.5 M names) against the bare name list.

Targets (issue 3): at least 1 M names per second, and at least half the speed of writing
the bare list (``dgawatch forecast ... --format txt``) to the same disk. Both are measured
in this run, in the same process, the same way the commands do it: names generated on the
forecast thread pool and streamed to a file in the same directory. Best of ``--repeat``
runs, alternating (each round in the reverse order of the previous one), each timed from
the first generated day to the closed file; on a shared machine, the ratio of each
round's pair (txt / rpz, wall and CPU seconds) and their median are printed too. The
wildcard and sinkhole variants (two or four records per name) are reported too.

    .venv/bin/python bench/bench_export_rpz.py [--days 30] [--dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dgawatch.days import day_range
from dgawatch.export import ExportOptions, get_exporter
from dgawatch.families import get_family
from dgawatch.forecast import iter_day_lists, write_forecast


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--start", default="2009-04-01")
    ap.add_argument("--dir", type=Path, default=Path("."), help="where both outputs are written")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    c = get_family("conficker").variant("c")
    days = day_range(dt.date.fromisoformat(args.start), args.days)
    rpz = get_exporter("rpz")

    def txt(path: Path) -> int:
        return write_forecast(iter_day_lists([c], days), "txt", path)

    def export(options: ExportOptions) -> Callable[[Path], int]:
        def run(path: Path) -> int:
            with open(path, "wb") as fh:
                return rpz.write(iter_day_lists([c], days), fh, options).names

        return run

    cases: dict[str, Callable[[Path], int]] = {
        "txt (bare list)": txt,
        "rpz nxdomain": export(ExportOptions(serial=1)),
        "rpz nxdomain --wildcard": export(ExportOptions(serial=1, wildcard=True)),
        "rpz sinkhole A+AAAA": export(
            ExportOptions(serial=1, policy="sinkhole", address="192.0.2.1", address6="2001:db8::1")
        ),
    }
    best = dict.fromkeys(cases, float("inf"))
    rounds: dict[str, list[tuple[float, float]]] = {label: [] for label in cases}
    sizes: dict[str, int] = {}
    names = 0
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-export-") as tmp:
        for r in range(args.repeat):
            order = list(cases.items()) if r % 2 == 0 else list(reversed(cases.items()))
            for label, fn in order:
                path = Path(tmp) / "out"
                t0, c0 = time.perf_counter(), time.process_time()
                names = fn(path)
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                best[label] = min(best[label], wall)
                rounds[label].append((wall, cpu))
                sizes[label] = path.stat().st_size
                path.unlink()
    print(f"{names:,} names ({args.days} days of conficker/c from {args.start}), dir {args.dir}")
    base = best["txt (bare list)"]
    for label, secs in best.items():
        print(
            f"  {label:26s} {secs:6.3f} s  {names / secs / 1e6:6.2f} M names/s  "
            f"{sizes[label] / 2**20:6.1f} MiB  speed vs txt {base / secs:5.2f}"
        )
    pairs = [
        (t[0] / r[0], t[1] / r[1])
        for t, r in zip(rounds["txt (bare list)"], rounds["rpz nxdomain"], strict=True)
    ]
    print(
        "  alternated pairs, txt/rpz nxdomain per round (wall, cpu): "
        + ", ".join(f"({w:.2f}, {c:.2f})" for w, c in pairs)
        + f"; median wall {statistics.median(w for w, _ in pairs):.2f}, "
        f"cpu {statistics.median(c for _, c in pairs):.2f}"
    )
    rate = names / best["rpz nxdomain"]
    ratio = base / best["rpz nxdomain"]
    ok = rate >= 1e6 and ratio >= 0.5
    print(
        f"rpz nxdomain: {rate / 1e6:.2f} M names/s (target >= 1), "
        f"{ratio:.2f} x the speed of txt (target >= 0.5): {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
