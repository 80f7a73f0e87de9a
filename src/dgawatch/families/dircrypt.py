"""DirCrypt ransomware callback domains.

Generator type: arithmetic (the Park-Miller "minimal standard" generator, 16807 mod 2**31-1,
computed with Schrage's decomposition whose negative intermediate is kept as an unsigned
32-bit value instead of being corrected, so the sequence leaves the textbook one).
Seeding: not time-dependent; a 32-bit seed stored in the sample's resource section
(resource id 0x7D). The published sample's seed is 0xF2113C2A.
Names per list: 30 (the sample's counter of distinct domains), 8 to 20 letters from
``a``-``z`` each.
TLDs: ``com`` only.
Active period: the write-up (March 2015) calls the ransomware inactive but gives no dates;
``active_from`` is the write-up's month, 2015-03-01, the earliest date the references imply
(the family is older: use ``--ignore-active-period`` for earlier days). No end date is set.

References:
- https://johannesbader.ch/2015/03/the-dga-of-dircrypt/
- https://github.com/baderj/domain_generation_algorithms/tree/master/dircrypt
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

DEFAULT_SEED = 0xF2113C2A
DEFAULT_COUNT = 30

_M32 = 0xFFFFFFFF


def generate(seed: int = DEFAULT_SEED, nr: int = DEFAULT_COUNT) -> list[str]:
    """The first ``nr`` names for a sample with the given 32-bit ``seed``."""
    state = seed & _M32
    out: list[str] = []
    for _ in range(nr):
        hi, lo = divmod(state, 127773)
        state = (16807 * lo - 2836 * hi) & _M32
        length = state % 13 + 8
        letters = []
        for _ in range(length):
            hi, lo = divmod(state, 127773)
            state = (16807 * lo - 2836 * hi) & _M32
            letters.append(chr(97 + state % 26))
        out.append("".join(letters) + ".com")
    return out


@cache
def _preset(seed: int, nr: int) -> tuple[str, ...]:
    return tuple(generate(seed, nr))


def _default_day(day: dt.date) -> list[str]:
    return list(_preset(DEFAULT_SEED, DEFAULT_COUNT))


FAMILY = Family(
    name="dircrypt",
    summary="DirCrypt ransomware: 30 callback names from a per-sample 32-bit seed",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "https://johannesbader.ch/2015/03/the-dga-of-dircrypt/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/dircrypt",
    ),
    variants=(
        Variant(
            family="dircrypt",
            name="f2113c2a",
            summary="Seed 0xF2113C2A of the sample analysed in the write-up",
            active_from=dt.date(2015, 3, 1),
            active_until=None,
            period_source=(
                "estimate: the month of the write-up, March 2015 "
                "(johannesbader.ch/2015/03/the-dga-of-dircrypt/), which gives no dates; the "
                "family is older"
            ),
            domains_per_day=DEFAULT_COUNT,
            tlds=("com",),
            signature=Signature(string.ascii_lowercase, 8, 20),  # state % 13 + 8 letters
            generator=_default_day,
            period_days=0,
            parameters=(("seed", "0xF2113C2A"), ("nr", str(DEFAULT_COUNT))),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed.
    """

    def build() -> list[str]:
        return generate(_reseed.u32(rng, (DEFAULT_SEED,)), min(per_build, DEFAULT_COUNT))

    return _reseed.collect(builds, build)
