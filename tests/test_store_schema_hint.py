"""A forecast store of another schema version (an older or newer dgawatch) is refused in
one line ending in a whole command the user can paste: it keeps the old file beside the
new one (never overwritten) and builds a new store at the same path. Another program's
DuckDB file is refused untouched, by 'store build' too (it used to gain our tables).
Real processes, real DuckDB."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dgawatch.errors import StoreError
from tests.servers import free_port, running, wait_for_port

BIN = Path(sys.executable).parent


def run(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dgawatch"), *args], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, DGAWATCH_HOME=str(home)), cwd=cwd, check=False,
    )  # fmt: skip


def _store_of_schema(tmp_path: Path, name: str, version: str) -> Path:
    path = tmp_path / name
    built = run(tmp_path / "home", "store", "build", "--store", str(path),
                "--start", "2009-04-01", "--family", "conficker", "--variant", "b")  # fmt: skip
    assert built.returncode == 0, built.stderr
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [version])
    con.close()
    return path


def _pasted(line: str) -> str:
    """The command at the end of the message: everything after its last ': mv '."""
    assert ": mv " in line, line
    return "mv " + line.rsplit(": mv ", 1)[1]


def test_newer_schema_hint_is_a_command_that_keeps_the_old_store(tmp_path: Path) -> None:
    work = tmp_path / "my stores"  # a space: the command must quote the paths
    work.mkdir()
    path = _store_of_schema(work, "forecast.duckdb", "2")
    (work / "forecast.duckdb.schema-2").write_text("an earlier kept copy\n")
    before = path.read_bytes()
    proc = run(tmp_path / "home", "lookup", "--store", str(path), "abc.com",
               "--start", "2009-04-01")  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert "schema 2" in line and "reads schema 1" in line and "upgrade dgawatch" in line
    command = _pasted(line)
    # fails without the fix: the old hint was "move it away and run 'dgawatch store build'
    # again" (no command, and 'store build' alone would have refused the same file)
    words = shlex.split(command)
    assert words[:2] == ["mv", str(path)] and "&&" in words
    assert words[words.index("&&") + 1 :][:3] == ["dgawatch", "store", "build"]
    assert ["--store", str(path)] == words[-2:]
    # Paste it (one family, to keep the test short), with dgawatch on the PATH.
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home"),
               PATH=f"{BIN}:{os.environ['PATH']}")  # fmt: skip
    pasted = subprocess.run(["bash", "-c", command + " --family conficker --variant b"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert pasted.returncode == 0, pasted.stderr
    kept = work / "forecast.duckdb.schema-2.1"  # .schema-2 was taken: not overwritten
    assert kept.read_bytes() == before
    assert (work / "forecast.duckdb.schema-2").read_text() == "an earlier kept copy\n"
    info = run(tmp_path / "home", "store", "info", "--store", str(path))
    assert info.returncode == 0, info.stderr


def test_older_schema_on_the_default_store_needs_no_store_option(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _store_of_schema(home, "forecast.duckdb", "0")
    proc = run(home, "store", "info")
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "schema 0" in line and "upgrade" not in line
    command = _pasted(line)
    assert command.endswith("&& dgawatch store build --start today --days 7"), command


def test_store_build_leaves_another_programs_duckdb_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.close()
    proc = run(tmp_path / "home", "store", "build", "--store", str(path),
               "--start", "2009-04-01", "--family", "conficker", "--variant", "b")  # fmt: skip
    # fails without the fix: exit 0, and meta/forecast/coverage tables added to the file
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert "not a dgawatch forecast store" in line and str(path) in line
    con = duckdb.connect(str(path), read_only=True)
    assert [r[0] for r in con.execute("SHOW TABLES").fetchall()] == ["t"]
    con.close()


def test_watch_store_of_another_schema_is_refused_untouched_with_a_command(
    tmp_path: Path,
) -> None:
    from dgawatch.watch.store import WatchStore

    path = tmp_path / "watch.duckdb"
    with WatchStore(path) as store:
        store.con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        store.con.execute("DROP TABLE observations")  # a schema without it
    before = path.read_bytes()
    proc = run(tmp_path / "home", "watch", "report", "--watch-store", str(path))
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "watch store schema 3" in line
    # fails without the fix: no command in the message
    assert _pasted(line) == f"mv {path} {path}.schema-3"
    # a writable open refuses it too, before creating its tables in the file
    with pytest.raises(StoreError, match="schema 3"):
        WatchStore(path)
    assert path.read_bytes() == before
    con = duckdb.connect(str(path), read_only=True)
    assert "observations" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    con.close()


def test_web_serve_refuses_another_schema_at_start_but_not_a_locked_store(
    tmp_path: Path,
) -> None:
    path = _store_of_schema(tmp_path, "old.duckdb", "0")
    proc = run(tmp_path / "home", "web", "serve", "--port", str(free_port()), "--store", str(path))
    # fails without the fix: the portal started, and every page generated instead (a log
    # warning per request)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "schema 0" in line and _pasted(line).startswith("mv ")
    good = tmp_path / "good.duckdb"
    built = run(tmp_path / "home", "store", "build", "--store", str(good), "--start",
                "2009-04-01", "--family", "conficker", "--variant", "b")  # fmt: skip
    assert built.returncode == 0, built.stderr
    hold = [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(60)", str(good)]  # fmt: skip
    with running(hold, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        port = free_port()
        serve = [str(BIN / "dgawatch"), "web", "serve", "--port", str(port), "--store", str(good)]
        env = dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home"))
        with running(serve, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                     env=env) as portal:  # fmt: skip
            # a store locked by a writer for now: the portal starts all the same
            wait_for_port(portal, port, what="the portal")
