"""Vidro: 100 names per week under dyndns.org, com and net.

Generator type: arithmetic. Time is counted in whole weeks since the Unix time 1274000000
(2010-05-16 08:53:20 UTC, a Sunday): ``base = 123456 * (week + 1005)``. Name ``i`` (0-99)
starts a linear congruential generator (``x = x * 0x41C64E6D + 0x3039`` mod 2**32, output
``x >> 10``) at ``base + i``: the first output gives the length (``% 6 + 7``), each further
one a letter (``% 26``); the suffix cycles through ``dyndns.org``, ``com``, ``net``
(``i % 3``).
Seeding: time-dependent (the week, which turns on Sundays at 08:53:20 UTC); the same 100
names from Monday to Saturday. A Sunday's list holds both weeks' names, the outgoing week's
first: the bot queries both that UTC day.
Names per day: 100 (200 on Sundays). Suffixes: dyndns.org, com, net.

Active period: from 2016-10-09, the day 360netlab's sandbox recorded a sample's queries
(issue #31, 2016-12-22). No end is known.

Classifier reseeding: no ``reseed`` hook: seeded by the date (week) alone; the
constants are the algorithm's, with no second sample to show a build changing them.

References:
- https://github.com/360netlab/DGA/tree/master/code/vidro
- https://github.com/360netlab/DGA/issues/31
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from dgawatch.families.base import Family, Signature, Variant

SUFFIXES = ("dyndns.org", "com", "net")
COUNT = 100
#: Unix time the week count starts from (a Sunday, 08:53:20 UTC).
EPOCH_BASE = 0x4BEFB280
WEEK_SECONDS = 7 * 86400
_MASK = 0xFFFFFFFF
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def week_of(unix_time: int) -> int:
    """The week number the bot derives from a Unix time."""
    return (unix_time - EPOCH_BASE) // WEEK_SECONDS


@cache
def generate(week: int, nr: int = COUNT) -> tuple[str, ...]:
    """Names ``0..nr-1`` of a week (the label repeats every 100; the suffix every 3)."""
    base = 0x1E240 * (week + 0x3ED)
    out = []
    for i in range(nr):
        x = ((i % 100 + base) * 0x41C64E6D + 0x3039) & _MASK
        length = (x >> 10) % 6 + 7
        letters = []
        for _ in range(length):
            x = (x * 0x41C64E6D + 0x3039) & _MASK
            letters.append(_ALPHABET[(x >> 10) % 26])
        out.append("".join(letters) + "." + SUFFIXES[i % 3])
    return tuple(out)


def weeks_of_day(day: dt.date) -> tuple[int, ...]:
    """The weeks whose names the bot queries during a UTC day (two on Sundays)."""
    midnight = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    first = week_of(midnight)
    last = week_of(midnight + 86399)
    return tuple(range(first, last + 1))


def _daily(day: dt.date) -> list[str]:
    return [name for week in weeks_of_day(day) for name in generate(week)]


FAMILY = Family(
    name="vidro",
    summary="Vidro: 100 names per week (Sunday 08:53 UTC) under dyndns.org, com, net",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://github.com/360netlab/DGA/tree/master/code/vidro",
        "https://github.com/360netlab/DGA/issues/31",
    ),
    variants=(
        Variant(
            family="vidro",
            name="default",
            summary="The sample of 360netlab issue #31 (week-seeded, no sample seed)",
            active_from=dt.date(2016, 10, 9),
            active_until=None,
            domains_per_day=COUNT,
            tlds=SUFFIXES,
            generator=_daily,
            period_days=1,
            parameters=(
                ("week", "(unix_time - 0x4BEFB280) // 604800"),
                ("count", str(COUNT)),
            ),
            signature=Signature(_ALPHABET, 7, 12),
            period_source=(
                "sandbox run of a sample, 2016-10-09 (360netlab/DGA issue #31, 2016-12-22)"
            ),
        ),
    ),
)
