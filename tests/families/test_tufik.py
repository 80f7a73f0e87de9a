"""Tufik against the reference's output (fixtures/tufik/PROVENANCE.md), whole lists in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.tufik import generate

FIXTURES = Path(__file__).parent / "fixtures" / "tufik"
DAYS = (dt.date(2022, 5, 9), dt.date(2019, 2, 28), dt.date(2025, 11, 30))


@pytest.mark.parametrize("day", DAYS)
def test_reference_lists(day: dt.date) -> None:
    expected = (FIXTURES / f"{day.isoformat()}.txt").read_text().split()
    assert len(expected) == 1020
    variant = get_family("tufik").variant("default")
    assert variant.domains(day) == expected
    assert len(expected) == variant.domains_per_day
    sig = variant.signature
    assert sig is not None and all(sig.matches_label(n.split(".")[0]) for n in expected)
    assert variant.domains(day + dt.timedelta(days=1)) != expected


def test_longer_runs_continue_the_tld_cycle() -> None:
    names = generate(DAYS[0], nr=1022)
    assert names[:1020] == generate(DAYS[0])
    assert names[1020].endswith(".biz") and names[1021].split(".")[0] == names[1020].split(".")[0]
