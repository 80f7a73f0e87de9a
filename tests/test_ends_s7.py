"""Loose ends closed in session 7: each test fails on the code before its fix."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dgawatch import lookuptable as lt
from dgawatch.errors import InputError
from dgawatch.families import choose_variants
from dgawatch.store import STORE_FILE, ForecastStore
from tests.test_bad_arguments import run_main

DAY = ["--start", "2016-05-01", "--end", "2016-05-01", "--family", "murofet"]


# --- lookup --file: refused like classify --file ---------------------------------------


def lookup_file(
    tmp_path: Path,
    text: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *extra: str,
) -> tuple[int, str, str, Path]:
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path))
    path = tmp_path / "names.txt"
    path.write_text(text)
    code, out, err = run_main(["lookup", "--file", str(path), *DAY, *extra], capsys, monkeypatch)
    return code, out, err, path


@pytest.mark.parametrize("extra", [[], ["--json"], ["--all"]])
def test_a_file_of_only_invalid_names_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: list[str],
) -> None:
    if "--all" in extra:
        extra = ["--all", "--family", "murofet"]
        monkeypatch.setattr("tests.test_ends_s7.DAY", [])
    code, out, err, path = lookup_file(
        tmp_path, "bad..name\nhttp://x.nl/p\n", capsys, monkeypatch, *extra
    )
    assert code == 2 and out == ""  # exit 0 with two error rows before
    assert err.count("\n") == 1 and str(path) in err and "no valid domain name" in err
    assert "line 1: 'bad..name'" in err


def test_an_empty_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err, path = lookup_file(tmp_path, "\n# only a comment\n\n", capsys, monkeypatch)
    assert code == 2 and out == ""
    assert f"{path} is empty" in err  # was "give domains as arguments or --file"


def test_a_file_mostly_of_other_lines_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"10.0.0.{i},x{i}.com,53" for i in range(15)] + [f"ok{i}.com" for i in range(10)]
    code, out, err, path = lookup_file(tmp_path, "\n".join(rows), capsys, monkeypatch)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{path}: 15 of its first 25 lines are not domain names" in err
    assert "comma-separated columns" in err


def test_invalid_lines_are_reported_by_line_then_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = ["# names", ""] + [f"ok{i}.com" for i in range(30)]
    for i in range(12):  # after the header: line 2 + 3 * i + 3
        lines.insert(2 + 3 * i + 2, f"bad{i}..com")
    code, out, err, path = lookup_file(tmp_path, "\n".join(lines), capsys, monkeypatch, "--json")
    assert code == 0, err
    docs = [json.loads(x) for x in out.splitlines()]
    assert len(docs) == 42 and sum("error" in d for d in docs) == 12
    said = [x for x in err.splitlines() if x.startswith(f"{path}:")]
    assert len(said) == 10
    assert said[0] == f"{path}:5: 'bad0..com' is not a valid domain name"
    assert said[9].startswith(f"{path}:{5 + 27}: 'bad9..com'")
    assert "... and 2 more invalid lines (12 in all)" in err


@pytest.fixture(scope="module")
def table_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-day murofet store and its look-up table (the compiled path of lookup --json)."""
    home = tmp_path_factory.mktemp("table")
    with ForecastStore(home / STORE_FILE) as store:
        store.build(choose_variants(["murofet"], None), [dt.date(2016, 5, 1)])
    lt.build_table(home / STORE_FILE)
    return home


def compiled(home: Path, text: str) -> bool:
    path = home / "names.txt"
    path.write_text(text)
    return lt.lookup_file_json(
        path, family=["murofet"], variant=None, start="2016-05-01", end="2016-05-01",
        days=None, store=home / STORE_FILE, say=lambda *a: None,
    )  # fmt: skip


def test_the_compiled_path_refuses_and_reports_alike(
    table_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InputError, match="no valid domain name"):
        compiled(table_home, "bad..name\n\n*.x.com\n")
    assert capsys.readouterr().out == ""
    with pytest.raises(InputError, match="15 of its first 25 lines are not domain names"):
        compiled(table_home, "a b.com\n" * 15 + "ok.com\n" * 10)
    text = "ok.com\r\n# c\r\n" + "".join(f"x{i}.com\nb{i}..com\n" for i in range(11))
    assert compiled(table_home, text)
    out, err = capsys.readouterr()
    path = table_home / "names.txt"
    assert len(out.splitlines()) == 23
    assert err.splitlines()[0] == f"{path}:4: 'b0..com' is not a valid domain name"
    assert err.splitlines()[9].startswith(f"{path}:22: 'b9..com'")
    assert err.splitlines()[10] == "... and 1 more invalid lines (11 in all)"


# --- store build --store in a missing folder: refused like every other output -----------


def test_store_build_refuses_a_store_in_a_missing_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path / "home"))
    store = tmp_path / "new" / "dir" / "x.duckdb"
    build = ["store", "build", "--start", "2016-05-01", "--family", "murofet", "--variant", "v1"]
    code, out, err = run_main([*build, "--store", str(store)], capsys, monkeypatch)
    assert code == 2 and out == "" and err.count("\n") == 1  # was 0, the folders made
    assert f"directory {store.parent} does not exist; create it first" in err
    assert not (tmp_path / "new").exists()
    # the default store's data directory is still made on first use
    code, _, err = run_main(build, capsys, monkeypatch)
    assert code == 0, err
    assert (tmp_path / "home" / STORE_FILE).is_file()
