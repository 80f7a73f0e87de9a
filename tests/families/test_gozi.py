"""Gozi ISFB against the public examples (baderj gozi/example_domains.txt).

The file is the reference's full 12-name list for the luther word list (div 4, flag 1) on
2016-03-28..31 (period 113 since 2015-01-01); compared as an exact list, in order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.gozi import PRESETS, generate, words
from tests.shared_data import family_examples


@pytest.mark.parametrize("day", [dt.date(2016, 3, 28), dt.date(2016, 3, 31)])
def test_examples(day: dt.date) -> None:
    expected = [d for d, _, _ in family_examples("gozi")]
    assert len(expected) == 12
    assert get_family("gozi").variant("luther").domains(day) == expected
    assert generate(day, "luther", flag=1) == expected
    assert generate(day + dt.timedelta(days=4), "luther") != expected


def test_word_lists() -> None:
    sizes = {name: len(words(name)) for name in PRESETS}
    assert sizes == {"luther": 1537, "rfc4343": 2460, "nasa": 558, "gpl": 4379}
    for name in PRESETS:
        assert all(w.isascii() and w.isalpha() and w.islower() for w in words(name))


def test_registry() -> None:
    family = get_family("ursnif")
    assert family.generator_type == "wordlist"
    for v in family.variants:
        names = v.domains(dt.date(2016, 5, 1))
        assert len(names) == v.domains_per_day == 12
        assert all(len(n.split(".")[0]) <= 24 for n in names)
