"""Estimates against the simulator's ground truth: bots reach the sinkhole's DNS through
shared caching resolvers, and its HTTP side from their own addresses."""

import dataclasses
import datetime as dt
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import chi2, hypergeom

from dgawatch.errors import InputError
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.names import write_held
from dgawatch.sinkhole.simulate import Botnet, Traffic, draw_exact, simulate, write_store
from dgawatch.sinkhole.stats import (
    SinkholeStats,
    chapman,
    end_host_max_names,
    half_odds_ratio,
    k_of_d,
    lincoln_petersen,
    p_k,
    profile_interval,
)
from dgawatch.sinkhole.store import write_events

DAY = dt.date(2026, 11, 27)
D0 = int(dt.datetime.combine(DAY, dt.time(), dt.UTC).timestamp() * 1000)


def truth_counts(t: Traffic) -> dict[str, int]:
    """The observables of day DAY computed from the simulator's arrays (not by stats)."""
    day = (t.ts >= D0) & (t.ts < D0 + 86_400_000)
    src, half = t.src[day], t.half[day]
    a, b = set(src[half == 0].tolist()), set(src[half == 1].tolist())
    return {"n_k": len(set(src.tolist())), "n1": len(a), "n2": len(b), "m": len(a & b)}


def test_p_k_and_resolver_threshold() -> None:
    assert p_k(1) == pytest.approx(500 / 50_000)
    assert p_k(0) == 0.0 and p_k(49_600) == 1.0
    exact = 1 - math.comb(50_000 - 7, 500) / math.comb(50_000, 500)
    assert p_k(7) == pytest.approx(exact, rel=1e-12)
    n, (lo, hi) = k_of_d(100, 1)
    assert n == pytest.approx(10_000) and lo < n < hi
    assert chapman(100, 100, 100)[0] == pytest.approx(100)
    for k in (20, 60, 200):
        # smallest q with P(X > q) < 1e-3, X ~ hypergeometric(D=50,000, K=k, s=500)
        q = next(q for q in range(k + 1) if hypergeom.sf(q, 50_000, k, 500) < 1e-3)
        assert end_host_max_names(k) == q


def test_half_dependence_by_enumeration() -> None:
    """The two halves' odds ratio, checked by listing every draw of 5 of 20 names (halves
    of 3 and 4 names): and with it Lincoln-Petersen returns N from the expected table."""
    cells = {(a, b): 0 for a in (0, 1) for b in (0, 1)}
    for draw in itertools.combinations(range(20), 5):
        cells[(any(x < 3 for x in draw), any(3 <= x < 7 for x in draw))] += 1
    total = math.comb(20, 5)
    p = {key: v / total for key, v in cells.items()}
    theta = p[(1, 1)] * p[(0, 0)] / (p[(1, 0)] * p[(0, 1)])
    assert half_odds_ratio(3, 4, d=20, s=5) == pytest.approx(theta, rel=1e-12)
    assert theta < 1  # without replacement: seen on both is rarer than independence says
    n = 1e6
    n1, n2, m = n * (p[(1, 1)] + p[(1, 0)]), n * (p[(1, 1)] + p[(0, 1)]), n * p[(1, 1)]
    assert lincoln_petersen(n1, n2, m, theta) == pytest.approx(n, rel=1e-9)  # type: ignore[arg-type]
    assert lincoln_petersen(n1, n2, m) > n * 1.01  # type: ignore[arg-type,operator]


def _grid_profile(n1: int, n2: int, m: int) -> tuple[int, int]:
    """The integers N whose likelihood ratio to the best integer N is within chi2(1)'s
    0.95 quantile, found by scanning (scipy's log-gamma, not the code under test)."""
    r = n1 + n2 - m
    grid = np.arange(r, 40 * n1 * n2 // m + 100, dtype=np.float64)
    ll = gammaln(grid + 1) - gammaln(grid - r + 1)
    for c in (n1, n2):
        ll += c * np.log(c / grid) + (grid - c) * np.log1p(-c / grid)
    keep = grid[2 * (ll.max() - ll) <= chi2.ppf(0.95, 1)]
    return int(keep.min()), int(keep.max())


@pytest.mark.parametrize("table", [(514, 441, 42), (913, 800, 300), (50, 40, 1), (30, 30, 29)])
def test_chapman_profile_interval_by_grid(table: tuple[int, int, int]) -> None:
    lo, hi = _grid_profile(*table)
    got = profile_interval(*table)
    assert got is not None
    assert lo - 1 <= got[0] <= lo + 1 and hi - 1 <= got[1] <= hi + 1
    n, (clo, chi) = chapman(*table)
    assert clo <= n <= chi
    theta = 0.99  # the halves' dependence scales the unseen part, bounds included
    r = table[0] + table[1] - table[2]
    assert chapman(*table, theta)[1][1] == pytest.approx(r + theta * (got[1] - r))
    assert profile_interval(40, 30, 0) is None and chapman(40, 30, 0)[1][1] > 1_000


def test_chapman_interval_covers_in_its_own_model() -> None:
    """With few recaptures (5,000 machines, k = 20: m ~ 45) the interval still holds N in
    95 % of 3,000 seeded capture tables (the log-normal interval gave 94.5-94.7 % over
    2 x 20,000 in bench_sinkhole_estimates.py; the binomial error of 3,000 runs is 0.4 %)."""
    bots, held = 5_000, 20
    p00 = 1 - p_k(held)
    not_a, not_b = 1 - p_k(10), 1 - p_k(10)
    cells = [1 - p00 - (not_b - p00) - (not_a - p00), not_b - p00, not_a - p00, p00]
    rng = np.random.default_rng(20261205)
    theta = half_odds_ratio(10, 10)
    inside = 0
    for n11, n10, n01, _ in rng.multinomial(bots, cells, size=3_000).tolist():
        lo, hi = chapman(n11 + n10, n11 + n01, n11, theta)[1]
        inside += lo <= bots <= hi
    assert 0.94 <= inside / 3_000 <= 0.96


def test_simulator_draws_as_the_literal_process() -> None:
    """The hypergeometric shortcut has the law of drawing 500 of the 50,000 positions."""
    b = Botnet(bots=3000, held=40, day=DAY, skew_sd_s=0, seed=5)
    exact = draw_exact(b, np.random.default_rng(11))
    t = simulate(b)
    mine = np.bincount(t.bot[t.offset == 0], minlength=b.bots)
    theirs = np.array([len(x) for x in exact])
    mean = 40 * 500 / 50_000
    assert abs(mine.mean() - mean) < 0.05 and abs(theirs.mean() - mean) < 0.05
    assert abs((mine > 0).mean() - p_k(40)) < 0.03
    assert abs((theirs > 0).mean() - p_k(40)) < 0.03
    # the held names are the registry's day list, first 40 distinct
    from dgawatch.families import get_family

    names = get_family("conficker").variant("c").domains(DAY)
    assert b.names[0] == list(dict.fromkeys(n.lower() for n in names))[:40]


def test_store_estimates_through_resolvers(tmp_path: Path) -> None:
    """DNS reaches the sinkhole only from 4 resolvers; HTTP is attributed by the address
    plan, and every count equals the simulator's."""
    b = Botnet(bots=20_000, held=100, day=DAY, resolvers=4, seed=21)
    t = simulate(b)
    write_store(t, tmp_path)
    truth = truth_counts(t)
    with SinkholeStats(tmp_path) as st:
        est = {e.method: e for e in st.estimates([DAY])}
        dns = st.dns_sources([DAY])
        fam = st.by_family([DAY])
    assert est["k-of-D"].inputs["n_k"] == truth["n_k"]
    assert {x: est["chapman"].inputs[x] for x in ("n1", "n2", "m")} == {
        x: truth[x] for x in ("n1", "n2", "m")
    }
    for method in ("k-of-D", "chapman"):
        e = est[method]
        assert e.protocol == "http" and "machines" in e.unit
        # about 4 standard errors; interval coverage is tested over seeded runs below
        assert abs(e.value - b.bots) / b.bots < 0.05, (method, e.value)
        assert e.ci95 is not None and e.ci95[0] < e.value < e.ci95[1]
    assert [(r["resolvers"], r["end_hosts"]) for r in dns] == [(4, 0)]
    assert "not a population" in str(dns[0]["unit"])
    assert all(e.protocol == "http" for e in est.values())  # DNS never a population
    http_rows = [r for r in fam if r["attribution"] == "plan"]
    assert [r["addresses"] for r in http_rows] == [truth["n_k"]]


def _coverage(bots: int, held: int, runs: int) -> tuple[float, float, float]:
    inside_k = inside_c = 0
    worst = 0.0
    for seed in range(runs):
        t = simulate(Botnet(bots=bots, held=held, day=DAY, seed=1000 + seed))
        c = truth_counts(t)
        n, (lo, hi) = k_of_d(c["n_k"], held)
        inside_k += lo <= bots <= hi
        theta = half_odds_ratio((held + 1) // 2, held // 2)
        nc, (clo, chi) = chapman(c["n1"], c["n2"], c["m"], theta)
        inside_c += clo <= bots <= chi
        worst = max(worst, abs(n - bots) / bots, abs(nc - bots) / bots)
    return inside_k / runs, inside_c / runs, worst


@pytest.mark.parametrize(("bots", "held"), [(5_000, 200), (8_000, 60)])
def test_interval_coverage_over_seeded_runs(bots: int, held: int) -> None:
    """The 95 % intervals hold the truth in at least 90 % of 40 seeded runs (the bench
    measures 40+ runs per cell up to 200,000 bots)."""
    cov_k, cov_c, worst = _coverage(bots, held, 40)
    assert cov_k >= 0.9 and cov_c >= 0.9, (cov_k, cov_c)
    assert worst < 0.15  # single runs of a small botnet; the bench's cells hold 5 %


def test_resolvers_and_end_hosts_classified(tmp_path: Path) -> None:
    b = Botnet(bots=5_000, held=60, day=DAY, resolvers=3, seed=4)
    write_store(simulate(b), tmp_path)
    names = b.names[0]
    direct = []
    for i in range(7):  # machines asking the sinkhole themselves: 1-2 held names each
        for j in range(1 + i % 2):
            direct.append(
                SinkholeEvent(
                    ts=D0 + 3_600_000 + i * 1000 + j,
                    proto="dns/udp",
                    src_ip=f"203.0.113.{i + 1}",
                    src_port=5000,
                    dst_ip="192.0.2.53",
                    dst_port=53,
                    domain=names[i * 2 + j],
                    family="conficker",
                    variant="c",
                    day=DAY.isoformat(),
                    qname=names[i * 2 + j],
                    qtype="A",
                )
            )
    write_events(direct, tmp_path)
    with SinkholeStats(tmp_path) as st:
        rows = st.dns_sources([DAY])
    assert [(r["resolvers"], r["end_hosts"]) for r in rows] == [(3, 7)]


def _http(ts: int, src: str, dst: str, host: str | None = None) -> SinkholeEvent:
    return SinkholeEvent(
        ts=ts,
        proto="http",
        src_ip=src,
        src_port=40000,
        dst_ip=dst,
        dst_port=80,
        request_line="GET /search?q=5 HTTP/1.0",
        method="GET",
        path="/search?q=5",
        host=host or dst,
        conficker_ab=True,
    )


def test_single_variant_no_url_shape_guess(tmp_path: Path) -> None:
    """Without a plan, HTTP is attributed only when one variant is held that day; the
    /search?q= shape no longer makes a request Conficker A/B."""
    day2 = DAY + dt.timedelta(days=1)
    events = [_http(D0 + 60_000 * i, f"198.51.100.{i + 1}", "192.0.2.1") for i in range(5)]
    events += [
        _http(D0 + 86_400_000 + 60_000 * i, f"198.51.100.{i + 1}", "192.0.2.1") for i in range(3)
    ]
    write_events(events, tmp_path)
    write_held(tmp_path, DAY.isoformat(), {"conficker/c": 60}, 60)
    write_held(tmp_path, day2.isoformat(), {"conficker/c": 60, "conficker/b": 250}, None)
    with SinkholeStats(tmp_path) as st:
        fam = {(r["day"], r["family"], r["attribution"]): r["addresses"] for r in st.by_family()}
        est = st.estimates()
    assert fam == {
        (DAY.isoformat(), "conficker", "single-variant"): 5,
        (day2.isoformat(), "(unattributed)", "none"): 3,
    }
    assert [(e.method, e.inputs["n_k"]) for e in est] == [("k-of-D", 5)]


def test_edge_of_day_and_host_fallback(tmp_path: Path) -> None:
    """A request within the skew window of midnight counts on its UTC day and as edge;
    behind NAT the sinkhole sees its own address, and the plan's address is in Host:."""
    b = Botnet(bots=10, held=10, day=DAY)
    from dgawatch.sinkhole.plan import write_plan

    write_plan(tmp_path, b.address_plan(), since_ms=0)
    write_held(tmp_path, DAY.isoformat(), {"conficker/c": 10}, 10)
    events = [
        _http(D0 + 60_000, "198.51.100.1", "10.0.0.5", "192.0.2.1:80"),  # edge, half a
        _http(D0 + 43_200_000, "198.51.100.2", "10.0.0.5", "192.0.2.2"),  # half b
        _http(D0 + 43_200_000, "198.51.100.3", "192.0.2.1"),  # half a
        _http(D0 + 43_200_000, "198.51.100.3", "10.0.0.5", "example.com"),  # not planned
    ]
    write_events(events, tmp_path)
    with SinkholeStats(tmp_path, skew=dt.timedelta(minutes=5)) as st:
        est = {e.method: e for e in st.estimates()}
    assert est["k-of-D"].inputs["n_k"] == 3 and est["k-of-D"].inputs["edge"] == 1
    assert {x: est["chapman"].inputs[x] for x in ("n1", "n2", "m")} == {"n1": 2, "n2": 1, "m": 0}
    with SinkholeStats(tmp_path, skew=dt.timedelta(0)) as st:
        assert st.estimates()[0].inputs["edge"] == 0
    with pytest.raises(InputError):
        SinkholeStats(tmp_path, skew=dt.timedelta(hours=13))


def test_nat_and_churn_observed_and_bracketed(tmp_path: Path) -> None:
    b = Botnet(
        bots=30_000,
        held=100,
        day=DAY,
        nat_fraction=0.05,
        nat_group=(2, 4),
        churn_fraction=0.2,
        churn_addresses=(2, 3),
        seed=8,
    )
    t = simulate(b)
    write_store(t, tmp_path, dns=False)
    day = (t.ts >= D0) & (t.ts < D0 + 86_400_000)
    src, agent = t.src[day], t.agent[day]
    with SinkholeStats(tmp_path) as st:
        (obs,) = st.observed([DAY])
    assert obs["addresses"] == len(set(src.tolist()))
    assert obs["networks_24"] == len(set((src >> 8).tolist()))
    assert obs["address_agent_pairs"] == len(set(zip(src.tolist(), agent.tolist(), strict=True)))
    assert obs["network_agent_pairs"] == len(
        set(zip((src >> 8).tolist(), agent.tolist(), strict=True))
    )
    assert obs["requests"] == int(day.sum())
    assert obs["addresses"] != t.truth["bots_seen"]  # churn and NAT both at work
    rng = obs["churn_adjusted_range"]
    assert isinstance(rng, list) and rng[0] < b.bots < rng[1]


def test_selftest_probes_are_not_counted(tmp_path: Path) -> None:
    """The portal's resolver self-test fetches ``/dgawatch-selftest/<nonce>`` from the
    sinkhole: a visitor checking a resolver, not a bot; no statistic counts it."""
    bots = [_http(D0 + 60_000 * i, f"198.51.100.{i + 1}", "192.0.2.1") for i in range(4)]
    probe = _http(D0 + 999, "203.0.113.77", "192.0.2.1")
    probe = dataclasses.replace(probe, path="/dgawatch-selftest/3f9a", request_line="GET /x")
    write_events([*bots, probe], tmp_path)
    with SinkholeStats(tmp_path) as st:
        (row,) = st.by_time("day")
    assert row["addresses"] == 4 and row["events"] == 4
