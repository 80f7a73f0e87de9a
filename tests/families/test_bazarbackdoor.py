"""BazarBackdoor against the eight BADERJ:bazarbackdoor/example_domains_*.txt blocks.

All eight published lists were regenerated for December 2021 (the v2-v7 files start with
the seed line ``122021``; the beta and buggy lists decode to the same month). Each is the
month's enumeration in generation order. The ground-truth file keeps each name once per
family (a name already listed by an earlier block is left out), keeps host names only
(the buggy list's names holding brackets, carets, underscores or backticks are dropped)
and at most 10,000 names per block. So each block is checked as an ordered subsequence of
the variant's list and, where nothing was dropped before the cut (beta, buggy, v2), as its
exact prefix.

The names the ground-truth file leaves out are checked against reference outputs in
``fixtures/bazarbackdoor`` (see its PROVENANCE.md): the buggy version's full list
(55,125 names, ``]``, ``^``, ``_`` and backticks included: the bot queries them), buggy2,
and v4 in the months whose syllables run past the table the v4 reference publishes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from dgawatch.families import get_family
from dgawatch.families.bazarbackdoor import syllables
from shared_data import family_examples
from tests.families._fixtures import reference_lines

MONTH = dt.date(2021, 12, 1)
VERSIONS = ("beta", "buggy", "v2", "v3", "v4", "v5", "v6", "v7")
D = dt.date.fromisoformat


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
    if version in ("beta", "v2"):
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


@pytest.mark.parametrize("day", ["2020-07-15", "2021-12-01"])
def test_buggy_is_the_reference_list_names_outside_host_name_syntax_included(day: str) -> None:
    expected = reference_lines("bazarbackdoor", f"buggy_{day}.txt.xz")
    names = get_family("bazarbackdoor").variant("buggy").domains(D(day))
    assert names == expected
    assert len(names) == 55_125
    assert sum(1 for n in names if set(n) & set("]^_`")) == 28_875


@pytest.mark.parametrize(
    ("day", "known"), [("2021-07-01", 0), ("2021-10-01", 5776), ("2021-12-01", 5776)]
)
def test_buggy2_is_the_reference_set_without_unknown_syllables(day: str, known: int) -> None:
    reference = reference_lines("bazarbackdoor", f"buggy2_{day}.sorted.txt.xz")
    expected = sorted(n for n in reference if "?" not in n)
    names = get_family("bazarbackdoor").variant("buggy2").domains(D(day))
    assert sorted(names) == expected and len(names) == len(set(names)) == known


@pytest.mark.parametrize(("day", "known"), [("2021-06-01", 21_736), ("2021-07-01", 0)])
def test_v4_past_its_published_table_follows_the_july_2021_table(day: str, known: int) -> None:
    # dga_buggy2.py as of July 2021 is v4's slots over the 127-syllable table: exactly
    # what the v4 build reads in the months that run past the 114 syllables of dga.py.
    reference = reference_lines("bazarbackdoor", f"buggy2-9a9e29d_{day}.sorted.txt.xz")
    expected = sorted(n for n in reference if "?" not in n)
    names = get_family("bazarbackdoor").variant("v4").domains(D(day))
    assert sorted(names) == expected and len(names) == known


def test_v4_months_june_to_september_2021() -> None:
    # June: syllables 114-126 known, 127-132 not; July-September: all past the table.
    v4 = get_family("bazarbackdoor").variant("v4")
    sizes = [len(v4.domains(dt.date(2021, m, 1))) for m in range(5, 11)]
    assert sizes == [31_768, 21_736, 0, 0, 0, 31_768]


def test_table_2_extends_the_v4_table() -> None:
    # The v4 reference publishes 114 syllables; buggy2's sample shows the same table at 127.
    assert len(syllables(2)) == 127
    assert "".join(syllables(2)).startswith("yzewevmeywreomvi")
