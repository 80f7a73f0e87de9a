"""Proslikefan preset "prospect" against the reference's output
(fixtures/proslikefan/PROVENANCE.md), whole lists in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.proslikefan import PROSPECT_TLDS, _abs_hash, generate

FIXTURES = Path(__file__).parent / "fixtures" / "proslikefan"
DAYS = (dt.date(2016, 6, 17), dt.date(2020, 2, 29), dt.date(2024, 12, 31))


@pytest.mark.parametrize("day", DAYS)
def test_reference_lists(day: dt.date) -> None:
    expected = (FIXTURES / f"prospect_{day.isoformat()}.txt").read_text().split()
    assert len(expected) == 100
    assert generate(day, "prospect", PROSPECT_TLDS) == expected
    variant = get_family("proslikefan").variant("prospect")
    assert variant.domains(day) == expected
    assert len(expected) == variant.domains_per_day
    assert all(
        variant.signature and variant.signature.matches_label(n.split(".")[0]) for n in expected
    )
    assert variant.domains(day + dt.timedelta(days=1)) != expected


def test_hash_is_signed_32_bit() -> None:
    assert _abs_hash("") == 0
    assert _abs_hash("a") == 97
    # "polygenelubricants" hashes to -2**31 in Java; its absolute value stays 2**31
    assert _abs_hash("polygenelubricants") == 2**31
