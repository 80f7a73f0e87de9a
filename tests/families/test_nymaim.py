"""Nymaim against the reference example list (baderj/domain_generation_algorithms).

The example file is the first 128 names of one day, in generation order; it was
regenerated on 2019-07-19 (the repository's "cleanup" commit), so the list must equal
that day's output exactly.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.nymaim import generate
from shared_data import family_examples

EXAMPLE_DAY = dt.date(2019, 7, 19)


def test_reference_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("nymaim", "BADERJ:nymaim/")]
    assert len(expected) == 128
    assert generate(EXAMPLE_DAY, nr=128) == expected


def test_registered_variant_gives_domains_per_day() -> None:
    family = get_family("nymaim")
    variant = family.variant("default")
    names = variant.domains(EXAMPLE_DAY)
    assert len(names) == variant.domains_per_day == 128
    assert names == generate(EXAMPLE_DAY)
    assert all(n == n.lower() and n.isascii() for n in names)
    assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)
