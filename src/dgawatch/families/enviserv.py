"""Enviserv (Trojan:Win32/Enviserv): a fixed list of 500 MD5-derived names.

Generator type: hash. Name ``i`` (0-499) is the MD5 digest of the seed string followed by
``i`` in decimal (``"papa_koli0"``, ``"papa_koli1"``, ...); its first five bytes in
lower-case hexadecimal are the label, and the TLD cycles through ``com, net, org, info,
biz, in`` (``i % 6``).
Seeding: time-independent (the seed string is built into the sample); the same 500 names
every day.
Names per day: 500. TLDs: com, net, org, info, biz, in.

Active period: from 2019-08-06, the day 360netlab's sandbox recorded the sample's queries
(issue #53, opened 2019-09-03; Microsoft describes the family as Trojan:Win32/Enviserv.A).
No end is known.

References:
- https://github.com/360netlab/DGA/tree/master/code/enviserv
- https://github.com/360netlab/DGA/issues/53
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SEED = "papa_koli"
COUNT = 500
TLDS = ("com", "net", "org", "info", "biz", "in")


def generate(seed: str = SEED, nr: int = COUNT, tlds: Sequence[str] = TLDS) -> list[str]:
    """Names ``0..nr-1`` of a sample with this seed string and TLD cycle."""
    out = []
    for i in range(nr):
        label = hashlib.md5(f"{seed}{i}".encode("latin-1")).hexdigest()[:10]
        out.append(f"{label}.{tlds[i % len(tlds)]}")
    return out


@cache
def _fixed() -> tuple[str, ...]:
    return tuple(generate())


def _daily(day: dt.date) -> Sequence[str]:
    return _fixed()


FAMILY = Family(
    name="enviserv",
    summary="Enviserv: 500 fixed MD5-derived hexadecimal names under six TLDs",
    generator_type="hash",
    time_seeded=False,
    references=(
        "https://github.com/360netlab/DGA/tree/master/code/enviserv",
        "https://github.com/360netlab/DGA/issues/53",
    ),
    variants=(
        Variant(
            family="enviserv",
            name="default",
            summary="Seed papa_koli (the sample of 360netlab issue #53)",
            active_from=dt.date(2019, 8, 6),
            active_until=None,
            domains_per_day=COUNT,
            tlds=TLDS,
            generator=_daily,
            period_days=0,
            parameters=(("seed", SEED), ("count", str(COUNT)), ("tlds", "-".join(TLDS))),
            signature=Signature("0123456789abcdef", 10, 10),
            period_source=(
                "sandbox run of the sample, 2019-08-06 (360netlab/DGA issue #53, 2019-09-03)"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the seed string (two words of 3-6 lower-case letters joined by ``_``,
    like ``papa_koli``; not it), with the published TLD cycle; names 0 to
    ``min(per_build, COUNT) - 1`` (no day: static).
    """

    def build() -> list[str]:
        word = _reseed.LOWER
        seed = f"{_reseed.text(rng, word, 3, 6)}_{_reseed.text(rng, word, 3, 6)}"
        return generate(seed, min(per_build, COUNT)) if seed != SEED else []

    return _reseed.collect(builds, build)
