"""Ramdo against the reference's output and an independent implementation's published list
(fixtures/ramdo/PROVENANCE.md), name for name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.ramdo import generate

FIXTURES = Path(__file__).parent / "fixtures" / "ramdo"


def _read(name: str) -> list[str]:
    return (FIXTURES / name).read_text().split()


def test_reference_run_and_registry() -> None:
    expected = _read("d5fff_reference_run.txt")
    assert len(expected) == 20
    variant = get_family("ramdo").variant("d5fff")
    assert variant.domains(dt.date(2018, 1, 1)) == expected
    assert variant.domains(dt.date(2024, 7, 9)) == expected  # not time-seeded
    assert variant.period_days == 0 and len(expected) == variant.domains_per_day


def test_500_names_of_the_reference() -> None:
    assert generate(0xD5FFF, 500) == _read("d5fff_0-499.txt")


def test_independent_cpp_list_other_seed() -> None:
    expected = _read("andrewaeva_deadbeef_0-499.txt")
    assert len(expected) == 500
    assert generate(0xDEADBEEF, 500) == expected
