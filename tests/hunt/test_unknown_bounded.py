"""Query-only logs: the coded pairs of popular sites let go (``unknown.DROP_MIN``), so that
the state held is bounded by the sites few clients ask for, not by the log's distinct
(client, name) pairs. Expected values come from the string path (``unknown.CODED =
False``: every pair held as strings, the code before coding), from plain Python sets over
the events, and from the simulator's ground truth."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dgawatch.hunt import unknown
from dgawatch.hunt.unknown import UnknownCollector, explain
from tests.hunt.netsim import simulate
from tests.hunt.test_unknown_coded import mixed_batches


@pytest.fixture(scope="module")
def day(tmp_path_factory):  # type: ignore[no-untyped-def]
    from dgawatch.readers import InputReport, read_events

    sim = simulate(tmp_path_factory.mktemp("qo") / "dns.log", 300, seed=6, answers=False)
    batches = list(read_events([sim.path], "auto", report=InputReport()))
    return sim, [b.slice(i, 2000) for b in batches for i in range(0, b.num_rows, 2000)]


def _collect(batches, monkeypatch, coded=True):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(unknown, "CODED", coded)
    collector = UnknownCollector()
    for b in batches:
        collector.add_events(b)
    collector.events_done()
    return collector


def _run(batches, monkeypatch, coded=True, matched=()):  # type: ignore[no-untyped-def]
    collector = _collect(batches, monkeypatch, coded)
    held = collector._coded
    collector.explained.update(matched)
    return held, [f.to_dict() for f in collector.findings()]


def test_popular_sites_let_go_leave_the_findings_as_they_were(day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Read in small parts with merges every few thousand rows and a low bound (a site more
    than 20 of the 300 clients asked for is let go; step 2's popular cut is 10): many sites
    are let go, the pairs held are exactly those of the other sites (and of names under no
    open site), every site let go was asked for by more than 20 clients, and the findings
    -- with an infected host's first and last DGA names matched by a forecast -- are those
    of the string tables, byte for byte, the
    random-label families' hosts and no clean one (the sites' labels scored as they were
    met, on the scorer's thread). Fails if the spans of the pairs let go
    are lost (the burst test's p-values change), or if a site let go is not counted as
    popular (its clients' counts change)."""
    sim, batches = day
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 4000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 6000)
    monkeypatch.setattr(unknown, "DROP_MIN", 20)
    monkeypatch.setattr(unknown, "EARLY_SCORES_EVENTS", 0)  # (labels scored as read too)
    not_covered = {"words2", "words3"}  # (corebot, symmi: ddns.net is rare: their sites)
    host = sorted(c for c, style in sim.infected.items() if style not in not_covered)[0]
    events = pa.Table.from_batches(batches)
    by_time = events.filter(pc.equal(events["client"], host)).sort_by("ts")
    qnames = by_time.column("qname").to_pylist()
    dga = [q for q in qnames if q in sim.dga_names[host]]
    matched = [dga[0], dga[-1]]  # (under sites of its DGA's: none is let go)
    held, coded = _run(batches, monkeypatch, True, matched)
    _, strings = _run(batches, monkeypatch, False, matched)
    assert held is not None and held.let_go >= 20
    assert held.scores is not None and held.scores._parts  # (scored while read)
    assert coded == strings
    want = {c for c, style in sim.infected.items() if style not in not_covered}
    assert want and {c for f in coded for c in f["clients"]} == want
    # What is held: the pairs of the sites not let go, and those are the popular ones.
    clients_of: dict[str | None, set[str]] = defaultdict(set)
    pairs = set()
    for client, qname in zip(
        events.column("client").to_pylist(), events.column("qname").to_pylist(), strict=True
    ):
        if not qname:
            continue
        site, reason = explain(qname)
        open_site = site if reason is None else None
        clients_of[open_site].add(client)
        pairs.add((client, qname, open_site))
    gone = set(held.coded().dropped_sites.to_pylist())
    assert gone and all(len(clients_of[s]) > 20 for s in gone)
    kept = {(c, q) for c, q, s in pairs if s not in gone}
    assert held.coded().num_rows == len(kept) < 0.85 * len(pairs)


def test_an_answer_after_sites_were_let_go_keeps_their_spans(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A log whose first half has no rcode (coded, sites let go at its merges) and whose
    second half has answers: the string pairs then lack the pairs let go, and their
    clients' spans come from what was kept of them; the findings are those of the string
    tables alone."""
    mixed = mixed_batches(tmp_path)
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 3000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 5000)
    monkeypatch.setattr(unknown, "DROP_MIN", 20)
    monkeypatch.setattr(unknown, "CODED", True)
    collector = UnknownCollector()
    for b in mixed:
        collector.add_events(b)
    collector.events_done()
    assert collector._coded is None and collector._let_go is not None  # (sites were let go)
    coded = [f.to_dict() for f in collector.findings()]
    _, strings = _run(mixed, monkeypatch, False)
    assert coded == strings
    assert coded


def test_a_batch_with_no_noerror_nor_nxdomain_stays_coded(day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Events answered SERVFAIL or REFUSED only give the relations of no answer at all: they
    are coded as the rest, and the findings are those of the string tables."""
    _, batches = day
    refused = [
        b.set_column(
            b.schema.get_field_index("rcode"),
            "rcode",
            pa.array(["SERVFAIL" if i % 2 else None for i in range(b.num_rows)], pa.string()),
        )
        for b in batches
    ]
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 4000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 6000)
    held, coded = _run(refused, monkeypatch, True)
    assert held is not None  # (still coded)
    _, strings = _run(refused, monkeypatch, False)
    assert coded == strings and coded


def test_pairs_joined_not_summed_at_the_end_keep_the_findings(day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A log too big for the last merge beside the matching (``EARLY_EVENTS``): the
    analysis is given the last runs joined to the big one, not summed (a pair may have a
    row in each; the rows under sites let go at the last merge taken out, their spans kept).
    The findings are those of the string tables, byte for byte, and the joined rows summed
    per pair are the pairs a last merge gives."""
    _, batches = day
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 4000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 6000)
    monkeypatch.setattr(unknown, "DROP_MIN", 20)
    monkeypatch.setattr(unknown, "EARLY_EVENTS", 0)
    _, coded = _run(batches, monkeypatch, True)
    _, strings = _run(batches, monkeypatch, False)
    assert coded == strings and coded
    held = _collect(batches, monkeypatch)._coded
    assert held is not None
    joined = held.coded(summed=False)
    summed = held.coded()  # (the same pairs summed after all)
    assert not joined.summed and summed.summed
    keys, pair = np.unique(joined.key, return_inverse=True)
    assert len(keys) < joined.num_rows  # (some pair has rows in two runs)
    assert keys.tolist() == summed.key.tolist()
    assert np.bincount(pair, weights=joined.queries).tolist() == summed.queries.tolist()
    first = np.full(len(keys), np.iinfo(np.int64).max)
    np.minimum.at(first, pair, joined.first)
    last = np.full(len(keys), np.iinfo(np.int64).min)
    np.maximum.at(last, pair, joined.last)
    assert first.tolist() == summed.first.tolist() and last.tolist() == summed.last.tolist()
    assert joined.gone_first.tolist() == summed.gone_first.tolist()
    assert joined.gone_last.tolist() == summed.gone_last.tolist()
    assert len(joined.dropped_sites) == len(summed.dropped_sites) > 0
