"""Tempedreve against the reference examples (baderj/domain_generation_algorithms).

The example file is what the reference script prints for one day: that day's name, then
each earlier day's back to the floor 2015-03-23, in that order. It has 1,746 names, so
the day is 2015-03-23 + 1,745 days = 2020-01-01. The whole list is compared in order.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.tempedreve import FLOOR, walk_back
from tests.shared_data import family_examples

DAY = dt.date(2020, 1, 1)


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("tempedreve", "BADERJ:tempedreve/")]


def test_examples_are_the_walk_back_from_2020_01_01() -> None:
    expected = _expected()
    assert len(expected) == (DAY - FLOOR).days + 1 == 1746
    assert walk_back(DAY) == expected


def test_registry_gives_the_new_name_of_each_day() -> None:
    variant = get_family("tempedreve").variant("time-dependent")
    expected = _expected()
    assert variant.domains(DAY) == expected[:1]
    assert variant.domains(FLOOR) == expected[-1:]
    assert len(variant.domains(DAY)) == variant.domains_per_day == 1
