"""Necurs against the public examples (baderj necurs/example_domains.txt).

The file is the reference's full list (2048 sequence numbers, magic 9) for 2015-08-28..31
(the day enters as ``day >> 2``); compared as an exact list, in generation order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.necurs import generate, generate_reference
from tests.families._fixtures import reference_lines
from tests.shared_data import family_examples


def expected() -> list[str]:
    return [d for d, _, _ in family_examples("necurs")]


@pytest.mark.parametrize("day", [dt.date(2015, 8, 28), dt.date(2015, 8, 31)])
def test_examples(day: dt.date) -> None:
    names = get_family("necurs").variant("magic9").domains(day)
    assert len(expected()) == 2048
    assert names == expected()


def test_scalar_reference_agrees() -> None:
    day = dt.date(2015, 8, 29)
    for seq in (0, 1, 777, 2047):
        assert generate_reference(day, seq, magic=9) == expected()[seq]


def test_neighbouring_period_differs() -> None:
    assert generate(dt.date(2015, 8, 27), magic=9, nr=4) != expected()[:4]


def test_registry() -> None:
    v = get_family("necurs").variants[0]
    names = v.domains(dt.date(2020, 2, 1))
    assert len(names) == v.domains_per_day == 2048
    assert all(n.isascii() and n == n.lower() for n in names)


@pytest.mark.parametrize("magic", [5, 7])
@pytest.mark.parametrize("day", ["2016-11-01", "2017-03-14"])
def test_magic_5_and_7_against_the_reference(magic: int, day: str) -> None:
    expected = reference_lines("necurs", f"magic{magic}_{day}.txt.xz")
    assert len(expected) == 2048
    variant = get_family("necurs").variant(f"magic{magic}")
    assert variant.domains(dt.date.fromisoformat(day)) == expected


def test_compiled_and_vectorised_paths_agree() -> None:
    """The compiled loop serves the registry (after agreeing with the scalar reference on a
    check period); the numpy path stays the fallback: both give the same lists, magics
    and 64-bit wrap-around included."""
    from dgawatch.families import necurs

    assert necurs._compiled_ok()
    day = dt.date(2024, 6, 3)
    base = necurs._period_value(day.year, day.month, day.day >> 2)
    for magic in (9, 5, 7, 2**64 - 1):
        assert necurs._compiled_names(base, magic, 512) == necurs._numpy_names(base, magic, 512)
    assert necurs._compiled_names(2**64 - 3, 9, 8) == necurs._numpy_names(2**64 - 3, 9, 8)
