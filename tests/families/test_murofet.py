"""Murofet v1/v2 against the public examples (baderj murofet/v1 and v2).

The v1 file is the first 1000 of the 1020 names of the list for 2015-09-01..06 (the day
enters as ``7 * (day // 7)``); the v2 file is the full 1020-name list of 2015-09-03 with no
key. Both are compared as exact lists (prefix for v1), in generation order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.murofet import generate_v1, generate_v2
from tests.families._fixtures import reference_lines
from tests.shared_data import family_examples


def test_v1_examples() -> None:
    expected = [d for d, _, _ in family_examples("murofet", "BADERJ:murofet/v1/")]
    assert len(expected) == 1000
    for day in (1, 6):  # the whole week shares one list
        assert generate_v1(dt.date(2015, 9, day))[:1000] == expected
    assert generate_v1(dt.date(2015, 9, 7))[0] != expected[0]


def test_v2_examples() -> None:
    expected = [d for d, _, _ in family_examples("murofet", "BADERJ:murofet/v2/")]
    assert len(expected) == 1020
    day = dt.date(2015, 9, 3)
    assert get_family("murofet").variant("v2").domains(day) == expected
    assert generate_v2(day, key=None) == expected
    assert generate_v2(day, key=0xD6D7A4BE)[0] != expected[0]


def test_all_examples_covered() -> None:
    assert len(family_examples("murofet")) == 2020


def test_registry() -> None:
    family = get_family("licat")
    assert family.name == "murofet"
    day = dt.date(2015, 9, 3)
    for v in family.variants:
        names = v.domains(day)
        assert len(names) == v.domains_per_day == (1000 if v.name == "v3" else 1020)
        assert all(n.isascii() and n == n.lower() and "." in n for n in names)


@pytest.mark.parametrize("day", ["2015-09-03", "2016-03-15"])
def test_v3_against_the_reference(day: str) -> None:
    expected = reference_lines("murofet", f"v3_{day}.txt.xz")
    assert len(expected) == 1000
    assert get_family("murofet").variant("v3").domains(dt.date.fromisoformat(day)) == expected


def test_v3_weekly_lists() -> None:
    v3 = get_family("murofet").variant("v3")
    assert v3.domains(dt.date(2016, 3, 14)) == v3.domains(dt.date(2016, 3, 20))
    assert v3.domains(dt.date(2016, 3, 20)) != v3.domains(dt.date(2016, 3, 21))
