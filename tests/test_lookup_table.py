"""The compiled path of ``lookup --file F --json`` (``dgawatch.lookuptable``, the store's
look-up table and ``_lookupscan``) writes the very bytes the general path writes (Arrow
and DuckDB), and leaves to the general path what it does not answer exactly (issue 19)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from dgawatch import _lookupscan
from dgawatch import lookuptable as lt
from dgawatch.days import day_range
from dgawatch.domain import PLAIN_VALID, _psl, registered_domains
from dgawatch.families import choose_variants, fingerprint
from dgawatch.lookup import read_names
from dgawatch.store import STORE_FILE, ForecastStore
from tests.test_lookup_batch import EDGE, varied_names

FAMILIES = ["murofet", "kraken", "cryptolocker", "corebot", "gozi", "necurs"]
DAYS = day_range(dt.date(2016, 5, 1), 4)
WINDOW = ["--start", "2016-05-01", "--end", "2016-05-04"]
#: The CLI with the compiled path off (the general path, the reference).
GENERAL = "import dgawatch.lookuptable as t; t.lookup_file_json = lambda *a, **k: False; "
#: The compiled path with a file cut in two halves, each answered by its own thread.
THREADS = "import dgawatch.lookuptable as t; t.SPLIT_FROM_BYTES = 1; t.idle_core = lambda: True; "
ONE_THREAD = "import dgawatch.lookuptable as t; t.idle_core = lambda: False; "
#: Reports on stderr whether DuckDB and NumPy were imported (the compiled path never
#: imports DuckDB; NumPy only with the registry, when the selection is not cached yet).
PROBE = (
    "import atexit, sys; atexit.register(lambda: sys.stderr.write("
    "('\\nDUCKDB' if 'duckdb' in sys.modules else '\\nNO DUCKDB') + "
    "(' NUMPY' if 'numpy' in sys.modules else ' NO NUMPY'))); "
)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process lookups keep their selections in the test's own cache."""
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of six families' 22 variants over four days, and its look-up table."""
    home = tmp_path_factory.mktemp("table")
    with ForecastStore(home / STORE_FILE) as store:
        store.build(choose_variants(FAMILIES, None), DAYS)
    lt.build_table(home / STORE_FILE)
    return home


def corpus(home: Path) -> str:
    """Forecast names as logs show them (upper case, trailing dots, below the forecast name,
    repeated), names in several variants and on several days, invalid names and edge names
    of the public suffix list, blank lines, comments and indentation."""
    rng = random.Random(3)
    with ForecastStore(home / STORE_FILE, read_only=True) as store:
        rows = store.con.execute(
            "SELECT domain, count(*) FROM forecast GROUP BY domain ORDER BY domain"
        ).fetchall()
    multi = [d for d, n in rows if n > 1]  # static lists, lists of several days
    dga = rng.sample([d for d, _ in rows], 1500) + multi[:300]
    out: list[str] = []
    for i, name in enumerate(dga):
        forms = [name, "www." + name, name.upper(), name + ".", "Mail.X." + name + "..", name]
        out.append(forms[i % len(forms)])
    out += dga[:40]  # duplicates
    plain = [n for n in varied_names(1500, seed=4) if n.isascii()]
    out += plain + [n for n in EDGE if n.isascii()]
    out += ["bad..name", "a" * 64 + ".com", "e" * 250 + ".com", "http://x.nl/path", "*.x.com"]
    out += ["name,comment", "a b.com", 'q"uote.com', "back\\slash.com", "\x01ctrl.com", "."]
    out += ["f" * 63 + "." + "g" * 63 + "." + "h" * 63 + "." + "i" * 61 + "...", "x" * 10]
    rng.shuffle(out)
    lines = [f"  {q}\t" if i % 50 == 0 else q for i, q in enumerate(out)]
    lines[10:10] = ["", "# a comment", "   # indented comment", "\t", ""]
    # LF line ends, and CR LF for every third line (a file edited on Windows)
    return "".join(q + ("\r\n" if i % 3 == 0 else "\n") for i, q in enumerate(lines))


def cli(home: Path, prefix: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    code = prefix + "from dgawatch.cli import main; main()"
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-c", code, "lookup", *args], capture_output=True, env=env, timeout=300
    )


def test_compiled_output_equals_the_general_path(home: Path, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text(corpus(home))
    args = ["--file", str(names), *[a for f in FAMILIES for a in ("--family", f)], *WINDOW]
    fast = cli(home, PROBE + ONE_THREAD, *args, "--json")
    general = cli(home, PROBE + GENERAL, *args, "--json")
    threads = cli(home, PROBE + THREADS, *args, "--json")
    assert fast.returncode == 0 and general.returncode == 0, fast.stderr + general.stderr
    assert fast.stderr.endswith(b"\nNO DUCKDB NUMPY")
    assert general.stderr.endswith(b"\nDUCKDB NUMPY")
    assert fast.stdout == general.stdout  # fails when the compiled path differs in any byte
    assert threads.stdout == general.stdout  # two threads
    # the second compiled run took its variants from the selection cache: no registry
    assert threads.stderr.endswith(b"\nNO DUCKDB NO NUMPY")
    summary = general.stderr.rsplit(b"\n", 1)[0]  # the same summary line
    assert fast.stderr.rsplit(b"\n", 1)[0] == threads.stderr.rsplit(b"\n", 1)[0] == summary
    docs = [json.loads(line) for line in fast.stdout.splitlines()]
    assert len(docs) == len(read_names(names))
    # the corpus reaches what it is meant to: errors, several hits, aliases, www. hits
    assert sum("error" in d for d in docs) > 10
    assert sum(len(d["matches"]) > 1 for d in docs) > 100
    assert any("aliases" in m for d in docs for m in d["matches"])
    assert sum(d["query"].startswith("www.") and bool(d["matches"]) for d in docs) > 100


def test_a_changed_store_makes_the_table_stale(home: Path, tmp_path: Path) -> None:
    store = tmp_path / STORE_FILE
    store.write_bytes((home / STORE_FILE).read_bytes())
    lt.build_table(store)
    table = lt.LookupTable.open(store)
    assert table is not None
    table.close()
    with ForecastStore(store) as fs:  # another day stored: the table is out of date
        fs.build(choose_variants(["gozi"], None), [dt.date(2016, 5, 5)])
    assert lt.LookupTable.open(store) is None
    lt.build_table(store)
    table = lt.LookupTable.open(store)
    assert table is not None
    gozi = choose_variants(["gozi"], ["luther"])[0]
    assert dt.date(2016, 5, 5).toordinal() in table.covered_days(gozi.key, fingerprint(gozi))
    assert not table.covered_days(gozi.key, "another version of the generator")
    table.close()


def run_in_process(
    home: Path,
    text: bytes,
    capsysbinary: pytest.CaptureFixture[bytes],
    **window: str | int | None,
) -> tuple[bool, bytes]:
    names = home / "in-process.txt"
    names.write_bytes(text)
    said: list[str] = []
    window = {"start": "2016-05-01", "end": "2016-05-04", "days": None, **window}
    done = lt.lookup_file_json(
        names,
        family=FAMILIES,
        variant=None,
        store=home / STORE_FILE,
        say=lambda *parts: said.append(" ".join(parts)),
        **window,  # type: ignore[arg-type]
    )
    out = capsysbinary.readouterr().out
    assert bool(said) == done
    return done, out


def test_what_the_compiled_path_leaves_to_the_general_one(
    home: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = b"abc.com\nwww.example.co.uk\n"
    assert run_in_process(home, plain, capsysbinary)[0]
    for text in [
        b"b\xc3\xbccher.de\nabc.com\n",  # non-ASCII: Python's splitlines and strip
        b"abc.com\rx.com\r\n",  # a CR alone: a line end for Python
        b"abc.com\r\nx.com\r",
        b"abc.com\x1cx.com\n",  # a separator Python splits at
        b"\n# nothing\n",  # no names: the general path's error
    ]:
        assert run_in_process(home, text, capsysbinary) == (False, b"")
    # a window with days the store lacks (to generate), --start alone, --days
    assert run_in_process(home, plain, capsysbinary, end="2016-05-09") == (False, b"")
    assert run_in_process(home, plain, capsysbinary, end=None) == (False, b"")
    assert run_in_process(home, plain, capsysbinary, end=None, days=2) == (False, b"")
    assert run_in_process(home, plain, capsysbinary, end="2016-04-01") == (False, b"")
    # lists from another version of a generator count as not stored
    monkeypatch.setattr("dgawatch.families.fingerprint", lambda v: "changed")
    monkeypatch.setattr(lt, "code_stamp", lambda: ["the changed generator"])
    assert run_in_process(home, plain, capsysbinary) == (False, b"")


def test_a_missing_table_is_built_for_a_large_lookup_only(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    with ForecastStore(tmp_path / STORE_FILE) as fs:
        fs.build(choose_variants(FAMILIES, None), DAYS)
    assert run_in_process(tmp_path, b"abc.com\n", capsysbinary) == (False, b"")
    assert not lt.table_path(tmp_path / STORE_FILE).exists()
    monkeypatch.setattr(lt, "BUILD_MIN_NAMES", 1)
    done, out = run_in_process(tmp_path, b"abc.com\n", capsysbinary)
    assert done and out.startswith(b'{"query": "abc.com", "name": "abc.com"')
    assert lt.LookupTable.open(tmp_path / STORE_FILE) is not None


def test_compiled_registered_domains_equal_the_batch_psl() -> None:
    names = []
    for n in varied_names(6000, seed=8):
        name = n.strip().rstrip(".").lower()
        if name.isascii() and name and len(name) <= 253 and ".." not in name:
            names.append(name)
    names = [n for n in names if not n.startswith(".")]
    psl = _psl()
    got = _lookupscan.registered(names, psl._publicsuffix, psl._maxlabel)
    assert got == registered_domains(names, normalised=True).to_pylist()


@pytest.mark.parametrize(
    "text",
    [
        "a.com\n\n  b.net \n#c.org\n  #not.kept\n\tx.de\t\ny.io",
        "a.com\r\n\r\n  b.net \r\n#c.org\r\n\t\r\nx.de",
        "A.COM.\nbad..name\n\x01x.com\n" + "a" * 64 + ".com\n" + "b" * 254 + "\n",
        "",
        "\n\n# only comments\n",
    ],
)
def test_scan_reads_names_as_read_names(tmp_path: Path, text: str) -> None:
    import re

    path = tmp_path / "names.txt"
    path.write_bytes(text.encode())
    expected = read_names(path).to_pylist()
    got = _lookupscan.scan(text.encode())
    assert got is not None
    count, slow = got
    plain = [bool(re.match(PLAIN_VALID, n)) and len(n.rstrip(".")) <= 253 for n in expected]
    assert count == len(expected)
    left = [n for n, ok in zip(expected, plain, strict=True) if not ok]
    assert [s.decode() for s in slow] == left


def test_the_table_goes_to_the_cache_when_the_store_folder_is_not_writable(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    cached = tmp_path / "cache" / "x.lookup"
    monkeypatch.setattr(lt, "table_paths", lambda store: [blocked / "t.lookup", cached])
    assert lt.build_table(home / STORE_FILE) == cached
    table = lt.LookupTable.open(home / STORE_FILE)
    assert table is not None and lt.table_path(home / STORE_FILE) == cached
    table.close()


def test_a_changed_package_recomputes_the_selection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen, aliases = lt.choose(["murofet"], None)
    assert [c.key for c in chosen] == [v.key for v in choose_variants(["murofet"], None)]
    assert aliases["murofet/v1"] == ["gameover/pre-tovar"]
    assert lt.choose(["murofet"], None) == (chosen, aliases)  # from the cache
    monkeypatch.setattr("dgawatch.families.fingerprint", lambda v: "changed")
    assert lt.choose(["murofet"], None) == (chosen, aliases)  # (the stamp is unchanged)
    monkeypatch.setattr(lt, "code_stamp", lambda: ["another build"])
    again, _ = lt.choose(["murofet"], None)
    assert {c.fingerprint for c in again} == {"changed"}
    monkeypatch.setattr(lt, "SELECTIONS_KEPT", 2)
    for family in ("gozi", "kraken", "necurs"):
        lt.choose([family], None)
    assert len(list((tmp_path / "cache" / "lookup-selections").glob("*.json"))) == 2


#: The compiled path with the checks of the sections off (their contents are checked once
#: per table file): what reads a table damaged after that check, whatever the damage.
UNCHECKED = (
    "import dgawatch.lookuptable as t; t.check_sections = t.check_contents = lambda *a: None; "
)


def test_a_damaged_table_never_crashes_a_lookup(home: Path, tmp_path: Path) -> None:
    """A table damaged after its contents were checked (they are checked once per table
    file): bytes flipped anywhere past the header must not make the compiled path read
    outside the mapping (a damaged cache file crashed the process with SIGSEGV before the
    reads were bounded by the last group)."""
    store = tmp_path / STORE_FILE
    store.write_bytes((home / STORE_FILE).read_bytes())
    lt.build_table(store)
    table = lt.table_path(store)
    pristine = table.read_bytes()
    layout = lt.LookupTable.open(store)
    assert layout is not None
    first = min(layout.layout[2:])  # the first section after the header
    layout.close()
    names = tmp_path / "names.txt"
    names.write_text(corpus(home))
    families = [a for f in FAMILIES for a in ("--family", f)]
    args = ["--file", str(names), "--store", str(store), *families, *WINDOW, "--json"]
    rng = random.Random(11)
    for _ in range(6):
        damaged = bytearray(pristine)
        for _ in range(2000):  # in every section: directory, tags, starts, offsets, rows
            at = rng.randrange(first, len(damaged))
            damaged[at] = rng.randrange(256)
        table.write_bytes(bytes(damaged))
        done = cli(home, PROBE + ONE_THREAD + UNCHECKED, *args)
        assert done.returncode == 0, done.stderr[-500:]  # a signal gives a negative code
        assert b"NO DUCKDB" in done.stderr  # the compiled path answered, from the table
        assert len(done.stdout.splitlines()) == len(read_names(names))
