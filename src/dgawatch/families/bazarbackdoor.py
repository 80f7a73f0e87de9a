"""BazarBackdoor / BazarLoader domains under the Emercoin TLD ``.bazar``.

Generator type: permutation. Every version enumerates all combinations of a few small
character or syllable choices, selected by digits of the current month and year, in
lexicographic order (first position slowest):

- ``beta`` (July 2020): six letters from fixed sets (``abcde``, ``cdef``, ``efgh``, ``ghi``,
  ``ijk``, ``klm``), followed by the same six letters each shifted by one digit of
  ``f"{12 - month:02d}{year - 18:04d}"``; 2,160 names.
- ``buggy`` (July 2020): the same scheme with wider sets that start below ``a``
  (``]^_`abcde``, ```abcdef``, ``bcdefgh``, ``efghi``, ``ghijk``, ``ijklm``); a shifted character
  below ``a`` becomes ``z``, and the TLD is misspelt ``.bazaar``. Of its 55,125 combinations
  the 28,875 whose first half holds ``]``, ``^``, ``_`` or a backtick are not host names and are
  left out: 26,250 names, in generation order.
- ``v2`` to ``v7`` (December 2020 to December 2021): four two-letter syllables, each taken
  from a range of a 2-letter syllable table; range ``k`` starts at ``mul * digit`` and spans
  ``width`` syllables, where ``digit`` is a digit of ``f"{month:02d}{year:04d}"`` (positions 0,
  1, 4, 5). v2: 12,996 names; v3 and v4: 31,768; v5, v6 and v7: 5,776.

The syllable tables are data of the malware, in ``data/bazarbackdoor_pool*.txt``. Table 2
(v4, 114 syllables) and table 3 (v6, 127 syllables) are shorter than the highest month
digits need (the sample would read past its table): for those months the combinations that
fall outside the table are unknown and left out.

Seeding: time-dependent (month and year of the local date): one list per calendar month,
the same every day of it (``period_days`` is 1 because months differ in length).
Names per day: as above (the month's list).
TLDs: ``bazar`` (``bazaar`` for the buggy version).
Active period: each version's ``active_from`` is the date its reimplementation was
published (the earliest date the references give for it); none has a known end.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/bazarbackdoor
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import product

from dgawatch.families.base import Family, Variant

BETA_SETS = ("abcde", "cdef", "efgh", "ghi", "ijk", "klm")
BUGGY_SETS = ("]^_`abcde", "`abcdef", "bcdefgh", "efghi", "ghijk", "ijklm")


@dataclass(frozen=True)
class Slot:
    """One syllable position: range ``[mul * digit, mul * digit + width)`` of the table."""

    mul: int
    width: int
    digit: int  # position in f"{month:02d}{year:04d}"


_C1 = (Slot(19, 19, 0), Slot(19, 19, 1), Slot(6, 6, 4), Slot(6, 6, 5))
_C2 = (Slot(19, 19, 0), Slot(19, 19, 1), Slot(4, 22, 4), Slot(4, 4, 5))
_C3 = (Slot(19, 19, 0), Slot(19, 19, 1), Slot(4, 4, 4), Slot(4, 4, 5))

#: version -> (syllable table number, slots, date the reimplementation was published)
SYLLABLE_VERSIONS: dict[str, tuple[int, tuple[Slot, ...], dt.date]] = {
    "v2": (1, _C1, dt.date(2020, 12, 15)),
    "v3": (1, _C2, dt.date(2021, 1, 22)),
    "v4": (2, _C2, dt.date(2021, 3, 23)),
    "v5": (1, _C3, dt.date(2021, 10, 25)),
    "v6": (3, _C3, dt.date(2021, 11, 8)),
    "v7": (4, _C3, dt.date(2021, 12, 28)),
}


@cache
def syllables(table: int) -> tuple[str, ...]:
    """Syllable table ``table`` (1-4) as a tuple of two-letter strings."""
    text = (
        resources.files("dgawatch.families")
        .joinpath(f"data/bazarbackdoor_pool{table}.txt")
        .read_text(encoding="ascii")
        .strip()
    )
    return tuple(text[i : i + 2] for i in range(0, len(text) - 1, 2))


def generate_syllables(
    year: int, month: int, table: Sequence[str], slots: Sequence[Slot]
) -> list[str]:
    """The month's names for a syllable version (combinations past the table left out)."""
    digits = f"{month:02d}{year:04d}"
    choices = []
    for slot in slots:
        start = slot.mul * int(digits[slot.digit])
        choices.append(table[start : start + slot.width])
    return ["".join(parts) + ".bazar" for parts in product(*choices)]


def _shifted_names(year: int, month: int, sets: Sequence[str], tld: str) -> list[str]:
    digits = [int(c) for c in f"{12 - month:02d}{year - 18:04d}"]
    halves = []
    for chars, digit in zip(sets, digits, strict=True):
        pairs = []
        for c in chars:
            code = ord(c) + digit
            pairs.append((c, "z" if code < 97 else chr(code)))
        halves.append(pairs)
    out = []
    for combo in product(*halves):
        first = "".join(c for c, _ in combo)
        if not first.isalpha():  # ']', '^', '_', '`' cannot appear in a host name
            continue
        out.append(first + "".join(s for _, s in combo) + "." + tld)
    return out


def generate_beta(year: int, month: int) -> list[str]:
    return _shifted_names(year, month, BETA_SETS, "bazar")


def generate_buggy(year: int, month: int) -> list[str]:
    return _shifted_names(year, month, BUGGY_SETS, "bazaar")


@cache
def _month_list(version: str, year: int, month: int) -> tuple[str, ...]:
    if version == "beta":
        return tuple(generate_beta(year, month))
    if version == "buggy":
        return tuple(generate_buggy(year, month))
    table, slots, _ = SYLLABLE_VERSIONS[version]
    return tuple(generate_syllables(year, month, syllables(table), slots))


def _count(version: str) -> int:
    if version == "beta":
        return 2160
    if version == "buggy":
        return 26250
    _, slots, _ = SYLLABLE_VERSIONS[version]
    n = 1
    for slot in slots:
        n *= slot.width
    return n


def _variant(version: str, summary: str, active_from: dt.date) -> Variant:
    if version in SYLLABLE_VERSIONS:
        table, slots, _ = SYLLABLE_VERSIONS[version]
        params: tuple[tuple[str, str], ...] = (
            ("syllable_table", f"bazarbackdoor_pool{table}.txt"),
            ("slots", " ".join(f"{s.mul}*d[{s.digit}]+{s.width}" for s in slots)),
            ("date_digits", "%m%Y"),
        )
    else:
        sets = BETA_SETS if version == "beta" else BUGGY_SETS
        params = (("sets", " ".join(sets)), ("date_digits", "12-month, year-18"))

    def names(day: dt.date) -> list[str]:
        return list(_month_list(version, day.year, day.month))

    return Variant(
        family="bazarbackdoor",
        name=version,
        summary=summary,
        active_from=active_from,
        active_until=None,
        domains_per_day=_count(version),
        tlds=("bazaar",) if version == "buggy" else ("bazar",),
        generator=names,
        period_days=1,
        parameters=params,
    )


FAMILY = Family(
    name="bazarbackdoor",
    aliases=("bazarloader", "bazar"),
    summary="BazarBackdoor/BazarLoader: monthly enumerations of .bazar names (8 versions)",
    generator_type="permutation",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/bazarbackdoor",
    ),
    variants=(
        _variant("beta", "First version: 2,160 letter-shift names per month", dt.date(2020, 7, 11)),
        _variant("buggy", "Faulty letter-shift version under .bazaar", dt.date(2020, 7, 15)),
        *(
            _variant(v, f"Syllable version {v} (table {t})", since)
            for v, (t, _, since) in SYLLABLE_VERSIONS.items()
        ),
    ),
)
