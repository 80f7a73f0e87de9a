"""A list pack's checksum (``dgawatch.hunt.listpack._body_sum``): a byte changed inside a
name or a hash is caught on the pack's first use after the change (before session 8 the
pack was used: a changed hash lost that name's matches, a changed name matched a query
equal to it), and the whole file is read once per pack file, not at every hunt."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from dgawatch.hunt import listpack
from tests.hunt import test_huntindex as hi

cache = hi.cache  # the fixture: $DGAWATCH_LIST_CACHE in tmp_path


def _changed(path: Path, section: str, where: int, value: bytes, stamp: int) -> None:
    hi.damage(path, section, value, where)
    os.utime(path, ns=(stamp, stamp))  # another identity, whatever the clock's grain


def test_a_name_with_one_letter_changed_is_caught_and_the_pack_rewritten(cache: Path) -> None:
    path = hi.pack_file(cache)
    good = path.read_bytes()
    start, length = hi.sections(path)["data"]
    rows, _ = hi.match_rows(hi.events_of([hi.DAY]))
    for k, at in enumerate((0, length // 2, length - 1)):
        old = good[start + at]
        new = ord("q") if old != ord("q") else ord("z")  # still ASCII: no other check sees it
        path.write_bytes(good)
        _changed(path, "data", at, bytes([new]), 10 + k)
        assert hi.pack_of(cache, path) is None  # fails before (the pack was used)
    again, source = hi.match_rows(hi.events_of([hi.DAY]))  # lists read, the pack written
    assert again == rows and source.generated == 0 and source.from_cache > 0
    assert hi.pack_of(cache, path) is not None


def test_a_changed_hash_is_caught(cache: Path) -> None:
    path = hi.pack_file(cache)
    start, length = hi.sections(path)["keys"]
    keys = np.frombuffer(path.read_bytes(), "<u8", length // 8, start)
    slot = int(np.flatnonzero(keys)[0])
    _changed(path, "keys", 8 * slot, int(keys[slot] ^ 1).to_bytes(8, "little"), 7)
    assert hi.pack_of(cache, path) is None  # fails before


def test_the_whole_file_is_read_once_per_identity(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hi.pack_file(cache)
    reads: list[int] = []
    real = listpack._body_sum

    def counted(fd: int, length: int) -> int:
        reads.append(length)
        return real(fd, length)

    monkeypatch.setattr(listpack, "_body_sum", counted)
    assert hi.pack_of(cache, path) is not None and len(reads) == 1  # first use: checked
    assert hi.pack_of(cache, path) is not None and len(reads) == 1  # then only its identity
    os.utime(path, ns=(5, 5))
    assert hi.pack_of(cache, path) is not None and len(reads) == 2  # touched: checked again
    assert reads[0] == path.stat().st_size - 16  # all but the checksum and the end mark


def test_hunts_that_find_the_pack_check_it_once(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hi.pack_file(cache)  # written: not yet checked
    reads: list[int] = []
    real = listpack._body_sum
    monkeypatch.setattr(listpack, "_body_sum", lambda fd, n: reads.append(n) or real(fd, n))
    for _ in range(3):
        _rows, source = hi.match_rows(hi.events_of([hi.DAY]))
        assert source.generated == 0  # the pack was used
    # a found pack's times are renewed (trimmed last); before, that changed its identity
    # and every hunt read the whole file again
    assert len(reads) == 1
