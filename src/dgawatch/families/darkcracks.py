"""DarkCracks rendezvous domain.

Generator type: arithmetic (an encoding, not a hash): the text ``YYYYDD`` (four-digit year,
two-digit day of the month) is URL-safe base64 encoded; each character of that, with the
case of letters swapped, is XORed with the next byte of the sample's key (cycled); the
resulting bytes are URL-safe base64 encoded again, the ``=`` padding dropped and the text
reversed. That string is the second-level label, under ``.com``.
Seeding: the date and a key string from the sample (``Crackalackin'`` in the published one).
Only the year and the day of the month enter: the name changes every day and the same name
recurs on the same day of every month of a year.
Names per day: 1. Labels are 11 characters of the base64 URL alphabet; the malware queries
them in mixed case. DNS names are case-insensitive and dgawatch compares lower-case names,
so the forecast lists the lower-cased form (:func:`queried_name` keeps the malware's case).
TLDs: com.
Active period: the earliest public evidence we have is the reimplementation of the
published sample, committed 2024-09-03 (its example list starts on that day); the family
may still run, so no end date.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/darkcracks
"""

from __future__ import annotations

import base64
import datetime as dt
from itertools import cycle
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

KEY = "Crackalackin'"
TLDS = ("com",)
#: Lower-cased URL-safe base64: what a forecast label can contain.
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-_"
LABEL_LENGTH = 11


def queried_name(day: dt.date, key: str = KEY) -> str:
    """The name exactly as the malware writes it (mixed case) on ``day``."""
    first = base64.urlsafe_b64encode(f"{day.year:04d}{day.day:02d}".encode("ascii"))
    mixed = bytes(
        (c ^ 0x20 if chr(c).isalpha() else c) ^ k
        for c, k in zip(first, cycle(key.encode("ascii")), strict=False)
    )
    second = base64.urlsafe_b64encode(mixed).decode("ascii").rstrip("=")
    return f"{second[::-1]}.com"


def generate(day: dt.date, key: str = KEY) -> list[str]:
    """The day's one name, lower-cased as DNS compares it."""
    return [queried_name(day, key).lower()]


FAMILY = Family(
    name="darkcracks",
    summary="DarkCracks (2024-): one .com name a day from a base64/XOR encoding of year and day",
    generator_type="arithmetic",
    time_seeded=True,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/darkcracks",),
    variants=(
        Variant(
            family="darkcracks",
            name="default",
            summary="The published sample's key \"Crackalackin'\"; one name per UTC day",
            active_from=dt.date(2024, 9, 3),
            active_until=None,
            domains_per_day=1,
            tlds=TLDS,
            generator=generate,
            period_days=1,
            parameters=(("key", KEY),),
            signature=Signature(ALPHABET, LABEL_LENGTH, LABEL_LENGTH),
            period_source=(
                "earliest public evidence: reimplementation of the published sample, "
                "baderj/domain_generation_algorithms commit f779b1e, 2024-09-03"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the XOR key (8-16 letters of either case, digits and ``'``, like
    ``Crackalackin'``; not it) and the run day (from the variant's first day to
    ``_reseed.LAST_DAY``): one name a build.
    """
    first = FAMILY.variants[0].active_from
    return _reseed.collect(
        builds,
        lambda: generate(
            _reseed.day(rng, first), _reseed.text(rng, _reseed.ALNUM + "'", 8, 16, (KEY,))
        ),
    )
