"""All-time lookup (``lookup --all``) against the published examples and benign names.

Expected families come from ``examples.csv.gz`` (ground truth), never from dgawatch. The
index is built only for the days the examples need (a full index is minutes of CPU):

* static variants (one list for their whole period) and tempedreve and zloader are indexed
  over their *whole* active period;
* every other family on the days its examples were published for (the days its own
  ground-truth test in ``tests/families`` uses; found once by scanning the families' active
  periods, recorded here).

Covered: every example row (35 families, 161,314 rows) except the parts of two sources
that list more names than the malware generates a day (documented in those families'
tests): CryptoLocker ``ANDREWAEVA`` keeps its first 1,000 of 10,000 names, Tinba
``ANDREWAEVA`` its first 464 (the contiguous run) of 10,000. A sample of 3,000 Alexa
top-100k names must match nothing in the same run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dgawatch.families import all_families, all_variants, get_family
from dgawatch.families.base import Variant, alias_keys
from dgawatch.index import (
    INDEX_DIR,
    AllTimeHit,
    AllTimeIndex,
    hash_lines,
    hash_pair,
    lookup_all,
)
from tests.shared_data import _examples, data_path
from tests.web.test_portal import get, serve_in_thread

D = dt.date.fromisoformat
WHOLE_PERIOD = ("tempedreve", "zloader")
EXAMPLE_DAYS: dict[str, list[str]] = {
    "bazarbackdoor": ["2021-12-28"],
    "chinad": ["2017-01-13"],
    "corebot": ["2015-09-01"],
    "cryptolocker": ["2014-10-07", "2017-04-13"],
    "gameover": [
        "2014-04-07", "2014-04-18", "2014-04-23", "2014-04-29", "2014-05-05", "2014-05-12",
        "2014-05-20", "2014-05-21", "2014-05-31", "2014-06-06", "2014-06-11", "2014-06-16",
        "2014-06-24", "2014-06-29", "2014-07-03", "2014-07-13", "2014-07-16", "2014-07-21",
        "2014-07-31", "2014-08-05", "2014-08-09", "2014-08-15", "2014-08-21", "2014-08-30",
        "2014-09-02", "2014-09-12", "2014-09-17", "2014-09-26", "2014-09-28", "2014-10-06",
        "2014-10-13", "2014-10-15", "2014-10-26", "2014-10-28", "2014-11-05", "2014-11-08",
        "2014-11-17", "2014-11-25", "2014-11-28", "2014-12-03", "2014-12-09", "2014-12-14",
        "2014-12-27", "2014-12-31", "2017-04-13",
    ],
    "gozi": ["2016-03-28"],
    "kraken": ["2015-12-22"],
    "locky": ["2016-02-28"],
    "murofet": ["2015-09-03"],
    "mydoom": ["2019-10-12"],
    "necurs": ["2015-08-28"],
    "newgoz": ["2014-08-29", "2015-08-31"],
    "nymaim": ["2019-07-19"],
    "padcrypt": ["2016-03-06"],
    "pushdo": ["2014-11-07", "2019-12-06"],
    "pykspa": ["2015-08-31"],
    "qadars": ["2016-03-31"],
    "qakbot": ["2016-02-21"],
    "ranbyus": ["2015-05-14", "2015-09-25"],
    "sisron": ["2016-06-02"],
    "symmi": ["2015-08-16"],
}  # fmt: skip
#: Sources listing more names than the malware uses a day: how many lead rows count.
LONGER_THAN_A_DAY = {
    ("cryptolocker", "ANDREWAEVA:dga_wordlists/"): 1000,
    ("tinba", "ANDREWAEVA:dga_wordlists/"): 464,
}
CLI = "from dgawatch.cli import main; main()"


def _expected() -> dict[str, str]:
    out: dict[str, str] = {}
    seen: dict[tuple[str, str], int] = {}
    for family, domain, _date, source in _examples():
        block = next(
            (k for k in LONGER_THAN_A_DAY if k[0] == family and source.startswith(k[1])), None
        )
        if block is not None:
            seen[block] = seen.get(block, 0) + 1
            if seen[block] > LONGER_THAN_A_DAY[block]:
                continue
        out[domain] = family
    return out


def _benign(count: int = 3000) -> list[str]:
    lines = data_path("benign/alexa_top100k_2015-05.csv").read_text().splitlines()
    names = [line.split(",")[-1].strip().lower() for line in lines if "." in line]
    return names[:: max(1, len(names) // count)][:count]


@pytest.fixture(scope="module")
def index_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("alltime")
    index = AllTimeIndex(home / INDEX_DIR)
    families = {f for f, _, _, _ in _examples()}
    for name in sorted(families):
        variants = get_family(name).selection()
        static = [v for v in variants if v.period_days == 0]
        index.build(static)
        timed = [v for v in variants if v.period_days != 0]
        if name in WHOLE_PERIOD:
            index.build(timed)
        else:
            index.build(timed, days=[D(d) for d in EXAMPLE_DAYS.get(name, [])])
    return home


def test_check_pairs_the_same_hash_with_independent_bits() -> None:
    blob = b"abc.com\nverylongname-over-eight-bytes.example\nx\n" * 3 + b"abd.com\n"
    h, chk = hash_pair(blob)
    # The key hash is format 1's, unchanged (values of the separate implementation that
    # format 1 shipped; an index's keys are only valid under the same function).
    assert h[:3].tolist() == [0x76BCFEC5A6841A5E, 0x93ECF0371495D690, 0xD89A922F071A76A9]
    assert np.array_equal(h, hash_lines(blob)) and chk.dtype == np.uint32
    assert np.array_equal(chk[:3], chk[3:6]) and len(set(chk[:3].tolist())) == 3
    assert (chk >> np.uint32(16)).tolist() == (h & np.uint64(0xFFFF)).tolist()
    assert hash_pair(b"")[1].dtype == np.uint32


def test_recurring_and_colliding_entries_are_settled_by_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name twice in its list is answered at both positions (the entry is flagged and the
    list regenerated); an entry whose check differs is another name: never a hit."""
    names = ["aaaa.com", "bbbb.com", "aaaa.com", "cccc.com"]
    v = Variant("test", "dup", "test", D("2020-01-01"), D("2020-01-03"), 4, ("com",),
                generator=lambda day: names)  # fmt: skip
    index = AllTimeIndex(tmp_path / INDEX_DIR)
    index.build([v])
    result = lookup_all(["aaaa.com", "cccc.com"], [v], index=index, generate_missing=False)
    assert sorted(h.index for h in result.hits["aaaa.com"]) == [0, 2]
    assert [h.index for h in result.hits["cccc.com"]] == [3]
    assert result.lists_verified == 1  # the recurring name's list only
    # Break the stored check of every entry: the 48-bit keys still match, the names do not.
    seg = index.segments(v)[0]
    seg.chk = np.asarray(seg.chk) ^ np.uint32(1)
    broken = lookup_all(["cccc.com"], [v], index=index, generate_missing=False)
    assert broken.hits == {}


def test_hash_is_stable_and_independent_of_the_batch() -> None:
    one = hash_lines(b"abc.com\nverylongname-over-eight-bytes.example\n")
    two = hash_lines(b"x\nverylongname-over-eight-bytes.example\nabc.com\n")
    assert one[0] == two[2] and one[1] == two[1]
    assert len(set(hash_lines(b"a.b\nb.a\nab.\n").tolist())) == 3
    assert hash_lines(b"").dtype == np.uint64


def test_every_example_found_with_its_family_and_benign_names_match_nothing(
    index_home: Path,
) -> None:
    expected = _expected()
    assert len(expected) > 140_000
    benign = [n for n in _benign() if n not in expected]
    index = AllTimeIndex(index_home / INDEX_DIR)
    result = lookup_all([*expected, *benign], all_variants(), index=index, generate_missing=False)
    assert result.days_generated == 0 and not result.invalid
    # A hit is reported once, under the registered variant; a declared alias (gameover's
    # pre-/post-tovar are murofet/v1 and newgoz/default) names the same list.
    aliases = alias_keys(all_families())

    def names(h: AllTimeHit) -> set[str]:
        return {h.family} | {k.split("/")[0] for k in aliases.get(f"{h.family}/{h.variant}", ())}

    wrong = {
        q: f for q, f in expected.items() if not any(f in names(h) for h in result.hits.get(q, []))
    }
    assert wrong == {}
    assert {q: result.hits[q] for q in benign if q in result.hits} == {}
    # All 35 families of the file are covered.
    assert len(set(expected.values())) == 35


def test_cli_lookup_all_from_the_index(index_home: Path, tmp_path: Path) -> None:
    """A real process: tinba is static (indexed whole), so nothing is generated."""
    tinba = [d for f, d, _, s in _examples() if f == "tinba" and s.startswith("BADERJ")]
    names = tmp_path / "names.txt"
    names.write_text("\n".join([tinba[5], "www." + tinba[6], "google.com", "bad..name"]) + "\n")
    env = dict(os.environ, DGAWATCH_HOME=str(index_home))
    proc = subprocess.run(
        [sys.executable, "-c", CLI, "lookup", "--all", "--file", str(names),
         "--family", "tinba", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert ", 0 generated" in proc.stderr.replace("\n", " ")
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [{m["family"] for m in d["matches"]} for d in docs] == [
        {"tinba"},
        {"tinba"},
        set(),
        set(),
    ]
    assert docs[1]["matches"][0]["domain"] == tinba[6]
    assert "not a valid domain name" in docs[3]["error"]
    # A static list is valid over the variant's whole period: one hit with its span.
    match = docs[0]["matches"][0]
    assert match["first_day"] <= "2016-03-31" and match["last_day"] > "2026-01-01"


def test_lookup_all_without_index_generates_and_agrees(index_home: Path) -> None:
    """Same answer with and without the index (signature pruning + generation)."""
    locky = get_family("locky").variant("config1")
    static = get_family("dnschanger").variants[0]
    day = D("2016-02-28")
    names = [locky.domains(day)[3], "www." + static.domains(day)[4], "google.com"]
    idx = AllTimeIndex(index_home / "scratch")
    idx.build([locky], days=[day])
    with_index = lookup_all(names, [locky, static], index=idx)
    without = lookup_all(names, [locky, static], index=None)
    assert with_index.hits == without.hits
    assert (day, 3) in [(h.first_day, h.index) for h in without.hits[names[0]]]
    assert [h.domain for h in without.hits[names[1]]] == [names[1][4:]]
    assert with_index.days_from_index == 1
    assert with_index.days_generated == without.days_generated - 1
    assert "google.com" not in without.hits


def test_signatures_rule_out_and_give_the_shape() -> None:
    a, c = get_family("conficker").variant("a"), get_family("conficker").variant("c")
    result = lookup_all(
        ["google.com", "www.abcdefghi.cn", "toolongforconficker.com", "x1y2.com"],
        [a, c],
        generate_missing=False,
    )
    # Conficker A: 5..11 letters under com/net/org/info/biz; C: 4..9 letters, 116 TLDs.
    assert result.shapes == {"google.com": ["conficker/a"], "www.abcdefghi.cn": ["conficker/c"]}
    assert result.variants_pruned == 0
    assert lookup_all(["x1y2.com"], [a, c], generate_missing=False).variants_pruned == 2


def test_names_in_many_lists_agree_with_generation(tmp_path: Path) -> None:
    """MyDoom names recur on many days: index entries are trusted on their 80-bit key and
    check and their stored position (no list regenerated); the answer must equal
    generation's."""
    v = get_family("mydoom").variants[0]
    days = [D("2019-10-12") + dt.timedelta(days=i) for i in range(0, 400, 3)]
    names = sorted({n for d in days[:3] for n in v.domains(d)[:5]})
    index = AllTimeIndex(tmp_path / INDEX_DIR)
    index.build([v])
    with_index = lookup_all(names, [v], index=index)
    without = lookup_all(names, [v], index=None)
    assert with_index.days_generated == 0 and without.days_from_index == 0
    assert with_index.hits == without.hits
    assert max(len(h) for h in with_index.hits.values()) > 2
    assert with_index.lists_verified == 0


def test_portal_lookup_all_page_and_json(index_home: Path) -> None:
    tinba = [d for f, d, _, s in _examples() if f == "tinba" and s.startswith("BADERJ")]
    with serve_in_thread(store_path=index_home / "forecast.duckdb") as base:
        doc = get(base, "/lookup.json", q="www." + tinba[9], all="1", family="tinba").json()
        assert doc["all"] is True and doc["days_not_indexed"] == 0
        assert [m["domain"] for m in doc["results"][0]["matches"]] == [tinba[9]]
        assert doc == get(base, "/api/lookup", q="www." + tinba[9], all="1", family="tinba").json()
        none = get(base, "/lookup.json", q="google.com", all="1", family="conficker").json()
        assert none["results"][0]["matches"] == [] and none["days_not_indexed"] > 0
        assert none["results"][0]["shape_of"] == ["conficker/a", "conficker/b"]
        page = get(base, "/lookup", q="google.com", all="1", family="conficker")
        assert page.status_code == 200
        assert "Has the shape of conficker/a, conficker/b" in page.text
        assert "store build --all-time" in page.text
        bad = get(base, "/lookup.json", q="x.com", all="1", start="2020-01-01")
        assert bad.status_code == 400 and "drop start/end" in bad.text


def test_cli_store_build_all_time_then_refresh(tmp_path: Path) -> None:
    """``store build --all-time`` as a user runs it: the index appears, a second run adds
    nothing, and ``lookup --all`` then answers from it alone."""
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path))
    run = [sys.executable, "-c", CLI]
    build = [*run, "store", "build", "--all-time", "--family", "dnschanger", "--json"]
    first = json.loads(subprocess.run(build, capture_output=True, text=True, env=env,
                                      check=True, timeout=120).stdout)  # fmt: skip
    v = get_family("dnschanger").variants[0]
    assert first["indexed_names"] == len(set(v.domains(v.active_from)))
    assert first["size_bytes"] > 0 and (tmp_path / INDEX_DIR / "dnschanger").is_dir()
    again = json.loads(subprocess.run(build, capture_output=True, text=True, env=env,
                                      check=True, timeout=120).stdout)  # fmt: skip
    assert again["indexed_names"] == 0 and again["variant_days"] == 0
    name = v.domains(v.active_from)[2]
    proc = subprocess.run([*run, "lookup", "--all", name, "--family", "dnschanger"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert ", 0 generated" in proc.stderr.replace("\n", " ") and "dnschanger" in proc.stdout
    bad = subprocess.run([*run, "store", "build", "--all-time", "--start", "2020-01-01"],
                         capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "drop --start" in bad.stderr


def test_declared_signatures_hold_for_generated_lists() -> None:
    """A signature that a generated name does not fit would be a false negative of
    --all: every name of sample days (and every example row of those families) fits."""
    declared = [v for v in all_variants() if v.signature is not None]
    assert {v.family for v in declared} >= {"conficker", "pushdo"}
    for v in declared:
        first = v.active_from
        for day in (first, D("2014-11-07"), D("2019-12-06"), D("2026-02-28")):
            for name in v.domains(max(day, first)):
                label, _, tld = name.partition(".")
                assert tld in v.tlds and v.signature is not None
                assert v.signature.matches_label(label), (v.key, name)
    examples = {(f, d) for f, d, _, _ in _examples() if f in {v.family for v in declared}}
    for family, name in examples:
        label, _, tld = name.partition(".")
        fits = [v for v in get_family(family).variants if v.signature and tld in v.tlds]
        assert any(v.signature and v.signature.matches_label(label) for v in fits), name
