"""QSnatch against the reference's output (fixtures/qsnatch/PROVENANCE.md), name for name."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.qsnatch import DAY, SLOTS_A, TLDS_A, names_at_a, names_at_b

FIXTURES = Path(__file__).parent / "fixtures" / "qsnatch"
RUNS_A = ("2019-11-11T000000", "2019-11-11T230000", "2024-06-15T075959", "2024-06-15T230000")
RUNS_B = ("2019-11-11T000000", "2020-01-01T120000", "2024-06-15T000000")
BLOCK = 3 * len(TLDS_A)


def _unix(stamp: str) -> int:
    day = dt.date.fromisoformat(stamp[:10])
    h, m, s = int(stamp[11:13]), int(stamp[13:15]), int(stamp[15:17])
    return calendar.timegm(day.timetuple()) + 3600 * h + 60 * m + s


def _reference(name: str) -> tuple[list[str], list[str]]:
    """(names that are DNS names, the reference's '..' names)"""
    lines = (FIXTURES / f"{name}.txt").read_text().split()
    return [n for n in lines if ".." not in n], [n for n in lines if ".." in n]


@pytest.mark.parametrize("stamp", RUNS_A)
def test_variant_a_runs(stamp: str) -> None:
    expected, broken = _reference(f"a_{stamp}")
    assert len(broken) == 18 and all(n.endswith("..com.bn") for n in broken)
    assert names_at_a(_unix(stamp)) == expected


@pytest.mark.parametrize("stamp", RUNS_A)
def test_variant_a_day_holds_each_run_at_its_slots(stamp: str) -> None:
    expected, _ = _reference(f"a_{stamp}")
    day = dt.date.fromisoformat(stamp[:10])
    t0, t = calendar.timegm(day.timetuple()), _unix(stamp)
    variant = get_family("qsnatch").variant("a")
    names = variant.domains(day)
    assert len(names) == variant.domains_per_day == 42 * BLOCK
    offset = 0
    for i, seconds in enumerate(SLOTS_A):
        at = offset + (t // seconds - t0 // seconds) * BLOCK
        assert names[at : at + BLOCK] == expected[i * BLOCK : (i + 1) * BLOCK], seconds
        offset += ((t0 + DAY - 1) // seconds - t0 // seconds + 1) * BLOCK
    assert offset == len(names)
    assert variant.domains(day + dt.timedelta(days=1))[-BLOCK:] != names[-BLOCK:]


@pytest.mark.parametrize("stamp", RUNS_B)
def test_variant_b(stamp: str) -> None:
    expected, broken = _reference(f"b_{stamp}")
    assert broken == [] and len(expected) == 150
    assert names_at_b(_unix(stamp)) == expected
    variant = get_family("qsnatch").variant("b")
    day = dt.date.fromisoformat(stamp[:10])
    assert variant.domains(day) == expected
    assert variant.domains(day + dt.timedelta(days=15)) != expected
