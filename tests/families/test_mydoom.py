"""MyDoom against the public examples (baderj mydoom/example_domains.txt).

The file is the reference's full default list (99 names, magic 0xFA8) for a day whose
year + month + day is 2041; compared as an exact list, in generation order.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.mydoom import generate
from tests.shared_data import family_examples


@pytest.mark.parametrize("day", [dt.date(2019, 10, 12), dt.date(2019, 12, 10)])
def test_examples(day: dt.date) -> None:
    expected = [d for d, _, _ in family_examples("mydoom")]
    assert len(expected) == 99
    assert get_family("mydoom").variant("fa8").domains(day) == expected
    assert generate(day, magic=0xFA8, nr=99) == expected


def test_other_day_shares_only_the_reseeded_tail() -> None:
    expected = [d for d, _, _ in family_examples("mydoom")]
    other = generate(dt.date(2019, 10, 13))
    assert other[:50] != expected[:50]
    assert other[50:] == expected[50:]


def test_registry() -> None:
    v = get_family("mydoom").variants[0]
    assert len(v.domains(dt.date(2021, 5, 5))) == v.domains_per_day == 99
