"""m0yv against lists produced by running the public reference (fixtures/m0yv)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.m0yv import day_seed, generate, generate_td

FIXTURES = Path(__file__).parent / "fixtures" / "m0yv"
SEEDS = {"0x02484A18": 0x02484A18, "0x00128a0e": 0x00128A0E, "0x7178af3f": 0x7178AF3F}


def _fixture(name: str) -> list[str]:
    names = (FIXTURES / name).read_text("ascii").split()
    assert len(names) == 128
    return names


@pytest.mark.parametrize("text", SEEDS)
def test_static_reference_lists(text: str) -> None:
    assert generate(SEEDS[text]) == _fixture(f"static_seed-{text}.txt")


@pytest.mark.parametrize(
    ("text", "day"),
    [(t, d) for t in SEEDS for d in ("2022-04-29", "2024-03-15")] + [("0x02484A18", "2024-01-31")],
)
def test_time_dependent_reference_lists(text: str, day: str) -> None:
    expected = _fixture(f"td_seed-{text}_{day}.txt")
    assert generate_td(SEEDS[text], dt.date.fromisoformat(day)) == expected


def test_registry_variants() -> None:
    fam = get_family("m0yv")
    assert fam is get_family("expiro")
    day = dt.date(2024, 3, 15)
    for text, seed in SEEDS.items():
        static = fam.variant(f"static-{seed:08x}")
        assert static.domains(day) == _fixture(f"static_seed-{text}.txt")
        assert static.domains(day + dt.timedelta(days=200)) == static.domains(day)
        td = fam.variant(f"td-{seed:08x}")
        assert td.domains(day) == _fixture(f"td_seed-{text}_2024-03-15.txt")
        assert td.domains(day + dt.timedelta(days=7)) != td.domains(day)
        assert all(td.signature.matches_label(n[:-4]) for n in td.domains(day))  # type: ignore[union-attr]


def test_week_counter_holds_within_a_week() -> None:
    # trunc((30.5 * 3 - d) / 7) is 9 for March 8..14: one seed, one list
    seeds = {day_seed(0x02484A18, dt.date(2024, 3, d)) for d in range(8, 15)}
    assert len(seeds) == 1
