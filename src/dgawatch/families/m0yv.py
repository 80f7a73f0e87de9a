"""m0yv (long mis-labelled Expiro) rendezvous domains.

Generator type: arithmetic (the MSVC ``rand`` linear congruential generator,
``x = 214013 x + 2531011 mod 2**32``, output bits 16-30).
For name ``i`` (0-127) the generator is seeded with ``seed XOR i``; the first draw picks the
length (5 + draw mod 5 letters), each further draw a letter (draw mod 26), then ``.biz``.
Seeding: the sample's 32-bit seed. Two generations are published:

- *static* (the analysed sample, January 2022): the seed alone, the same 128 names on every
  day. Published seed 0x02484A18 (the sample's); 0x00128A0E and 0x7178AF3F are the two
  further seeds named in the leaked source code.
- *td* (time-dependent, from the leaked source code): before use the seed is advanced with
  the date: ``seed + year``, then ``w`` times ``x = rotl32(x + 1, 1)`` where
  ``w = trunc((30.5 * month - day) / 7)``, a week counter that runs backwards within a
  month, so a list stays valid for about a week. Same three seeds.

Names per list: 128. TLDs: biz.
The family was first published as "could be Expiro" and renamed m0yv, the name its authors
use, when the source code leaked; the reference keeps an ``expiro`` entry that points here.
Hence the family alias ``expiro`` (the file infector Expiro has no other published DGA).
Active period: static, seed 0x02484A18: reimplementation of the analysed sample published
2022-01-11; the leaked seeds and the time-dependent generation: published 2022-04-29.
No end date is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/m0yv
- https://github.com/baderj/domain_generation_algorithms/tree/master/expiro
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

_M32 = 0xFFFFFFFF
COUNT = 128
TLDS = ("biz",)
SAMPLE_SEED = 0x02484A18
LEAKED_SEEDS = (0x00128A0E, 0x7178AF3F)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(seed: int, nr: int = COUNT) -> list[str]:
    """The static generation: ``nr`` names for a 32-bit ``seed``."""
    out: list[str] = []
    for i in range(nr):
        x = (seed ^ i) & _M32
        x = (214013 * x + 2531011) & _M32
        length = 5 + ((x >> 16) & 0x7FFF) % 5
        letters = []
        for _ in range(length):
            x = (214013 * x + 2531011) & _M32
            letters.append(_LETTERS[((x >> 16) & 0x7FFF) % 26])
        out.append("".join(letters) + ".biz")
    return out


def day_seed(seed: int, day: dt.date) -> int:
    """The time-dependent generation's seed for ``day``."""
    x = (seed + day.year) & _M32
    numerator = 61 * day.month - 2 * day.day  # (30.5 month - day) * 2, truncated / 14
    for _ in range(numerator // 14 if numerator > 0 else 0):
        x = (x + 1) & _M32
        x = ((x << 1) | (x >> 31)) & _M32
    return x


@lru_cache(maxsize=512)
def _generate_cached(seed: int) -> tuple[str, ...]:
    return tuple(generate(seed))


def generate_td(seed: int, day: dt.date, nr: int = COUNT) -> list[str]:
    """The time-dependent generation: ``nr`` names for ``seed`` on ``day``."""
    if nr == COUNT:
        return list(_generate_cached(day_seed(seed, day)))
    return generate(day_seed(seed, day), nr)


_STATIC_SOURCE = {
    SAMPLE_SEED: "reimplementation of the analysed sample, baderj commit 7a480ca, 2022-01-11",
}
_LEAK_SOURCE = "seeds/time-dependent code from the leaked source, baderj commit 239d759, 2022-04-29"


def _static(seed: int) -> Variant:
    return Variant(
        family="m0yv",
        name=f"static-{seed:08x}",
        summary=f"Static generation, seed 0x{seed:08X}: the same 128 .biz names every day",
        active_from=dt.date(2022, 1, 11) if seed == SAMPLE_SEED else dt.date(2022, 4, 29),
        active_until=None,
        domains_per_day=COUNT,
        tlds=TLDS,
        generator=lambda day: list(_generate_cached(seed)),
        period_days=0,
        parameters=(("seed", f"0x{seed:08X}"), ("nr", str(COUNT))),
        signature=Signature(_LETTERS, 5, 9),
        period_source="earliest public evidence: " + _STATIC_SOURCE.get(seed, _LEAK_SOURCE),
    )


def _td(seed: int) -> Variant:
    return Variant(
        family="m0yv",
        name=f"td-{seed:08x}",
        summary=f"Time-dependent generation (leaked source), seed 0x{seed:08X}",
        active_from=dt.date(2022, 4, 29),
        active_until=None,
        domains_per_day=COUNT,
        tlds=TLDS,
        generator=lambda day: generate_td(seed, day),
        period_days=1,
        parameters=(("seed", f"0x{seed:08X}"), ("nr", str(COUNT))),
        signature=Signature(_LETTERS, 5, 9),
        period_source="earliest public evidence: " + _LEAK_SOURCE,
    )


_SEEDS = (SAMPLE_SEED, *LEAKED_SEEDS)

FAMILY = Family(
    name="m0yv",
    summary="m0yv (ex-'Expiro'): 128 .biz names from MSVC rand, static or week-seeded",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/m0yv",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/expiro",
    ),
    variants=tuple(_static(s) for s in _SEEDS) + tuple(_td(s) for s in _SEEDS),
    aliases=("expiro",),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed (not one of the three published); names 0 to
    ``min(per_build, COUNT) - 1`` of the static generation. The time-dependent generation
    is the static one with the seed advanced by the date, so a random seed covers it too.
    """
    published = (SAMPLE_SEED, *LEAKED_SEEDS)
    return _reseed.collect(
        builds, lambda: generate(_reseed.u32(rng, published), min(per_build, COUNT))
    )
