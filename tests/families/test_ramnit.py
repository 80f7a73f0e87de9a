"""Ramnit against the reference example list (baderj/domain_generation_algorithms).

The example file is the first 100 names of seed 0x79159c10 (.com, lengths 8-19) in
generation order; Ramnit is not date-seeded, so the list is the same on every day:
compared as whole lists.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.ramnit import generate
from shared_data import family_examples


def test_reference_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("ramnit", "BADERJ:ramnit/")]
    assert len(expected) == 100
    assert generate(0x79159C10, nr=100, tlds=("com",)) == expected
    variant = get_family("ramnit").variant("79159c10")
    assert variant.domains(dt.date(2015, 1, 1)) == expected
    assert variant.domains(dt.date(2024, 6, 30)) == expected


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("ramnit")
    assert get_family("nimnul") is family
    assert len(family.variants) == 31
    for variant in family.variants:
        names = variant.domains(variant.active_from)
        assert len(names) == variant.domains_per_day
        assert variant.period_days == 0
        assert all(n == n.lower() and n.isascii() for n in names)
        assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)
    rotating = family.variant("4302c04a").domains(dt.date(2018, 1, 1))
    assert [n.rsplit(".", 1)[1] for n in rotating[:4]] == ["click", "bid", "eu", "click"]
