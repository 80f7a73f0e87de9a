"""Ranbyus banking trojan DGAs (May 2015 and September 2015 versions).

Generator type: arithmetic.
Seeding: time-dependent, daily: each version mixes the date (day, month, year) with a
32-bit seed of the sample.

``may`` (first write-up, May 2015): four 32-bit words (day, month, year, seed) are each
stepped by its own shift/xor/multiply recurrence 14 times per
name; every step yields a letter ``(day ^ month ^ year) mod 25``
(``a``-``y``). The state carries over from name to name. 40 names of 14 letters per
day; the TLD cycles ``in me cc su tw net com pw`` starting at the day of month (the
sample's table has ``org`` as a ninth entry, which the index ``mod 8`` never reaches).

``september`` ("Ranbyus's DGA revisited", September 2015): a PCG-style 64-bit LCG
(multiplier 0x5851F42D4C957F2D, increment 0x14057B7EF767814F) seeded with ``(day *
month * year) xor seed``; each name takes two blocks of three LCG steps, each block
scrambled into 16 bytes; the first 17 of those 32 bytes give 17 letters
``byte mod 25``. 40 names of 17 letters per day; the TLD cycles through the first 8
entries of the sample's table starting at the day of month; seed ``ce7f8514`` has its own
table order.

Seeds: May: c5f128f3, b6354bc3, 65ba0743, 0478620c. September: 0f0d5bfa, f2c72b14,
ae8714be, ce7f8514, 572473bb, 17794cf1, c0e32524, 7cb7966e, 9f90c9e7, 8fb8879b,
e981684b (several are published as the complement of the value in the binary).
The reference examples: May, seed b6354bc3, 2015-05-14 (the reference's usage example);
September, seed 0f0d5bfa (the reference's default), 2015-09-25 (the day it was
published; both found by checking every day of 2014-2016 for every seed).

Active period: the May version is dated by its write-up (sample from May 2015) and the
September version by its follow-up; no end is published. ``active_from`` is 2015-05-01
and 2015-09-01 respectively (the earliest dates the write-ups imply).

References:
- http://johannesbader.ch/2015/05/the-dga-of-ranbyus/
- http://johannesbader.ch/2015/09/ranbyuss-dga-revisited/
- https://github.com/baderj/domain_generation_algorithms/tree/master/ranbyus
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_LETTERS = "abcdefghijklmnopqrstuvwxy"
DOMAINS_PER_DAY = 40

MAY_TLDS = ("in", "me", "cc", "su", "tw", "net", "com", "pw", "org")
SEPTEMBER_TLDS = ("in", "me", "cc", "su", "tw", "net", "com", "pw", "org")
SEPTEMBER_TLDS_CE7F8514 = ("in", "net", "org", "com", "me", "su", "tw", "cc", "pw")

MAY_SEEDS = (0xC5F128F3, 0xB6354BC3, 0x65BA0743, 0x0478620C)
SEPTEMBER_SEEDS = (
    0x0F0D5BFA,
    0xF2C72B14,
    0xAE8714BE,
    0xCE7F8514,
    0x572473BB,
    0x17794CF1,
    0xC0E32524,
    0x7CB7966E,
    0x9F90C9E7,
    0x8FB8879B,
    0xE981684B,
)


def generate_may(day: dt.date, seed: int, nr: int = DOMAINS_PER_DAY) -> list[str]:
    """The May 2015 version: ``nr`` names of 14 letters for ``day`` and ``seed``."""
    d, m, y, s = day.day, day.month, day.year, seed & _M32
    names: list[str] = []
    for k in range(nr):
        chars = []
        for _ in range(14):
            d = ((d >> 15) ^ (16 * ((d & 0x1FFF) ^ (4 * (s ^ d))))) & _M32
            y = (((y & 0xFFFFFFF0) << 17) ^ ((y ^ ((7 * y) & _M32)) >> 11)) & _M32
            m = ((14 * (m & 0xFFFFFFFE)) ^ ((m ^ ((4 * m) & _M32)) >> 8)) & _M32
            s = ((s >> 6) ^ (((d + 8 * s) << 8) & 0x3FFFF00)) & _M32
            chars.append(_LETTERS[(d ^ m ^ y) % 25])
        names.append("".join(chars) + "." + MAY_TLDS[(day.day + k) % 8])
    return names


_ALPHA = 0x5851F42D4C957F2D
_INC = 0x14057B7EF767814F


def _pcg_block(x: int) -> tuple[int, bytes]:
    """Three LCG steps from ``x``: the new state and 16 scrambled output bytes."""
    s1 = (_ALPHA * x + _INC) & _M64
    s2 = (_ALPHA * s1 + _INC) & _M64
    s3 = (_ALPHA * s2 + _INC) & _M64
    mixed = ((s3 >> 24) & 0xFFFFFF00) | ((s3 & _M32) >> 24)
    a = ((mixed ^ s2) & 0x000FFFFF) ^ s2
    b = s2 >> 32
    c = (s1 & 0xFFF00000) | ((s3 >> 32) >> 12)
    d = s1 >> 32
    out = b"".join((v & _M32).to_bytes(4, "little") for v in (a, b, c, d))
    return s3, out


def generate_september(
    day: dt.date, seed: int, nr: int = DOMAINS_PER_DAY, tlds: tuple[str, ...] | None = None
) -> list[str]:
    """The September 2015 version: ``nr`` names of 17 letters for ``day`` and ``seed``."""
    if tlds is None:
        tlds = SEPTEMBER_TLDS_CE7F8514 if seed == 0xCE7F8514 else SEPTEMBER_TLDS
    x = (day.day * day.month * day.year) ^ seed
    cycle = len(tlds) - 1
    names: list[str] = []
    for k in range(nr):
        x, first = _pcg_block(x)
        x, second = _pcg_block(x)
        label = "".join(_LETTERS[b % 25] for b in first + second[:1])
        names.append(label + "." + tlds[(day.day + k) % cycle])
    return names


def _may_variant(seed: int) -> Variant:
    return Variant(
        family="ranbyus",
        name=f"may-{seed:08x}",
        summary=f"Ranbyus May 2015 DGA, seed {seed:08x}: 40 names of 14 letters a day",
        active_from=dt.date(2015, 5, 1),
        active_until=None,
        period_source=(
            "estimate: the month of the write-up's sample, May 2015 "
            "(johannesbader.ch/2015/05/the-dga-of-ranbyus/)"
        ),
        domains_per_day=DOMAINS_PER_DAY,
        tlds=MAY_TLDS[:8],
        signature=Signature(_LETTERS, 14, 14),
        generator=partial(generate_may, seed=seed),
        period_days=1,
        parameters=(("version", "may"), ("seed", f"0x{seed:08x}")),
    )


def _september_variant(seed: int) -> Variant:
    tlds = SEPTEMBER_TLDS_CE7F8514 if seed == 0xCE7F8514 else SEPTEMBER_TLDS
    return Variant(
        family="ranbyus",
        name=f"september-{seed:08x}",
        summary=f"Ranbyus September 2015 DGA, seed {seed:08x}: 40 names of 17 letters a day",
        active_from=dt.date(2015, 9, 1),
        active_until=None,
        period_source=(
            "estimate: the month of the follow-up write-up, September 2015 "
            "(johannesbader.ch/2015/09/ranbyuss-dga-revisited/)"
        ),
        domains_per_day=DOMAINS_PER_DAY,
        tlds=tlds[:8],
        signature=Signature(_LETTERS, 17, 17),  # 16 bytes + 1
        generator=partial(generate_september, seed=seed),
        period_days=1,
        parameters=(("version", "september"), ("seed", f"0x{seed:08x}")),
    )


FAMILY = Family(
    name="ranbyus",
    summary="Ranbyus banking trojan: 40 names/day from date and sample seed (2015)",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "http://johannesbader.ch/2015/05/the-dga-of-ranbyus/",
        "http://johannesbader.ch/2015/09/ranbyuss-dga-revisited/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/ranbyus",
    ),
    variants=(
        *(_may_variant(s) for s in MAY_SEEDS),
        *(_september_variant(s) for s in SEPTEMBER_SEEDS),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the version (May or September 2015) and its 32-bit seed, plus the day.
    """

    def build() -> list[str]:
        nr = min(per_build, DOMAINS_PER_DAY)
        if rng.integers(2):
            seed = _reseed.u32(rng, MAY_SEEDS)
            return generate_may(_reseed.day(rng, dt.date(2015, 5, 1)), seed, nr)
        seed = _reseed.u32(rng, SEPTEMBER_SEEDS)
        return generate_september(_reseed.day(rng, dt.date(2015, 9, 1)), seed, nr)

    return _reseed.collect(builds, build)
