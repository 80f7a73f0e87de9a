"""Fobber against the public examples (baderj fobber/domains_{1,2}.txt).

Both files are the reference's full 300-name list for one preset; the ground-truth file
omits a few of them, so each example block must be an ordered subsequence of our list.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.fobber import generate
from tests.shared_data import family_examples


def is_ordered_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


@pytest.mark.parametrize(
    ("source", "variant"),
    [("BADERJ:fobber/domains_1.txt", "v1"), ("BADERJ:fobber/domains_2.txt", "v2")],
)
def test_examples_in_order(source: str, variant: str) -> None:
    expected = [d for d, _, _ in family_examples("fobber", source)]
    assert len(expected) == 298
    names = get_family("fobber").variant(variant).domains(dt.date(2015, 6, 1))
    assert expected[:3] == names[:3]
    assert is_ordered_subsequence(expected, names)


def test_all_examples_covered() -> None:
    assert len(family_examples("fobber")) == 596


def test_generate_parameters() -> None:
    expected = [d for d, _, _ in family_examples("fobber", "BADERJ:fobber/domains_2.txt")]
    assert generate(0x851A3E59, -1916503263, 10, "com", nr=5) == expected[:5]


def test_registry() -> None:
    family = get_family("fobber")
    assert family.generator_type == "arithmetic"
    for v in family.variants:
        day = dt.date(2016, 3, 1)
        names = v.domains(day)
        assert len(names) == v.domains_per_day == 300
        assert names == v.domains(dt.date(2020, 1, 1))
        assert v.period_days == 0
