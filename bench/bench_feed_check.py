"""``dgawatch feed check``'s first pass (the names on their stated days) against the plain
reverse lookup of the same names over the union of the stated days (``dgawatch.lookup``,
what the pass did first), on a feed dgawatch publishes itself (so every name is known).

Alternated runs in this process, CPU seconds (min of ``--repeat``) and their ratio:

    nice .venv/bin/python bench/bench_feed_check.py --family cryptolocker --family conficker \\
        --date 2017-04-13 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time
from pathlib import Path

from dgawatch.families import choose_variants
from dgawatch.feeds import window
from dgawatch.feeds.check import MAX_STATED_DAYS, _stated_hits
from dgawatch.feeds.cli import publish, read_entries
from dgawatch.lookup import lookup
from dgawatch.readers import InputReport


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--family", action="append")
    p.add_argument("--date", default="2017-04-13")
    p.add_argument("--format", default="netlab", choices=("netlab", "bambenek"))
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    variants = choose_variants(args.family, None)
    days = window(dt.date.fromisoformat(args.date))
    variants = [v for v in variants if any(v.is_active(d) for d in days)]
    buf = io.BytesIO()
    publish(variants, args.format, buf, days)
    path = Path("/tmp/bench_feed_check.txt")
    path.write_bytes(buf.getvalue())
    entries = read_entries(path, args.format, InputReport())
    names = list(dict.fromkeys(e.domain for e in entries))
    union = sorted({d for e in entries for d in e.days(MAX_STATED_DAYS)})
    print(f"{len(entries):,} feed lines, {len(names):,} names, {len(union)} stated days")

    new, old = [], []
    for _ in range(args.repeat):
        t = time.process_time()
        hits, _n = _stated_hits(entries, variants, None)
        new.append(time.process_time() - t)
        t = time.process_time()
        base = lookup(names, variants, days=union)
        base_hits = base.hits
        old.append(time.process_time() - t)
        assert set(hits) == set(base_hits)  # the same names explained
    print(f"feed check pass 1: {min(new):.2f} CPU-s; lookup over the union: {min(old):.2f}")
    print(f"ratio (pass 1 / lookup): {min(new) / min(old):.2f} (loaded machine)")


if __name__ == "__main__":
    main()
