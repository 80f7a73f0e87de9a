"""Reconyc against the reference example list (baderj/domain_generation_algorithms).

The reference seeds its run with a random tick count; the example file (100 names, in
generation order, lower-cased here) is the run for seed 434921, which was found by
trying every seed the reference can draw (0..86,400,000). Compared as whole lists.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.reconyc import generate
from shared_data import family_examples


def test_reference_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("reconyc", "BADERJ:reconyc/")]
    assert len(expected) == 100
    assert generate(434_921) == expected
    assert generate(434_922) != expected


def test_registered_variant_gives_domains_per_day() -> None:
    family = get_family("reconyc")
    variant = family.variant("seed-434921")
    names = variant.domains(dt.date(2020, 1, 1))
    assert len(names) == variant.domains_per_day == 100
    assert names == variant.domains(dt.date(2021, 5, 5))
    assert variant.period_days == 0
    assert all(n == n.lower() and n.isascii() and n.endswith(".com") for n in names)
    assert {len(n) for n in names} == {14}
