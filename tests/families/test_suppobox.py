"""Suppobox against the reference's own output (fixtures/suppobox/PROVENANCE.md).

For each word list and two UTC days the reference was run at the day's first slot, 85 slots
later and at the day's last second; each run is compared name for name, and the day list of
the registry variant must be exactly their concatenation (without the overlap).
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.suppobox import WORD_LISTS, slot_names, words

FIXTURES = Path(__file__).parent / "fixtures" / "suppobox"
DAYS = (dt.date(2015, 10, 23), dt.date(2024, 6, 15))
TIMES = ("000000", "120520", "235959")


def _fixture(word_list: str, day: dt.date, hhmmss: str) -> list[str]:
    path = FIXTURES / f"{word_list}_{day.isoformat()}T{hhmmss}.txt"
    return path.read_text().split()


def _unix(day: dt.date, hhmmss: str) -> int:
    h, m, s = int(hhmmss[:2]), int(hhmmss[2:4]), int(hhmmss[4:])
    return calendar.timegm(day.timetuple()) + 3600 * h + 60 * m + s


@pytest.mark.parametrize("word_list", WORD_LISTS)
@pytest.mark.parametrize("day", DAYS)
def test_each_reference_run(word_list: str, day: dt.date) -> None:
    for hhmmss in TIMES:
        expected = _fixture(word_list, day, hhmmss)
        assert len(expected) == 85
        assert slot_names(_unix(day, hhmmss), word_list) == expected


@pytest.mark.parametrize("word_list", WORD_LISTS)
@pytest.mark.parametrize("day", DAYS)
def test_registry_day_is_the_union_of_the_day_runs(word_list: str, day: dt.date) -> None:
    first, middle, last = (_fixture(word_list, day, t) for t in TIMES)
    # slots of the three runs: s0, s0 + 85, and the last slot of the day
    s0 = _unix(day, "000000") >> 9
    s_last = _unix(day, "235959") >> 9
    overlap = s0 + 170 - s_last
    expected = first + middle + last[overlap:]
    variant = get_family("suppobox").variant(word_list)
    names = variant.domains(day)
    assert names == expected
    assert len(names) <= variant.domains_per_day
    assert variant.domains(day + dt.timedelta(days=1)) != names


def test_word_lists_and_alias() -> None:
    for name in WORD_LISTS:
        w = words(name)
        assert len(w) == 384 and all(x.isascii() and x.isalpha() and x.islower() for x in w)
    assert "doubt" in words("words1") and "doub" not in words("words1")
    assert get_family("pizd") is get_family("suppobox")
    with pytest.raises(ValueError, match="unknown suppobox word list"):
        words("words4")
