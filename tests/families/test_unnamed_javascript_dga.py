"""The "unnamed JavaScript DGA" (= Proslikefan preset "ok") against the reference's output
(fixtures/unnamed_javascript_dga/PROVENANCE.md), whole lists in order."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family

FIXTURES = Path(__file__).parent / "fixtures" / "unnamed_javascript_dga"
DAYS = (dt.date(2016, 6, 17), dt.date(2020, 2, 29), dt.date(2024, 12, 31))


@pytest.mark.parametrize("day", DAYS)
def test_reference_lists(day: dt.date) -> None:
    expected = (FIXTURES / f"ok_{day.isoformat()}.txt").read_text().split()
    assert len(expected) == 30
    variant = get_family("unnamed_javascript_dga").variant("unnamed_javascript_dga")
    assert variant.key == "proslikefan/ok"
    assert variant.domains(day) == expected
    assert variant.domains(day + dt.timedelta(days=1)) != expected
    other = get_family("proslikefan").variant("prospect").domains(day)
    assert not set(other) & set(expected)
