"""BumbleBee loader domains under ``.life``.

Generator type: arithmetic. Each draw advances a 64-bit linear congruential generator
(x * 1664525 + 1013904223 mod 2**64) and then clocks a Galois LFSR 32 times (shift right,
XOR 0xF5000000 when the bit shifted out is set); every name is 11 characters from
``a``-``z0``-``9`` (draw mod 36). One generator runs through the whole list.
Seeding: an 8-byte magic from the sample's configuration, read as a little-endian integer,
plus ``second | ((month_index + 256) << 8)`` plus the year. Samples without a time use fixed
values (second 32, month index 13, year 1899): a static list. Samples with a time use the
local time at generation: the list then depends on the year, the month and the second of the
minute, so 60 lists exist per month.
Names per list: 100; the time-dependent variant lists all 60 possible lists of the day's
month (6,000 names), second 0 first, each list in generation order.
TLDs: ``life``.
Active period: the references date the DGA only by the reimplementation (2023-09-15), the
earliest date they imply, used as ``active_from`` for both variants. No end date is known.

Variants: ``test_see`` (magic ``TEST_SEE``, static: the published examples) and
``test_see-time`` (magic ``TEST_SEE``, time-dependent; no published examples exist, it shares
the generator checked by the examples and differs only in the documented seed).

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/bumblebee
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789"
TLD = "life"
DEFAULT_MAGIC = "TEST_SEE"
COUNT = 100
LABEL_LENGTH = 11

_M64 = (1 << 64) - 1
_FEEDBACK = 0xF5000000


def magic_value(magic: str) -> int:
    """The configuration string read as a little-endian integer."""
    return sum(ord(c) << (8 * i) for i, c in enumerate(magic))


def seed(magic: str, second: int = 32, month_index: int = 13, year: int = 1899) -> int:
    """The generator's start value; the defaults are the static (time-less) ones."""
    return magic_value(magic) + (second | ((month_index + 256) << 8)) + year


def _lfsr32_slow(value: int) -> int:
    for _ in range(32):
        value = (value >> 1) ^ _FEEDBACK if value & 1 else value >> 1
    return value


@cache
def _byte_tables() -> tuple[tuple[int, ...], ...]:
    """32 LFSR clocks are linear over GF(2): tabulate them per byte of the low word."""
    return tuple(tuple(_lfsr32_slow(b << (8 * k)) for b in range(256)) for k in range(4))


def generate(start: int, nr: int = COUNT) -> list[str]:
    """``nr`` names from the generator's start value (see :func:`seed`)."""
    t0, t1, t2, t3 = _byte_tables()
    r = start & _M64
    out: list[str] = []
    for _ in range(nr):
        chars = []
        for _ in range(LABEL_LENGTH):
            r = (r * 1664525 + 1013904223) & _M64
            # The high word only shifts down: it never reaches bit 0 within 32 clocks.
            r = (
                (r >> 32)
                ^ t0[r & 0xFF]
                ^ t1[(r >> 8) & 0xFF]
                ^ t2[(r >> 16) & 0xFF]
                ^ t3[(r >> 24) & 0xFF]
            )
            chars.append(CHARSET[r % 36])
        out.append("".join(chars) + "." + TLD)
    return out


@cache
def _static(magic: str) -> tuple[str, ...]:
    return tuple(generate(seed(magic)))


@cache
def _month(magic: str, year: int, month: int) -> tuple[str, ...]:
    names: list[str] = []
    for second in range(60):
        names.extend(generate(seed(magic, second, month - 1, year)))
    return tuple(names)


def _static_day(day: dt.date) -> list[str]:
    return list(_static(DEFAULT_MAGIC))


def _time_day(day: dt.date) -> list[str]:
    return list(_month(DEFAULT_MAGIC, day.year, day.month))


#: Both variants: the references date the DGA only by the reimplementation.
PERIOD_SOURCE = (
    "date the reimplementation was published, 2023-09-15 "
    "(baderj/domain_generation_algorithms, bumblebee/); no first-seen date is known"
)

FAMILY = Family(
    name="bumblebee",
    summary="BumbleBee loader: 100 .life names per list, static or seeded by month and second",
    generator_type="arithmetic",
    time_seeded=True,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/bumblebee",),
    variants=(
        Variant(
            family="bumblebee",
            name="test_see",
            summary="Magic TEST_SEE, static list (no time in the configuration)",
            active_from=dt.date(2023, 9, 15),
            active_until=None,
            period_source=PERIOD_SOURCE,
            domains_per_day=COUNT,
            tlds=(TLD,),
            signature=Signature(CHARSET, LABEL_LENGTH, LABEL_LENGTH),
            generator=_static_day,
            period_days=0,
            parameters=(("magic", DEFAULT_MAGIC), ("time", "none")),
        ),
        Variant(
            family="bumblebee",
            name="test_see-time",
            summary="Magic TEST_SEE, time-seeded: all 60 per-second lists of the month",
            active_from=dt.date(2023, 9, 15),
            active_until=None,
            period_source=PERIOD_SOURCE,
            domains_per_day=60 * COUNT,
            tlds=(TLD,),
            signature=Signature(CHARSET, LABEL_LENGTH, LABEL_LENGTH),
            generator=_time_day,
            period_days=1,
            parameters=(("magic", DEFAULT_MAGIC), ("time", "year, month, second")),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 8-byte magic (upper-case letters, digits, ``_``, like
    ``TEST_SEE``); half the builds time-seeded (random day and second), half static.
    """

    def build() -> list[str]:
        magic = _reseed.text(rng, _reseed.LOWER.upper() + "0123456789_", 8, 8)
        if magic == DEFAULT_MAGIC:
            magic = magic[::-1]
        if rng.integers(2):
            day = _reseed.day(rng, dt.date(2023, 9, 15))
            start = seed(magic, int(rng.integers(60)), day.month - 1, day.year)
        else:
            start = seed(magic)
        return generate(start, min(per_build, COUNT))

    return _reseed.collect(builds, build)
