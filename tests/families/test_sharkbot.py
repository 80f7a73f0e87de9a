"""SharkBot against the reference's output (fixtures/sharkbot/PROVENANCE.md), whole lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.days import FIRST_SUPPORTED, LAST_SUPPORTED
from dgawatch.families import get_family
from dgawatch.families.sharkbot import VERSIONS, generate

FIXTURES = Path(__file__).parent / "fixtures" / "sharkbot"
DAYS = (dt.date(2022, 6, 1), dt.date(2024, 12, 30), dt.date(2025, 3, 12))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("day", DAYS)
def test_reference_lists(version: str, day: dt.date) -> None:
    expected = (FIXTURES / f"v{version}_{day.isoformat()}.txt").read_text().split()
    assert len(expected) == 7
    variant = get_family("sharkbot").variant(f"v{version}")
    monday = day - dt.timedelta(days=day.weekday())
    for d in (monday, day, monday + dt.timedelta(days=6)):
        if d.year == day.year:  # v1.63 / v2.8 also change on 1 January
            assert variant.domains(d) == expected
    assert variant.domains(monday + dt.timedelta(days=7)) != expected


def test_labels_are_dns_labels_over_the_supported_span() -> None:
    # every (week, year) pair occurs on a Monday or on a 1 January
    days = [dt.date(y, 1, 1) for y in range(FIRST_SUPPORTED.year, LAST_SUPPORTED.year + 1)]
    day = FIRST_SUPPORTED - dt.timedelta(days=FIRST_SUPPORTED.weekday())
    while day <= LAST_SUPPORTED:
        days.append(day)
        day += dt.timedelta(days=7)
    for version in VERSIONS:
        sig = get_family("sharkbot").variant(f"v{version}").signature
        assert sig is not None
        for d in days:
            assert all(sig.matches_label(n.split(".")[0]) for n in generate(d, version))
