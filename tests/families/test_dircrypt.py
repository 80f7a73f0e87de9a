"""DirCrypt against BADERJ:dircrypt/example_domains.txt (seed 0xF2113C2A, 30 names).

The source lists the names in generation order; the lists are compared whole.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.dircrypt import generate
from shared_data import family_examples


def test_seed_f2113c2a_in_order() -> None:
    expected = [d for d, _, _ in family_examples("dircrypt", "BADERJ:dircrypt/")]
    assert len(expected) == 30
    assert generate(0xF2113C2A, nr=30) == expected


def test_registry_preset() -> None:
    variant = get_family("dircrypt").variant("f2113c2a")
    names = variant.domains(dt.date(2014, 1, 1))
    assert len(names) == variant.domains_per_day
    assert names == [d for d, _, _ in family_examples("dircrypt")]
