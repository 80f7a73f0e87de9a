"""Vawtrak against the reference examples (baderj/domain_generation_algorithms, vawtrak).

``example_domains2.txt`` holds the first 100 names of DGA version 2 with the reference
script's default seed 0x5884c3c4, in generation order: the examples must be the first
100 names of that preset's list.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.vawtrak import INCREMENTS, generate, generate_v1
from tests.families._fixtures import reference_lines
from tests.shared_data import family_examples

DAY = dt.date(2017, 1, 13)


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("vawtrak", "BADERJ:vawtrak/example_domains2")]


def test_examples_are_the_start_of_v2_seed_5884c3c4() -> None:
    expected = _expected()
    assert len(expected) == 100
    assert generate(0x5884C3C4, INCREMENTS["v2"], nr=100) == expected
    preset = get_family("vawtrak").variant("v2-5884c3c4").domains(DAY)
    assert preset[: len(expected)] == expected


def test_other_presets_differ_and_keep_the_shape() -> None:
    family = get_family("vawtrak")
    lists = [v.domains(DAY) for v in family.variants]
    assert len({tuple(x) for x in lists}) == len(lists)
    for names in lists:
        assert all(7 <= len(n) - 4 <= 11 and n.endswith(".com") for n in names)


def test_registry() -> None:
    family = get_family("neverquest")
    assert family.name == "vawtrak"
    for variant in family.variants:
        assert len(variant.domains(DAY)) == variant.domains_per_day == 150
        assert variant.period_days == 0


@pytest.mark.parametrize("seed", ["DEADBEEF", "5884C3C4"])
def test_v1_generator_against_the_reference(seed: str) -> None:
    expected = reference_lines("vawtrak", f"v1_seed-{seed}.txt")
    assert len(expected) == 96
    assert generate_v1(int(seed, 16)) == expected


def test_v1_is_not_registered_without_a_published_seed() -> None:
    assert not any(v.name.startswith("v1") for v in get_family("vawtrak").variants)
