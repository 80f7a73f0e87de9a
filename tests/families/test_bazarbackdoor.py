"""BazarBackdoor against the eight BADERJ:bazarbackdoor/example_domains_*.txt blocks.

All eight published lists were regenerated for December 2021 (the v2-v7 files start with
the seed line ``122021``; the beta and buggy lists decode to the same month). Each is the
month's enumeration in generation order. The ground-truth file keeps each name once per
family (a name already listed by an earlier block is left out), keeps host names only
(the buggy list's names holding brackets, carets, underscores or backticks are dropped)
and at most 10,000 names per block. So each block is checked as an ordered subsequence of
the variant's list and, where nothing was dropped before the cut (beta, buggy, v2), as its
exact prefix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from dgawatch.families import get_family
from dgawatch.families.bazarbackdoor import SYLLABLE_VERSIONS, generate_syllables, syllables
from shared_data import family_examples

MONTH = dt.date(2021, 12, 1)
VERSIONS = ("beta", "buggy", "v2", "v3", "v4", "v5", "v6", "v7")


def _examples(version: str) -> list[str]:
    rows = family_examples("bazarbackdoor", f"BADERJ:bazarbackdoor/example_domains_{version}.txt")
    return [d for d, _, _ in rows]


def _is_ordered_subsequence(part: Sequence[str], whole: Sequence[str]) -> bool:
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


@pytest.mark.parametrize("version", VERSIONS)
def test_december_2021_block_in_order(version: str) -> None:
    expected = _examples(version)
    variant = get_family("bazarbackdoor").variant(version)
    names = variant.domains(MONTH)
    assert len(names) == variant.domains_per_day
    assert expected
    assert _is_ordered_subsequence(expected, names)
    if version in ("beta", "buggy", "v2"):
        assert names[: len(expected)] == expected


def test_block_sizes() -> None:
    sizes = {v: len(_examples(v)) for v in VERSIONS}
    assert sizes == {
        "beta": 2160,
        "buggy": 10000,
        "v2": 10000,
        "v3": 10000,
        "v4": 10000,
        "v5": 3664,
        "v6": 5776,
        "v7": 5629,
    }


def test_monthly_lists() -> None:
    variant = get_family("bazar").variant("v7")
    assert variant.domains(dt.date(2021, 12, 1)) == variant.domains(dt.date(2021, 12, 31))
    assert variant.domains(dt.date(2021, 12, 31)) != variant.domains(dt.date(2022, 1, 1))


def test_short_tables_leave_out_unknown_names() -> None:
    # Table 2 has 114 syllables: month digit 6 needs syllables 114-132 (all unknown).
    assert len(syllables(2)) == 114
    v4 = get_family("bazarbackdoor").variant("v4")
    assert v4.domains(dt.date(2021, 6, 1)) == []
    names = generate_syllables(2021, 5, syllables(2), SYLLABLE_VERSIONS["v4"][1])
    assert len(names) == v4.domains_per_day
