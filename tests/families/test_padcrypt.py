"""PadCrypt against the reference example list (baderj/domain_generation_algorithms).

The example file is the full list of version 2.2.86.1 (the reference's default) for
2016-03-06, the day of the write-up, in generation order: compared as whole lists.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.padcrypt import generate
from shared_data import family_examples
from tests.families._fixtures import reference_lines

D = dt.date.fromisoformat

EXAMPLE_DAY = dt.date(2016, 3, 6)


def test_reference_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("padcrypt", "BADERJ:padcrypt/")]
    assert len(expected) == 24
    assert generate(EXAMPLE_DAY, separator=":", nr=24) == expected
    assert get_family("padcrypt").variant("2.2.86.1").domains(EXAMPLE_DAY) == expected


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("padcrypt")
    for variant in family.variants:
        names = variant.domains(EXAMPLE_DAY)
        assert len(names) == variant.domains_per_day
        assert all(n == n.lower() and n.isascii() for n in names)
        assert all(n.split(".", 1)[1] in variant.tlds for n in names)
    assert family.variant("2.2.97.0").domains_per_day == 72
    # The later version only changes the separator: its list differs from 2.2.86.1's.
    assert family.variant("2.2.97.0").domains(EXAMPLE_DAY)[:24] != generate(EXAMPLE_DAY)


@pytest.mark.parametrize("day", ["2017-05-17", "2017-06-01"])
def test_11_37_0_0_against_the_reference(day: str) -> None:
    expected = reference_lines("padcrypt", f"11.37.0.0_{day}.txt")
    assert len(expected) == 72
    assert get_family("padcrypt").variant("11.37.0.0").domains(D(day)) == expected


def test_11_37_0_0_finds_the_names_360netlab_saw_on_2017_05_17() -> None:
    seen = reference_lines("padcrypt", "360netlab_issue34_sandbox_2017-05-17.txt")
    variant = get_family("padcrypt").variant("11.37.0.0")
    assert variant.is_active(D("2017-05-17"))
    names = variant.domains(D("2017-05-17"))
    assert len(seen) == 56 and set(seen) <= set(names)
    assert not set(seen) & set(get_family("padcrypt").variant("2.2.97.0").domains(D("2017-05-17")))
