"""Locky v2 against the public examples (baderj locky/example_domains.txt).

The file is the reference's full default list (DGA v2, config 1: seed 62) for 2016-02-28
(2016-02-29 gives the same list: the day enters as ``day // 2``); exact list, in order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.locky import generate
from tests.families._fixtures import reference_lines
from tests.shared_data import family_examples

D = dt.date.fromisoformat


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
        assert len(names) == v.domains_per_day == (12 if v.name.startswith("v3-") else 8)


@pytest.mark.parametrize("day", ["2016-04-15", "2016-07-14"])
def test_v3_twenty_configurations_against_the_reference(day: str) -> None:
    expected = reference_lines("locky", f"v3_configs1-20_{day}.txt")
    assert len(expected) == 20 * 12
    family = get_family("locky")
    got = [n for c in range(1, 21) for n in family.variant(f"v3-config{c}").domains(D(day))]
    assert got == expected


def test_v3_lists_change_every_two_days_and_start_when_published() -> None:
    v3 = get_family("locky").variant("v3")
    assert v3.name == "v3-config1" and v3.active_from == D("2016-03-29")
    assert v3.domains(D("2016-04-14")) == v3.domains(D("2016-04-15"))
    assert v3.domains(D("2016-04-15")) != v3.domains(D("2016-04-16"))
    assert get_family("locky").variant("v3-config20").active_from == D("2016-07-13")
