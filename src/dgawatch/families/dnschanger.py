"""DNSChanger (Alureon/TDSS) probe domains.

Generator type: arithmetic: the Microsoft C runtime ``rand()`` (state * 214013 + 2531011,
output bits 16-30) picks each of ten letters as ``'a' + rand() % 26``; ``.com`` is appended.
The names are never meant to be registered: after changing the victim's DNS settings the
malware resolves them so that its rogue name servers learn of the new victim.
Seeding: the C runtime seed at the time of the call, not the date; the seed of a given
infection cannot be predicted, so a preset is one seed only. The published example list
starts from seed 87,373 (found by matching the list; any seed with the same low 31 bits
gives the same names).
Names per list: 5.
TLDs: ``com`` only.
Active period: the analysed sample was uploaded on 2014-10-21, the earliest date the
reference gives, used as ``active_from`` (DNSChanger itself is older). No end date is set.

References:
- https://johannesbader.ch/2016/01/the-dga-in-alureon-dnschanger/
- https://github.com/baderj/domain_generation_algorithms/tree/master/dnschanger
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

EXAMPLE_SEED = 87373
DEFAULT_COUNT = 5
LABEL_LENGTH = 10

_M32 = 0xFFFFFFFF


def generate(seed: int, nr: int = DEFAULT_COUNT) -> list[str]:
    """The ``nr`` names drawn after ``srand(seed)`` (one shared generator for all names)."""
    state = seed & _M32
    out: list[str] = []
    for _ in range(nr):
        letters = []
        for _ in range(LABEL_LENGTH):
            state = (state * 214013 + 2531011) & _M32
            letters.append(chr(97 + ((state >> 16) & 0x7FFF) % 26))
        out.append("".join(letters) + ".com")
    return out


@cache
def _preset(seed: int, nr: int) -> tuple[str, ...]:
    return tuple(generate(seed, nr))


def _example_day(day: dt.date) -> list[str]:
    return list(_preset(EXAMPLE_SEED, DEFAULT_COUNT))


FAMILY = Family(
    name="dnschanger",
    remediation=(
        "DNSChanger: rewrites the DNS resolver settings of the host and of routers it can log "
        "in to; after cleaning the host, reset the DNS settings of the host and the router, "
        "and the router's administrator password."
    ),
    aliases=("alureon",),
    summary="DNSChanger/Alureon: 5 random .com probe names from the C runtime rand()",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "https://johannesbader.ch/2016/01/the-dga-in-alureon-dnschanger/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/dnschanger",
    ),
    variants=(
        Variant(
            family="dnschanger",
            name="seed87373",
            summary="The published example list (rand() seeded with 87373)",
            active_from=dt.date(2014, 10, 21),
            active_until=None,
            period_source=(
                "upload date of the analysed sample, 2014-10-21 (write-up "
                "johannesbader.ch/2016/01/the-dga-in-alureon-dnschanger/); DNSChanger is "
                "older"
            ),
            domains_per_day=DEFAULT_COUNT,
            tlds=("com",),
            signature=Signature(string.ascii_lowercase, LABEL_LENGTH, LABEL_LENGTH),
            generator=_example_day,
            period_days=0,
            parameters=(("seed", str(EXAMPLE_SEED)), ("nr", str(DEFAULT_COUNT))),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit ``srand`` seed.
    """

    def build() -> list[str]:
        # Only the low 31 bits of the seed matter.
        seed = _reseed.u32(rng, (EXAMPLE_SEED, EXAMPLE_SEED | 1 << 31))
        return generate(seed, min(per_build, DEFAULT_COUNT))

    return _reseed.collect(builds, build)
