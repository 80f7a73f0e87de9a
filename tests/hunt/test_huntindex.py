"""The packed hunt index (``dgawatch.hunt.listpack``): a hunt that maps the pack of its
lists gives the match rows a hunt reading the day lists gives (differential, on lists with
twins, repeated names, static lists, www. names and day windows), reads no list, and a
damaged, stale or foreign pack is never used (and never crashes: the table's structure is
checked before any probe)."""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from dgawatch import _huntscan
from dgawatch.events import QueryEvent, batch_from_events
from dgawatch.families import get_family
from dgawatch.families.base import Variant
from dgawatch.hunt import HuntOptions, hunt_batches, listpack
from dgawatch.hunt.listcache import ListCache
from dgawatch.hunt.listpack import _HEAD, ListPacks, _layout
from dgawatch.hunt.lists import ListSource
from dgawatch.hunt.local import LocalMatcher
from tests.hunt.logs import utc

DAY = dt.date(2023, 6, 8)
KEYS = [
    "pitou/dafe02c",
    "vidro/default",
    "murofet/v2-deadc2de",
    "chinad/default",
    "m0yv/td-7178af3f",
    "locky/v3-config2",  # two-day seed: twin lists
    "locky/v3-config3",
    "sharkbot/v1.63",  # weekly seed
    "dmsniff/sn",  # not time-seeded, repeats names
    "ramdo/d5fff",  # not time-seeded
]


def variants() -> list[Variant]:
    out = []
    for key in KEYS:
        family, name = key.split("/")
        out.append(get_family(family).variant(name))
    return out


def events_of(days: list[dt.date]) -> list[pa.RecordBatch]:
    """One batch per day: names of the lists of the day and the days around it (the
    window), www. and deeper names, repeats, a name of a list 3 days off, benign names."""
    batches = []
    line = 0
    for day in days:
        events = []
        for i, v in enumerate(variants()):
            for off in (-1, 0, 1, 3):
                names = v.domains(day + dt.timedelta(days=off))
                for k, name in enumerate(names[:3] + names[-1:]):
                    line += 1
                    for qname in (name, f"www.{name}", f"a.b.{name}"):
                        events.append(
                            QueryEvent(
                                utc(day.year, day.month, day.day, 1 + k, i, off + 3),
                                f"10.0.{i}.{k + 1}",
                                qname,
                                "A",
                                "NXDOMAIN",
                                (),
                                None,
                                "log",
                                line,
                            )
                        )
        for j, benign in enumerate(["example.com", "www.wikipedia.org", "a.b.c.d.co.uk"]):
            line += 1
            events.append(
                QueryEvent(
                    utc(day.year, day.month, day.day, 5, j),
                    "10.9.9.9",
                    benign,
                    "A",
                    "NOERROR",
                    (),
                    None,
                    "log",
                    line,
                )
            )
        batches.append(batch_from_events(events))
    return batches


def match_rows(batches: list[pa.RecordBatch], window: int = 1) -> tuple[list[tuple], ListSource]:
    source = ListSource(None)
    matcher = LocalMatcher(variants(), window, source)
    parts = [matcher.match(b) for b in batches]
    matcher.save_pack()
    table = pa.concat_tables(parts)
    rows = sorted(tuple(str(v) for v in r.values()) for r in table.to_pylist())
    return rows, source


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(root))
    return root


def packs(root: Path) -> list[Path]:
    return sorted(root.glob("pack-*/*.pack"))


def no_list_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> None:
        raise AssertionError("a list was read or generated")

    monkeypatch.setattr(ListCache, "get", refuse)
    monkeypatch.setattr(Variant, "domains_blob", refuse)


def test_a_mapped_pack_matches_what_the_lists_match(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = events_of([DAY, DAY + dt.timedelta(days=1)])
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", "off")
    plain, plain_source = match_rows(batches)
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(cache))
    first, first_source = match_rows(batches)  # lists generated, pack written
    assert len(packs(cache)) == 1
    with monkeypatch.context() as m:
        no_list_read(m)
        again, again_source = match_rows(batches)  # the pack mapped
    assert plain and again == first == plain
    assert len(plain) > 100 and any(r for r in plain if "www." in r[3])
    total = plain_source.generated
    assert first_source.generated == total and again_source.from_cache == total
    assert again_source.generated == 0


def test_findings_are_the_same_with_a_pack(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batches = events_of([DAY])
    options = HuntOptions(variants=tuple(variants()))
    before = hunt_batches(iter(batches), options)
    assert packs(cache)
    with monkeypatch.context() as m:
        no_list_read(m)
        after = hunt_batches(iter(batches), options)
    assert after.findings == before.findings and after.matches == before.matches
    assert (after.lists_from_cache, after.lists_generated) == (before.lists_generated, 0)


def test_a_log_past_the_pack_grows_it_and_writes_the_pack_it_needed(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    match_rows(events_of([DAY]))
    (small,) = packs(cache)
    longer = events_of([DAY, DAY + dt.timedelta(days=3)])
    grown, _ = match_rows(longer)  # first batch from the pack, the next grows it
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", "off")
    plain, _ = match_rows(longer)
    assert grown == plain
    bigger = [p for p in packs(cache) if p != small]
    assert len(bigger) == 1 and bigger[0].name.startswith("2023-06-07_2023-06-12-")


def test_a_pack_of_a_wider_window_serves_a_narrower_one_with_its_own_days(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = events_of([DAY, DAY + dt.timedelta(days=1)])
    match_rows(batches, window=1)  # the pack of window 1's lists
    with monkeypatch.context() as m:
        no_list_read(m)
        narrow, _ = match_rows(batches, window=0)  # its lists are among them: mapped
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", "off")
    plain, _ = match_rows(batches, window=0)
    assert narrow == plain and len(plain) < len(match_rows(batches, window=1)[0])


def pack_file(cache: Path) -> Path:
    match_rows(events_of([DAY]))
    (path,) = packs(cache)
    return path


def sections(path: Path) -> dict[str, tuple[int, int]]:
    head = _HEAD.unpack_from(path.read_bytes())
    _magic, n, groups, lists, data, slots, words, _shift, _labels, meta = head
    at, out = _HEAD.size, {}
    for name, length in _layout(n, groups, lists, data, slots, words, meta):
        out[name] = (at, length)
        at += length + (-length % 8)
    return out


def damage(path: Path, section: str, value: bytes, where: int = 0) -> None:
    blob = bytearray(path.read_bytes())
    start, _ = sections(path)[section]
    blob[start + where : start + where + len(value)] = value
    path.write_bytes(bytes(blob))


def pack_of(cache: Path, path: Path) -> Any:
    folder = ListPacks.for_variants(cache, variants())
    assert folder is not None
    return folder.open(path)


@pytest.mark.parametrize(
    "harm",
    [
        "truncated",
        "end mark",
        "entry count",
        "slot out of range",
        "chain loop",
        "no empty slot",
        "offsets backwards",
        "not ascii",
        "fingerprint",
        "name hash",
        "list twice",
        "day out of range",
    ],
)
def test_a_damaged_pack_is_not_used_and_is_written_again(
    cache: Path, monkeypatch: pytest.MonkeyPatch, harm: str
) -> None:
    path = pack_file(cache)
    assert pack_of(cache, path) is not None
    parts = sections(path)
    if harm == "truncated":
        path.write_bytes(path.read_bytes()[:-1])
    elif harm == "end mark":
        path.write_bytes(path.read_bytes()[:-8] + b"DGWPACK0")
    elif harm == "entry count":
        damage(path, "offsets", b"", 0)
        blob = bytearray(path.read_bytes())
        struct.pack_into("<Q", blob, 8, struct.unpack_from("<Q", blob, 8)[0] + 1)
        path.write_bytes(bytes(blob))
    elif harm == "slot out of range":
        n = struct.unpack_from("<Q", path.read_bytes(), 8)[0]
        vals = np.frombuffer(path.read_bytes(), "<i4", parts["vals"][1] // 4, parts["vals"][0])
        damage(path, "vals", struct.pack("<i", n), 4 * int(np.flatnonzero(vals >= 0)[0]))
    elif harm == "chain loop":
        damage(path, "next", struct.pack("<i", 0), 0)  # entry 0 -> itself
    elif harm == "no empty slot":
        damage(path, "vals", b"\0" * parts["vals"][1])
    elif harm == "offsets backwards":
        damage(path, "offsets", struct.pack("<i", 1 << 20), 4)
    elif harm == "not ascii":
        damage(path, "data", b"\xff")
    elif harm == "fingerprint":
        start, length = parts["meta"]
        meta = json.loads(path.read_bytes()[start : start + length])
        meta["variants"][0][1] = "x" * len(meta["variants"][0][1])
        damage(path, "meta", json.dumps(meta, separators=(",", ":")).encode())
    elif harm == "name hash":
        start, length = parts["meta"]
        meta = json.loads(path.read_bytes()[start : start + length])
        meta["hash"] = "0" * len(meta["hash"])
        damage(path, "meta", json.dumps(meta, separators=(",", ":")).encode())
    elif harm == "list twice":
        start, length = parts["list_day"]
        days = np.frombuffer(path.read_bytes(), "<i4", length // 4, start).copy()
        variant = np.frombuffer(path.read_bytes(), "<i4", length // 4, parts["list_variant"][0])
        same = next(i for i in range(1, len(days)) if variant[i] == variant[0])
        days[same] = days[0]
        damage(path, "list_day", days.tobytes())
    elif harm == "day out of range":
        damage(path, "list_day", struct.pack("<i", 10**9))
    assert pack_of(cache, path) is None
    batches = events_of([DAY])
    rows, source = match_rows(batches)  # the lists are read and the pack written again
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", "off")
    assert rows == match_rows(batches)[0]
    assert source.from_cache > 0 and pack_of(cache, path) is not None


def test_random_damage_never_crashes(cache: Path) -> None:
    """Seeded byte flips anywhere: the pack is refused (its checksum, see
    tests/hunt/test_listpack_sum.py), or mapped and probed safely."""
    path = pack_file(cache)
    good = path.read_bytes()
    batch = events_of([DAY])[0]
    rng = np.random.default_rng(7)
    used = unchanged = 0
    for k in range(150):
        blob = bytearray(good)
        for at in rng.integers(0, len(blob), int(rng.integers(1, 4))):
            blob[int(at)] = int(rng.integers(0, 256))
        path.write_bytes(bytes(blob))
        os.utime(path, ns=(k + 1, k + 1))  # another identity, whatever the clock's grain
        unchanged += blob == good
        pack = pack_of(cache, path)
        if pack is not None:
            used += 1
            qname = batch.column("qname")
            bufs = qname.buffers()
            offsets = np.frombuffer(bufs[1], np.int32)[: len(qname) + 1]
            _rows, entries, _ = pack.table.probe_names(offsets, np.frombuffer(bufs[2], np.uint8), 4)
            assert np.all(np.frombuffer(entries, np.int32) < len(pack.names))
    assert used == unchanged  # each changed byte is caught (most land in names or hashes)


def test_a_changed_generator_reads_another_folder(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack_file(cache)
    before = ListPacks.for_variants(cache, variants())
    real = listpack.fingerprint
    monkeypatch.setattr(
        listpack, "fingerprint", lambda v: real(v) + "-changed" if v.family == "pitou" else real(v)
    )
    after = ListPacks.for_variants(cache, variants())
    assert before is not None and after is not None and after.folder != before.folder
    keys = [("pitou", "dafe02c", DAY)]
    assert before.find(keys) is not None and after.find(keys) is None


def test_another_selection_of_variants_has_its_own_packs(cache: Path) -> None:
    pack_file(cache)
    fewer = ListPacks.for_variants(cache, variants()[:-1])
    assert fewer is not None and fewer.find([("pitou", "dafe02c", DAY)]) is None


def test_table_checks_refuse_what_would_read_outside_or_loop() -> None:
    table = _huntscan.Index(np.arange(1, 100, dtype=np.uint64) * 0x9E3779B97F4A7C15)
    keys, vals, nxt, bits, shift = (
        *(bytes(memoryview(x)) for x in table.dump()[:4]),
        table.dump()[4],
    )
    ok = _huntscan.index_from(keys, vals, nxt, bits, shift)
    assert ok.size() == 99
    v = np.frombuffer(vals, np.int32).copy()
    bad = {
        "bitmap": (keys, vals, nxt, bits[:-8], shift),
        "shift": (keys, vals, nxt, bits, shift + 1),
        "slots": (keys[:-8], vals[:-4], nxt, bits, shift),
        "vals": (keys, np.where(v >= 0, 99, v).astype(np.int32).tobytes(), nxt, bits, shift),
        "next": (keys, vals, np.full(99, 98, np.int32).tobytes(), bits, shift),
        "full": (keys, np.zeros(len(v), np.int32).tobytes(), nxt, bits, shift),
    }
    for why, parts in bad.items():
        with pytest.raises(ValueError, match="not a packed index"):
            _huntscan.index_from(*parts)
        assert why


def test_a_viewed_table_cannot_grow() -> None:
    table = _huntscan.Index(np.arange(10, dtype=np.uint64))
    view = table.dump()
    with pytest.raises(BufferError):
        table.add(np.arange(3, dtype=np.uint64))
    del view
    table.add(np.arange(3, dtype=np.uint64))
    assert table.size() == 13
    mapped = _huntscan.index_from(*table.dump())
    mapped.add(np.arange(2, dtype=np.uint64))  # copied first, then grown
    assert mapped.size() == 15


def test_two_hunts_writing_one_pack_leave_a_whole_file(cache: Path) -> None:
    batches = events_of([DAY])
    matchers = [LocalMatcher(variants(), 1, ListSource(None)) for _ in range(2)]
    for m in matchers:  # both read the lists (no pack yet) ...
        for b in batches:
            m.match(b)
    paths = [m.save_pack() for m in matchers]  # ... and both write the same pack
    assert paths[0] == paths[1] and packs(cache) == [paths[0]]
    assert pack_of(cache, paths[0]) is not None
    assert not list(paths[0].parent.glob(".tmp-*"))


def test_an_error_of_the_unknown_dga_feed_ends_the_hunt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unknown-DGA collector is fed on a thread of its own: what it raises is the hunt's
    error, and the thread is gone afterwards."""
    import threading

    from dgawatch.hunt import hunt_paths
    from dgawatch.hunt.unknown import UnknownCollector
    from tests.hunt.logs import Query, write_zeek

    log = tmp_path / "dns.log"
    write_zeek(
        log, [Query(utc(2023, 6, 8, 9, 0, i), "192.0.2.7", f"x{i}.example") for i in range(9)]
    )

    def broken(self: UnknownCollector, batch: pa.RecordBatch) -> None:
        raise RuntimeError("collector broke")

    monkeypatch.setattr(UnknownCollector, "add_events", broken)
    options = HuntOptions(variants=tuple(variants()[:2]), unknown_dga=True)
    with pytest.raises(RuntimeError, match="collector broke"):
        hunt_paths([log], options)
    assert not [t for t in threading.enumerate() if t.name == "dgawatch-unknown-feed"]
