"""Pitou against the raw output of the public reference (fixtures/pitou)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.pitou import candidates, day_seed, generate

FIXTURES = Path(__file__).parent / "fixtures" / "pitou"
RUNS = [
    (m, d) for m in ("0xDAFE02C", "0xDAFE02D") for d in ("2019-04-09", "2024-02-29", "2025-12-31")
] + [("0xDAFE02C", "2019-04-10")]


def _groups(magic: str, day: str) -> list[list[str]]:
    """The reference's output as one group per counter (a name, or its candidate block)."""
    groups: list[list[str]] = []
    in_block = False
    for line in (FIXTURES / f"magic-{magic}_{day}.txt").read_text("ascii").splitlines():
        if line.startswith("-"):
            in_block = not in_block
            if in_block:
                groups.append([])
        elif in_block:
            groups[-1].append(line.split()[0])
        else:
            groups.append([line.strip()])
    return groups


@pytest.mark.parametrize(("magic", "day"), RUNS)
def test_reference_output(magic: str, day: str) -> None:
    expected = _groups(magic, day)
    assert len(expected) == 20
    date = dt.date.fromisoformat(day)
    got = [candidates(date.year, day_seed(date), c, int(magic, 16)) for c in range(20)]
    assert got == expected
    assert generate(date, int(magic, 16)) == [n for g in expected for n in g]


def test_registry_variant_and_candidate_sets() -> None:
    fam = get_family("pitou")
    day = dt.date(2024, 2, 29)
    for magic in ("0xDAFE02C", "0xDAFE02D"):
        variant = fam.variant(f"{int(magic, 16):07x}")
        groups = _groups(magic, "2024-02-29")
        names = variant.domains(day)
        assert names == [n for g in groups for n in g]
        assert len(names) <= variant.domains_per_day
        assert all(variant.signature.matches_label(n.split(".")[0]) for n in names)  # type: ignore[union-attr]
        # exact 8-letter names; 9-letter ones come as all 21 consonant or 5 vowel endings
        assert {len(g) for g in groups} <= {1, 5, 21}
        assert all(len(g[0].split(".")[0]) == (8 if len(g) == 1 else 9) for g in groups)
        # seeds are rounded to ten days: a name list changes within at most ten days
        assert variant.domains(day + dt.timedelta(days=10)) != names


def test_seed_is_one_month_ahead() -> None:
    assert day_seed(dt.date(2024, 1, 31)) == (dt.date(2024, 3, 2) - dt.date(1970, 1, 1)).days
    assert day_seed(dt.date(2025, 12, 31)) == (dt.date(2026, 1, 31) - dt.date(1970, 1, 1)).days
