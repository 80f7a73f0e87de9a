"""DuckDB draws a progress bar on stdout once a query runs past 2 s: on a loaded machine it
landed inside ``lookup --file --json``'s JSON lines. The store's connection has it off."""

from __future__ import annotations

from pathlib import Path

from dgawatch.store import ForecastStore


def test_store_connections_draw_no_progress_bar(tmp_path: Path) -> None:
    path = tmp_path / "forecast.duckdb"
    with ForecastStore(path) as fs:
        assert fs.con.sql("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
    with ForecastStore(path, read_only=True) as fs:
        assert fs.con.sql("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]
