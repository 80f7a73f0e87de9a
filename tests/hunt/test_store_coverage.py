"""A hunt opens the forecast store only when it holds a list asked for, once an earlier hunt
kept the store's coverage in the list cache (hunt/lists.py ``ListSource.for_store``; issue
19: DuckDB's first connection was ~50 ms of CPU at every hunt). The copy is used only while
the store file and every generator are as they were. And a hunt with no match starts no
DuckDB at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.hunt import lists
from dgawatch.hunt.listcache import ListCache
from dgawatch.hunt.lists import COVERAGE_FOLDER, ListSource, ListSpec
from dgawatch.store import ForecastStore

C = get_family("conficker").variant("c")
STORED = [dt.date(2014, 11, 15), dt.date(2014, 11, 16)]
NOT_STORED = dt.date(2014, 11, 20)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every store ListSource opens."""
    seen: list[Path] = []

    class Counting(ForecastStore):
        def __init__(self, path: Path, *, read_only: bool = False) -> None:
            seen.append(Path(path))
            super().__init__(path, read_only=read_only)

    monkeypatch.setattr(lists, "ForecastStore", Counting)
    return seen


def store_of(path: Path, days: list[dt.date]) -> Path:
    with ForecastStore(path) as store:
        store.build([C], days)
    return path


def hunt_lists(path: Path, cache: ListCache, day: dt.date) -> tuple[int, int, list[str]]:
    source = ListSource.for_store(path, cache=cache)
    try:
        spec = ListSpec(C, day)
        stored = source.stored_any([spec])
        names = source.names([spec])[0].to_pylist()
        return int(stored), source.from_store, names
    finally:
        source.close()


def test_the_store_is_opened_only_for_the_lists_it_holds(
    tmp_path: Path, opened: list[Path]
) -> None:
    store = store_of(tmp_path / "f.duckdb", STORED)
    cache = ListCache(tmp_path / "cache")
    first = hunt_lists(store, cache, NOT_STORED)  # no copy yet: opened, coverage kept
    assert len(opened) == 1 and first[:2] == (0, 0)
    assert len(list((tmp_path / "cache" / COVERAGE_FOLDER).iterdir())) == 1
    assert hunt_lists(store, cache, NOT_STORED) == first  # from the copy: not opened
    assert len(opened) == 1
    stored, from_store, names = hunt_lists(store, cache, STORED[0])  # the store serves it
    assert (stored, from_store) == (1, 1) and len(opened) == 2
    assert names == C.domains(STORED[0])


def test_a_changed_store_is_opened_again(tmp_path: Path, opened: list[Path]) -> None:
    store = store_of(tmp_path / "f.duckdb", STORED)
    cache = ListCache(tmp_path / "cache")
    assert hunt_lists(store, cache, NOT_STORED)[:2] == (0, 0)
    store_of(store, [NOT_STORED])  # the store now holds that day: the copy is out of date
    before = len(opened)
    assert hunt_lists(store, cache, NOT_STORED)[:2] == (1, 1)
    assert len(opened) > before


def test_a_changed_generator_makes_the_copy_invalid(
    tmp_path: Path, opened: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_of(tmp_path / "f.duckdb", STORED)
    cache = ListCache(tmp_path / "cache")
    assert hunt_lists(store, cache, STORED[0])[:2] == (1, 1)
    real = lists.fingerprint
    monkeypatch.setattr(lists, "fingerprint", lambda v: "changed" if v.key == C.key else real(v))
    before = len(opened)
    # the store's conficker/c lists were written by "another version": stale, not served
    # (ForecastStore.stale compares with families.fingerprint, patched there too)
    monkeypatch.setattr("dgawatch.store.fingerprint", lists.fingerprint)
    assert hunt_lists(store, cache, STORED[0])[:2] == (0, 0)
    assert len(opened) == before + 1


def test_without_a_list_cache_the_store_is_opened_every_time(
    tmp_path: Path, opened: list[Path]
) -> None:
    store = store_of(tmp_path / "f.duckdb", STORED)
    for _ in range(2):
        assert hunt_lists(store, ListCache(None), NOT_STORED)[:2] == (0, 0)
    assert len(opened) == 2


def test_a_missing_store_is_still_an_error_at_once(tmp_path: Path) -> None:
    from dgawatch.errors import DgawatchError

    with pytest.raises(DgawatchError, match="no forecast store"):
        ListSource.for_store(tmp_path / "none.duckdb", cache=ListCache(tmp_path / "cache"))


def test_a_hunt_without_matches_starts_no_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    """No match, no finding: the findings SQL (and DuckDB's first connection, ~25 ms) is
    skipped, with the same answer."""
    import dgawatch.hunt as hunt
    from dgawatch.events import QueryEvent, batch_from_events
    from dgawatch.hunt import HuntOptions, hunt_batches
    from tests.hunt.logs import utc

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("DuckDB started")

    monkeypatch.setattr(hunt.duckdb, "connect", refuse)
    event = QueryEvent(utc(2020, 6, 1, 8), "192.0.2.1", "example.com", "A", None, (), None, "x", 1)
    result = hunt_batches([batch_from_events([event])], HuntOptions(variants=[C]))
    assert result.findings == [] and result.events == 1 and result.matches == 0
