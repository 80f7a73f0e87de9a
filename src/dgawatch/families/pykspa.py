"""Pykspa (Skype worm, a.k.a. Pykse, Skyper, SkypeBot) DGA, precursor version.

Generator type: arithmetic (a squaring generator ``r = r**2 + k mod 2**32`` per name,
and a per-letter mix of ``r`` with its residues mod 5, 19, 4567 and 123456).
Seeding: time-dependent, every two days: the seed is the Unix time divided by two days
(``days since 1970-01-01 // 2``, in UTC here), so one list per two-day period
(``period_days = 2``, periods starting on even epoch days).
Names per period: 5,000, 6-15 letters, TLD ``biz com net org info cc`` by ``r mod 6``.

The reference examples are the period with seed 8,339 (2015-08-31 and 2015-09-01; the
reference ran on 2015-08-31, the day of the repository's first commit); found by
checking every seed from 5,000 to 12,000.

The "improved" Pykspa DGA (write-up of March 2015: an MD6-256 hash of the period number
stretched by ~360,000 sequential LCG/rotate steps into a seed, 20-day periods for the
useful set, daily for the noise set) is not implemented: its seeding alone takes a
sizeable fraction of a second per period in pure Python, far outside the per-name cost
budget of the other families, so its 10 reference examples are not covered here.

Active period: the write-up ("Pykspa's inferior DGA version", July 2015) does not date
the samples; ``active_from`` is 2015-07-01, the earliest date the references imply.

References:
- http://johannesbader.ch/2015/07/pykspas-inferior-dga-version/
- http://johannesbader.ch/2015/03/the-dga-of-pykspa/
- https://github.com/baderj/domain_generation_algorithms/tree/master/pykspa
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

from dgawatch.families.base import Family, Variant

_MASK = 0xFFFFFFFF
_EPOCH = dt.date(1970, 1, 1)
TLDS = ("biz", "com", "net", "org", "info", "cc")
DOMAINS_PER_PERIOD = 5000
_TLD_SUFFIX = tuple("." + t for t in TLDS)


def period_seed(day: dt.date) -> int:
    """The seed of ``day``'s two-day period: days since the Unix epoch, halved."""
    return (day - _EPOCH).days // 2


@lru_cache(maxsize=32)
def _names(seed: int, nr: int) -> tuple[str, ...]:
    # The chain of per-name values is sequential and cheap; the letters of all names
    # are then computed together, one letter position at a time.
    values = []
    v = seed & _MASK
    for k in range(nr):
        v = (v * v + k) & _MASK
        values.append(v)
    r0 = np.array(values, dtype=np.uint64)
    lengths = (r0 % 10 + 6).astype(np.int64)
    mask = np.uint64(_MASK)
    r = r0.copy()
    a = (lengths * lengths).astype(np.uint64)
    step = lengths.astype(np.uint64)
    letters = np.zeros((nr, 15), dtype=np.uint8)
    for i in range(15):
        ui = np.uint64(i)
        x = (ui * (r % np.uint64(4567) + r % np.uint64(19))) & mask
        p = (r * (r % np.uint64(5) + r % np.uint64(123456) + x)) & mask
        letters[:, i] = ((a + p) & mask) % np.uint64(26) + np.uint64(97)
        r = ((r + ui) & mask) >> np.uint64((i * i & 0xFF) & 31)
        a = (a + step) & mask
    rows = letters.tobytes()
    out = []
    for k in range(nr):
        start = 15 * k
        label = rows[start : start + int(lengths[k])].decode("ascii")
        out.append(label + _TLD_SUFFIX[values[k] % 6])
    return tuple(out)


def generate_from_seed(seed: int, nr: int = DOMAINS_PER_PERIOD) -> list[str]:
    """The first ``nr`` names for a raw period ``seed``."""
    return list(_names(seed, nr))


def generate(day: dt.date, nr: int = DOMAINS_PER_PERIOD) -> list[str]:
    """The first ``nr`` names of ``day``'s two-day period."""
    return generate_from_seed(period_seed(day), nr)


FAMILY = Family(
    name="pykspa",
    aliases=("pykse", "skyper", "skypebot"),
    summary="Pykspa Skype worm, precursor DGA: 5,000 names per two-day period",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "http://johannesbader.ch/2015/07/pykspas-inferior-dga-version/",
        "http://johannesbader.ch/2015/03/the-dga-of-pykspa/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/pykspa",
    ),
    variants=(
        Variant(
            family="pykspa",
            name="precursor",
            summary="Pykspa precursor DGA: 5,000 names per two-day period",
            active_from=dt.date(2015, 7, 1),
            active_until=None,
            domains_per_day=DOMAINS_PER_PERIOD,
            tlds=TLDS,
            generator=generate,
            period_days=2,
            parameters=(("nr", str(DOMAINS_PER_PERIOD)),),
        ),
    ),
)
