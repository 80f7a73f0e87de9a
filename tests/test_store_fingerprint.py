"""Day lists stored by another version of a generator are never read: the variant is stale
until a build replaces its lists (a fixed generator must not keep answering from old lists)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dgawatch import store as store_module
from dgawatch.families import get_family
from dgawatch.store import ForecastStore

DAYS = [dt.date(2020, 3, 1), dt.date(2020, 3, 2)]


def test_a_changed_generator_makes_stored_lists_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = get_family("chinad").variant("default")
    path = tmp_path / "forecast.duckdb"
    with ForecastStore(path) as fs:
        assert fs.build([v], DAYS) == 2 * v.domains_per_day
    with ForecastStore(path, read_only=True) as fs:
        assert fs.covered_days(v) == set(DAYS) and not fs.stale()
        assert fs.summary()[0]["stale"] is False

    real = store_module.fingerprint
    monkeypatch.setattr(store_module, "fingerprint", lambda var: f"{real(var)}-changed")
    with ForecastStore(path, read_only=True) as fs:
        assert fs.stale() == {"chinad/default"}
        assert fs.covered_days(v) == set() and fs.day_list(v, DAYS[0]) is None
        assert fs.summary()[0]["stale"] is True
    with ForecastStore(path) as fs:  # a build replaces the stale lists, nothing else kept
        assert fs.build([v], DAYS[:1]) == v.domains_per_day
        assert fs.covered_days(v) == {DAYS[0]} and not fs.stale()
        dl = fs.day_list(v, DAYS[0])
        assert dl is not None and dl.names() == v.domains(DAYS[0])


def test_a_store_without_recorded_versions_is_stale(tmp_path: Path) -> None:
    v = get_family("chinad").variant("default")
    path = tmp_path / "forecast.duckdb"
    with ForecastStore(path) as fs:
        fs.build([v], DAYS[:1])
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE generators")  # as written before versions were recorded
    con.close()
    with ForecastStore(path, read_only=True) as fs:
        assert fs.stale() == {"chinad/default"} and fs.covered_days(v) == set()
