"""Query-only logs (no rcode) in the unknown-DGA analysis: step 2 done in one Arrow pass
(:func:`_query_only_open`) instead of two SQL joins and a bound pass, the typo check given
only the sites that can be one edit away, and the pairs left unsummed until only the
counted rows remain. Expected values come from the SQL the pass replaces (DuckDB), and
from the same analysis over summed pairs, and the simulator's ground truth."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dgawatch.hunt import unknown
from dgawatch.hunt.unknown import (
    _SITE_CLIENTS_SQL,
    _SUSPECT_SQL,
    _TYPO_SQL,
    PAIR_SCHEMA,
    UnknownCollector,
    _near_in_length,
    _query_only_open,
    _summed,
    explain_arrow,
    most_open_sites,
    unresolved_names,
)
from tests.hunt.netsim import simulate
from tests.hunt.test_unknown_fast_path import _collector_findings

T0 = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)


def _con(**tables: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, t in tables.items():
        con.register(name, t)
    return con


def _sql(query: str, **tables: pa.Table) -> list[tuple]:  # type: ignore[type-arg]
    return sorted(_con(**tables).sql(query).fetchall(), key=repr)


def _rows(t: pa.Table) -> list[tuple]:  # type: ignore[type-arg]
    return sorted(zip(*(t.column(c).to_pylist() for c in t.column_names), strict=True), key=repr)


def _query_only_names(pairs: pa.Table) -> pa.Table:
    """Step 1 as :func:`analyse` leaves it on a log without answers (private-suffix names
    explained)."""
    q = unresolved_names(pairs, pa.table({"qname": pa.array([], pa.string())}))
    sites, reasons = explain_arrow(q.column("qname"))
    reasons = pc.if_else(
        pc.fill_null(pc.equal(reasons, "psl-private?"), False),
        pa.scalar("psl-private (no answers)", pa.string()),
        reasons,
    )
    return q.append_column("site", sites).append_column("reason", reasons)


def test_the_one_pass_gives_what_the_sql_gave() -> None:
    """Rows under open sites (a (client, name) twice, as unsummed parts give it; a null
    client; explained names: single-label, mDNS, a private suffix, reverse DNS), each open
    site's distinct clients and the bound: equal to _SUSPECT_SQL (nothing popular yet),
    _SITE_CLIENTS_SQL and most_open_sites."""
    rows = [
        ("10.0.0.1", "a.qwkzrtp.com", 1),
        ("10.0.0.1", "a.qwkzrtp.com", 2),  # the same pair again (another part)
        ("10.0.0.1", "b.qwkzrtp.com", 1),
        ("10.0.0.1", "vbnmzxq.org", 3),
        ("10.0.0.1", "probe", 1),
        ("10.0.0.1", "printer.local", 1),
        ("10.0.0.1", "x1.ddns.net", 1),
        ("10.0.0.1", "4.3.2.1.in-addr.arpa", 1),
        ("10.0.0.2", "a.qwkzrtp.com", 1),
        ("10.0.0.2", "zzyzx.co.uk", 1),
        (None, "vbnmzxq.org", 1),
        (None, "onlynull.net", 1),
    ]
    pairs = pa.table(
        {
            "client": [c for c, _, _ in rows],
            "qname": [q for _, q, _ in rows],
            "queries": [n for _, _, n in rows],
            "nx": [0] * len(rows),
            "first_seen": [T0 + dt.timedelta(seconds=i) for i in range(len(rows))],
            "last_seen": [T0 + dt.timedelta(seconds=i + 5) for i in range(len(rows))],
        },
        schema=PAIR_SCHEMA,
    )
    names = _query_only_names(pairs)
    open_rows, per_site, bound = _query_only_open(pairs, names)
    none = pa.table({"site": pa.array([], pa.string())})
    want = _sql(
        _SUSPECT_SQL.replace("$query_only", "TRUE"), unk_pairs=pairs, unk_names=names, unk_ok=none
    )
    assert _rows(open_rows) == want
    assert len(want) == 8  # qwkzrtp.com x4, vbnmzxq.org x2, zzyzx.co.uk, onlynull.net
    assert (
        _rows(per_site)
        == _sql(_SITE_CLIENTS_SQL, unk_pairs=pairs, unk_names=names)
        == sorted(
            [("qwkzrtp.com", 2), ("vbnmzxq.org", 1), ("zzyzx.co.uk", 1), ("onlynull.net", 0)],
            key=repr,
        )
    )
    assert bound == most_open_sites(pairs, names, query_only=True) == 2
    # summed per (client, qname), as the parts would have been
    summed = _summed(open_rows)
    want_summed = _sql(
        "SELECT client, qname, any_value(site), sum(queries)::BIGINT, sum(nx)::BIGINT, "
        "min(first_seen), max(last_seen) FROM r GROUP BY client, qname",
        r=open_rows,
    )
    assert _rows(summed) == want_summed
    assert summed.schema == open_rows.schema
    assert summed.num_rows == open_rows.num_rows - 1


def test_only_sites_near_in_length_are_checked_for_typos() -> None:
    """The typo check over the sites _near_in_length keeps finds what it finds over all of
    them; under another suffix or 2+ letters longer or shorter are left out."""
    ref = pa.table(
        {
            "site": [
                "google.com",  # goggle.com: a substitution
                "gogle.com",  # an insertion away from goggle.com
                "gooogle.com",  # a deletion
                "googleee.com",  # 2 letters longer: never one edit away
                "googl.com",
                "goggle.net",  # another suffix
                "exampel.org",  # a swap of example.org
                "ex.org",
                "bücher.de",  # non-ASCII: kept
            ]
        }
    )
    suspect = pa.table({"site": ["goggle.com", "example.org", "bucher.de"]})
    near = _near_in_length(ref, suspect)
    assert set(near.column("site").to_pylist()) == {
        "google.com",
        "gogle.com",
        "gooogle.com",
        "googl.com",
        "exampel.org",
        "bücher.de",
    }
    found = _sql(_TYPO_SQL, unk_resolved=near, unk_suspect=suspect)
    assert found == _sql(_TYPO_SQL, unk_resolved=ref, unk_suspect=suspect)
    assert found == [("bucher.de",), ("example.org",), ("goggle.com",)]
    assert _near_in_length(ref, suspect.slice(0, 0)).num_rows == 0


def test_a_query_only_day_gives_the_same_findings_from_unsummed_pairs(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """On a simulated query-only day read in many parts, the collector given the end of
    the events (the pairs then left unsummed: a (client, name) in several parts) finds what
    it finds with every part summed, some infected host's names explained by a forecast;
    the random-label families' hosts, no clean one."""
    from dgawatch.readers import InputReport, read_events

    # (the string tables: a log without answers is now coded, test_unknown_coded.py)
    monkeypatch.setattr(unknown, "CODED", False)
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 4000)
    sim = simulate(tmp_path / "dns.log", 300, seed=6, answers=False)
    batches = list(read_events([sim.path], "auto", report=InputReport()))
    not_covered = {"words2", "words3"}  # (corebot, symmi: under a rare private suffix)
    host = sorted(c for c, style in sim.infected.items() if style not in not_covered)[0]
    # some of its DGA names, and its first and last query (its active span then shrinks:
    # the burst test must not see them whichever way the pairs came)
    rows = pa.Table.from_batches(batches).filter(
        pc.equal(pa.Table.from_batches(batches)["client"], host)
    )
    by_time = rows.sort_by("ts").column("qname").to_pylist()
    matched = [*sorted(sim.dga_names[host])[:2], by_time[0], by_time[-1]]
    _, late = _collector_findings(batches, early=False, matched=matched)
    early_c = UnknownCollector()
    for b in batches:
        early_c.add_events(b)
    early_c.events_done()
    held = pa.concat_tables(early_c.parts["pairs"])
    distinct = len(
        set(zip(*(held.column(c).to_pylist() for c in ("client", "qname")), strict=True))
    )
    assert held.num_rows > distinct  # (unsummed: the case this test is about)
    early_c.explained.update(matched)
    early = early_c.findings()
    assert [f.to_dict() for f in early] == [f.to_dict() for f in late]
    want = {c for c, style in sim.infected.items() if style not in not_covered}
    assert want and {c for f in early for c in f.clients} == want


@pytest.mark.parametrize("nulls", [False, True])
def test_summed_rows_keep_nulls_out_of_sums_and_extremes(nulls: bool) -> None:
    """A null timestamp or count (a Spark relation may hold one) is skipped as SQL's sum,
    min and max skip it."""
    t = pa.table(
        {
            "client": ["a", "a", "b"],
            "qname": ["x.com", "x.com", "x.com"],
            "site": ["x.com"] * 3,
            "queries": [1, None if nulls else 2, 3],
            "nx": [0, 0, 0],
            "first_seen": [T0, None if nulls else T0 - dt.timedelta(seconds=1), T0],
            "last_seen": [T0, T0 + dt.timedelta(seconds=9), T0],
        },
        schema=pa.schema([("site", pa.string()), *PAIR_SCHEMA])
        .remove(0)
        .insert(2, pa.field("site", pa.string())),
    )
    got = {r["client"]: r for r in _summed(t).to_pylist()}
    assert got["a"]["queries"] == (1 if nulls else 3)
    assert got["a"]["first_seen"] == (T0 if nulls else T0 - dt.timedelta(seconds=1))
    assert got["a"]["last_seen"] == T0 + dt.timedelta(seconds=9)
    assert got["b"]["queries"] == 3


def test_names_explained_in_slices_on_two_threads_are_each_name_s_explanation(
    monkeypatch,
) -> None:  # type: ignore[no-untyped-def]
    """explain_arrow over many slices (two at a time, on two threads) gives, name by name
    and in order, what explain gives each name alone."""
    monkeypatch.setattr(unknown, "EXPLAIN_SLICE", 7)
    names = [
        "www.example.com",
        "a.b.example.co.uk",
        "probe",
        "printer.local",
        "x1.ddns.net",
        "bucket.s3.amazonaws.com",
        "4.3.2.1.in-addr.arpa",
        "_ldap._tcp.dc.corp.com",
        "qwkzrtpvbn.org",
        "co.uk",
    ] * 5 + [f"n{i}.site{i % 13}.net" for i in range(40)]
    sites, reasons = unknown.explain_arrow(pa.array(names, pa.string()))
    assert list(zip(sites.to_pylist(), reasons.to_pylist(), strict=True)) == [
        unknown.explain(n) for n in names
    ]


def test_without_answers_the_rows_are_summed_again_only_once_they_doubled(
    tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A query-only day read in many small parts: the collector sums its pairs a number
    of times logarithmic in the log (each time it holds twice the rows it kept last time:
    summing every row held at each step grew with the square of the log), holds at most
    twice the distinct pairs (and a part), and finds what it finds without summing."""
    from dgawatch.readers import InputReport, read_events

    # (the string tables: a log without answers is now coded, test_unknown_coded.py)
    monkeypatch.setattr(unknown, "CODED", False)
    sim = simulate(tmp_path / "dns.log", 300, seed=6, answers=False)
    batches = [
        b.slice(i, 1000)
        for b in read_events([sim.path], "auto", report=InputReport())
        for i in range(0, b.num_rows, 1000)
    ]
    _, want = _collector_findings(batches, early=False)
    assert want
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 2000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 3000)
    calls = []
    compact = UnknownCollector._compact

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(sum(t.num_rows for parts in self.parts.values() for t in parts))
        return compact(self, *args, **kwargs)

    monkeypatch.setattr(UnknownCollector, "_compact", counting)
    collector = UnknownCollector()
    for b in batches:
        collector.add_events(b)
    collector._reduce()
    events = sum(b.num_rows for b in batches)
    assert 2 <= len(calls) <= math.log2(events / 3000) + 2
    held = pa.concat_tables(collector.parts["pairs"])
    pairs = set(zip(*(held.column(c).to_pylist() for c in ("client", "qname")), strict=True))
    assert held.num_rows <= 2 * len(pairs) + 2000
    got = collector.findings()
    assert [f.to_dict() for f in got] == [f.to_dict() for f in want]


def test_a_query_only_finding_says_rcode_was_not_logged(tmp_path) -> None:
    """A query-only log has no NXDOMAIN evidence either way: its findings say "rcode not
    logged" (summary and host lines) and give null ``nxdomain`` and ``nxdomain_share``, not
    "0/n NXDOMAIN"; the same day with answers states its NXDOMAIN counts. Fails if a
    query-only finding shows a count of NXDOMAIN answers."""
    from dgawatch.readers import InputReport, read_events

    def findings(answers: bool) -> list[unknown.UnknownDGAFinding]:
        sim = simulate(tmp_path / f"dns-{answers}.log", 250, seed=4, answers=answers)
        collector = UnknownCollector()
        for b in read_events([sim.path], "auto", report=InputReport()):
            collector.add_events(b)
        return collector.findings()

    quiet = findings(False)
    assert quiet
    for f in quiet:
        assert "NXDOMAIN" not in f.summary and "rcode not logged" in f.summary
        assert f.to_dict()["nxdomain"] is None
        for h in f.hosts:
            assert "NXDOMAIN" not in h.line and "rcode not logged" in h.line
            assert h.to_dict()["nxdomain"] is None and h.to_dict()["nxdomain_share"] is None
    loud = findings(True)
    assert loud
    for f in loud:
        assert f"{f.nxdomain}/{f.queries} NXDOMAIN" in f.summary and f.nxdomain > 0
        assert all(h.to_dict()["nxdomain_share"] > 0 for h in f.hosts)
