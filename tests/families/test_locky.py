"""Locky v2 against the public examples (baderj locky/example_domains.txt).

The file is the reference's full default list (DGA v2, config 1: seed 62) for 2016-02-28
(2016-02-29 gives the same list: the day enters as ``day // 2``); exact list, in order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.locky import generate
from tests.shared_data import family_examples


@pytest.mark.parametrize("day", [dt.date(2016, 2, 28), dt.date(2016, 2, 29)])
def test_examples(day: dt.date) -> None:
    expected = [d for d, _, _ in family_examples("locky")]
    assert len(expected) == 8
    assert get_family("locky").variant("config1").domains(day) == expected
    assert generate(day, seed=62, shift=7, mod=8, nr=8) == expected
    assert generate(dt.date(2016, 2, 27), seed=62)[0] != expected[0]


def test_registry() -> None:
    family = get_family("locky")
    assert family.variant("v2").name == "config1"
    for v in family.variants:
        names = v.domains(dt.date(2016, 3, 1))
        assert len(names) == v.domains_per_day == 8
