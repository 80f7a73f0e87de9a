"""Unknown DGAs at host level, measured on a simulated office day (tests/hunt/netsim.py):
every infected client found, no clean client reported; and the pieces that make it so
(benign structure explained away, typos, word-list labels, the volume-scaled test)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from dgawatch.hunt import HuntOptions, hunt_paths
from dgawatch.hunt.unknown import (
    _TYPO_SQL,
    UnknownParams,
    _test,
    explain,
    word_split,
)
from tests.hunt.netsim import ORG, simulate


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """600 clients, 20 infected (two per family: clusters must join them)."""
    return simulate(tmp_path_factory.mktemp("netsim") / "dns.log", 600, seed=3, infected=20)


def test_simulated_day_every_infected_host_and_no_clean_one(day) -> None:  # type: ignore[no-untyped-def]
    result = hunt_paths([day.path], HuntOptions(unknown_dga=True))
    reported = {c for f in result.unknown_dga for c in f.clients}
    assert not reported - set(day.infected), "clean hosts reported"
    assert reported == set(day.infected)
    for f in result.unknown_dga:
        # One make per finding: its clients run one family (ground truth), and every
        # name it cites is one the simulator made those clients ask.
        assert len({day.infected[c] for c in f.clients}) == 1, f.summary
        asked = set().union(*(day.dga_names[c] for c in f.clients))
        assert set(f.samples[:5]) <= asked
        # Mostly its DGA's names: at most a tenth are the hosts' own stray typos.
        assert len(set(f.names) & asked) >= 0.9 * len(f.names) == 0.9 * f.distinct_names
        assert all(h.p_value <= 0.01 / len(day.clients) for h in f.hosts)
        assert f.nxdomain == f.queries  # the one resolving C2 name is not cited
        d = f.to_dict()
        assert d["explained"]["single-label"] > 0 and d["explained"]["resolved"] > 0
    # Hosts of one family share the day's build: one finding holds both.
    families = sorted(day.infected[f.clients[0]] for f in result.unknown_dga)
    assert families == sorted(set(day.infected.values()))


def test_a_host_running_two_dgas_gets_one_finding_per_dga(tmp_path: Path) -> None:
    """Five of ten infected hosts run a second family (ground truth: the simulator's builds):
    every (host, family) infection is reported in a finding of that family, and no finding
    mixes two families (before, a host's names were one unit: necurs + ramnit as one)."""
    sim = simulate(tmp_path / "dns.log", 300, seed=6, infected=10, dual=5)
    assert len(sim.second) == 5
    family_of = {n: style for style, names in sim.builds.items() for n in names}
    result = hunt_paths([sim.path], HuntOptions(unknown_dga=True))
    got = set()
    for f in result.unknown_dga:
        votes = Counter(family_of.get(n) for n in f.names)
        family, count = votes.most_common(1)[0]
        assert count >= 0.9 * len(f.names), (f.summary, votes)  # one DGA per finding
        assert all(family in sim.families(c) for c in f.clients), f.summary
        got.update((c, family) for c in f.clients)
    assert got == {(c, style) for c in sim.infected for style in sim.families(c)}


def test_a_heavy_host_hidden_in_dead_domain_noise_is_found_by_its_burst(tmp_path: Path) -> None:
    """Clean clients also ask for dead generated-looking domains (over-dispersed: some ask
    many), so a 15,000-query host's 51 DGA names are within what its volume allows (the
    count test misses it); its names asked within a minute are not. No clean host either."""
    sim = simulate(tmp_path / "dns.log", 400, seed=1, dead=0.002)
    result = hunt_paths([sim.path], HuntOptions(unknown_dga=True))
    assert {c for f in result.unknown_dga for c in f.clients} == set(sim.infected)
    heavy = sim.clients[1]
    assert sim.volumes[heavy] == 15_000 and heavy in sim.infected
    (h,) = [h for f in result.unknown_dga for h in f.hosts if h.client == heavy]
    cut = UnknownParams().alpha / len(sim.clients)
    assert h.p_value > cut >= h.burst_p_value  # found by the burst test alone
    assert h.burst_sites >= 40 and "first asked within 60 s" in h.line


def test_query_only_log(tmp_path: Path) -> None:
    """A log without answers (no rcode): the hosts of the random-label families are found
    (under public suffixes, and under ddns.net: a private suffix rare in this log), no
    clean host; word-list DGAs are not -- without NXDOMAIN evidence a real site's rare name
    of words looks the same (the README's limits)."""
    sim = simulate(tmp_path / "dns.log", 400, seed=9, answers=False)
    result = hunt_paths([sim.path], HuntOptions(unknown_dga=True))
    reported = {c for f in result.unknown_dga for c in f.clients}
    not_covered = {"words2", "words3"}  # (corebot, symmi: ddns.net is rare: their sites)
    assert reported == {c for c, style in sim.infected.items() if style not in not_covered}
    assert all("query-only log" in f.test for f in result.unknown_dga)


def test_hunt_cli_default_options_on_simulated_day(tmp_path: Path) -> None:
    """What a user runs (``dgawatch hunt LOG --json``, unknown-DGA stage on by default), a
    different seed and size; ``--no-unknown-dga`` turns it off."""
    from dgawatch.cli import app

    sim = simulate(tmp_path / "dns.log", 350, seed=8)
    res = CliRunner().invoke(app, ["hunt", str(sim.path), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[-1])["summary"]
    reported = {c for f in summary["unknown_dga"] for c in f["clients"]}
    assert reported == set(sim.infected)
    assert "unknown DGA:" in res.stderr
    off = CliRunner().invoke(app, ["hunt", str(sim.path), "--json", "--no-unknown-dga"])
    assert off.exit_code == 0, off.output
    assert "unknown_dga" not in json.loads(off.stdout.splitlines()[-1])["summary"]


def test_allowlist_file(tmp_path: Path) -> None:
    from dgawatch.cli import app

    sim = simulate(tmp_path / "dns.log", 120, seed=4, infected=10)
    hidden = {
        c for c, names in sim.dga_names.items() if all(n.endswith(".ddns.net") for n in names)
    }
    assert {sim.infected[c] for c in hidden} == {"corebot", "symmi"}
    allow = tmp_path / "allow.txt"
    allow.write_text("# our dynamic-DNS names\nddns.net\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["hunt", str(sim.path), "--json", "--allowlist", str(allow)])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[-1])["summary"]
    reported = {c for f in summary["unknown_dga"] for c in f["clients"]}
    assert reported == set(sim.infected) - hidden
    bad = tmp_path / "bad.txt"
    bad.write_text("ok.example\nbad..name\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "hunt", str(sim.path),
         "--allowlist", str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert f"{bad}:2" in proc.stderr and "Traceback" not in proc.stderr


def test_explain_known_structure() -> None:
    assert explain("wpad") == (None, "single-label")
    assert explain("4.3.2.1.in-addr.arpa") == (None, "reverse-dns")
    assert explain("_ldap._tcp.dc._msdcs." + ORG) == (None, "service")
    assert explain("lb._dns-sd._udp." + ORG) == (None, "service")
    assert explain("office-printer.local") == (None, "local")
    assert explain("nas.lan") == (None, "local")
    assert explain("co.uk") == (None, "public-suffix")
    # Private section: the name is its own site, explained only if it resolves (analyse).
    assert explain("a-b-1234.us-east-1.elb.amazonaws.com") == (
        "a-b-1234.us-east-1.elb.amazonaws.com",
        "psl-private?",
    )
    assert explain("x1y2.ddns.net") == ("x1y2.ddns.net", "psl-private?")
    assert explain("www.example.co.uk") == ("example.co.uk", None)
    assert explain("city.kawasaki.jp") == ("city.kawasaki.jp", None)  # a PSL exception rule
    assert explain("www.google.com." + ORG) == ("northwind-traders.com", None)
    allow = frozenset({"corp.example"})
    assert explain("a.b.corp.example.com", allow) == ("example.com", None)
    assert explain("vpn.corp.example", allow) == (None, "allowlist")


def test_icann_rules_cached_are_the_parsed_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publicsuffixlist import PublicSuffixList

    from dgawatch.hunt.unknown import _icann_rules

    psl = PublicSuffixList(only_icann=True)
    for cache in (str(tmp_path), "off"):
        monkeypatch.setenv("DGAWATCH_LIST_CACHE", cache)
        first, again = _icann_rules(), _icann_rules()  # parsed (and kept), then read back
        assert first == again == (frozenset(psl._publicsuffix), psl._maxlabel)
    assert len(list(tmp_path.glob("psl-icann-*.txt"))) == 1


def test_typos_of_resolved_sites() -> None:
    con = duckdb.connect()
    con.register("unk_resolved", pa.table({"site": ["google.com", "theguardian.co.uk"]}))
    suspects = ["gogle.com", "googgle.com", "goolge.com", "gpogle.com", "google.net",
                "theguardain.co.uk", "gooogle1.com", "qxzvbnmt.com"]  # fmt: skip
    con.register("unk_suspect", pa.table({"site": suspects}))
    got = {r[0] for r in con.sql(_TYPO_SQL).fetchall()}
    assert got == {"gogle.com", "googgle.com", "goolge.com", "gpogle.com", "theguardain.co.uk"}


def test_word_split() -> None:
    assert word_split("windowbreakfast") == ("window", "breakfast")
    assert word_split("quiet-whiteclose") == ("quiet", "white", "close")
    assert word_split("xjwqpzkrtvbn") is None
    assert word_split("gooogle") is None  # too short
    assert word_split("a1b2c3d4e5") is None


def _poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), summed directly (independent of the code's scipy)."""
    return 1.0 - sum(math.exp(-mu) * mu**i / math.factorial(i) for i in range(k))


def test_the_test_scales_with_volume() -> None:
    """Twelve odd names among 20,000 queries are background; among 150, an infection."""
    n = 1000
    q = np.full(n, 150.0)
    k = np.zeros(n)
    k[::50] = 1  # the network's background: one odd name on every 50th client
    q[0], k[0] = 20_000.0, 12.0
    q[1], k[1] = 150.0, 12.0
    params = UnknownParams()
    pvals, _, flagged, _ = _test(k, q, params)
    assert not flagged[0] and flagged[1]
    assert flagged.sum() == 1
    assert pvals[1] <= params.alpha / n < pvals[0]


def test_p_value_is_the_poisson_tail_without_over_dispersion() -> None:
    q = np.full(500, 150.0)
    k = np.zeros(500)
    k[7] = 6.0
    params = UnknownParams()
    pvals, mu, flagged, _ = _test(k, q, params)
    assert mu[7] == pytest.approx(params.floor_rate * 150)  # no background: the floor
    assert pvals[7] == pytest.approx(_poisson_sf(6, mu[7]), rel=1e-9)
    assert list(np.flatnonzero(flagged)) == [7]


def test_many_infected_hosts_do_not_mask_one_another() -> None:
    """5 % of the clients infected (30-60 odd names each, one of them at 15,000 queries),
    over a clean background with over-dispersed heavy clients: every infected client and
    no clean one is flagged."""
    rng = np.random.default_rng(5)
    n = 3000
    q = np.minimum(25 * (1 + rng.pareto(1.15, n)), 20_000).round()
    clean_rate = rng.gamma(2.0, 2e-4 / 2.0, n)  # odd names per query, mean 2e-4
    k = rng.poisson(clean_rate * q).astype(np.float64)
    infected = rng.choice(n, 150, replace=False)
    q[infected[0]] = 15_000.0
    k[infected] += rng.integers(30, 61, len(infected))
    _, _, flagged, _ = _test(k, q, UnknownParams())
    assert set(np.flatnonzero(flagged)) == set(infected.tolist())


def test_arrow_reduction_equals_the_shared_sql(day) -> None:  # type: ignore[no-untyped-def]
    """The local engine's Arrow reduction gives the rows of the SQL Spark runs."""
    from dgawatch.hunt.unknown import _SCHEMAS, CLIENTS_SQL, PAIRS_SQL, RESOLVED_SQL, reduce_events
    from dgawatch.readers import InputReport, read_events

    batches = list(read_events([day.path], "auto", report=InputReport()))
    src = pa.Table.from_batches(batches).select(["ts", "client", "qname", "rcode"])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("unk_src", src)
    sql = {"pairs": PAIRS_SQL, "clients": CLIENTS_SQL, "resolved": RESOLVED_SQL}
    for kind, got in reduce_events(src).items():
        want = con.sql(sql[kind]).to_arrow_table().cast(_SCHEMAS[kind])
        order = [(c, "ascending") for c in want.column_names]
        assert got.cast(_SCHEMAS[kind]).sort_by(order).equals(want.sort_by(order)), kind
        assert want.num_rows > 0


def test_warm_up_fills_every_one_time_load() -> None:
    """``warm_up`` (the hunt calls it on a thread while reading) leaves step 1 no one-time
    load (the PSL value set of both sections' rules and the TLDs); ``warm_up_scoring`` (a thread
    the analysis starts once some client could be flagged) leaves steps 2-3 none (the word
    model and the collector's classifier)."""
    from dgawatch.hunt import unknown

    unknown._psl_roles.cache_clear()
    unknown.warm_up()
    assert unknown._psl_roles.cache_info().currsize == 1
    collector = unknown.UnknownCollector()
    unknown.warm_up_scoring(collector._model)
    assert unknown._words.cache_info().currsize == 1
    assert collector.model is not None
