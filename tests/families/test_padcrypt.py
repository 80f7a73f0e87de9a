"""PadCrypt against the reference example list (baderj/domain_generation_algorithms).

The example file is the full list of version 2.2.86.1 (the reference's default) for
2016-03-06, the day of the write-up, in generation order: compared as whole lists.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.padcrypt import generate
from shared_data import family_examples

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
