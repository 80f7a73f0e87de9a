"""Banjori banking trojan rendezvous domains.

Generator type: arithmetic. Each name is derived from the previous one: only the first four
letters change, each replaced by a sum of earlier letters folded back into ``a``-``z``; the
rest of the seed name (including its TLD) is kept. The seed name itself is the first name.
Seeding: not time-dependent. Every sample carries its own seed name and walks the same chain
on every run, so a preset is a list valid for the sample's whole life.
Names per list: 1,000 (the length of the chain the public reimplementation prints for the
example seed; the reference gives no other count).
TLDs: the seed's own (``com`` for the published preset).
Active period: the reference does not date its seed; it was published on 2015-08-31, the
earliest date it implies, used as ``active_from`` (the family is older: use
``--ignore-active-period`` for earlier days). No end date is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/banjori
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

DEFAULT_SEED = "earnestnessbiophysicalohax.com"
DEFAULT_COUNT = 1000

_A = ord("a")


def _fold(value: int) -> int:
    """Map any code back into ``a``..``z`` (the malware's modulo-26 wrap around ``a``)."""
    return _A + (value - _A) % 26


def generate(seed: str = DEFAULT_SEED, nr: int = DEFAULT_COUNT) -> list[str]:
    """The first ``nr`` names of the chain that starts at ``seed`` (seed first)."""
    if len(seed) < 4:
        raise ValueError("a Banjori seed name needs at least four characters")
    tail = seed[4:]
    c0, c1, c2, c3 = (ord(c) for c in seed[:4])
    out: list[str] = []
    for _ in range(nr):
        out.append(f"{chr(c0)}{chr(c1)}{chr(c2)}{chr(c3)}{tail}")
        # The order matters: every new letter uses the ones replaced just before it.
        c0 = _fold(c0 + c3)
        c1 = _fold(c0 + 2 * c1)
        c2 = _fold(c0 + c2 - 1)
        c3 = _fold(c1 + c2 + c3)
    return out


@cache
def _preset(seed: str, nr: int) -> tuple[str, ...]:
    return tuple(generate(seed, nr))


def _default_day(day: dt.date) -> list[str]:
    return list(_preset(DEFAULT_SEED, DEFAULT_COUNT))


FAMILY = Family(
    name="banjori",
    summary="Banjori banking trojan: a 1,000-name chain from a per-sample seed name",
    generator_type="arithmetic",
    time_seeded=False,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/banjori",),
    variants=(
        Variant(
            family="banjori",
            name="earnestness",
            summary="Published example seed earnestnessbiophysicalohax.com",
            active_from=dt.date(2015, 8, 31),
            active_until=None,
            period_source=(
                "date the reference was published, 2015-08-31 "
                "(baderj/domain_generation_algorithms, banjori/); it does not date its seed "
                "and the family is older"
            ),
            domains_per_day=DEFAULT_COUNT,
            tlds=("com",),
            # Four letters folded into a..z, then the seed label's 22-letter tail.
            signature=Signature(string.ascii_lowercase, 26, 26),
            generator=_default_day,
            period_days=0,
            parameters=(("seed", DEFAULT_SEED), ("nr", str(DEFAULT_COUNT))),
        ),
    ),
)

# English letter frequencies (a-z): reseeded seed domains read like Banjori's word salad.
_ENGLISH = (
    8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4,
    6.7, 7.5, 1.9, 0.095, 6.0, 6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074,
)  # fmt: skip


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the seed domain (4 letters, then a tail of 10-22 letters drawn with
    English letter frequencies, like the published ``earnestnessbiophysicalohax.com``;
    ``.com``). The seed itself is our draw, not the algorithm's output, and is left out.
    """
    import numpy as np

    english = np.array(_ENGLISH)
    english /= english.sum()

    def build() -> list[str]:
        head = _reseed.text(rng, _reseed.LOWER, 4, 4)
        length = int(rng.integers(10, 23))
        tail = "".join(_reseed.LOWER[i] for i in rng.choice(26, size=length, p=english))
        return generate(f"{head}{tail}.com", min(per_build, DEFAULT_COUNT) + 1)[1:]

    return _reseed.collect(builds, build)
