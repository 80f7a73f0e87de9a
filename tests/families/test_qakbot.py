"""Qakbot against the reference example list (baderj/domain_generation_algorithms).

The example file is the reference's default output: the first 5,000 names for seed 0
without the sandbox flag, for the period 2016-02-21..2016-02-29 (published 2016-02-24),
in generation order: compared as whole lists, on every day of that period.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.qakbot import generate
from shared_data import family_examples

PERIOD = [dt.date(2016, 2, 21) + dt.timedelta(days=i) for i in range(9)]


def test_reference_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("qakbot", "BADERJ:qakbot/")]
    assert len(expected) == 5000
    assert generate(dt.date(2016, 2, 24), seed=0, sandbox=False, nr=5000) == expected
    variant = get_family("qakbot").variant("seed0")
    for day in PERIOD:
        assert variant.domains(day) == expected
    assert variant.domains(dt.date(2016, 2, 20)) != expected
    assert variant.domains(dt.date(2016, 3, 1)) != expected


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("qakbot")
    assert len(family.variants) == 4
    first = {}
    for variant in family.variants:
        names = variant.domains(dt.date(2016, 3, 11))
        assert len(names) == variant.domains_per_day == 5000
        assert all(n == n.lower() and n.isascii() for n in names)
        assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)
        assert all(8 <= len(n.rsplit(".", 1)[0]) <= 25 for n in names)
        first[variant.name] = names[0]
    assert len(set(first.values())) == 4
