"""Ranbyus against both reference example lists (baderj/domain_generation_algorithms).

Each example file is a whole day's list (40 names) in generation order, compared as
whole lists:
- ``ranbyus/may``: seed 0xb6354bc3 on 2015-05-14 (the reference's usage example);
- ``ranbyus/september``: seed 0x0f0d5bfa (the reference's default) on 2015-09-25, the day
  the list was published.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.ranbyus import generate_may, generate_september
from shared_data import family_examples

MAY_DAY = dt.date(2015, 5, 14)
SEPTEMBER_DAY = dt.date(2015, 9, 25)


def test_may_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("ranbyus", "BADERJ:ranbyus/may/")]
    assert len(expected) == 40
    assert generate_may(MAY_DAY, seed=0xB6354BC3) == expected
    assert get_family("ranbyus").variant("may-b6354bc3").domains(MAY_DAY) == expected


def test_september_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("ranbyus", "BADERJ:ranbyus/september/")]
    assert len(expected) == 40
    assert generate_september(SEPTEMBER_DAY, seed=0x0F0D5BFA) == expected
    variant = get_family("ranbyus").variant("september-0f0d5bfa")
    assert variant.domains(SEPTEMBER_DAY) == expected
    assert variant.domains(SEPTEMBER_DAY + dt.timedelta(days=1)) != expected


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("ranbyus")
    assert len(family.variants) == 15
    for variant in family.variants:
        names = variant.domains(dt.date(2015, 10, 1))
        assert len(names) == variant.domains_per_day == 40
        assert all(n == n.lower() and n.isascii() for n in names)
        assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)
        expected_len = 14 if variant.name.startswith("may") else 17
        assert {len(n.rsplit(".", 1)[0]) for n in names} == {expected_len}
