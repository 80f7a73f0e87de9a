"""One year of Conficker C (366 x 50,000 = 18.3 M names) to a txt file: dgawatch's CLI
against a straightforward C program of the same algorithm, measured in the same run.

Target (issue 2): dgawatch at most 3x the C program's time. Prints both times, the ratio
and whether the two files are byte-identical.

    .venv/bin/python bench/bench_conficker_year.py [--year 2020] [--repeat 3]
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def best_of(repeat: int, argv: list[str], stdout_path: Path | None) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        if stdout_path is not None:
            with open(stdout_path, "wb") as fh:
                subprocess.run(argv, stdout=fh, check=True)
        else:
            subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--year", type=int, default=2020)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ndays = 366 if args.year % 4 == 0 and (args.year % 100 or args.year % 400 == 0) else 365
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        exe = work / "conficker_c_baseline"
        cc = shutil.which("cc") or shutil.which("gcc")
        if cc is None:
            print("no C compiler found", file=sys.stderr)
            return 1
        subprocess.run(
            [cc, "-O2", "-ffp-contract=off", "-o", str(exe), str(HERE / "conficker_c_baseline.c"),
             "-lm"],
            check=True,
        )  # fmt: skip
        base_out, ours_out = work / "baseline.txt", work / "dgawatch.txt"
        t_base = best_of(args.repeat, [str(exe), str(args.year), "1", "1", str(ndays)], base_out)
        dgawatch = str(Path(sys.executable).with_name("dgawatch"))
        t_ours = best_of(
            args.repeat,
            [dgawatch, "forecast", "conficker", "--variant", "c", "--start", f"{args.year}-01-01",
             "--days", str(ndays), "--output", str(ours_out)],
            None,
        )  # fmt: skip
        same = filecmp.cmp(base_out, ours_out, shallow=False)
        names = ndays * 50_000
        print(f"names                  {names:,}")
        print(f"C baseline             {t_base:8.2f} s  ({names / t_base / 1e6:.2f} M names/s)")
        print(f"dgawatch forecast txt  {t_ours:8.2f} s  ({names / t_ours / 1e6:.2f} M names/s)")
        print(f"ratio dgawatch / C     {t_ours / t_base:8.2f}  (target <= 3.0)")
        print(f"outputs identical      {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
