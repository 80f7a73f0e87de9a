"""The store after damage: NUL tails and runs (power loss), corrupt lines, impossible
timestamps; compaction of a directory whose path holds a quote, in mode 0600."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import tracemalloc
from pathlib import Path

from dgawatch.sinkhole.store import (
    EventStore,
    check,
    compact,
    count_events,
    event_file,
    list_files,
    write_events,
)
from tests.sinkhole.conftest import DGAWATCH
from tests.sinkhole.test_store import DAY_MS, T0, _event

DAY = dt.date(2026, 11, 27)


def test_nul_tail_is_cut_in_bounded_memory(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Power loss: the file's size reached the disk, its last blocks did not (zeros).
    Before the fix the writer read the whole file to find the last newline (RSS 134 ->
    632 MB on a 500 MB file)."""
    write_events([_event(i) for i in range(50)], tmp_path, worker="w")
    path = event_file(tmp_path, DAY, "w")
    with path.open("ab") as fh:
        fh.write(b"\0" * (8 << 20))
    monkeypatch.setattr("dgawatch.sinkhole.store.boot_id", lambda: "after-a-reboot")
    tracemalloc.start()
    try:
        store = EventStore(tmp_path, worker="w").open()
        store.write_now([_event(50)])
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    store.close()
    assert peak < 2 << 20  # 64 KiB reads backwards, 4 MiB chunks forwards
    data = path.read_bytes()
    assert b"\0" not in data and data.count(b"\n") == 51 and count_events(tmp_path) == 51


def test_events_after_a_nul_run_are_kept_and_bad_lines_counted(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write_events([_event(i) for i in range(3)], tmp_path, worker="w")
    path = event_file(tmp_path, DAY, "w")
    with path.open("ab") as fh:
        fh.write(b"\0" * 100_000 + _event(3).to_line())  # a valid event behind zeros
        fh.write(b'{"v":1,"ts":17\n')  # a torn line
        fh.write(b"not json at all\n")
        fh.write(_event(4, ts=-1 - T0).to_line())  # "ts": -1
        fh.write(_event(5, ts=DAY_MS * 3).to_line())  # 1970-01-04 in a 2026 file
        fh.write(_event(6).to_line())
    # readers before the writer restarts: the event behind the zeros is one corrupt line
    found = check(tmp_path)
    assert (found.corrupt, found.impossible_ts) == (3, 2)
    assert list(found.files) == [str(path)]
    assert count_events(tmp_path) == 4  # 0, 1, 2, 6: no day 1969-12-31
    # after a reboot the writer overwrites the zeros with newlines: the event is back
    monkeypatch.setattr("dgawatch.sinkhole.store.boot_id", lambda: "after-a-reboot")
    store = EventStore(tmp_path, worker="w").open()
    store.write_now([_event(7)])
    store.close()
    assert store.repaired_nul == 100_000
    found = check(tmp_path)
    assert (found.corrupt, found.impossible_ts) == (2, 2)
    assert count_events(tmp_path) == 6
    # compaction keeps the damaged file aside and says why
    told: list[str] = []
    compact(tmp_path, now=dt.datetime(2026, 11, 29, tzinfo=dt.UTC), problems=told.append)
    assert len(told) == 1 and "2 corrupt line(s), 2 impossible timestamp(s)" in told[0]
    assert (tmp_path / "corrupt" / path.name).exists() and count_events(tmp_path) == 6
    assert check(tmp_path).corrupt == 0


def test_compact_with_a_quote_in_the_path_writes_0600(tmp_path: Path) -> None:
    """Before the fix: a DuckDB syntax error (the path was pasted into the SQL), and the
    Parquet file was 0644 while raw files are 0600."""
    directory = tmp_path / "o'brien's store"
    for day in range(2):
        write_events([_event(i, T0 + day * DAY_MS) for i in range(10)], directory, worker="w")
    raw = event_file(directory, DAY, "w")
    assert stat.S_IMODE(raw.stat().st_mode) == 0o600
    old = os.umask(0o022)
    try:
        out = subprocess.run(
            [DGAWATCH, "sinkhole", "compact", "--dir", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.umask(old)
    assert out.returncode == 0, out.stderr
    parquet = [p for _d, _w, kind, p in list_files(directory) if kind == "parquet"]
    assert len(parquet) == 2 and count_events(directory) == 20
    assert {stat.S_IMODE(p.stat().st_mode) for p in parquet} == {0o600}
    # compacting a day again merges into the existing file (also through parameters)
    write_events([_event(20)], directory, worker="w")
    compact(directory)
    assert count_events(directory) == 21
