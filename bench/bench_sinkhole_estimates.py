"""How well the sinkhole counts a Conficker C botnet it sees only through resolvers.

For each (bots N, held names K) cell, ``--runs`` seeded botnets from
:mod:`dgawatch.sinkhole.simulate` (bots' DNS through shared caching resolvers, HTTP from
their own addresses to the plan's half-addresses, clocks skewed around midnight). Each run's
HTTP observables (distinct sources, on half a, half b, both) give the k-of-D and Chapman
estimates of :mod:`dgawatch.sinkhole.stats`; the table gives, per method, the mean error,
the largest error, the share of runs within 5 % of N and the share whose 95 % interval holds
N. The first run of every cell also goes through the real path (``write_store`` as Parquet,
then ``SinkholeStats`` over it) and must give the same inputs (column ``store``).

The second table: NAT and DHCP churn. Observed distinct addresses, /24s and
(address, User-Agent) pairs per day relative to N, and whether the churn-adjusted range
(stats.observed) brackets N.

    nice .venv/bin/python bench/bench_sinkhole_estimates.py [--runs 40] [--bots 5000,50000,200000]
        [--seed-base 10000] [--skew-sd 600]
        [--held 20,200] [--nat-runs 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dgawatch.sinkhole.simulate import Botnet, observe, simulate, write_store
from dgawatch.sinkhole.stats import (
    SinkholeStats,
    chapman,
    half_odds_ratio,
    k_of_d,
    p_k,
    requests_estimate,
)

DAY = dt.date(2026, 11, 27)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def store_check(b: Botnet) -> bool:
    """The real path (Parquet store, SinkholeStats) gives the arrays' observables."""
    t = simulate(b)
    obs = observe(t)
    with tempfile.TemporaryDirectory() as tmp:
        write_store(t, Path(tmp), dns=False)
        with SinkholeStats(Path(tmp)) as st:
            est = {e.method: e for e in st.estimates([DAY])}
            (o,) = st.observed([DAY])
    same = est["k-of-D"].inputs["n_k"] == obs["n_k"]
    same &= all(est["chapman"].inputs[x] == obs[x] for x in ("n1", "n2", "m"))
    keys = ("networks_24", "address_agent_pairs", "network_agent_pairs", "requests")
    return same and all(o[x] == obs[x] for x in keys)


def _binom_sf(x: int, n: int, p: float) -> float:
    """P(X <= x), X ~ Binomial(n, p): how unlikely so few covering runs are for a true
    95 % interval."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(x + 1))


def cell(
    bots: int, held: int, runs: int, seed_base: int = 10_000, skew_sd_s: float = 600.0
) -> dict[str, object]:
    """Per method: errors, coverage, and z = (estimate - N) / its standard error at the
    truth (k-of-D: sqrt(N (1-p)/p); Chapman: Seber's). A right interval has z ~ N(0, 1):
    mean z says bias, sd z says a variance the interval leaves out."""
    errs: dict[str, list[float]] = {"k-of-D": [], "chapman": []}
    zs: dict[str, list[float]] = {"k-of-D": [], "chapman": []}
    inside = {"k-of-D": 0, "chapman": 0}
    theta = half_odds_ratio((held + 1) // 2, held // 2)
    p = p_k(held)
    for seed in range(runs):
        b = Botnet(bots=bots, held=held, day=DAY, seed=seed_base + seed, skew_sd_s=skew_sd_s)
        o = observe(simulate(b))
        n1, n2, m = o["n1"], o["n2"], o["m"]
        var_c = theta**2 * (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
        for method, (n, (lo, hi)), se in (
            ("k-of-D", k_of_d(o["n_k"], held), math.sqrt(bots * (1 - p) / p)),
            ("chapman", chapman(n1, n2, m, theta), math.sqrt(max(var_c, 1e-9))),
        ):
            errs[method].append((n - bots) / bots)
            zs[method].append((n - bots) / se)
            inside[method] += lo <= bots <= hi
    out: dict[str, object] = {"bots": bots, "held": held, "runs": runs}
    for method, e in errs.items():
        out[method] = {
            "mean": statistics.fmean(e),
            "max": max(abs(x) for x in e),
            "within5": sum(abs(x) <= 0.05 for x in e) / runs,
            "coverage": inside[method] / runs,
            "p": _binom_sf(inside[method], runs, 0.95),
            "z_mean": statistics.fmean(zs[method]),
            "z_sd": statistics.stdev(zs[method]) if runs > 1 else 0.0,
        }
    return out


NAT_SETTINGS = [
    ("none", {}),
    ("NAT 10% in 2-8", {"nat_fraction": 0.10, "nat_group": (2, 8)}),
    ("churn 20% x2-4", {"churn_fraction": 0.20, "churn_addresses": (2, 4)}),
    ("NAT 5% + churn 20%", {"nat_fraction": 0.05, "nat_group": (2, 4), "churn_fraction": 0.20}),
    ("NAT 30% in 2-8", {"nat_fraction": 0.30, "nat_group": (2, 8)}),
    ("churn 50% x2-4", {"churn_fraction": 0.50, "churn_addresses": (2, 4)}),
]


def nat_rows(bots: int, held: int, runs: int) -> list[dict[str, object]]:
    rows = []
    for label, kw in NAT_SETTINGS:
        ratios: dict[str, list[float]] = {
            "addr": [],
            "nets": [],
            "pairs": [],
            "req": [],
            "lo": [],
            "hi": [],
        }
        bracket = 0
        for seed in range(runs):
            b = Botnet(bots=bots, held=held, day=DAY, seed=20_000 + seed, **kw)  # type: ignore[arg-type]
            o = observe(simulate(b))
            lo = k_of_d(o["network_agent_pairs"], held)[1][0]
            hi = max(
                k_of_d(o["address_agent_pairs"], held)[1][1],
                requests_estimate(o["requests"], held)[1][1],
            )
            ratios["req"].append(requests_estimate(o["requests"], held)[0] / bots)
            ratios["addr"].append(k_of_d(o["n_k"], held)[0] / bots)
            ratios["nets"].append(o["networks_24"] / o["n_k"])
            ratios["pairs"].append(o["address_agent_pairs"] / o["n_k"])
            ratios["lo"].append(lo / bots)
            ratios["hi"].append(hi / bots)
            bracket += lo <= bots <= hi
        row: dict[str, object] = {"setting": label, "bots": bots, "held": held, "runs": runs}
        row |= {k: statistics.fmean(v) for k, v in ratios.items()}
        row["bracket"] = bracket / runs
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--bots", type=_ints, default=[5_000, 50_000, 200_000])
    ap.add_argument("--held", type=_ints, default=[20, 200])
    ap.add_argument("--nat-runs", type=int, default=10)
    ap.add_argument("--seed-base", type=int, default=10_000, help="first seed of each cell")
    ap.add_argument("--skew-sd", type=float, default=600.0, help="bots' clock skew sd (s)")
    ap.add_argument("--nat-bots", type=int, default=20_000)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    print(
        f"{'N':>8} {'K':>4} {'runs':>4} {'store':>5} | "
        f"{'k-of-D mean':>11} {'max':>6} {'<=5%':>5} {'cover':>6} {'p':>5} {'z mean':>6} "
        f"{'z sd':>5} | {'Chapman mean':>12} {'max':>6} {'<=5%':>5} {'cover':>6} {'p':>5} "
        f"{'z mean':>6} {'z sd':>5}"
    )
    worst_cov = 1.0
    for bots in args.bots:
        for held in args.held:
            ok = store_check(Botnet(bots=bots, held=held, day=DAY, seed=10_000))
            r = cell(bots, held, args.runs, args.seed_base, args.skew_sd)
            k, c = r["k-of-D"], r["chapman"]
            assert isinstance(k, dict) and isinstance(c, dict)
            worst_cov = min(worst_cov, k["coverage"], c["coverage"])
            print(
                f"{bots:>8,} {held:>4} {args.runs:>4} {'same' if ok else 'DIFF':>5} | "
                + " | ".join(
                    f"{x['mean']:>+{w}.2%} {x['max']:>6.1%} {x['within5']:>5.0%} "
                    f"{x['coverage']:>6.1%} {x['p']:>5.2f} {x['z_mean']:>+6.2f} "
                    f"{x['z_sd']:>5.2f}"
                    for x, w in ((k, 11), (c, 12))
                ),
                flush=True,
            )
    print(
        "p: probability of so few covering runs if the interval were a true 95 % one "
        "(binomial); z = (estimate - N) / standard error, mean 0 and sd 1 if right"
    )
    print()
    print(
        f"{'setting':<20} {'N':>7} {'K':>4} {'runs':>4} | {'addr k-of-D/N':>13} "
        f"{'/24s/addr':>9} {'(a,UA)/addr':>11} {'req/N':>6} | {'range lo/N':>10} {'hi/N':>6} "
        f"{'brackets':>8}"
    )
    for held in args.held if args.nat_runs else []:
        for row in nat_rows(args.nat_bots, held, args.nat_runs):
            print(
                f"{row['setting']:<20} {row['bots']:>7,} {row['held']:>4} {row['runs']:>4} | "
                f"{row['addr']:>13.3f} {row['nets']:>9.3f} {row['pairs']:>11.3f} "
                f"{row['req']:>6.3f} | "
                f"{row['lo']:>10.3f} {row['hi']:>6.3f} {row['bracket']:>8.0%}",
                flush=True,
            )
    print(
        f"\n{time.perf_counter() - t0:.0f} s (loaded shared machine); worst coverage "
        f"{worst_cov:.0%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
