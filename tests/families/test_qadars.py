"""Qadars against the reference example list (baderj/domain_generation_algorithms).

The example file is one whole weekly list (200 names, generation order) of the first
analysed sample: seed 0x89f5, com/org/net, Thursday-aligned weeks, seeded with Monday
2016-03-28 and so valid from Thursday 2016-03-31 to Wednesday 2016-04-06 (the reference
ran on 2016-04-04 00:00 CEST). Compared as whole lists on every day of that week.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.qadars import generate
from shared_data import family_examples

WEEK = [dt.date(2016, 3, 31) + dt.timedelta(days=i) for i in range(7)]


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("qadars", "BADERJ:qadars/")]


def test_reference_examples_in_order() -> None:
    expected = _expected()
    assert len(expected) == 200
    assert generate(WEEK[0], seed=0x89F5, tlds=("com", "org", "net"), lag_days=3) == expected
    variant = get_family("qadars").variant("89f5")
    for day in WEEK:
        assert variant.domains(day) == expected
    assert variant.domains(WEEK[0] - dt.timedelta(days=1)) != expected
    assert variant.domains(WEEK[-1] + dt.timedelta(days=1)) != expected


def test_monday_aligned_weeks() -> None:
    # Later samples start their week on Monday: the same seed value then gives the
    # examples' names (with its own TLDs) from Monday 2016-03-28 to Sunday 2016-04-03.
    expected_labels = [d.rsplit(".", 1)[0] for d in _expected()]
    variant = get_family("qadars").variant("89f5-top")
    for offset in range(7):
        names = variant.domains(dt.date(2016, 3, 28) + dt.timedelta(days=offset))
        assert [n.rsplit(".", 1)[0] for n in names] == expected_labels
    assert variant.domains(dt.date(2016, 4, 4))[0].rsplit(".", 1)[0] != expected_labels[0]


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("qadars")
    for variant in family.variants:
        day = variant.active_from
        names = variant.domains(day)
        assert len(names) == variant.domains_per_day == 200
        assert variant.period_days == 7
        assert all(n == n.lower() and n.isascii() for n in names)
        assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)
