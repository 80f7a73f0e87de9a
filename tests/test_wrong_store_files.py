"""A file that is not a forecast store is one line naming it, exit 2, wherever a command
opens one (QA: a CSV gave DuckDB's "Cannot launch in-memory database in read-only mode!",
and 'web serve' started anyway and failed on every page later). Real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home / "home")),
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_one_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dgawatch: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], (needle, proc.stderr)


@pytest.fixture
def wrong(tmp_path: Path) -> dict[str, Path]:
    files = {
        "csv": tmp_path / "jan.csv",
        "duckdb-named": tmp_path / "text.duckdb",
        "foreign-duckdb": tmp_path / "other.duckdb",
    }
    files["csv"].write_text("timestamp,client,query\n2026-01-01T00:00:00,10.0.0.1,a.com\n")
    files["duckdb-named"].write_text("not a database\n" * 20)
    con = duckdb.connect(str(files["foreign-duckdb"]))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    return files


@pytest.mark.parametrize("kind", ["csv", "duckdb-named", "foreign-duckdb"])
def test_store_info_names_the_wrong_file(kind: str, wrong: dict[str, Path], tmp_path: Path) -> None:
    path = wrong[kind]
    before = path.read_bytes()
    proc = run(tmp_path, "store", "info", "--store", str(path))
    assert_one_line(
        proc,
        str(path),
        "not a dgawatch forecast store"
        if kind.startswith("foreign")
        else "not a DuckDB forecast store",
    )
    assert path.read_bytes() == before  # never touched


def test_hunt_names_the_wrong_store(wrong: dict[str, Path], tmp_path: Path) -> None:
    proc = run(tmp_path, "hunt", "--store", str(wrong["csv"]), str(wrong["csv"]))
    assert_one_line(proc, str(wrong["csv"]), "not a DuckDB forecast store")


def test_store_build_refuses_to_write_into_a_csv(wrong: dict[str, Path], tmp_path: Path) -> None:
    before = wrong["csv"].read_bytes()
    proc = run(
        tmp_path,
        "store",
        "build",
        "--store",
        str(wrong["csv"]),
        "--start",
        "2009-04-01",
        "--days",
        "1",
        "--family",
        "conficker",
    )
    assert_one_line(proc, str(wrong["csv"]))
    assert wrong["csv"].read_bytes() == before


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--store", "{csv}"], ["--store", "{csv}", "not a DuckDB forecast store"]),
        (["--sinkhole-dir", "{nodir}"], ["--sinkhole-dir", "{nodir}", "does not exist"]),
        (["--sinkhole-dir", "{csv}"], ["--sinkhole-dir", "{csv}", "not a directory"]),
    ],
    ids=["store-csv", "sinkhole-dir-absent", "sinkhole-dir-file"],
)
def test_web_serve_refuses_at_start(
    args: list[str], needles: list[str], wrong: dict[str, Path], tmp_path: Path
) -> None:
    """Refused before binding: the process ends by itself with exit 2 (a started portal
    would run until the 120 s timeout)."""
    where = {"csv": str(wrong["csv"]), "nodir": str(tmp_path / "nonexistent")}
    proc = run(
        tmp_path,
        "web",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
        *[a.format(**where) for a in args],
    )
    assert_one_line(proc, *[n.format(**where) for n in needles])
