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

    nice .venv/bin/python bench/bench_sinkhole_estimates.py [--runs 200]
        [--bots 5000,20000,50000,200000] [--held 20,50,200] [--seed-base 10000]
        [--skew-sd 600] [--nat-runs 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import beta, binom, norm

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
    return float(binom.cdf(x, n, p))


def clopper_pearson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for a share x / n (the coverage's own uncertainty)."""
    a = (1 - level) / 2
    lo = float(beta.ppf(a, x, n - x + 1)) if x > 0 else 0.0
    hi = float(beta.ppf(1 - a, x + 1, n - x)) if x < n else 1.0
    return lo, hi


def theory_rse(bots: int, held: int) -> dict[str, float]:
    """Relative standard errors the estimators cannot beat, at the truth:
    k-of-D sqrt((1-p)/(p N)) (n_k ~ Binomial(N, p_k)); Chapman, the two-sample
    capture-recapture variance N (1-p1)(1-p2)/(p1 p2) (Seber), p1, p2 the halves'
    p_k. A cell can meet "within 5 %" in 95 % of runs only if 1.96 rse <= 5 %."""
    p = p_k(held)
    p1, p2 = p_k((held + 1) // 2), p_k(held // 2)
    return {
        "k-of-D": math.sqrt((1 - p) / (p * bots)),
        "chapman": math.sqrt((1 - p1) * (1 - p2) / (p1 * p2 * bots)),
    }


def cell_seed(seed_base: int, bots: int, held: int, run: int) -> int:
    """Independent seeds per cell (the same run index in two cells shares nothing)."""
    text = f"{seed_base}/{bots}/{held}/{run}".encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


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
    rse = theory_rse(bots, held)
    for run in range(runs):
        seed = cell_seed(seed_base, bots, held, run)
        b = Botnet(bots=bots, held=held, day=DAY, seed=seed, skew_sd_s=skew_sd_s)
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
            "sd": statistics.stdev(e) if runs > 1 else 0.0,
            "rse": rse[method],
            "within5_theory": 2 * norm.cdf(0.05 / rse[method]) - 1,
            "max": max(abs(x) for x in e),
            "within5": sum(abs(x) <= 0.05 for x in e) / runs,
            "inside": inside[method],
            "coverage": inside[method] / runs,
            "coverage_ci": clopper_pearson(inside[method], runs),
            "p": _binom_sf(inside[method], runs, 0.95),
            "z_mean": statistics.fmean(zs[method]),
            "z_sd": statistics.stdev(zs[method]) if runs > 1 else 0.0,
        }
    return out


def half_cells(held: int) -> list[float]:
    """Exact probabilities that one machine is seen on both halves, a only, b only,
    neither (one draw of s names; the halves hold (k+1)//2 and k//2 of them)."""
    p00 = 1 - p_k(held)
    not_a, not_b = 1 - p_k((held + 1) // 2), 1 - p_k(held // 2)
    p10, p01 = not_b - p00, not_a - p00
    return [1 - p00 - p10 - p01, p10, p01, p00]


def model_cell(bots: int, held: int, runs: int, seed: int) -> dict[str, tuple[int, int]]:
    """The intervals alone, over many runs: the 2 x 2 capture table of N independent
    machines drawn as one multinomial per run with the exact cell probabilities (no
    addresses, clocks or resolvers; what the estimators assume). Covering runs, runs."""
    rng = np.random.default_rng(seed)
    theta = half_odds_ratio((held + 1) // 2, held // 2)
    inside = {"k-of-D": 0, "chapman": 0}
    for n11, n10, n01, _ in rng.multinomial(bots, half_cells(held), size=runs).tolist():
        n1, n2 = n11 + n10, n11 + n01
        lo, hi = k_of_d(n11 + n10 + n01, held)[1]
        inside["k-of-D"] += lo <= bots <= hi
        lo, hi = chapman(n1, n2, n11, theta)[1]
        inside["chapman"] += lo <= bots <= hi
    return {m: (x, runs) for m, x in inside.items()}


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
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--bots", type=_ints, default=[5_000, 20_000, 50_000, 200_000])
    ap.add_argument("--held", type=_ints, default=[20, 50, 200])
    ap.add_argument("--nat-runs", type=int, default=10)
    ap.add_argument("--seed-base", type=int, default=10_000, help="first seed of each cell")
    ap.add_argument("--skew-sd", type=float, default=600.0, help="bots' clock skew sd (s)")
    ap.add_argument("--nat-bots", type=int, default=20_000)
    ap.add_argument(
        "--model-runs",
        type=int,
        default=20_000,
        help="runs per cell of the intervals-only check (multinomial capture tables)",
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    print(
        "| N | K | runs | store | method | mean err | sd err | theory RSE | within 5 % "
        "(theory) | max err | cover 95 % [95 % CI] | z mean | z sd |\n"
        "|---:|---:|---:|:---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|",
        flush=True,
    )
    pooled = {"k-of-D": [0, 0], "chapman": [0, 0]}
    worst_cov = 1.0
    for bots in args.bots:
        for held in args.held:
            ok = store_check(Botnet(bots=bots, held=held, day=DAY, seed=10_000))
            r = cell(bots, held, args.runs, args.seed_base, args.skew_sd)
            for method in ("k-of-D", "chapman"):
                x = r[method]
                assert isinstance(x, dict)
                worst_cov = min(worst_cov, x["coverage"])
                pooled[method][0] += x["inside"]
                pooled[method][1] += args.runs
                lo, hi = x["coverage_ci"]
                print(
                    f"| {bots:,} | {held} | {args.runs} | {'same' if ok else 'DIFF'} | "
                    f"{method} | {x['mean']:+.2%} | {x['sd']:.2%} | {x['rse']:.2%} | "
                    f"{x['within5']:.0%} ({x['within5_theory']:.0%}) | {x['max']:.1%} | "
                    f"{x['coverage']:.1%} [{lo:.1%}, {hi:.1%}] | {x['z_mean']:+.2f} | "
                    f"{x['z_sd']:.2f} |",
                    flush=True,
                )
    for method, (inside, runs) in pooled.items():
        lo, hi = clopper_pearson(inside, runs)
        print(
            f"pooled {method}: {inside}/{runs} = {inside / runs:.2%} cover "
            f"[{lo:.2%}, {hi:.2%}]; p(so few | 95 %) = {_binom_sf(inside, runs, 0.95):.3f}"
        )
    print(
        "theory RSE: the relative standard error at the truth (k-of-D sqrt((1-p)/(pN)), "
        "Chapman sqrt((1-p1)(1-p2)/(p1 p2 N))); within 5 % (theory): 2 Phi(0.05/RSE) - 1, "
        "so a cell with RSE > 2.55 % cannot have 95 % of its runs within 5 %. Cover: share "
        "of runs whose 95 % interval holds N, with its Clopper-Pearson 95 % interval; "
        "z = (estimate - N) / standard error, mean 0 and sd 1 if right"
    )
    if args.model_runs:
        print(
            f"\nThe intervals alone ({args.model_runs:,} multinomial capture tables per cell, "
            "the estimators' own model): share of runs covered [Clopper-Pearson 95 %]"
        )
        print("| N | K | k-of-D cover | Chapman cover |\n|---:|---:|---:|---:|")
        for bots in args.bots:
            for held in args.held:
                got = model_cell(bots, held, args.model_runs, cell_seed(7, bots, held, 0))
                cols = []
                for method in ("k-of-D", "chapman"):
                    x, n = got[method]
                    lo, hi = clopper_pearson(x, n)
                    cols.append(f"{x / n:.2%} [{lo:.2%}, {hi:.2%}]")
                print(f"| {bots:,} | {held} | {cols[0]} | {cols[1]} |", flush=True)
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
