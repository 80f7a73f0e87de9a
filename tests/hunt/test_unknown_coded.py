"""Query-only logs (no rcode) analysed over coded pairs (integer codes for clients and
names, sorted runs merged: ``unknown._CodedPairs``): the same answers as the string tables
they replace. Expected values come from the SQL each step replaces (DuckDB), from plain
Python sums, from the string path itself (``unknown.CODED = False``: the previous code,
kept for pairs holding nulls), and from the simulator's ground truth."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dgawatch.hunt import unknown
from dgawatch.hunt.codes import Codes
from dgawatch.hunt.unknown import (
    _SITE_CLIENTS_SQL,
    _SUSPECT_SQL,
    PAIR_SCHEMA,
    UnknownCollector,
    _CodedPairs,
    _merge_runs,
    _OpenCoded,
    _run_of,
    _spans,
    most_open_sites,
)
from tests.hunt.netsim import simulate
from tests.hunt.test_unknown_query_only import T0, _con, _query_only_names, _rows, _sql


def test_runs_merged_are_the_sums_of_their_rows() -> None:
    """Rows of many runs (a key in several runs, several times in one) summed into one
    sorted run: per key the count, the smallest first and the largest last time, as a
    Python dict sums them; the runs are let go."""
    rng = np.random.default_rng(7)
    runs, want = [], defaultdict(lambda: [0, math.inf, -math.inf])  # type: ignore[var-annotated]
    for size in (50, 1, 300, 0, 120):
        key = rng.integers(0, 80, size).astype(np.int64) << 32 | rng.integers(0, 3, size)
        t = rng.integers(0, 10**9, size)
        runs.append(_run_of(key, None, t, t))
        for k, x in zip(key.tolist(), t.tolist(), strict=True):
            w = want[k]
            w[0], w[1], w[2] = w[0] + 1, min(w[1], x), max(w[2], x)
    got = _merge_runs(runs)
    assert runs == []
    key, queries, first, last = got
    assert list(key) == sorted(want)  # sorted, each key once
    assert {
        k: [q, f, la]
        for k, q, f, la in zip(
            key.tolist(), queries.tolist(), first.tolist(), last.tolist(), strict=True
        )
    } == {k: list(v) for k, v in want.items()}
    # summed runs merge again (queries given, not one per row)
    again = _merge_runs([got, _run_of(key[:3].copy(), None, first[:3] - 5, first[:3] - 5)])
    assert again[1][:3].tolist() == [q + 1 for q in queries[:3].tolist()]
    assert again[2][:3].tolist() == (first[:3] - 5).tolist()


@pytest.mark.parametrize("small_size", [0, 1, 40, 400])
def test_a_run_merged_into_a_big_one_is_both_sorted_together(small_size: int) -> None:
    """_merge_two (a binary search and inserts) gives _merge_runs' sorted sums of the two
    runs: keys in both summed, new keys in order, keys before and after all of the big
    run's; the big run is left as it was."""
    rng = np.random.default_rng(small_size)

    def run(n: int, spread: int) -> tuple[np.ndarray, ...]:
        key = rng.integers(0, spread, n).astype(np.int64) << 32 | rng.integers(0, 5, n)
        t = rng.integers(0, 10**9, n)
        return _run_of(key, None, t, t)

    big = run(300, 100)
    small = run(small_size, 140)  # (keys past the big run's last too)
    small = (np.concatenate(([-1], small[0])), *(np.concatenate(([1], c)) for c in small[1:]))
    before = [c.copy() for c in big]
    got = unknown._merge_two(big, small)
    want = _merge_runs([tuple(c.copy() for c in big), small])
    assert [c.tolist() for c in got] == [c.tolist() for c in want]
    assert [c.tolist() for c in big] == [c.tolist() for c in before]


class _AllCollide(Codes):
    """Every value held is a candidate for every value looked up (as if all hashes were
    equal): only the byte comparison tells them apart."""

    def _candidates(self, probed: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        rows = np.repeat(np.arange(len(probed), dtype=np.int32), n)
        return rows, np.tile(np.arange(n, dtype=np.int32), len(probed))


@pytest.mark.parametrize("kind", [Codes, _AllCollide])
def test_codes_of_batches_are_one_code_a_value_in_the_order_first_seen(
    kind: type[Codes],
) -> None:
    """Batches sharing values with earlier ones, a null and an empty string among them:
    each value one code, numbered as first seen, as a dict numbers them, also when every
    value's hash collides with every other's (``_AllCollide``: a wrong code here would
    merge two names' pairs); ``new`` holds a batch's values seen first."""
    rng = np.random.default_rng(5)
    pool = [f"n{i}.example.com" for i in range(60)] + [None, "", "xn--d1acufc.xn--p1ai"]
    codes, want = kind(), {}  # type: ignore[var-annotated]
    for _ in range(12):
        batch = [pool[i] for i in rng.integers(0, len(pool), 40)]
        fresh = [v for v in dict.fromkeys(batch) if v not in want]
        for v in fresh:
            want[v] = len(want)
        got = codes.encode(pa.array(batch, pa.string()))
        assert got.tolist() == [want[v] for v in batch]
        assert (codes.new.to_pylist() if codes.new is not None else []) == fresh
    assert codes.values().to_pylist() == list(want)
    assert len(codes) == len(want)


def test_codes_past_the_store_s_limit_go_on_through_a_dict(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Values past the byte store's limit (int32 offsets; 20 bytes here: the second batch)
    are coded through a dict of the values so far: the same codes, first seen first."""
    from dgawatch.hunt import codes as codes_module

    monkeypatch.setattr(codes_module, "_STORE_MAX", 20)
    codes, want = Codes(), {}  # type: ignore[var-annotated]
    for batch in (["a.example", "b.example"], ["b.example", "c.example", None], ["d.example"] * 3):
        for v in batch:
            want.setdefault(v, len(want))
        assert codes.encode(pa.array(batch, pa.string())).tolist() == [want[v] for v in batch]
    assert codes._index is None  # (the dict took over)
    assert codes.values().to_pylist() == list(want)


def test_codes_of_a_chunked_column_and_of_large_strings() -> None:
    """A column in chunks, and ``large_string`` values, coded as the plain array is."""
    values = ["b.example", "a.example", "b.example", "c.example", "a.example"]
    want = [0, 1, 0, 2, 1]
    chunked = pa.chunked_array([values[:2], values[2:]], pa.string())
    assert Codes().encode(chunked).tolist() == want
    assert Codes().encode(pa.array(values, pa.large_string())).tolist() == want


@pytest.mark.parametrize("kind", [Codes, _AllCollide])
def test_codes_of_chunked_batches_are_those_of_the_batches_whole(kind: type[Codes]) -> None:
    """Batches in several chunks (a value first seen in a later chunk, a null, an empty
    chunk, a dictionary-typed column, a released index) are coded chunk by chunk against
    one dictionary: the codes and new values of the same batches given whole."""
    rng = np.random.default_rng(9)
    pool = [f"n{i}.example.com" for i in range(40)] + [None, ""]
    chunked, whole = kind(), kind()
    for step in range(10):
        batch = [pool[i] for i in rng.integers(0, len(pool), 30)]
        cuts = sorted(int(x) for x in rng.integers(0, len(batch), 3))
        parts = [batch[a:b] for a, b in zip([0, *cuts], [*cuts, len(batch)], strict=True)]
        column = pa.chunked_array([pa.array(p, pa.string()) for p in parts], pa.string())
        if step % 3 == 2:
            column = pa.chunked_array([c.dictionary_encode() for c in column.chunks])
        if step == 7:
            chunked.release()
            whole.release()
        got = chunked.encode(column)
        assert got.tolist() == whole.encode(pa.array(batch, pa.string())).tolist()
        new = [c.new.to_pylist() if c.new is not None else [] for c in (chunked, whole)]
        assert new[0] == new[1]
    assert chunked.values().to_pylist() == whole.values().to_pylist()


def test_codes_stay_the_same_after_their_store_is_let_go() -> None:
    """Values keep their codes in the order first seen (a null one of them); once the index
    and store are let go (the events ended) a value given after all gets the next code,
    the old ones theirs."""
    codes = Codes()
    assert codes.encode(pa.array(["x", "y", None, "x"])).tolist() == [0, 1, 2, 0]
    codes.release()
    assert len(codes) == 3
    assert codes.encode(pa.array(["y", "z", None])).tolist() == [1, 3, 2]
    assert codes.values().to_pylist() == ["x", "y", None, "z"]


@pytest.mark.parametrize("clients", [50, 1 << 30])
def test_the_packed_sort_orders_as_a_stable_argsort(clients: int) -> None:
    """Keys sorted as values with the row number packed below them give NumPy's stable
    argsort, equal keys in row order (a key too wide to pack: the argsort itself); so do
    sorted runs one after another (a merge's keys) sorted as runs, and keys in no order
    sorted as runs."""
    rng = np.random.default_rng(11)
    for n in (0, 1, 2, 999, 20_000):
        key = rng.integers(0, clients, n).astype(np.int64) << 32 | rng.integers(0, 9, n)
        want = np.argsort(key, kind="stable").tolist()
        assert unknown._stable_order(key).tolist() == want
        assert unknown._stable_order(key, runs=True).tolist() == want
        merged = np.concatenate([np.unique(part) for part in np.array_split(key, 7)])
        want = np.argsort(merged, kind="stable").tolist()
        assert unknown._stable_order(merged, runs=True).tolist() == want


def _pairs(rows: list[tuple[str | None, str, int, int]]) -> pa.Table:
    return pa.table(
        {
            "client": [c for c, _, _, _ in rows],
            "qname": [q for _, q, _, _ in rows],
            "queries": [n for _, _, n, _ in rows],
            "nx": [0] * len(rows),
            "first_seen": [T0 + dt.timedelta(seconds=s) for _, _, _, s in rows],
            "last_seen": [T0 + dt.timedelta(seconds=s + 7) for _, _, _, s in rows],
        },
        schema=PAIR_SCHEMA,
    )


def test_step_2_over_coded_pairs_is_the_sql_it_replaces() -> None:
    """Each open site's distinct clients, the bound, the rows under some sites and the
    candidates' spans, over coded pairs with a forecast-matched name left out of step 1:
    _SITE_CLIENTS_SQL, most_open_sites, _SUSPECT_SQL (summed per (client, name)) and
    _spans over the same pairs as strings without that name."""
    rows = [
        ("10.0.0.1", "a.qwkzrtp.com", 1, 0),
        ("10.0.0.1", "a.qwkzrtp.com", 2, 50),  # the same pair again (unsummed)
        ("10.0.0.1", "b.qwkzrtp.com", 1, 3),
        ("10.0.0.1", "vbnmzxq.org", 3, 4),
        ("10.0.0.1", "probe", 1, -100),  # explained, yet in the span
        ("10.0.0.1", "known.example.net", 1, 900),  # matched by a forecast: out of the span
        ("10.0.0.1", "printer.local", 1, 6),
        ("10.0.0.2", "a.qwkzrtp.com", 1, 7),
        ("10.0.0.2", "zzyzx.co.uk", 1, 8),
        ("10.0.0.2", "x1.ddns.net", 1, 9),
        (None, "vbnmzxq.org", 1, 10),
        (None, "onlynull.net", 1, 11),
    ]
    pairs = _pairs(rows)
    coded = _CodedPairs.of_table(pairs)
    assert coded.num_rows == len(rows) - 1
    kept = pairs.filter(pc.not_equal(pairs.column("qname"), "known.example.net"))
    names = _query_only_names(kept)  # (step 1 without the matched name)
    at = pc.index_in(coded.names, value_set=names.column("qname"))
    aligned = names.take(at)
    drop = np.asarray(aligned.column("qname").is_null().to_numpy(zero_copy_only=False), bool)
    assert drop.sum() == 1
    opened = _OpenCoded(coded, aligned, drop)
    assert _rows(opened.per_site) == _sql(_SITE_CLIENTS_SQL, unk_pairs=kept, unk_names=names)
    assert opened.bound == most_open_sites(kept, names, query_only=True) == 2
    sites = pa.array(["qwkzrtp.com", "onlynull.net", "zzyzx.co.uk"])
    none = pa.table({"site": pa.array([], pa.string())})
    want = _sql(
        "SELECT client, qname, any_value(site), sum(queries)::BIGINT, sum(nx)::BIGINT, "
        "min(first_seen), max(last_seen) FROM s WHERE site IN ('qwkzrtp.com', "
        "'onlynull.net', 'zzyzx.co.uk') GROUP BY client, qname",
        s=duckdb.sql(
            _SUSPECT_SQL.replace("$query_only", "TRUE"),
            connection=_con(unk_pairs=kept, unk_names=names, unk_ok=none),
        ).to_arrow_table(),
    )
    assert _rows(opened.rows(sites)) == want
    assert len(want) == 5
    cand = pa.array(["10.0.0.1", "10.0.0.2"])
    of_cand = kept.filter(pc.is_in(kept.column("client"), value_set=cand))
    assert opened.spans(cand) == _spans(of_cand) == {"10.0.0.1": 157.0, "10.0.0.2": 9.0}


def _findings(batches, matched=(), coded=True, monkeypatch=None, early=True):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(unknown, "CODED", coded)
    collector = UnknownCollector()
    for b in batches:
        collector.add_events(b)
    if early:  # (step 1 when the events end; else beside the last merge)
        collector.events_done()
    collector.explained.update(matched)
    out = [f.to_dict() for f in collector.findings()]
    return collector, out


@pytest.fixture(scope="module")
def query_only_day(tmp_path_factory):  # type: ignore[no-untyped-def]
    from dgawatch.readers import InputReport, read_events

    sim = simulate(tmp_path_factory.mktemp("qo") / "dns.log", 300, seed=6, answers=False)
    return sim, list(read_events([sim.path], "auto", report=InputReport()))


def test_a_query_only_day_coded_finds_what_the_string_tables_found(
    query_only_day, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """On a simulated query-only day read in many parts, some infected host's names and its
    first and last query matched by a forecast: the coded pairs give the findings of the
    string tables (the code before them), byte for byte; the random-label families' hosts,
    no clean one. Fails if a step over the codes drifts (a site count, a span, a row)."""
    sim, batches = query_only_day
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 4000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 6000)
    not_covered = {"words2", "words3"}  # (corebot, symmi: ddns.net is rare: their sites)
    host = sorted(c for c, style in sim.infected.items() if style not in not_covered)[0]
    events = pa.Table.from_batches(batches)
    by_time = events.filter(pc.equal(events["client"], host)).sort_by("ts")
    qnames = by_time.column("qname").to_pylist()
    matched = [*sorted(sim.dga_names[host])[:2], qnames[0], qnames[-1]]
    _, coded = _findings(batches, matched, True, monkeypatch)
    _, strings = _findings(batches, matched, False, monkeypatch)
    assert coded == strings
    _, late = _findings(batches, matched, True, monkeypatch, early=False)
    assert late == strings
    want = {c for c, style in sim.infected.items() if style not in not_covered}
    assert want and {c for f in coded for c in f["clients"]} == want


def test_no_client_with_min_names_counting_sites_ends_before_the_typo_join(
    query_only_day, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The simulated query-only day without its infected hosts: some rare random-looking
    sites count, but no client has min_names of them, so there is no finding and the typo
    join (which only takes counting sites away) is not run; made to run anyway, it gives
    no finding either. Fails if the check returns early where it should not (the infected
    day's findings: the tests above) or reads no rows (``seen`` empty)."""
    sim, batches = query_only_day
    infected = pa.array(sorted(sim.infected))
    clean = [b.filter(pc.invert(pc.is_in(b.column("client"), value_set=infected))) for b in batches]
    seen: list[int] = []
    joined: list[int] = []
    most, near = unknown._most_sites, unknown._near_in_length

    def findings() -> list[dict]:  # type: ignore[type-arg]
        collector = UnknownCollector()
        for b in clean:
            collector.add_events(b)
        collector.events_done()
        return [f.to_dict() for f in collector.findings()]

    def join(ref, sites):  # type: ignore[no-untyped-def]
        joined.append(sites.num_rows)
        return near(ref, sites)

    def counted(rows):  # type: ignore[no-untyped-def]
        seen.append(rows.num_rows)
        return most(rows)

    monkeypatch.setattr(unknown, "_near_in_length", join)
    monkeypatch.setattr(unknown, "_most_sites", counted)
    assert findings() == []
    assert seen and seen[0] > 0 and joined == []
    monkeypatch.setattr(unknown, "_most_sites", lambda rows: 10**9)  # (on to the typo join)
    assert findings() == []
    assert joined and joined[0] > 0


def test_coded_pairs_are_summed_again_only_once_they_doubled(query_only_day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Read in many small parts, the coded pairs are merged a number of times logarithmic
    in the log, and hold at most about twice the distinct pairs (and a part)."""
    _, batches = query_only_day
    parts = [b.slice(i, 1000) for b in batches for i in range(0, b.num_rows, 1000)]
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 2000)
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 3000)
    monkeypatch.setattr(unknown, "DROP_MIN", 10**9)  # (every pair held)
    collector = UnknownCollector()
    most = 0
    for b in parts:
        collector.add_events(b)
        assert collector._coded is not None
        most = max(most, collector._coded.held)
    collector._reduce()
    events = sum(b.num_rows for b in parts)
    coded = collector._coded.coded()
    assert 2 <= collector._coded.compactions <= math.log2(events / 3000) + 2
    assert most <= 2 * coded.num_rows + 2000
    table = pa.Table.from_batches(parts)
    table = table.filter(pc.not_equal(table.column("qname"), ""))
    assert coded.num_rows == len(
        set(zip(table.column("client").to_pylist(), table.column("qname").to_pylist(), strict=True))
    )
    assert int(coded.queries.sum()) == table.num_rows


def test_merges_on_their_thread_are_the_merges_made_in_line(query_only_day, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The merges run on a thread of their own are made at the points, and give the
    pairs, that merges made in line (waiting for each) give; however late the thread."""
    _, batches = query_only_day
    parts = [b.slice(i, 700) for b in batches for i in range(0, b.num_rows, 700)]
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 2500)

    def pairs(slow: bool, in_line: bool):  # type: ignore[no-untyped-def]
        merge = unknown._merge_into
        given: list[tuple[int, int]] = []  # (big run's rows, batches' rows) of each merge

        def slowly(big, runs):  # type: ignore[no-untyped-def]
            import time

            given.append((len(big[0]) if big else 0, sum(len(r[0]) for r in runs)))
            if slow:
                time.sleep(0.2)  # (a merge still under way when the next batches come)
            return merge(big, runs)

        monkeypatch.setattr(unknown, "_merge_into", slowly)
        held = unknown._QueryOnlyPairs()
        for b in parts:
            held.add(b.column("client"), b.column("qname"), b.column("ts"))
            if in_line:
                held._settle()
        coded = held.coded()
        monkeypatch.setattr(unknown, "_merge_into", merge)
        return given, [c.tolist() for c in (coded.key, coded.queries, coded.first)]

    want = pairs(slow=False, in_line=True)
    assert len(want[0]) >= 3
    assert pairs(slow=True, in_line=False) == want
    assert pairs(slow=False, in_line=False) == want


def test_batches_coded_on_their_thread_give_what_coding_in_line_gives(
    query_only_day, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Each batch's clients and names are coded on a thread of their own while the batch
    before is taken in: however late that thread (a batch still being coded when the next
    comes), the merges come at the same points with the same rows, and the pairs, codes,
    step 1 and queries per client are those of batches coded and taken in one by one."""
    _, batches = query_only_day
    parts = [b.slice(i, 700) for b in batches for i in range(0, b.num_rows, 700)]
    monkeypatch.setattr(unknown, "COMPACT_ROWS", 2500)
    encode, merge = unknown._QueryOnlyPairs._encode, unknown._merge_into

    def coded(slow: bool, in_line: bool):  # type: ignore[no-untyped-def]
        given: list[tuple[int, int]] = []

        def counted(big, runs):  # type: ignore[no-untyped-def]
            given.append((len(big[0]) if big else 0, sum(len(r[0]) for r in runs)))
            return merge(big, runs)

        def slowly(self, *args):  # type: ignore[no-untyped-def]
            if slow:
                import time

                time.sleep(0.02)
            return encode(self, *args)

        monkeypatch.setattr(unknown, "_merge_into", counted)
        monkeypatch.setattr(unknown._QueryOnlyPairs, "_encode", slowly)
        held = unknown._QueryOnlyPairs()
        for b in parts:
            held.add(b.column("client"), b.column("qname"), b.column("ts"))
            if in_line:
                held._flush()
                held._settle()
        clients, names = held.clients_table(), held.names_table()
        got = held.coded()
        return (
            given,
            [c.tolist() for c in (got.key, got.queries, got.first, got.last)],
            [t.to_pylist() for t in (clients, names)],
        )

    want = coded(slow=False, in_line=True)
    assert len(want[0]) >= 3
    assert coded(slow=True, in_line=False) == want
    assert coded(slow=False, in_line=False) == want


def mixed_batches(tmp_path) -> list[pa.RecordBatch]:  # type: ignore[no-untyped-def]
    """A simulated day (250 clients, 4 infected) in batches of 3,000 rows, its first half
    with rcode cleared: a log whose answers start mid-way."""
    from dgawatch.readers import InputReport, read_events

    sim = simulate(tmp_path / "dns.log", 250, seed=4, infected=4)
    batches = [
        b.slice(i, 3000)
        for b in read_events([sim.path], "auto", report=InputReport())
        for i in range(0, b.num_rows, 3000)
    ]
    half = len(batches) // 2
    mixed = [
        b.set_column(b.schema.get_field_index("rcode"), "rcode", pa.nulls(b.num_rows, pa.string()))
        if i < half
        else b
        for i, b in enumerate(batches)
    ]
    return mixed


def test_answers_after_coded_batches_turn_them_into_string_pairs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A log whose first batches have no rcode and whose later ones do: the pairs coded so
    far join the string pairs, and the findings are those of the string tables alone."""
    mixed = mixed_batches(tmp_path)
    monkeypatch.setattr(unknown, "REDUCE_ROWS", 3000)
    c_coded, coded = _findings(mixed, (), True, monkeypatch)
    assert c_coded._coded is None  # (an answer came: coding stopped)
    _, strings = _findings(mixed, (), False, monkeypatch)
    assert coded == strings
    assert coded  # (the infected hosts' NXDOMAIN names in the answered half)


def test_strings_nulled_under_a_mask_are_if_else_of_null() -> None:
    """``_nulled`` (a validity bitmap over the same values) gives what ``if_else(mask,
    null, a)`` gives: plain, chunked and sliced arrays, nulls of their own among them."""
    rng = np.random.default_rng(4)
    pool = ["a.example", "", None, "b.example", "xn--p1ai"]
    for n in (0, 1, 9, 70):
        values = [pool[i] for i in rng.integers(0, len(pool), n)]
        mask = rng.random(n) < 0.3
        for a in (
            pa.array(values, pa.string()),
            pa.chunked_array([values[: n // 2], values[n // 2 :]], pa.string()),
            pa.array(["pad", *values], pa.string()).slice(1),
        ):
            want = pc.if_else(pa.array(mask, pa.bool_()), pa.scalar(None, pa.string()), a)
            got = unknown._nulled(a, mask)
            got.validate(full=True)
            assert got.to_pylist() == want.to_pylist()
