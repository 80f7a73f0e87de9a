"""Zloader against the reference examples (baderj/domain_generation_algorithms, zloader).

Each ``domains_<key>.txt`` lists 32 names per day for consecutive days starting at
2020-01-01 (its date headers). The examples keep each name of a file once, at its first
occurrence (Zloader's state sometimes falls into a cycle that repeats a name within a
day), and stop after 10,000 distinct names (about 320 days). So for each key the
examples must equal the concatenated lists of the days from 2020-01-01, de-duplicated
keeping first occurrences, cut to length: an ordered comparison of the whole run.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.zloader import KEYS, generate
from tests.shared_data import family_examples

START = dt.date(2020, 1, 1)
EXAMPLE_KEYS = [k for k in KEYS if k != "03d5ae30a0bd934a23b6a7f0756aa504"]


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_examples_are_consecutive_days_from_2020_01_01(key: str) -> None:
    expected = [d for d, _, _ in family_examples("zloader", f"BADERJ:zloader/domains_{key}.")]
    assert len(expected) == 10_000
    got: list[str] = []
    seen: set[str] = set()
    day = START
    while len(got) < len(expected):
        for name in generate(day, key):
            if name not in seen:
                seen.add(name)
                got.append(name)
        day += dt.timedelta(days=1)
    assert got[: len(expected)] == expected


def test_a_name_repeated_on_a_later_day_appears_once_in_the_examples() -> None:
    # Key 4199...: the 737th name of the consecutive lists (first of 2020-01-24) repeats
    # the first name of 2020-01-08; the generator keeps it, the examples list it once.
    key = "41997b4a729e1a0175208305170752dd"
    rows = family_examples("zloader", f"BADERJ:zloader/domains_{key}.")
    first_of_jan_8 = rows[7 * 32][0]
    assert generate(dt.date(2020, 1, 8), key)[0] == first_of_jan_8
    assert generate(dt.date(2020, 1, 24), key)[0] == first_of_jan_8
    assert [d for d, _, _ in rows].count(first_of_jan_8) == 1


def test_every_example_source_is_a_known_key() -> None:
    sources = {s for _, _, s in family_examples("zloader")}
    assert sources == {f"BADERJ:zloader/domains_{k}.txt" for k in EXAMPLE_KEYS}


def test_registry() -> None:
    family = get_family("zloader")
    assert len(family.variants) == len(KEYS)
    for variant in family.variants:
        names = variant.domains(dt.date(2021, 4, 1))
        assert len(names) == variant.domains_per_day == 32
        assert variant.domains(dt.date(2021, 4, 2)) != names
    assert (
        family.variant("q23cud3xsnf3").domains(START)[0]
        == family_examples("zloader", "BADERJ:zloader/domains_q23Cud3xsNf3.")[0][0]
    )
