"""Conficker A/B/C against ground truth (../shared/data/conficker, spec §8 test vectors).

Expected values come from the published lists and the spec's SHA-256 vectors; every check
runs on both the pure-Python reference and the compiled fast path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections import defaultdict

import pytest

from dgawatch.families import conficker, get_family
from shared_data import read_csv

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def ab_2020() -> dict[tuple[str, dt.date], list[str]]:
    days: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    for row in read_csv("conficker/conficker_ab_2020_willbeninger.csv.gz"):
        days[(row["variant"].lower(), D(row["date"]))].append(row["domain"])
        assert int(row["index"]) == len(days[(row["variant"].lower(), D(row["date"]))]) - 1
    return days


def test_ground_truth_file_shape(ab_2020: dict[tuple[str, dt.date], list[str]]) -> None:
    assert sum(1 for v, _ in ab_2020 if v == "a") == 365
    assert sum(1 for v, _ in ab_2020 if v == "b") == 366
    assert all(len(names) == 250 for names in ab_2020.values())


@pytest.mark.parametrize("path", ["fast", "reference"])
def test_every_2020_day_matches_in_order(
    ab_2020: dict[tuple[str, dt.date], list[str]], path: str
) -> None:
    if path == "fast":
        assert conficker.has_fast_path(), "compiled generator missing or disagreeing"
        gen = {k: (lambda d, k=k: conficker.day_names(k, d)) for k in "ab"}
    else:
        gen = {"a": conficker.reference_a, "b": conficker.reference_b}
    mismatched = [(v, d) for (v, d), names in ab_2020.items() if gen[v](d) != names]
    assert mismatched == []


def test_a_2020_05_04_absent_from_the_file_is_still_forecast(
    ab_2020: dict[tuple[str, dt.date], list[str]],
) -> None:
    assert ("a", D("2020-05-04")) not in ab_2020
    names = conficker.day_names("a", D("2020-05-04"))
    assert len(names) == 250 and names != ab_2020[("a", D("2020-05-05"))]


SPEC_VECTORS = [
    ("a", "2008-12-09", "pdmqxeumc.info fntkbzdcdpp.net clhosan.biz",
     "a456c120c5c8ba867c9eacbfb05f03fcc93cf795102c47ef2867f286a0d97bf2"),
    ("a", "2020-01-01", "fvqcih.net nwyoodof.com rhrcwu.com",
     "9d58de832a5657069ed824ec0668be32fe92c81dea6b8bdb7beb543d3f376600"),
    ("b", "2009-01-08", "jzxak.net kogaj.biz zbqgjixcbu.com",
     "640c728ac1d1f7a6c0b00a054412f4bea7ac7a1980ad74670679f6920c4fa0bd"),
    ("b", "2009-09-02", "xcjloshbh.com lzjfzrqyq.net faawuivf.com",
     "044864721f4ff690d4d15c77d387e46819fa84c86b4f097d7211643fff65f082"),
    ("b", "2020-01-19", "ayzjitvh.ws gqzexpizmfv.org redfw.cc",
     "c167664be086d2248f3f6926de0f6fbbbf6a8c8e16d8c55d514debf331f8ee2e"),
    ("c", "2009-04-01", "oubezepg.com.mx gzyh.nl ktmybhf.sg",
     "9e994e0d0e447a7322f3870d2fca053a505344c4eebe89587c258f87dcf87af0"),
    ("c", "2014-11-16", "iwavgscot.co.ug dyhdiclc.ag zykptot.dj",
     "7069aa54c8546f4b58cb9e35cfe3c8a1c7b4fb0ba95a7aba65c7fe8c9844780d"),
]  # fmt: skip


def _sha(names: list[str]) -> str:
    return hashlib.sha256(("\n".join(names) + "\n").encode()).hexdigest()


@pytest.mark.parametrize(("variant", "day", "first3", "sha"), SPEC_VECTORS)
def test_spec_vectors(variant: str, day: str, first3: str, sha: str) -> None:
    names = get_family("conficker").variant(variant).domains(D(day))
    assert names[:3] == first3.split()
    assert _sha(names) == sha


@pytest.mark.parametrize(("variant", "day", "first3", "sha"), SPEC_VECTORS[-2:])
def test_reference_c_matches_vectors(variant: str, day: str, first3: str, sha: str) -> None:
    assert _sha(conficker.reference_c(D(day))) == sha


def test_c_int_min_case_2018_05_13() -> None:
    """labs(INT_MIN) gives 'I' in C; spec §8 hashes the list with it upper-case."""
    names = conficker.day_names("c", D("2018-05-13"))
    assert names[:3] == ["awuqu.la", "dyew.com.pt", "moch.nl"]
    assert names[49_862] == "impblv.la"
    as_worm = list(names)
    as_worm[49_862] = "I" + names[49_862][1:]
    assert _sha(as_worm) == "c217438a973ba5b4e8e8c1b4318e486556dac2413a68665402a8a55bea9544a3"
    assert conficker.reference_c(D("2018-05-13"))[49_862] == "impblv.la"


def test_c_style_semantics() -> None:
    assert conficker.trunc_rem(-7, 4) == -3 and conficker.trunc_rem(7, 4) == 3
    assert conficker.labs32(conficker.INT_MIN) == conficker.INT_MIN
    assert conficker.letter(conficker.INT_MIN) == "i"
    assert conficker.letter(-27) == "b"


def test_seeds_from_spec() -> None:
    assert conficker.filetime(D("2020-01-01")) == 132_223_104_000_000_000
    assert conficker.seed(D("2020-01-01"), conficker.A_CONSTANTS) == 0xB46B360E
    assert conficker.seed(D("2020-01-01"), conficker.B_CONSTANTS) == 0xA383DAEC
    assert conficker.seed(D("2009-04-01"), conficker.C_CONSTANTS) == 0xF23ACA30


def test_fsin_emulation_is_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a correctly reduced sine, the FSIN-sensitive B day of 2020-01-19 diverges."""
    good = conficker.reference_b(D("2020-01-19"))
    monkeypatch.setattr(conficker, "x87_fsin", math.sin)
    bad = conficker.reference_b(D("2020-01-19"))
    assert good != bad
    assert _sha(good) == "c167664be086d2248f3f6926de0f6fbbbf6a8c8e16d8c55d514debf331f8ee2e"


def test_fsin_reduces_by_the_66_bit_pi() -> None:
    x = float(5 * 10**18)
    assert conficker.x87_fsin(x) != pytest.approx(math.sin(x), abs=1e-6)
    assert conficker.x87_fsin(1.0) == math.sin(1.0)
    assert conficker.x87_fsin(4.0) == pytest.approx(math.sin(4.0), abs=1e-15)


def test_c_tld_table_order() -> None:
    assert len(conficker.C_TLDS) == 116
    assert len({t.split(".")[-1] for t in conficker.C_TLDS}) == 110
    assert list(conficker.C_TLDS) == sorted(conficker.C_TLDS)
    assert conficker.C_TLDS[:3] == ("ac", "ae", "ag") and conficker.C_TLDS[-1] == "vn"


def test_b_plus_plus_is_b() -> None:
    fam = get_family("conficker")
    assert fam.variant("B++") is fam.variant("b")
    assert get_family("downadup") is fam
