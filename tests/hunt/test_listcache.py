"""The disk cache of day lists: a second hunt reads what the first generated, the answer is
the same, and nothing stale or foreign is ever read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dgawatch.families import get_family
from dgawatch.hunt import HuntOptions, hunt_paths
from dgawatch.hunt.listcache import CachedList, ListCache, cache_root, fingerprint, pack, unpack
from dgawatch.hunt.lists import ListSource, ListSpec, name_hashes
from tests.hunt.logs import nxdomain_csv

DAY = dt.date(2021, 3, 4)


def _conficker_c():
    return get_family("conficker").variant("c")


def test_second_source_reads_the_cache(tmp_path: Path) -> None:
    v = _conficker_c()
    specs = [ListSpec(v, DAY), ListSpec(v, DAY + dt.timedelta(days=1))]
    first = ListSource(None, cache=ListCache(tmp_path))
    names1 = first.names(specs)
    assert (first.generated, first.from_cache) == (2, 0)
    second = ListSource(None, cache=ListCache(tmp_path))
    names2 = second.names(specs)
    assert (second.generated, second.from_cache) == (0, 2)
    # the generator itself is the reference, not the cache
    assert names2[0].to_pylist() == v.domains(DAY)
    assert names2[1].to_pylist() == names1[1].to_pylist() == v.domains(specs[1].day)


def test_unregistered_variant_is_never_cached(tmp_path: Path) -> None:
    v = _conficker_c()
    fake = dataclasses.replace(v, generator=lambda day: ["fake.example"], blob_generator=None)
    assert fingerprint(fake) is None
    cache = ListCache(tmp_path)
    source = ListSource(None, cache=cache)
    assert source.names([ListSpec(fake, DAY)])[0].to_pylist() == ["fake.example"]
    assert not any(tmp_path.iterdir())


def test_cached_hashes_are_the_engine_hashes(tmp_path: Path) -> None:
    """A warm list's hashes are read, not made: they must be the polynomial hashes of its
    names (the plain-Python reference of tests/hunt/test_huntscan.py)."""
    from dgawatch.hunt.local import _Hasher

    v = _conficker_c()
    ListSource(None, cache=ListCache(tmp_path)).lists([ListSpec(v, DAY)])
    (warm,) = ListSource(None, cache=ListCache(tmp_path)).lists([ListSpec(v, DAY)])
    assert warm.hashes is not None
    assert warm.names.to_pylist() == v.domains(DAY)
    assert warm.labels == max(n.count(".") + 1 for n in v.domains(DAY)) == 3  # x.com.cn
    assert np.array_equal(warm.hashes, _Hasher(warm.names).whole())


def _cut(blob: bytes) -> list[bytes]:
    """Damaged copies of a .lst file: cut anywhere, bad magic, offsets out of order or
    beyond the data, a size that disagrees."""
    n = struct.unpack_from("<Q", blob, 8)[0]
    bad_offsets = bytearray(blob)
    struct.pack_into("<i", bad_offsets, 32 + 4 * (n // 2), 1 << 30)
    backwards = bytearray(blob)
    struct.pack_into("<i", backwards, 32 + 4 * 3, 0)
    wrong_size = bytearray(blob)
    struct.pack_into("<Q", wrong_size, 16, struct.unpack_from("<Q", blob, 16)[0] - 1)
    return [
        blob[:-1], blob[:-9], blob[: len(blob) // 2], blob[:40], b"", b"x" + blob[1:],
        bytes(bad_offsets), bytes(backwards), bytes(wrong_size),
    ]  # fmt: skip


def test_damaged_file_is_regenerated(tmp_path: Path) -> None:
    v = _conficker_c()
    ListSource(None, cache=ListCache(tmp_path)).names([ListSpec(v, DAY)])
    (path,) = tmp_path.glob("*/*.lst")
    whole = path.read_bytes()
    assert unpack(whole) is not None
    for damaged in _cut(whole):
        assert unpack(damaged) is None
        path.write_bytes(damaged)
        source = ListSource(None, cache=ListCache(tmp_path))
        assert source.names([ListSpec(v, DAY)])[0].to_pylist() == v.domains(DAY)
        assert (source.generated, source.from_cache) == (1, 0)
        assert path.read_bytes() == whole  # written again


def test_first_format_files_are_not_read(tmp_path: Path) -> None:
    """A <day>.txt of the first format (names only) next to no .lst: generated again."""
    v = _conficker_c()
    ListSource(None, cache=ListCache(tmp_path)).names([ListSpec(v, DAY)])
    (path,) = tmp_path.glob("*/*.lst")
    path.unlink()
    path.with_suffix(".txt").write_bytes(b"fake.example\n")
    source = ListSource(None, cache=ListCache(tmp_path))
    assert source.names([ListSpec(v, DAY)])[0].to_pylist() == v.domains(DAY)
    assert source.generated == 1


@pytest.mark.parametrize("names", [[], [""], ["a"], ["b.example", "c.d.example", "x" * 300]])
def test_pack_unpack_round_trip(names: list[str]) -> None:
    arr = pa.array(names, pa.string())
    hashes, labels = name_hashes(arr)
    back = unpack(b"".join(bytes(p) for p in pack(CachedList(arr, hashes, labels))))
    assert back is not None
    back.names.validate(full=True)
    assert back.names.to_pylist() == names
    assert np.array_equal(back.hashes, hashes) and back.labels == labels
    # a slice of a bigger array packs only its own names
    sliced = pa.array(["zz", *names, "yy"], pa.string()).slice(1, len(names))
    again = unpack(b"".join(bytes(p) for p in pack(CachedList(sliced, hashes, labels))))
    assert again is not None and again.names.to_pylist() == names


def test_size_limit_drops_least_recently_used(tmp_path: Path, monkeypatch) -> None:
    v = _conficker_c()
    days = [DAY + dt.timedelta(days=i) for i in range(3)]
    cache = ListCache(tmp_path)
    sizes = []
    for i, d in enumerate(days):
        cache.put(v, d, _packed(v.domains(d)))
        path = next(tmp_path.glob(f"*/{d.isoformat()}.lst"))
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # days[0] least recently used
        sizes.append(path.stat().st_size)
    limit = sizes[1] + sizes[2] + 100
    monkeypatch.setenv("DGAWATCH_LIST_CACHE_MB", str(limit / (1 << 20)))
    cache.put(v, DAY + dt.timedelta(days=9), _packed(["x.example"]))
    cache.trim()
    kept = sorted(p.name for p in tmp_path.glob("*/*.lst"))
    assert kept == [f"{d.isoformat()}.lst" for d in [*days[1:], DAY + dt.timedelta(days=9)]]


def _packed(names: list[str]) -> CachedList:
    arr = pa.array(names, pa.string())
    return CachedList(arr, *name_hashes(arr))


@pytest.mark.parametrize("value", ["off", "0"])
def test_cache_can_be_turned_off(monkeypatch, value: str) -> None:
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", value)
    assert cache_root() is None


def test_hunt_answer_same_with_warm_cache(tmp_path: Path, monkeypatch) -> None:
    """The same log hunted twice (cold cache, then warm) gives the same findings."""
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(tmp_path / "cache"))
    v = _conficker_c()
    names = v.domains(DAY)[:30]
    log = nxdomain_csv(tmp_path / "q.csv", DAY, names, "example.com")
    options = HuntOptions(variants=(v,), window_days=0)
    cold = hunt_paths([log], options)
    warm = hunt_paths([log], options)
    # the day's list only (the index grows when a later batch needs the next day's)
    assert cold.lists_generated == 1 and warm.lists_generated == 0
    assert [(f.client, f.queries) for f in cold.findings] == [("10.0.0.9", 30)]
    assert [f.to_dict() for f in warm.findings] == [f.to_dict() for f in cold.findings]


@pytest.mark.parametrize(
    "blob", [b"a\nbb\n", b"a\n\nccc", b"x", b"\n", b"ab.com\nq.net\n", b"caf\xc3\xa9.de\n"]
)
def test_blob_names_splits_like_python(blob: bytes) -> None:
    from dgawatch.hunt.lists import blob_names

    lines = blob.decode().split("\n")
    expected = lines[:-1] if blob.endswith(b"\n") else lines
    if not blob.isascii():
        with pytest.raises(UnicodeDecodeError):
            blob_names(blob)
        return
    arr = blob_names(blob)
    arr.validate(full=True)
    assert arr.to_pylist() == expected
