"""Simda (Shiz) rendezvous domains.

Generator type: arithmetic (a counter stepped by a key-derived constant; letters taken from
quotients of the counter).
Seeding: not time-dependent; each sample carries a key string and a base value, and
generates the same list every day (``period_days`` 0).
Names per list: 1,000 (the count the public reimplementation prints; the write-up's
sample has the same parameters). TLD: com (per sample; the published sample uses com).

The step is the sum of the key's character codes. For every name the base grows by the
step; letter ``i`` of the 7-letter label is taken from ``base // (3 + 2 i)``: modulo 20
into the consonants ``qwrtpsdfghjklzxcvbnm`` at even positions, modulo 6 into the vowels
``eyuioa`` at odd ones.

Active period: the references give no first-seen date; the write-up is from March 2015,
so ``active_from`` is 2015-03-01 (the earliest date the references imply). No end date.

References:
- http://johannesbader.ch/2015/03/the-dga-of-simda-shiz/
- https://github.com/baderj/domain_generation_algorithms/tree/master/simda
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

CONSONANTS = "qwrtpsdfghjklzxcvbnm"
VOWELS = "eyuioa"
NR_OF_DOMAINS = 1000

#: The published sample's configuration.
KEY = "1676d5775e05c50b46baa5579d4fc7"
BASE = 0x45AE94B2
LENGTH = 7
TLD = "com"


def generate(
    key: str = KEY, base: int = BASE, length: int = LENGTH, tld: str = TLD, nr: int = NR_OF_DOMAINS
) -> list[str]:
    """``nr`` names for a sample's ``key`` and ``base`` (label ``length``, one ``tld``)."""
    step = sum(ord(c) for c in key)
    divisors = [3 + 2 * i for i in range(length)]
    out: list[str] = []
    for _ in range(nr):
        base += step
        chars = [
            CONSONANTS[(base // d) % 20] if i % 2 == 0 else VOWELS[(base // d) % 6]
            for i, d in enumerate(divisors)
        ]
        out.append("".join(chars) + "." + tld)
    return out


@cache
def _default_list() -> tuple[str, ...]:
    return tuple(generate())


def _default(day: dt.date) -> list[str]:
    return list(_default_list())


FAMILY = Family(
    name="simda",
    remediation=(
        "Simda: a backdoor that rewrites the hosts file to redirect well-known sites: after "
        "cleaning, restore the hosts file (%SystemRoot%\\System32\\drivers\\etc\\hosts)."
    ),
    aliases=("shiz",),
    summary="Simda/Shiz: fixed list of 1,000 pronounceable 7-letter names per sample",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "http://johannesbader.ch/2015/03/the-dga-of-simda-shiz/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/simda",
    ),
    variants=(
        Variant(
            family="simda",
            name="default",
            summary="Simda sample of the 2015 write-up (key 1676d577..., base 0x45AE94B2)",
            active_from=dt.date(2015, 3, 1),
            active_until=None,
            period_source=(
                "estimate: the month of the write-up, March 2015 "
                "(johannesbader.ch/2015/03/the-dga-of-simda-shiz/); no first-seen date is "
                "given"
            ),
            domains_per_day=NR_OF_DOMAINS,
            tlds=(TLD,),
            signature=Signature(CONSONANTS + VOWELS, LENGTH, LENGTH),
            generator=_default,
            period_days=0,
            parameters=(
                ("key", KEY),
                ("base", f"0x{BASE:X}"),
                ("length", str(LENGTH)),
                ("tld", TLD),
                ("nr", str(NR_OF_DOMAINS)),
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 30-hex-digit key and the 32-bit base.
    """

    def build() -> list[str]:
        key = _reseed.text(rng, _reseed.HEX, 30, 30)
        base = _reseed.u32(rng, (BASE,))
        return generate(key, base, LENGTH, TLD, min(per_build, NR_OF_DOMAINS))

    return _reseed.collect(builds, build)
