"""Nymaim2 against lists from running the public reference, and the write-up's names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.nymaim2 import generate

FIXTURES = Path(__file__).parent / "fixtures" / "nymaim2"

#: The first ten names for 2018-04-27 as printed in the write-up (see PROVENANCE.md).
WRITE_UP_2018_04_27 = (
    "virginia-hood.top shelter-downloadable.ps tylerpreparation.sg zolofteffectiveness.ch "
    "stakeholders-looked.hn williampassword.sc thailandcool.re thoughtsjazz.ec "
    "recovery-hairy.ac workshopsforms.hn"
).split()


def _fixture(day: str) -> list[str]:
    names = (FIXTURES / f"{day}.txt").read_text("ascii").split()
    assert len(names) == 704
    return names


@pytest.mark.parametrize("day", ["2018-04-29", "2024-01-05", "2025-07-15"])
def test_reference_lists(day: str) -> None:
    assert generate(dt.date.fromisoformat(day)) == _fixture(day)


def test_write_up_names() -> None:
    assert generate(dt.date(2018, 4, 27))[:10] == WRITE_UP_2018_04_27


def test_registry_variant() -> None:
    variant = get_family("nymaim2").variant("default")
    day = dt.date(2025, 7, 15)
    names = variant.domains(day)
    assert names == _fixture("2025-07-15")
    assert len(names) == variant.domains_per_day
    assert all(variant.signature.matches_label(n.split(".")[0]) for n in names)  # type: ignore[union-attr]
    after = variant.domains(day + dt.timedelta(days=1))
    assert after != names
    assert after[64:] == names[:-64]  # the eleven-day window slides by one day
