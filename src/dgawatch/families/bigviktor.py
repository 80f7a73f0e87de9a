"""BigViktor: 1,000 word-combination names per month, some under a host prefix.

Generator type: wordlist. The month's seed is the first eight hexadecimal digits of
SHA-256 over the text ``"<Mon> <YYYY> 00:00"`` (English month abbreviation, e.g.
``"Jul 2020 00:00"``). A 32-bit xorshift generator (``x ^= x << 13; x ^= x >> 17;
x ^= x << 5``) then draws, for each name: whether to add a host prefix (``x % 5 == 0``,
then a prefix), a verb, an optional hyphen (``x % 10 <= 1``), an adjective, an optional
hyphen, a noun and the TLD, each word ``list[x % len(list)]`` with a fresh draw. A prefixed
name is ``prefix.verbadjectivenoun.tld`` (e.g. ``www.seeopen-hour.com``).
Word lists (data of the malware): ``data/bigviktor_*.txt`` (provenance in
``data/bigviktor.PROVENANCE.md``).
Seeding: time-dependent (calendar month); the same list every day of a month.
Names per day: 1,000, the count of the public reimplementation (the references give no
other); duplicates kept. TLDs: 20 (art, click, club, com, fans, futbol, in, info, link, net,
nl, observer, one, org, pictures, realty, rocks, tel, top, xyz).

Active period: the references give no first-seen date; ``active_from`` is 2020-07-10, the day
360netlab published the reimplementation (git history of code/bigviktor/dga.py). No end is
known.

References:
- https://github.com/360netlab/DGA/tree/master/code/bigviktor
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Variant

if TYPE_CHECKING:
    import numpy as np

COUNT = 1000
_MASK = 0xFFFFFFFF
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def words(kind: str) -> tuple[str, ...]:
    """One of the malware's lists: prefixes, verbs, adjectives, nouns or tlds."""
    text = (
        resources.files("dgawatch.families")
        .joinpath(f"data/bigviktor_{kind}.txt")
        .read_text(encoding="ascii")
    )
    return tuple(text.split())


TLDS = words("tlds")


def month_seed(year: int, month: int) -> int:
    text = f"{_MONTHS[month - 1]} {year:04d} 00:00"
    return int(hashlib.sha256(text.encode("ascii")).hexdigest()[:8], 16)


def generate_from_seed(seed: int, nr: int = COUNT) -> list[str]:
    """``nr`` names drawn from a 32-bit seed."""
    prefixes, verbs = words("prefixes"), words("verbs")
    adjectives, nouns, tlds = words("adjectives"), words("nouns"), TLDS
    x = seed

    def draw() -> int:
        nonlocal x
        x ^= (x << 13) & _MASK
        x ^= x >> 17
        x ^= (x << 5) & _MASK
        return x

    out = []
    for _ in range(nr):
        parts = []
        if draw() % 5 == 0:
            parts.append(prefixes[draw() % len(prefixes)] + ".")
        parts.append(verbs[draw() % len(verbs)])
        if draw() % 10 <= 1:
            parts.append("-")
        parts.append(adjectives[draw() % len(adjectives)])
        if draw() % 10 <= 1:
            parts.append("-")
        parts.append(nouns[draw() % len(nouns)])
        parts.append("." + tlds[draw() % len(tlds)])
        out.append("".join(parts))
    return out


@cache
def generate(year: int, month: int, nr: int = COUNT) -> tuple[str, ...]:
    """The month's names."""
    return tuple(generate_from_seed(month_seed(year, month), nr))


def _monthly(day: dt.date) -> tuple[str, ...]:
    return generate(day.year, day.month)


FAMILY = Family(
    name="bigviktor",
    summary="BigViktor: 1,000 verb-adjective-noun names per month under 20 TLDs",
    generator_type="wordlist",
    time_seeded=True,
    references=("https://github.com/360netlab/DGA/tree/master/code/bigviktor",),
    variants=(
        Variant(
            family="bigviktor",
            name="default",
            summary="The only published variant (month-seeded, no sample-specific seed)",
            active_from=dt.date(2020, 7, 10),
            active_until=None,
            domains_per_day=COUNT,
            tlds=TLDS,
            # No signature: a fifth of the names carry a host prefix (two labels before the TLD).
            generator=_monthly,
            period_days=1,
            parameters=(
                ("seed", 'sha256("%b %Y 00:00")[:8 hex digits]'),
                ("count", str(COUNT)),
                ("word_lists", "bigviktor_{prefixes,verbs,adjectives,nouns,tlds}.txt"),
            ),
            period_source=(
                "estimate: date 360netlab published the reimplementation, 2020-07-10 "
                "(git history of 360netlab/DGA code/bigviktor/dga.py)"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit month seed (never the seed of a month from the variant's first
    day to ``_reseed.LAST_DAY``): names 0 to ``min(per_build, COUNT) - 1`` of
    :func:`generate_from_seed`. A build with a new seed text hashes to such a seed; the word
    lists cannot be invented, so these names add word combinations, not vocabulary.
    """
    first, last = FAMILY.variants[0].active_from, _reseed.LAST_DAY
    months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
    published = {month_seed(m // 12, m % 12 + 1) for m in months}
    return _reseed.collect(
        builds, lambda: generate_from_seed(_reseed.u32(rng, published), min(per_build, COUNT))
    )
