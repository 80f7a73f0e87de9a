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


def compiled(home: Path, text: str, store: Path | None = None) -> bool:
    path = home / "names.txt"
    path.write_text(text)
    return lt.lookup_file_json(
        path, family=["murofet"], variant=None, start="2016-05-01", end="2016-05-01",
        days=None, store=store or home / STORE_FILE, say=lambda *a: None,
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


# --- a damaged look-up table is detected, never answered from --------------------------


def flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :]


@pytest.fixture
def store(table_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the one-day store in the test's folder, tables cached in its own cache."""
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(tmp_path / "cache"))
    copy = tmp_path / STORE_FILE
    copy.write_bytes((table_home / STORE_FILE).read_bytes())
    return copy


def test_a_damaged_table_is_detected_and_rebuilt(
    store: Path,
    tmp_path: Path,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = lt.build_table(store)
    pristine = path.read_bytes()
    table = lt.LookupTable.open(store)
    assert table is not None
    layout, lengths = table.layout, table.header["lengths"]
    table.close()
    with ForecastStore(store, read_only=True) as fs:
        names = [d for (d,) in fs.con.execute("SELECT domain FROM forecast LIMIT 50").fetchall()]
    text = "\n".join([*names, "www." + names[0], "example.com"]) + "\n"

    def answer() -> bytes:
        assert compiled(tmp_path, text, store)
        return capsysbinary.readouterr().out

    good = answer()
    assert good.count(b'"family": "murofet"') >= 51
    header = pristine.index(b'"variants"')  # a stored day's ordinal, say
    places = {"header length": len(lt._MAGIC), "header": header + 20}
    for i, name in enumerate(lt.SECTIONS):  # each section's first and middle bytes
        places[f"{name} start"] = layout[2 + i]
        places[f"{name} middle"] = layout[2 + i] + lengths[i] // 2
    monkeypatch.setattr(lt, "BUILD_MIN_NAMES", 1)
    for where, at in places.items():
        path.write_bytes(flipped(pristine, at))
        assert lt.LookupTable.open(store) is None, where  # was: opened, answers changed
        assert not path.exists(), where  # removed
        assert b"is damaged" in capsysbinary.readouterr().err, where
        path.write_bytes(flipped(pristine, at))
        assert answer() == good, where  # rebuilt first
        assert path.read_bytes() != flipped(pristine, at), where
    # contents are checked once per table file: a table written again is checked again
    assert lt.LookupTable.open(store) is not None
    path.write_bytes(flipped(path.read_bytes(), layout[2 + lt.SECTIONS.index("rows")]))
    assert lt.LookupTable.open(store) is None


# --- one name hash header (_hash.h) for _lookupscan and _huntscan ----------------------

MASK = 2**64 - 1
K0, K1, K2, POLY_B = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x100000001B3


def mix(x: int) -> int:
    """SplitMix64's finalizer, restated from its paper (not from _hash.h)."""
    x ^= x >> 30
    x = x * K1 & MASK
    x ^= x >> 27
    x = x * K2 & MASK
    return x ^ (x >> 31)


def words_hash(name: bytes) -> int:
    h = mix((len(name) * K0 + K0) & MASK)
    for i in range(0, len(name), 8):
        h = mix(h ^ int.from_bytes(name[i : i + 8], "little"))
    return h


def poly_hash(name: bytes) -> int:
    h = 0
    for byte in name:
        h = (h * POLY_B + byte) & MASK
    return mix(h)


def test_both_modules_hash_as_the_shared_header_says() -> None:
    """_lookupscan's table (tags and buckets: the hash's top 32 + bits bits) and
    _huntscan's name hashes against a Python restatement, on lengths around the 8-byte
    words: a module that stops including _hash.h, or a header that changes, fails here."""
    import random

    import numpy as np
    import pyarrow as pa

    from dgawatch import _huntscan, _lookupscan

    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-."
    drawn = {"".join(rng.choices(alphabet, k=rng.randint(1, 40))) for _ in range(3000)}
    names = sorted(drawn | {"a", "abcdefgh", "abcdefghi", "x" * 253})
    array = pa.array(names, pa.large_string())
    offsets = np.frombuffer(array.buffers()[1], np.int64, len(array) + 1)
    data = array.buffers()[2]
    packed = np.arange(len(names), dtype=np.uint64)  # code 0, day 0, index = row
    bits, groups, dirs, tag, gstart, _, rows, _ = _lookupscan.build(offsets, data, packed)
    assert groups == len(names)
    tags = np.frombuffer(tag, np.uint32)
    starts = np.frombuffer(gstart, np.uint32)
    buckets = np.frombuffer(dirs, np.uint32)
    row_index = np.frombuffer(rows, np.uint64) & 0xFFFFFFFF
    for g in range(groups):
        name = names[int(row_index[starts[g]])].encode()
        h = words_hash(name)
        assert tags[g] == (h >> (32 - bits)) & 0xFFFFFFFF, name
        assert buckets[h >> (64 - bits)] <= g < buckets[(h >> (64 - bits)) + 1], name
    small = pa.array(names, pa.string())
    off32 = np.frombuffer(small.buffers()[1], np.int32, len(small) + 1)
    hunt = np.frombuffer(_huntscan.name_hashes(off32, small.buffers()[2])[0], np.uint64)
    assert [int(h) for h in hunt] == [poly_hash(n.encode()) for n in names]


# --- a look-up table does not outlive its store -----------------------------------------


def test_the_table_of_a_deleted_store_is_removed(
    store: Path, table_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for remove_by in ("lookup", "store build"):
        if not store.exists():
            store.write_bytes((table_home / STORE_FILE).read_bytes())
        table = lt.build_table(store)
        store.unlink()  # the user deletes the store, not its table
        assert table.exists()
        if remove_by == "lookup":  # a lookup at that path (that falls to the general path)
            assert not compiled(tmp_path, "example.com\n", store)
        else:  # a new store at that path
            with ForecastStore(store) as fs:
                fs.build(choose_variants(["murofet"], None), [dt.date(2016, 5, 2)])
        assert not table.exists(), remove_by  # was: left behind (~600 MB a one-year store)
    # a store in a read-only folder keeps its table in the cache directory: pruned there
    # when another table is written to it and the store is gone
    cache = tmp_path / "cache" / "lookup-tables"
    cache.mkdir(parents=True)
    other = tmp_path / "other.duckdb"
    other.write_bytes((table_home / STORE_FILE).read_bytes())
    gone = cache / "gone.lookup"
    lt.build_table(other).replace(gone)
    other.unlink()
    old_format = cache / "old.lookup"
    old_format.write_bytes(b"dgawatch lookup table\n\0\0 (format 1)")
    (tmp_path / "ro").write_text("a file: no folder can be made there")
    monkeypatch.setattr(lt, "table_paths", lambda s: [tmp_path / "ro" / "t", cache / "k.lookup"])
    assert lt.build_table(store) == cache / "k.lookup"
    assert not gone.exists() and not old_format.exists()
    table = lt.LookupTable.open(store)  # its own table kept
    assert table is not None
    table.close()
