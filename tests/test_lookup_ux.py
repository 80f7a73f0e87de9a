"""What `lookup` and `store` say to a person: invalid arguments, one-day --start, day runs in
the table, store hints (QA pass L3-L7). Real processes, a private DGAWATCH_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# tinba/ogks3w3s's list does not change by day (tinba seeds no date), so this name of it is
# found on every day at one index. These tests check how lookup SHOWS hits; the lists
# themselves are checked in tests/families/test_tinba.py.
TINBA = ("--family", "tinba", "--variant", "ogks3w3s")
STEADY = "hieffvbcjitc.com"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DGAWATCH_HOME=str(home), COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def window(stderr: str) -> tuple[str, str]:
    line = next(x for x in stderr.splitlines() if x.startswith("window "))
    first, last = line.split()[1].split("..")
    return first, last


def test_only_invalid_names_as_arguments_is_one_error_line(tmp_path: Path) -> None:
    for args, expected in [
        ([""], ["'' is not a domain name: empty name"]),
        (["bad..name"], ["'bad..name' is not a domain name: empty label"]),
        (["bad..name", ""], ["'bad..name'", "'' is not a domain name"]),
        (["bad..name", "--all"], ["'bad..name' is not a domain name: empty label"]),
    ]:
        proc = run("lookup", *args, *TINBA, home=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stdout == "", args
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and all(e in lines[0] for e in expected), (args, lines)


def test_a_batch_with_a_valid_name_keeps_per_row_errors(tmp_path: Path) -> None:
    proc = run("lookup", "bad..name", STEADY, *TINBA, "--start", "today", "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "error" in docs[0] and docs[1]["matches"][0]["domain"] == STEADY


def test_table_shows_queries_verbatim_and_why_a_name_is_invalid(tmp_path: Path) -> None:
    names = ("a[b]c.com", "[red]x.com", "bad..name", STEADY)
    proc = run("lookup", *names, *TINBA, "--start", "today", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split("│")[1].strip(): line for line in proc.stdout.splitlines() if "│" in line}
    assert set(rows) == set(names)  # rich markup in a query is printed, not interpreted
    assert "'[red]x.com' is not a domain name: character '['" in rows["[red]x.com"]
    assert "'bad..name' is not a domain name: empty label" in rows["bad..name"]


def test_start_alone_is_that_one_day(tmp_path: Path) -> None:
    proc = run("lookup", STEADY, *TINBA, "--start", "today", "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    first, last = window(proc.stderr)
    assert first == last
    (doc,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [m["day"] for m in doc["matches"]] == [first]
    # --end and --days still make longer windows
    by_days = run("lookup", STEADY, *TINBA, "--start", "2020-01-01", "--days", "3", home=tmp_path)
    assert window(by_days.stderr) == ("2020-01-01", "2020-01-03")
    by_end = run("lookup", STEADY, *TINBA, "--start", "2020-01-01", "--end", "2020-01-02",
                 home=tmp_path)  # fmt: skip
    assert window(by_end.stderr) == ("2020-01-01", "2020-01-02")


def test_end_alone_before_the_default_start_says_to_give_start(tmp_path: Path) -> None:
    proc = run("lookup", STEADY, *TINBA, "--end", "2020-01-01", home=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "before the default start (today-365" in proc.stderr
    assert "give --start too" in proc.stderr


def test_table_shows_a_run_of_days_as_one_row_json_one_match_per_day(tmp_path: Path) -> None:
    args = ("lookup", STEADY, *TINBA, "--start", "2020-01-01", "--days", "3")
    docs = [json.loads(line) for line in run(*args, "--json", home=tmp_path).stdout.splitlines()]
    days = [m["day"] for m in docs[0]["matches"]]
    assert days == ["2020-01-01", "2020-01-02", "2020-01-03"]
    (index,) = {m["index"] for m in docs[0]["matches"]}
    rows = [line for line in run(*args, home=tmp_path).stdout.splitlines() if STEADY in line]
    assert len(rows) == 1
    assert "2020-01-01..2020-01-03 (3 days)" in rows[0] and f" {index} " in rows[0]
    one = run("lookup", STEADY, *TINBA, "--start", "2020-01-01", home=tmp_path).stdout
    (row,) = [line for line in one.splitlines() if STEADY in line]
    assert "2020-01-01 " in row and ".." not in row


def test_store_info_without_a_store_gives_a_whole_build_command(tmp_path: Path) -> None:
    info = run("store", "info", home=tmp_path)
    assert info.returncode == 2
    assert "'dgawatch store build --start today --days 7'" in info.stderr


def test_store_build_twice_says_the_days_were_already_stored(tmp_path: Path) -> None:
    build = ("store", "build", "--start", "today", *TINBA, "--days")
    first = run(*build, "2", home=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "already stored" not in first.stderr
    again = run(*build, "2", home=tmp_path)
    assert "inserted 0 names" in again.stderr
    assert "2 (variant, day) lists were already stored" in again.stderr
    assert "--rebuild" in again.stderr
    doc = json.loads(run(*build, "3", "--json", home=tmp_path).stdout)
    assert doc["already_stored"] == 2 and doc["inserted"] > 0


def test_shape_list_in_a_table_cell_is_capped() -> None:
    from dgawatch.cli import _first_few

    keys = [f"fam/v{i}" for i in range(7)]
    assert _first_few(keys) == "fam/v0, fam/v1, fam/v2 +4 more (seed unknown; --json lists all)"
    assert _first_few(keys[:3]) == "fam/v0, fam/v1, fam/v2 (seed unknown)"
