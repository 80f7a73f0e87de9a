"""Sisron against the reference examples (baderj/domain_generation_algorithms, sisron).

The example file is the 40-name list of one day, in generation order; its first name
decodes to 02062016, so the day is 2016-06-02 (the reference script's run date).
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.sisron import generate, label
from tests.shared_data import family_examples

DAY = dt.date(2016, 6, 2)


def test_examples_are_the_list_of_2016_06_02_in_order() -> None:
    expected = [d for d, _, _ in family_examples("sisron", "BADERJ:sisron/")]
    assert len(expected) == 40
    assert generate(DAY) == expected


def test_label_is_base64_of_the_date() -> None:
    assert label(DAY) + ".com" == family_examples("sisron")[0][0]


def test_registry() -> None:
    variant = get_family("sisron").variant("default")
    names = variant.domains(DAY)
    assert len(names) == variant.domains_per_day == 40
    assert variant.period_days == 1
