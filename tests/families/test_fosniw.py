"""Fosniw against lists produced by running the public reference (fixtures/fosniw)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.fosniw import queried_names

FIXTURES = Path(__file__).parent / "fixtures" / "fosniw"


@pytest.mark.parametrize("preset", ["koreasys", "winsoft"])
def test_reference_list_and_registry_variant(preset: str) -> None:
    expected = (FIXTURES / f"{preset}.txt").read_text("ascii").split()
    assert len(expected) == 101
    assert queried_names(preset) == expected
    variant = get_family("fosniw").variant(preset)
    names = variant.domains(dt.date(2024, 1, 1))
    assert names == [e.split(".", 1)[1] for e in expected]
    assert len(names) == variant.domains_per_day
    assert variant.domains(dt.date(2025, 7, 1)) == names  # not time-seeded
    assert all(variant.signature.matches_label(n.split(".")[0]) for n in names)  # type: ignore[union-attr]


def test_presets_differ() -> None:
    fam = get_family("fosniw")
    day = dt.date(2024, 1, 1)
    assert set(fam.variant("koreasys").domains(day)).isdisjoint(fam.variant("winsoft").domains(day))
