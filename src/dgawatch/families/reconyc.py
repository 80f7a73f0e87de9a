"""Reconyc DGA: Mersenne Twister names from an unpredictable seed.

Generator type: arithmetic (a 32-bit Mersenne Twister MT19937 with the standard
initialisation and tempering, but whose twist leaves the last of the 624 state words
untouched; each draw ``y`` picks ``charset[(62 * y) >> 32]``).
Seeding: not time-dependent in a predictable way: the sample seeds the generator from
the tick count (the reference draws a random number of milliseconds in a day, 0 to
86,400,000), so a given infection's names cannot be forecast from the date; every seed
gives one fixed list (``period_days = 0``).
Names per run: 100 names of 10 characters from the 62-character table
``iHRYg79zJXaGw1CF5K0d3vZobhAlx6StUBnjOIMpe2yVuPr4sL8DqmQTkEcWNf`` followed by ``.com``;
the malware queries them in mixed case, which DNS ignores: names are lower-cased here.

The only registered preset is the seed of the reference example list, 434,921 (found by
trying every seed the reference can draw); :func:`generate` takes any seed, so a
defender can enumerate all 86,400,001 lists if needed.

Active period: the write-up does not date the sample (MD5
d7e3bbdc38aa18b214fed3518798b86b, unpacking to db0820a974dbea22d981bd39ddb19518);
``active_from`` is 2019-07-19, the day the DGA was published, the earliest date the
references imply.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/reconyc
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

_N = 624
_M = 397
_MASK = 0xFFFFFFFF
CHARSET = "iHRYg79zJXaGw1CF5K0d3vZobhAlx6StUBnjOIMpe2yVuPr4sL8DqmQTkEcWNf"
_LOWER = CHARSET.lower()
DOMAINS_PER_RUN = 100
LABEL_LENGTH = 10
EXAMPLE_SEED = 434_921
MAX_SEED = 1000 * 3600 * 24


def _twist(mt: list[int]) -> None:
    """The sample's twist: in place, over the first 623 words only."""
    for i in range(_N - 1):
        x = (mt[i] & 0x80000000) | (mt[i + 1] & 0x7FFFFFFF)
        xa = x >> 1
        if x & 1:
            xa ^= 0x9908B0DF
        mt[i] = mt[(i + _M) % _N] ^ xa


def _draws(seed: int, count: int) -> list[int]:
    mt = [seed & _MASK]
    for i in range(1, _N):
        prev = mt[-1]
        mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & _MASK)
    out: list[int] = []
    while len(out) < count:
        _twist(mt)
        for y in mt[: min(_N, count - len(out))]:
            y ^= y >> 11
            y ^= (y << 7) & 0x9D2C5680
            y ^= (y << 15) & 0xEFC60000
            y ^= y >> 18
            out.append(y)
    return out


@lru_cache(maxsize=16)
def _names(seed: int, nr: int) -> tuple[str, ...]:
    draws = _draws(seed, nr * LABEL_LENGTH)
    chars = [_LOWER[(62 * y) >> 32] for y in draws]
    return tuple(
        "".join(chars[k : k + LABEL_LENGTH]) + ".com"
        for k in range(0, nr * LABEL_LENGTH, LABEL_LENGTH)
    )


def generate(seed: int, nr: int = DOMAINS_PER_RUN) -> list[str]:
    """The ``nr`` names (lower-cased) of a run seeded with ``seed``."""
    return list(_names(seed, nr))


FAMILY = Family(
    name="reconyc",
    summary="Reconyc: 100 .com names from a tick-count-seeded Mersenne Twister",
    generator_type="arithmetic",
    time_seeded=False,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/reconyc",),
    variants=(
        Variant(
            family="reconyc",
            name=f"seed-{EXAMPLE_SEED}",
            summary="The run of the reference example list (seed 434921); real seeds vary",
            active_from=dt.date(2019, 7, 19),
            active_until=None,
            period_source=(
                "date the DGA was published, 2019-07-19 "
                "(baderj/domain_generation_algorithms, reconyc/); the write-up does not date "
                "the sample"
            ),
            domains_per_day=DOMAINS_PER_RUN,
            tlds=("com",),
            signature=Signature("".join(sorted(set(_LOWER))), LABEL_LENGTH, LABEL_LENGTH),
            generator=lambda day: generate(EXAMPLE_SEED),
            period_days=0,
            parameters=(("seed", str(EXAMPLE_SEED)), ("seed_range", f"0..{MAX_SEED}")),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the tick-count seed (0-86,400,000 ms).
    """

    def build() -> list[str]:
        seed = _reseed.integer(rng, 0, MAX_SEED + 1, (EXAMPLE_SEED,))
        return generate(seed, min(per_build, DOMAINS_PER_RUN))

    return _reseed.collect(builds, build)
