"""The unknown-DGA analysis' short way out (issue 19): a log where no client asked for
``min_names`` open sites cannot flag anyone, so the analysis stops after step 1, before
step 2's SQL, the classifier and the word model (most logs: the 1 M-line bench's, with
one dead CDN site per client). Expected values are counted by hand or come from the
simulator's ground truth and DuckDB's SQL, not from the code under test."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from dgawatch.hunt import HuntOptions, hunt_paths
from dgawatch.hunt.unknown import (
    CLIENT_SCHEMA,
    PAIR_SCHEMA,
    RESOLVED_SCHEMA,
    UnknownCollector,
    UnknownParams,
    analyse,
    explain_arrow,
    explained_names,
    most_open_sites,
    most_open_sites_any,
    reduce_events,
    unresolved_names,
)
from tests.hunt.netsim import simulate

T0 = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)


class ModelAsked(Exception):
    """Raised by a stand-in classifier loader: the analysis went past step 1."""


def _no_model() -> None:
    raise ModelAsked


def _relations(rows: list[tuple[str, str, int]], resolved: list[str] = ()) -> tuple:  # type: ignore[type-arg]
    """(pairs, clients, resolved) of (client, name, NXDOMAIN answers) rows, one query each."""
    pairs = pa.table(
        {
            "client": [c for c, _, _ in rows],
            "qname": [q for _, q, _ in rows],
            "queries": [1] * len(rows),
            "nx": [nx for _, _, nx in rows],
            "first_seen": [T0] * len(rows),
            "last_seen": [T0] * len(rows),
        },
        schema=PAIR_SCHEMA,
    )
    per = sorted({c for c, _, _ in rows})
    clients = pa.table({"client": per, "queries": [200] * len(per)}, schema=CLIENT_SCHEMA)
    return pairs, clients, pa.table({"qname": list(resolved)}, schema=RESOLVED_SCHEMA)


def _names(pairs: pa.Table, resolved: pa.Table) -> pa.Table:
    q = unresolved_names(pairs, resolved)
    sites, reasons = explain_arrow(q.column("qname"))
    return q.append_column("site", sites).append_column("reason", reasons)


def test_most_open_sites_counts_each_client_s_distinct_unexplained_sites() -> None:
    rows = [
        # a: 3 open sites (two names under one), and names step 1 explains away
        ("a", "x1.qwkzrtp.com", 1),
        ("a", "x2.qwkzrtp.com", 1),
        ("a", "vbnmzx.co.uk", 1),
        ("a", "lkjhgf.net", 1),
        ("a", "wpad", 1),  # single label
        ("a", "printer.local", 1),  # not a public TLD
        ("a", "_ldap._tcp.corp.example.com", 1),  # service
        ("a", "4.3.2.1.in-addr.arpa", 1),  # reverse DNS
        ("a", "resolved.org", 1),  # some client resolved it
        ("a", "noanswer.net", 0),  # no NXDOMAIN: not open evidence (answers exist)
        # b: 2 open sites
        ("b", "qwkzrtp.com", 1),
        ("b", "zzqqxx.info", 1),
    ]
    pairs, _, resolved = _relations(rows, resolved=["resolved.org"])
    names = _names(pairs, resolved)
    assert most_open_sites(pairs, names, query_only=False) == 3
    # Without answers every unexplained name counts (noanswer.net too).
    assert most_open_sites(pairs, names, query_only=True) == 4
    empty = pairs.slice(0, 0)
    assert most_open_sites(empty, _names(empty, resolved), query_only=False) == 0


def test_unresolved_names_are_the_sql_anti_join() -> None:
    rows = [("a", "b.example.com", 1), ("b", "b.example.com", 0), ("a", "c.example.com", 1)]
    pairs, _, resolved = _relations(rows, resolved=["c.example.com", "d.example.com"])
    con = duckdb.connect()
    con.register("p", pairs)
    con.register("r", resolved)
    want = sorted(
        r[0] for r in con.sql("SELECT DISTINCT p.qname FROM p ANTI JOIN r USING (qname)").fetchall()
    )
    assert unresolved_names(pairs, resolved).column("qname").to_pylist() == want
    assert want == ["b.example.com"]


def _run(sql: str, **tables: pa.Table) -> pa.Table:
    return UnknownCollector()._sql(sql, **tables)


def test_no_client_with_min_names_open_sites_stops_before_the_classifier() -> None:
    """40 clients with 4 dead random-looking sites each (answers in the log): at
    min_names 5 nobody can be flagged and the classifier is never asked for (it would be
    without the short way: these sites are suspect); at min_names 4 it is."""
    rows = [
        (f"10.0.0.{c}", f"{'qzxw'[i]}{c:02d}kvbrtplm.com", 1) for c in range(40) for i in range(4)
    ]
    rows += [(f"10.0.0.{c}", "www.example.com", 0) for c in range(40)]
    pairs, clients, resolved = _relations(rows, resolved=["www.example.com"])
    assert analyse(pairs, clients, resolved, _no_model, UnknownParams(min_names=5), _run) == []
    with pytest.raises(ModelAsked):
        analyse(pairs, clients, resolved, _no_model, UnknownParams(min_names=4), _run)


def test_the_bound_holds_every_flagged_host_s_counted_sites(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """On a simulated day with infected hosts (ground truth), the most open sites of a
    client is at least every reported host's counted sites, and the findings are those of
    the day's infected hosts: the short way only skips logs that cannot flag anyone."""
    sim = simulate(tmp_path / "dns.log", 300, seed=4, infected=6)
    result = hunt_paths([sim.path], HuntOptions(unknown_dga=True))
    assert {c for f in result.unknown_dga for c in f.clients} == set(sim.infected)
    from dgawatch.readers import InputReport, read_events

    batches = list(read_events([sim.path], "auto", report=InputReport()))
    rel = reduce_events(pa.Table.from_batches(batches).select(["ts", "client", "qname", "rcode"]))
    names = _names(rel["pairs"], rel["resolved"])
    bound = most_open_sites(rel["pairs"], names, query_only=False)
    assert bound >= max(h.counted_sites for f in result.unknown_dga for h in f.hosts)
    # One above the bound: nobody can be flagged, with the short way or without it.
    params = UnknownParams(min_names=bound + 1)
    args = (rel["pairs"], rel["clients"], rel["resolved"])
    assert analyse(*args, _no_model, params, _run) == []
    monkeypatch.setattr("dgawatch.hunt.unknown.most_open_sites", lambda *_a, **_k: 1 << 30)
    collector = UnknownCollector()
    assert analyse(*args, collector._model, params, _run) == []
    assert collector.model is not None  # (the long way was taken)


def test_the_clients_counted_by_the_collector_are_the_hunt_s(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With the unknown-DGA stage on, the hunt's distinct clients come from the collector's
    per-client relation (not counted twice): the same number as the stage off counts, the
    simulator's clients."""
    sim = simulate(tmp_path / "dns.log", 120, seed=2, infected=2)
    on = hunt_paths([sim.path], HuntOptions(unknown_dga=True))
    off = hunt_paths([sim.path], HuntOptions(unknown_dga=False))
    assert on.clients == off.clients == len(sim.clients)


def test_the_bound_at_the_end_of_reading_holds_either_way_step_2_decides() -> None:
    """Before the matching ends neither the forecast-matched names nor (on a log without
    NOERROR) whether the log is query-only are known: the early bound counts names under a
    private suffix as open and every pair when nothing resolved, so it is at least the
    bound the analysis finds for any subset of the pairs."""
    rows = [("a", f"x{i}.ddns.net", 0) for i in range(3)]  # private suffix, no NXDOMAIN
    rows += [("a", "qwkzrtp.com", 1), ("a", "vbnmzx.org", 0)]
    pairs, _, resolved = _relations(rows)  # nothing resolved
    raw = explained_names(pairs, resolved)
    assert most_open_sites_any(pairs, raw, resolved) == 5
    # Query-only (no NXDOMAIN anywhere): private names explained, every pair counts: 1.
    only_nx0 = pairs.filter(pa.compute.equal(pairs.column("nx"), 0))
    names = _names(only_nx0, resolved)
    assert most_open_sites(only_nx0, names, query_only=True) == 1
    assert most_open_sites_any(only_nx0, explained_names(only_nx0, resolved), resolved) == 4
    # With answers elsewhere, only NXDOMAIN pairs count, private names open.
    pairs2, _, resolved2 = _relations(rows, resolved=["www.example.com"])
    assert most_open_sites_any(pairs2, explained_names(pairs2, resolved2), resolved2) == 1


def _collector_findings(batches, early: bool, matched=(), **params):  # type: ignore[no-untyped-def]
    collector = UnknownCollector(params=UnknownParams(**params))
    for b in batches:
        collector.add_events(b)
    if early:
        collector.events_done()
    collector.explained.update(matched)
    return collector, collector.findings()


def test_step_1_at_the_end_of_reading_gives_the_same_findings(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The collector given step 1 when the events end (``events_done``, the local engine's
    feeder) finds what it finds without: on a simulated day with infected hosts, with some
    of their names explained by a forecast afterwards; and at min_names above the early
    bound it stops without the classifier."""
    from dgawatch.readers import InputReport, read_events

    sim = simulate(tmp_path / "dns.log", 300, seed=5, infected=6)
    batches = list(read_events([sim.path], "auto", report=InputReport()))
    host = sorted(sim.infected)[0]
    matched = sorted(sim.dga_names[host])[:3]
    late_c, late = _collector_findings(batches, early=False, matched=matched)
    early_c, early = _collector_findings(batches, early=True, matched=matched)
    assert [f.to_dict() for f in early] == [f.to_dict() for f in late]
    assert {c for f in early for c in f.clients} == set(sim.infected)
    assert early_c.distinct_clients == late_c.distinct_clients == len(sim.clients)
    collector = UnknownCollector(params=UnknownParams(min_names=10_000))
    monkeypatch.setattr(collector, "_model", _no_model)
    for b in batches:
        collector.add_events(b)
    collector.events_done()
    assert collector._early is not None and collector._early[1] < 10_000
    assert collector.findings() == []


def test_a_log_answering_every_query_loads_no_public_suffix_list() -> None:
    """Nothing unanswered, nothing to explain: the collector stops before step 1's loads
    (the PSL's value sets, ~10 ms at every small hunt)."""
    from dgawatch.hunt import unknown

    batch = pa.RecordBatch.from_pydict(
        {"ts": [T0], "client": ["10.0.0.1"], "qname": ["example.com"], "rcode": ["NOERROR"]},
        schema=pa.schema(
            [
                ("ts", pa.timestamp("ms", tz="UTC")),
                ("client", pa.string()),
                ("qname", pa.string()),
                ("rcode", pa.string()),
            ]
        ),
    )
    unknown._psl_roles.cache_clear()
    collector = UnknownCollector()
    collector.add_events(batch)
    collector.events_done()
    assert collector.findings() == []
    assert collector.distinct_clients == 1
    assert unknown._psl_roles.cache_info().currsize == 0


def test_the_feeder_reduces_what_is_pending_while_it_waits() -> None:
    """``reduce_idle`` (the feeder, waiting for a batch) reduces the pending events once
    there are IDLE_REDUCE_ROWS of them, so less is left for the end; fewer wait."""
    from dgawatch.hunt.unknown import IDLE_REDUCE_ROWS

    n = IDLE_REDUCE_ROWS // 2
    batch = pa.RecordBatch.from_pydict(
        {
            "ts": [T0] * n,
            "client": [f"10.0.{i % 250}.{i % 7}" for i in range(n)],
            "qname": [f"n{i % 1000}.example.com" for i in range(n)],
            "rcode": ["NXDOMAIN"] * n,
        },
        schema=pa.schema(
            [
                ("ts", pa.timestamp("ms", tz="UTC")),
                ("client", pa.string()),
                ("qname", pa.string()),
                ("rcode", pa.string()),
            ]
        ),
    )
    collector = UnknownCollector()
    collector.add_events(batch)
    collector.reduce_idle()
    assert collector._pending_rows == n and not collector.parts["pairs"]
    collector.add_events(batch)
    collector.reduce_idle()
    assert collector._pending_rows == 0 and len(collector.parts["pairs"]) == 1
