"""Ramdo (click-fraud trojan) rendezvous domains.

Generator type: arithmetic (32-bit multiply/xor/add). Seeding: a per-sample 32-bit seed
only; not time-dependent, so a sample queries the same list every day.
For name number ``n``: ``s = 2 * seed * (n + 1)`` and ``r = s XOR (26 * seed * n)``; then 16
times: emit letter ``r mod 26``, and ``r <- r + (r XOR (26 * s * i * i))`` for position ``i``
(0-15), all modulo 2**32. Labels: 16 letters; TLD ``org``.

Preset: ``d5fff`` (seed 0xD5FFF, the sample of the reference), 20 names: the reference's
run length; how many names the sample tries is not published (``generate(seed, nr)``
gives more). A second, independent implementation (andrewaeva/DGA ``Ramdo.cpp``, with the
placeholder seed 0xDEADBEEF) agrees with this algorithm name for name; that seed is not
a sample's and is not registered.

Active period: the references give no first-seen date; ``active_from`` is 2017-09-27, the
day the reimplementation was published (a late bound). No end is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/ramdo
- https://github.com/andrewaeva/DGA (dga_algorithms/Ramdo.cpp)
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

M32 = 0xFFFFFFFF
TLD = "org"
SEED = 0xD5FFF
COUNT = 20
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def domain(seed: int, n: int) -> str:
    """Name number ``n`` of the sample with ``seed``."""
    s = (2 * seed * (n + 1)) & M32
    r = (s ^ (26 * seed * n)) & M32
    chars = []
    for i in range(16):
        chars.append(_LETTERS[r % 26])
        r = (r + (r ^ (26 * s * i * i))) & M32
    return "".join(chars) + "." + TLD


def generate(seed: int = SEED, nr: int = COUNT) -> list[str]:
    """Names ``0..nr-1`` of the sample with ``seed``."""
    return [domain(seed, n) for n in range(nr)]


_NAMES = tuple(generate())


def _static(day: dt.date) -> list[str]:
    return list(_NAMES)


FAMILY = Family(
    name="ramdo",
    summary="Ramdo: 16-letter .org names from a per-sample seed (static list)",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/ramdo",
        "https://github.com/andrewaeva/DGA",
    ),
    variants=(
        Variant(
            family="ramdo",
            name="d5fff",
            summary="Seed 0xD5FFF, the reference's 20 names",
            active_from=dt.date(2017, 9, 27),
            active_until=None,
            domains_per_day=COUNT,
            tlds=(TLD,),
            generator=_static,
            period_days=0,
            parameters=(("seed", "0xD5FFF"), ("nr", str(COUNT))),
            signature=Signature(alphabet=_LETTERS, min_len=16, max_len=16),
            period_source=(
                "no first-seen date published; reimplementation published 2017-09-27 "
                "(baderj commit 96dfc6b), a late bound; no end known"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed (not 0xD5FFF, nor andrewaeva's placeholder
    0xDEADBEEF); names 0 to ``min(per_build, COUNT) - 1`` (not time-dependent: no day).
    """
    return _reseed.collect(
        builds, lambda: generate(_reseed.u32(rng, (SEED, 0xDEADBEEF)), min(per_build, COUNT))
    )
