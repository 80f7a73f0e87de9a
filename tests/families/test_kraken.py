"""Kraken v1/v2 against the public examples (baderj kraken/v1 and v2).

- v1: the reference's 2000-name list for seed set "a" (not time-seeded); the ground truth
  omits one name, so the examples must be an ordered subsequence of our list.
- v2: the reference's 2000-name list for seed set "a", TLD set 1, in the week from
  2015-12-22 (Tuesday) to 2015-12-28; the ground-truth file keeps each name's first
  occurrence only, so the examples must equal our list with repeats removed, in order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.kraken import generate_v1, generate_v2
from tests.shared_data import family_examples


def is_ordered_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


def test_v1_examples() -> None:
    expected = [d for d, _, _ in family_examples("kraken", "BADERJ:kraken/v1/")]
    assert len(expected) == 1999
    names = get_family("kraken").variant("v1-a").domains(dt.date(2009, 1, 1))
    assert names[:100] == expected[:100]
    assert is_ordered_subsequence(expected, names)
    assert generate_v1("a", nr=1000) == names


@pytest.mark.parametrize("day", [dt.date(2015, 12, 22), dt.date(2015, 12, 28)])
def test_v2_examples(day: dt.date) -> None:
    expected = [d for d, _, _ in family_examples("kraken", "BADERJ:kraken/v2/")]
    assert len(expected) == 1163
    names = get_family("kraken").variant("v2-a-tld1").domains(day)
    assert list(dict.fromkeys(names)) == expected


def test_v2_week_boundaries() -> None:
    expected = [d for d, _, _ in family_examples("kraken", "BADERJ:kraken/v2/")]
    for day in (dt.date(2015, 12, 21), dt.date(2015, 12, 29)):
        assert list(dict.fromkeys(generate_v2(day, "a", 1))) != expected


def test_all_examples_covered() -> None:
    assert len(family_examples("kraken")) == 1999 + 1163


def test_registry() -> None:
    family = get_family("bobax")
    assert family.variant("v2").name == "v2-a-tld1"
    for v in family.variants:
        names = v.domains(dt.date(2016, 1, 5))
        assert len(names) == v.domains_per_day == 2000
