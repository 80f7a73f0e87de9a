"""BazarBackdoor / BazarLoader domains under the Emercoin TLD ``.bazar``.

Generator type: permutation. Every version enumerates all combinations of a few small
character or syllable choices, selected by digits of the current month and year, in
lexicographic order (first position slowest):

- ``beta`` (July 2020): six letters from fixed sets (``abcde``, ``cdef``, ``efgh``, ``ghi``,
  ``ijk``, ``klm``), followed by the same six letters each shifted by one digit of
  ``f"{12 - month:02d}{year - 18:04d}"``; 2,160 names.
- ``buggy`` (July 2020): the same scheme with wider sets that start below ``a``
  (``]^_`abcde``, ```abcdef``, ``bcdefgh``, ``efghi``, ``ghijk``, ``ijklm``); a shifted character
  below ``a`` becomes ``z``, and the TLD is misspelt ``.bazaar``. All 55,125 combinations,
  in generation order.
- ``v2`` to ``v7`` (December 2020 to December 2021) and ``buggy2`` (July 2021): four
  two-letter syllables, each taken from a range of a 2-letter syllable table; range ``k``
  starts at ``mul * digit`` and spans ``width`` syllables, where ``digit`` is a digit of
  ``f"{month:02d}{year:04d}"`` (positions 0, 1, 4, 5). v2: 12,996 names; v3 and v4: 31,768;
  v5, v6, v7 and buggy2: 5,776.

Names that are not host names (``buggy``). 28,875 of the buggy version's 55,125 names hold
``]``, ``^``, ``_`` or a backtick in their first half. They are not valid host names, but
the malware does not check: it hands every generated name to the resolver, and DNS carries
any octet in a label (RFC 2181 section 11), so these queries do appear on the wire (the
reference's own example list holds them, 28,875 of its 55,125 lines). A forecast is a list
of what the bot will *query*, so the buggy variant emits all 55,125 names, in generation
order; lookup and the sinkhole's blocklists therefore also see them. (Until issue 18 they
were dropped as "not host names"; the registry test exempts exactly this variant from its
host-name check and still requires printable, dot-separated, lower-case labels.) None of
these names can ever be registered (``.bazaar`` is not an Emercoin TLD either), so a query
for one is a sure sign of this build.

Syllable tables and months that read past them. The syllable tables are data of the
malware, in ``data/bazarbackdoor_pool*.txt`` (provenance: the string literals of the
reference scripts ``dga.py`` and ``dga_buggy2.py``). A slot reads syllables
``mul * digit .. mul * digit + width - 1``, so month digits up to 9 need up to 190
syllables; table 2 holds 127 and table 3 127, so some months index past the table's end.
The sample then reads whatever bytes follow the table in its image: those bytes are not
published, so those combinations are unknown. We emit the combinations whose four
syllables all lie inside the table and leave the others out (the references mark them
``?``); such a month's list is shorter than ``domains_per_day`` (possibly empty).

Table 2 is the 127-syllable table of the July 2021 ``buggy2`` sample. Its first 114
syllables are exactly the v4 table the v4 reference publishes (March 2021; the reference
stops there because its example month needs no more), so v4 uses the full 127: the same
constant string, which the July sample shows continuing. Issue 18, defect 5 ("v4 yields 0
names for June-September 2021"): with the second slot's range ``19 * month_digit ..
+ 18``, June 2021 needs syllables 114-132: 114-126 are known, so June 2021 has
19 * 13 * 22 * 4 = 21,736 names; July-September 2021 need 133-189, all past the table, so
the v4 build queries only names we cannot know and its forecast is empty for those months
(the operators shipped ``buggy2`` at the end of July and v5 in October). The reference
``dga_buggy2.py`` at commit 9a9e29d (July 2021) is exactly v4's slots over this table, and
its output for June and July 2021 (names without ``?``) is the test's ground truth.

``buggy2`` follows the reference at its latest commit: table 2 with the v5 slots
(``19,19 / 19,19 / 4,4 / 4,4``); the reference changed it from v4's slots to these in
October 2021 (commit 2f5f399); the sample's own order is not published (the reference
prints a set), so the list is in the same enumeration order as v5. Months 07-09 index
past the table and are empty: in July 2021, the month it appeared, this build queried
only names nobody can forecast.

Seeding: time-dependent (month and year of the local date): one list per calendar month,
the same every day of it (``period_days`` is 1 because months differ in length).
Names per day: as above (the month's list).
TLDs: ``bazar`` (``bazaar`` for the buggy version).
Active period: each version's ``active_from`` is the date its reimplementation was
published in baderj/domain_generation_algorithms (the git history: the earliest date the
references give for it); none has a known end.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/bazarbackdoor
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import product

from dgawatch.families.base import Family, Signature, Variant

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
    "buggy2": (2, _C3, dt.date(2021, 7, 29)),
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
    """The month's names for a syllable version (combinations past the table left out:
    the bytes the sample reads there are unknown)."""
    digits = f"{month:02d}{year:04d}"
    choices = []
    for slot in slots:
        start = slot.mul * int(digits[slot.digit])
        choices.append(table[start : start + slot.width])  # a slice stops at the table's end
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
    # Every combination, ']', '^', '_' and '`' included: the bot queries them all.
    return [
        "".join(c for c, _ in combo) + "".join(s for _, s in combo) + "." + tld
        for combo in product(*halves)
    ]


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
        return 55125
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
        # Shift versions: 6 + 6 characters; syllable versions: 4 two-letter syllables.
        signature=Signature(
            string.ascii_lowercase + ("]^_`" if version == "buggy" else ""),
            *((12, 12) if version in ("beta", "buggy") else (8, 8)),
        ),
        period_source=(
            "date the reimplementation was published: git history of "
            "baderj/domain_generation_algorithms, bazarbackdoor/"
        ),
    )


FAMILY = Family(
    name="bazarbackdoor",
    aliases=("bazarloader", "bazar"),
    summary="BazarBackdoor/BazarLoader: monthly enumerations of .bazar names (9 versions)",
    generator_type="permutation",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/bazarbackdoor",
    ),
    variants=(
        _variant("beta", "First version: 2,160 letter-shift names per month", dt.date(2020, 7, 11)),
        _variant(
            "buggy",
            "Faulty letter-shift version under .bazaar (names with ]^_` included)",
            dt.date(2020, 7, 15),
        ),
        *(
            _variant(v, f"Syllable version {v} (table {t})", since)
            for v, (t, _, since) in SYLLABLE_VERSIONS.items()
        ),
    ),
)
