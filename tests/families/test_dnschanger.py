"""DNSChanger against BADERJ:dnschanger/example_domains.txt.

The source prints the five names drawn in order after one ``srand``; seed 87373 reproduces
them, compared as a list.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.dnschanger import generate
from shared_data import family_examples


def test_seed_87373_in_order() -> None:
    expected = [d for d, _, _ in family_examples("dnschanger", "BADERJ:dnschanger/")]
    assert len(expected) == 5
    assert generate(87373, nr=5) == expected
    # Bit 31 of the seed never reaches the output bits.
    assert generate(87373 + (1 << 31), nr=5) == expected


def test_registry_preset() -> None:
    family = get_family("alureon")
    variant = family.variant("seed87373")
    names = variant.domains(dt.date(2015, 1, 1))
    assert len(names) == variant.domains_per_day
    assert names == [d for d, _, _ in family_examples("dnschanger")]
