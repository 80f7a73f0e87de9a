"""Orchard v3 (date-seeded half) against lists from running the public reference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.orchard import generate

FIXTURES = Path(__file__).parent / "fixtures" / "orchard"
DAYS = ["2022-07-24", "2022-09-29", "2023-02-28", "2025-12-31"]


@pytest.mark.parametrize("day", DAYS)
def test_reference_lists(day: str) -> None:
    expected = (FIXTURES / f"{day}.txt").read_text("ascii").split()
    assert len(expected) == 16
    assert generate(dt.date.fromisoformat(day)) == expected
    variant = get_family("orchard").variant("v3")
    assert variant.domains(dt.date.fromisoformat(day)) == expected


def test_registry_variant() -> None:
    variant = get_family("orchard").variant("v3")
    day = dt.date(2023, 2, 28)
    names = variant.domains(day)
    assert len(names) == variant.domains_per_day
    assert all(variant.signature.matches_label(n.split(".")[0]) for n in names)  # type: ignore[union-attr]
    assert {n.split(".", 1)[1] for n in names} == set(variant.tlds)
    assert variant.domains(day + dt.timedelta(days=1)) != names
