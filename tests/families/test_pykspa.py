"""Pykspa against the reference example lists (baderj/domain_generation_algorithms).

``pykspa/precursor``: the reference's 5,000 names for the period with seed 8,339
(2015-08-31 and 2015-09-01). The excerpt in examples.csv.gz holds 4,974 of them, so it is
checked as an ordered subsequence of the period's list that starts and ends where it does.

``pykspa/improved`` (10 names) is not covered: that variant is not implemented (see the
module docstring).
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.pykspa import generate, generate_from_seed, period_seed
from shared_data import family_examples

PERIOD = (dt.date(2015, 8, 31), dt.date(2015, 9, 1))


def _is_ordered_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(x == y for y in it) for x in needle)


def test_precursor_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("pykspa", "BADERJ:pykspa/precursor/")]
    assert len(expected) == 4974
    assert period_seed(PERIOD[0]) == period_seed(PERIOD[1]) == 8339
    generated = generate_from_seed(8339)
    assert _is_ordered_subsequence(expected, generated)
    assert generated[0] == expected[0] and generated[-1] == expected[-1]
    variant = get_family("pykspa").variant("precursor")
    for day in PERIOD:
        assert variant.domains(day) == generated
    assert generate(PERIOD[1] + dt.timedelta(days=1)) != generated


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("pykspa")
    for variant in family.variants:
        names = variant.domains(variant.active_from)
        assert len(names) == variant.domains_per_day
        assert all(n == n.lower() and n.isascii() for n in names)
        assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)
