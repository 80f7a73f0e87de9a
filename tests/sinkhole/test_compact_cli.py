"""``dgawatch sinkhole compact`` as a user runs it (real CLI processes)."""

from __future__ import annotations

from pathlib import Path

from dgawatch.sinkhole.store import list_files, write_events
from tests.sinkhole.test_store import T0, _event
from tests.test_cli import run


def test_compact_refuses_what_is_no_event_store(tmp_path: Path) -> None:
    """QA: a missing directory or a plain file printed a blank line, exit 0 (``stats`` gives
    exit 2 for the same path)."""
    plain = tmp_path / "file.txt"
    plain.write_text("x\n")
    for bad in (tmp_path / "nonexistent", plain):
        for cmd in ("compact", "stats"):
            p = run("sinkhole", cmd, "--sinkhole-dir", str(bad), home=tmp_path, check=False)
            assert p.returncode == 2, (cmd, p.stderr)
            (line,) = p.stderr.strip().splitlines()
            assert str(bad) in line and "not a directory" in line


def test_compact_says_when_there_is_nothing_to_do(tmp_path: Path) -> None:
    store = tmp_path / "events"
    store.mkdir()
    p = run("sinkhole", "compact", "--sinkhole-dir", str(store), home=tmp_path)
    assert p.stdout.strip() == "" and "nothing to compact" in p.stderr
    write_events([_event(i, T0) for i in range(3)], store, worker="w")  # a past, closed day
    p = run("sinkhole", "compact", "--sinkhole-dir", str(store), home=tmp_path)
    assert "wrote" in p.stderr and "nothing to compact" not in p.stderr
    assert [k for _d, _w, k, _p in list_files(store)] == ["parquet"]
    p = run("sinkhole", "compact", "--sinkhole-dir", str(store), home=tmp_path)
    assert "nothing to compact" in p.stderr
