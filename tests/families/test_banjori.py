"""Banjori against the published example list (BADERJ:banjori/example_domains.txt).

The source is the chain printed from seed ``earnestnessbiophysicalohax.com`` in generation
order, so the whole list is compared as a list.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.banjori import generate
from shared_data import family_examples


def test_example_chain_in_order() -> None:
    rows = family_examples("banjori", "BADERJ:banjori/example_domains.txt")
    expected = [domain for domain, _, _ in rows]
    assert len(expected) == 1000
    assert generate("earnestnessbiophysicalohax.com", nr=len(expected)) == expected


def test_registry_preset() -> None:
    family = get_family("banjori")
    variant = family.variant("earnestness")
    names = variant.domains(dt.date(2015, 2, 1))
    assert len(names) == variant.domains_per_day
    assert names == variant.domains(dt.date(2020, 6, 1))  # not time-seeded
    expected = [d for d, _, _ in family_examples("banjori")]
    assert names == expected
