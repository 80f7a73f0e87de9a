"""Reverse lookup of 1 M domains against a materialised one-year Conficker C store.

Target (issue 2): at least 1 M domains per second through the store. The baseline
measured in the same run is the store-less path (regenerate the year, match in Python).
Queries arrive as an Arrow string array (as from ``--file`` or a log reader). Query mix:
30 % forecast names (a third of them as ``www.`` subdomains), 70 % names matching nothing.

    .venv/bin/python bench/bench_lookup.py [--queries 1000000] [--store PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from dgawatch.days import day_range
from dgawatch.families import get_family
from dgawatch.lookup import lookup
from dgawatch.store import ForecastStore


def make_queries(store: ForecastStore, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    hits = [
        r[0]
        for r in store.con.execute(
            f"SELECT domain FROM forecast USING SAMPLE {int(n * 0.3)} ROWS (reservoir, {seed})"
        ).fetchall()
    ]
    queries = [("www." + h if i % 3 == 0 else h) for i, h in enumerate(hits)]
    letters = "abcdefghijklmnopqrstuvwxyz0123456789-"
    tlds = ["com", "net", "org", "de", "co.uk", "com.br", "io"]
    while len(queries) < n:
        label = "".join(rng.choice(letters[:36]) for _ in range(rng.randint(3, 15)))
        queries.append(f"{label}.{rng.choice(tlds)}")
    rng.shuffle(queries)
    return queries


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--queries", type=int, default=1_000_000)
    ap.add_argument("--year", type=int, default=2020)
    ap.add_argument("--store", type=Path, help="reuse a store holding that year of C")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    c = get_family("conficker").variant("c")
    days = day_range(dt.date(args.year, 1, 1), 366 if args.year % 4 == 0 else 365)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or Path(tmp) / "forecast.duckdb"
        t0 = time.perf_counter()
        with ForecastStore(path) as store:
            store.build([c], days)
        print(f"store build (one year of C)  {time.perf_counter() - t0:8.2f} s")
        with ForecastStore(path, read_only=True) as store:
            queries = pa.array(make_queries(store, args.queries), pa.string())
            best = float("inf")
            found = 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                result = lookup(queries, [c], days=days, store=store)
                best = min(best, time.perf_counter() - t0)
                found = len(result.hits)
        t0 = time.perf_counter()
        baseline = lookup(queries, [c], days=days)
        t_gen = time.perf_counter() - t0
        same = {q: sorted(h) for q, h in baseline.hits.items()} == {
            q: sorted(h) for q, h in result.hits.items()
        }
    rate = args.queries / best
    print(f"queries                      {args.queries:,} ({found:,} matched)")
    print(f"lookup via store             {best:8.2f} s  ({rate / 1e6:.2f} M domains/s)")
    print(f"baseline: regenerate + match {t_gen:8.2f} s  ({args.queries / t_gen / 1e6:.2f} M/s)")
    print(f"ratio store / baseline time  {best / t_gen:8.3f}")
    print(f"rate / target (1 M/s)        {rate / 1e6:8.2f}  (target >= 1.0)")
    print(f"same hits both ways          {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
