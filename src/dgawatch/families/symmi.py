"""Symmi (MewsSpy, Graftor) rendezvous domains under ``ddns.net``.

Generator type: arithmetic (the msvcrt ``rand`` linear congruential generator picking
letters alternately from a vowel and a consonant alphabet).
Seeding: time-dependent; the seed is ``10000 * (half * 100 + month) + year + constant``
where ``half`` is ``day // days_period`` (0 for days 1-15, 1 for days 16-31 with the
published period of 16). The list therefore changes twice a month, on the 1st and the
16th; ``period_days`` is 16 as the nearest fixed value (the second half lasts 13-16 days).
Names per period: 64 (the malware cycles through them). TLD: third-level names under
``ddns.net`` (dynamic DNS).

Each name: a length ``8 + rand() % 8`` (min 8, max 15 letters); for each pair of letters
one ``rand()`` decides (bit 8) whether the pair starts with a vowel or a consonant, and
each letter is ``alphabet[rand() % (len(alphabet) - 1)]`` (so the last letter of each
alphabet, ``y`` and ``z``, never occurs).

Active period: the write-up found the earliest sample on 2014-12-12 (``active_from``);
no end date is published.

References:
- https://www.johannesbader.ch/2015/01/the-dga-of-symmi/ (also bin.re/blog/the-dga-of-symmi/)
- https://github.com/baderj/domain_generation_algorithms/tree/master/symmi
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SUFFIX = "ddns.net"
SEED_CONSTANT = 42
DAYS_PERIOD = 16
NR_OF_DOMAINS = 64
MIN_LEN = 8
MAX_LEN = 15
_ALPHABETS = ("aeiouy", "bcdfghklmnpqrstvwxz")


def seed_for(
    day: dt.date, seed_constant: int = SEED_CONSTANT, days_period: int = DAYS_PERIOD
) -> int:
    """The Symmi seed of ``day``: it changes when ``day.day // days_period`` does."""
    return 10000 * ((day.day // days_period) * 100 + day.month) + day.year + seed_constant


def generate_from_seed(
    seed: int,
    nr: int = NR_OF_DOMAINS,
    min_len: int = MIN_LEN,
    max_len: int = MAX_LEN,
    suffix: str = SUFFIX,
) -> list[str]:
    """``nr`` names from one seed (msvcrt ``rand``: ``x = 214013 x + 2531011``)."""
    state = seed & 0xFFFFFFFF
    span = max_len - min_len + 1
    vowels, consonants = _ALPHABETS
    nv, nc = len(vowels) - 1, len(consonants) - 1
    out: list[str] = []
    for _ in range(nr):
        state = (state * 214013 + 2531011) & 0xFFFFFFFF
        length = min_len + ((state >> 16) & 0x7FFF) % span
        chars: list[str] = []
        starts_with_consonant = False
        for i in range(length):
            if not i & 1:
                state = (state * 214013 + 2531011) & 0xFFFFFFFF
                starts_with_consonant = bool((state >> 16) & 0x100)
            state = (state * 214013 + 2531011) & 0xFFFFFFFF
            value = (state >> 16) & 0x7FFF
            if starts_with_consonant != bool(i & 1):
                chars.append(consonants[value % nc])
            else:
                chars.append(vowels[value % nv])
        out.append("".join(chars) + "." + suffix)
    return out


@cache
def _cached(seed: int, nr: int) -> tuple[str, ...]:
    return tuple(generate_from_seed(seed, nr))


def generate(
    day: dt.date,
    seed_constant: int = SEED_CONSTANT,
    days_period: int = DAYS_PERIOD,
    nr: int = NR_OF_DOMAINS,
) -> list[str]:
    """The names of ``day`` for the given configuration (published: 42, 16, 64)."""
    return list(_cached(seed_for(day, seed_constant, days_period), nr))


def _default(day: dt.date) -> list[str]:
    return generate(day)


FAMILY = Family(
    name="symmi",
    aliases=("mewsspy", "graftor"),
    summary="Symmi: 64 pronounceable names under ddns.net, new set twice a month",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://www.johannesbader.ch/2015/01/the-dga-of-symmi/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/symmi",
    ),
    variants=(
        Variant(
            family="symmi",
            name="default",
            summary="Symmi sample of 2014-12 (seed constant 42, 16-day half months)",
            active_from=dt.date(2014, 12, 12),
            active_until=None,
            period_source=(
                "write-up: earliest sample found 2014-12-12 "
                "(johannesbader.ch/2015/01/the-dga-of-symmi/)"
            ),
            domains_per_day=NR_OF_DOMAINS,
            tlds=(SUFFIX,),
            # Letters are drawn modulo len - 1: never the last vowel (y) or consonant (z).
            signature=Signature(_ALPHABETS[0][:-1] + _ALPHABETS[1][:-1], MIN_LEN, MAX_LEN),
            generator=_default,
            period_days=DAYS_PERIOD,
            parameters=(
                ("seed_constant", str(SEED_CONSTANT)),
                ("days_period", str(DAYS_PERIOD)),
                ("nr_of_domains", str(NR_OF_DOMAINS)),
                ("third_lvl_min_len", str(MIN_LEN)),
                ("third_lvl_max_len", str(MAX_LEN)),
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed constant (42 published), plus the day.
    """

    def build() -> list[str]:
        constant = _reseed.u32(rng, (SEED_CONSTANT,))
        seed = seed_for(_reseed.day(rng, dt.date(2014, 12, 12)), constant)
        # generate_from_seed, not generate: the latter caches every seed it sees, unbounded.
        return generate_from_seed(seed, min(per_build, NR_OF_DOMAINS))

    return _reseed.collect(builds, build)
