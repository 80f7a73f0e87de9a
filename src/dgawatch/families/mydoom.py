"""MyDoom (a.k.a. Novarg, Mimail.R, Shimgapi) rendezvous domains.

Generator type: arithmetic (the 32-bit linear congruential generator
``r <- 1664525 * r + 1013904223 mod 2**32``).
Seeding: time-dependent. Names 1-50 come from a generator seeded with
``year + month + day + magic``; from name 51 on the generator is reseeded with ``magic``
alone, so the second part of the list is the same every day. Because only the *sum* of
year, month and day enters, different dates can share a list (e.g. 2019-10-12 and
2019-12-10).

Each name takes one draw and writes its ten decimal digits, least significant first, as
letters of ``"asnhreqwpm"``; the first (lowest) digit also picks the TLD: 0-6 index
``com biz us net org ws info``, 7-9 give ``in``.

Names per day: 99 (the reference's default count of 100 runs the index from 1 to 99).
TLDs: com, biz, us, net, org, ws, info, in. Published magic: 0xFA8.

Active period: the reference does not date the DGA variant. MyDoom itself appeared on
2004-01-26, used here as ``active_from`` (earliest possible date); ``active_until`` is open.
The ground-truth list is for a day with year + month + day = 2041 (e.g. 2019-10-12).

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/mydoom
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

LETTERS = "asnhreqwpm"
TLDS = ("com", "biz", "us", "net", "org", "ws", "info", "in")
DEFAULT_MAGIC = 0xFA8
NAMES_PER_DAY = 99
_RESEED_AT = 0x33


def generate(day: dt.date, magic: int = DEFAULT_MAGIC, nr: int = NAMES_PER_DAY) -> list[str]:
    """The first ``nr`` MyDoom names for ``day`` with the given ``magic`` seed."""
    r = day.year + day.month + day.day + magic
    out: list[str] = []
    for i in range(1, nr + 1):
        if i == _RESEED_AT:
            r = magic
        r = (r * 1664525 + 1013904223) & 0xFFFFFFFF
        digits = f"{r:010d}"[::-1]  # least significant digit first
        label = "".join([LETTERS[int(c)] for c in digits])
        first = int(digits[0])
        out.append(f"{label}.{TLDS[first] if first < 7 else 'in'}")
    return out


FAMILY = Family(
    name="mydoom",
    aliases=("novarg", "mimail", "shimgapi"),
    summary="MyDoom: 99 names per day from a date-seeded LCG (names 51-99 fixed)",
    generator_type="arithmetic",
    time_seeded=True,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/mydoom",),
    variants=(
        Variant(
            family="mydoom",
            name="fa8",
            aliases=("default",),
            summary="MyDoom with magic seed 0xFA8",
            active_from=dt.date(2004, 1, 26),
            active_until=None,
            period_source=(
                "estimate: MyDoom's first appearance, 2004-01-26 (earliest possible date); "
                "the reference (baderj/domain_generation_algorithms, mydoom/) does not date "
                "the DGA variant"
            ),
            domains_per_day=NAMES_PER_DAY,
            tlds=TLDS,
            signature=Signature(LETTERS, 10, 10),  # a letter per digit of the zero-padded u32
            generator=generate,
            parameters=(("magic", "0xFA8"),),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit magic, plus the day.
    """

    def build() -> list[str]:
        magic = _reseed.u32(rng, (DEFAULT_MAGIC,))
        day = _reseed.day(rng, dt.date(2004, 1, 26))
        return generate(day, magic, min(per_build, NAMES_PER_DAY))

    return _reseed.collect(builds, build)
