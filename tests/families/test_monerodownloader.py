"""Monero-miner downloader against lists from running the public reference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.monerodownloader import generate

FIXTURES = Path(__file__).parent / "fixtures" / "monerodownloader"


@pytest.mark.parametrize("day", ["2020-01-12", "2024-05-05"])
def test_reference_lists(day: str) -> None:
    expected = (FIXTURES / f"{day}.txt").read_text("ascii").split()
    assert len(expected) == 2500
    assert generate(dt.date.fromisoformat(day)) == expected


def test_registry_variant() -> None:
    variant = get_family("monerodownloader").variant("default")
    day = dt.date(2024, 5, 5)
    names = variant.domains(day)
    assert names == (FIXTURES / "2024-05-05.txt").read_text("ascii").split()
    assert len(names) == variant.domains_per_day
    assert all(variant.signature.matches_label(n.split(".")[0]) for n in names)  # type: ignore[union-attr]
    other = variant.domains(day + dt.timedelta(days=1))
    assert other != names
    assert other[:5] == names[:5]  # counter 0: the fixed label, every day
