"""Chinad against BADERJ:chinad/example_domains.txt.

The example list is the 256 names of 2017-01-13 (the day the reimplementation was published
and run with its default date, "now") in counter order; the lists are compared whole.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.chinad import generate
from shared_data import family_examples

EXAMPLE_DAY = dt.date(2017, 1, 13)


def test_example_day_in_order() -> None:
    expected = [d for d, _, _ in family_examples("chinad", "BADERJ:chinad/")]
    assert len(expected) == 256
    assert generate(EXAMPLE_DAY) == expected


def test_counter_wraps_like_a_byte() -> None:
    names = generate(EXAMPLE_DAY, nr=1000)
    assert names[256:512] == names[:256]


def test_registry_variant() -> None:
    variant = get_family("chinad").variant("default")
    names = variant.domains(EXAMPLE_DAY)
    assert len(names) == variant.domains_per_day
    assert names == [d for d, _, _ in family_examples("chinad")]
    assert variant.domains(EXAMPLE_DAY + dt.timedelta(days=1)) != names
