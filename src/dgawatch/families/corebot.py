"""CoreBot banking trojan domains under ``ddns.net``.

Generator type: arithmetic. A 32-bit linear congruential generator (x * 1664525 +
1013904223, Numerical Recipes) starts from the sample's hard-coded seed plus the year and
``(1 << 16) + (month << 8) | day``; each name takes one draw for its length (12 to 23) and
one per character from a 34-symbol set (``a``-``y``, ``0``-``8``: ``z`` and ``9`` are lost to
an off-by-one in the malware). One generator runs through the whole list.
Seeding: time-dependent (the local date's year, month and day) plus a per-sample seed.
The sample analysed first was a debugging build that always uses day 8, so its list
changes only monthly.
Names per day: 40 (the reimplementation's count).
TLDs: the dynamic-DNS zone ``ddns.net`` (names are ``<label>.ddns.net``).
Active period: the write-up (September 2015) says IBM X-Force had just reported CoreBot and
that its DGA had since been activated; ``active_from`` is 2015-09-01, the month the examples
imply. No end date is known.

Variants: ``1db98930-debug`` (seed 0x1DB98930, day fixed to 8: the debugging exemplar of the
write-up, which produced the published examples) and ``1dba8930`` (seed 0x1DBA8930, the real
day: the reimplementation's default after the write-up's 2015-09-28 revision).

References:
- https://johannesbader.ch/2015/09/the-dga-of-corebot/
- https://github.com/baderj/domain_generation_algorithms/tree/master/corebot
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import DayGenerator, Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

CHARSET = "abcdefghijklmnopqrstuvwxy012345678"
SUFFIX = "ddns.net"
DEFAULT_COUNT = 40

_M32 = 0xFFFFFFFF


def generate(
    day: dt.date, seed: int, nr: int = DEFAULT_COUNT, fixed_day: int | None = None
) -> list[str]:
    """``nr`` names for ``day``; ``fixed_day`` replaces the day of month (debug builds)."""
    dom = day.day if fixed_day is None else fixed_day
    r = (seed + day.year + (((1 << 16) + (day.month << 8)) | dom)) & _M32
    out: list[str] = []
    for _ in range(nr):
        r = (1664525 * r + 1013904223) & _M32
        length = 12 + r % 12
        chars = []
        for _ in range(length):
            r = (1664525 * r + 1013904223) & _M32
            chars.append(CHARSET[r % 34])
        out.append("".join(chars) + "." + SUFFIX)
    return out


@cache
def _debug_month(year: int, month: int) -> tuple[str, ...]:
    return tuple(generate(dt.date(year, month, 1), 0x1DB98930, fixed_day=8))


def _debug_day(day: dt.date) -> list[str]:
    return list(_debug_month(day.year, day.month))


def _release_day(day: dt.date) -> list[str]:
    return generate(day, 0x1DBA8930)


def _variant(name: str, summary: str, seed: str, generator: DayGenerator, debug: bool) -> Variant:
    params = [("seed", seed), ("nr", str(DEFAULT_COUNT))]
    if debug:
        params.append(("fixed_day", "8"))
    return Variant(
        family="corebot",
        name=name,
        summary=summary,
        active_from=dt.date(2015, 9, 1),
        active_until=None,
        period_source=(
            "estimate: the month the write-up's examples imply, September 2015 (write-up "
            "johannesbader.ch/2015/09/the-dga-of-corebot/: IBM X-Force had just reported "
            "CoreBot)"
        ),
        domains_per_day=DEFAULT_COUNT,
        tlds=(SUFFIX,),
        signature=Signature(CHARSET, 12, 23),  # 12 + r % 12 characters
        generator=generator,
        period_days=1,
        parameters=tuple(params),
    )


FAMILY = Family(
    name="corebot",
    summary="CoreBot: 40 LCG names per day under ddns.net, per-sample seed",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2015/09/the-dga-of-corebot/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/corebot",
    ),
    variants=(
        _variant(
            "1db98930-debug",
            "Seed 0x1DB98930, debugging build with the day fixed to 8 (list changes monthly)",
            "0x1DB98930",
            _debug_day,
            debug=True,
        ),
        _variant(
            "1dba8930", "Seed 0x1DBA8930, the current date", "0x1DBA8930", _release_day, False
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed, plus the day (release builds: the real day of month).
    """

    def build() -> list[str]:
        seed = _reseed.u32(rng, (0x1DB98930, 0x1DBA8930))
        day = _reseed.day(rng, dt.date(2015, 9, 1))
        return generate(day, seed, min(per_build, DEFAULT_COUNT))

    return _reseed.collect(builds, build)
