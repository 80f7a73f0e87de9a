"""Symmi against the reference examples (baderj/domain_generation_algorithms, symmi).

The example file is one full list of 64 names in generation order, made with the
published configuration (seed constant 42, 16-day halves). Its seed is that of the
second half of August 2015 (found by trying every half month of 2010-2025 once; the
reference script was run on a day in 2015-08-16..31).
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.symmi import generate, seed_for
from tests.shared_data import family_examples

DAY = dt.date(2015, 8, 16)


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("symmi", "BADERJ:symmi/")]


def test_examples_are_the_list_of_the_second_half_of_august_2015() -> None:
    expected = _expected()
    assert len(expected) == 64
    assert generate(DAY) == expected
    assert generate(dt.date(2015, 8, 31)) == expected


def test_list_changes_on_the_1st_and_16th() -> None:
    assert seed_for(dt.date(2015, 8, 15)) != seed_for(DAY)
    assert generate(dt.date(2015, 8, 15)) != _expected()
    assert generate(dt.date(2015, 9, 1)) != _expected()


def test_registry() -> None:
    variant = get_family("symmi").variant("default")
    assert get_family("graftor") is get_family("symmi")
    assert len(variant.domains(DAY)) == variant.domains_per_day == 64
