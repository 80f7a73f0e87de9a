"""Vidro against 360netlab's reference at four instants (two across a week change) and the
sandbox queries published in its issue #31."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.vidro import generate, week_of

FIXTURES = Path(__file__).parent / "fixtures" / "vidro"


def _reference(stamp: str) -> list[str]:
    return (FIXTURES / f"reference_{stamp}.txt").read_text().split()


def _unix(stamp: str) -> int:
    when = dt.datetime.strptime(stamp, "%Y-%m-%d_%H%M%SZ")
    return calendar.timegm(when.timetuple())


def test_reference_runs_name_for_name() -> None:
    stamps = [p.stem.removeprefix("reference_") for p in sorted(FIXTURES.glob("reference_*"))]
    assert len(stamps) == 4
    for stamp in stamps:
        expected = _reference(stamp)
        assert len(expected) == 100
        assert list(generate(week_of(_unix(stamp)))) == expected, stamp


def test_a_sunday_holds_both_weeks_monday_only_the_new_one() -> None:
    variant = get_family("vidro").variant("default")
    before, after = _reference("2024-01-07_085319Z"), _reference("2024-01-07_085320Z")
    assert variant.domains(dt.date(2024, 1, 7)) == before + after
    assert variant.domains(dt.date(2024, 1, 8)) == after == variant.domains(dt.date(2024, 1, 13))
    assert variant.domains(dt.date(2024, 1, 6)) == before


def test_sandbox_queries_of_2016_10_09() -> None:
    observed = (FIXTURES / "observed_2016-10-09.txt").read_text().split()
    day = get_family("vidro").variant("default").domains(dt.date(2016, 10, 9))
    assert len(observed) == 71
    assert set(observed) <= set(day[:100])  # the week that ended that morning
    assert set(observed).isdisjoint(day[100:])
