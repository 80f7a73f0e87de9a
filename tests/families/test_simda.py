"""Simda against the reference examples (baderj/domain_generation_algorithms, simda).

The reference file holds the 1,000 names of the published configuration in generation
order. examples.csv.gz keeps 990 of them, in file order (ten names are absent from it),
so the examples must be an ordered subsequence of our 1,000-name list: every example
found, in the same order, with nothing of ours reordered.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.simda import BASE, KEY, generate
from tests.shared_data import family_examples


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("simda", "BADERJ:simda/")]


def _is_ordered_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(name == candidate for candidate in it) for name in needles)


def test_examples_are_an_ordered_subsequence_of_the_published_list() -> None:
    expected = _expected()
    assert len(expected) == 990
    got = generate(KEY, BASE, 7, "com", 1000)
    assert len(got) == 1000
    assert got[0] == expected[0] and got[-1] == expected[-1]
    assert _is_ordered_subsequence(expected, got)
    assert len(set(got) - set(expected)) == 10


def test_registry() -> None:
    variant = get_family("shiz").variant("default")
    names = variant.domains(dt.date(2016, 1, 1))
    assert len(names) == variant.domains_per_day == 1000
    assert names == variant.domains(dt.date(2020, 5, 5))
    assert _is_ordered_subsequence(_expected(), names)
