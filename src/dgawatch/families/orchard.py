"""Orchard (XMRig-dropping botnet), DGA version 3: the date-seeded half.

Generator type: hash. The sample hashes ``<YYYY-mm-dd>ojena.duckdns.org`` with MD5, cuts the
32 hex digits into four 8-digit labels and tries each under ``.com``, ``.net``, ``.org`` and
``.duckdns.org`` (label by label).
Seeding: the UTC date; a new list every day.
Names per day: 16.
TLDs: com, net, org, and the dynamic-DNS suffix duckdns.org.
Not covered: the sample then derives 16 more names the same way from the current balance
and transaction count of the Bitcoin genesis-block address, which anyone can change by
sending coins to it; those names cannot be forecast, only computed after the fact from
blockchain data, so they are not listed. Orchard's older DGA versions 1 and 2 (described
by 360 Netlab) have no public reimplementation and are not covered either.
Active period: the sample analysed in the write-up of 2022-07-24 (the DGA's first public
description); Netlab's report on the family followed two weeks later. No end date is
known.

References:
- https://bin.re/blog/a-dga-seeded-by-the-bitcoin-genesis-block/
- https://github.com/baderj/domain_generation_algorithms/tree/master/orchard
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SUFFIX = "ojena.duckdns.org"
TLDS = ("com", "net", "org", "duckdns.org")


def generate(day: dt.date, suffix: str = SUFFIX) -> list[str]:
    """The 16 date-seeded names of ``day``, in the sample's order."""
    digest = hashlib.md5(f"{day.isoformat()}{suffix}".encode("ascii")).hexdigest()
    return [f"{digest[i : i + 8]}.{tld}" for i in range(0, 32, 8) for tld in TLDS]


FAMILY = Family(
    name="orchard",
    summary="Orchard v3 (2022-): 16 MD5-of-date names a day, incl. duckdns.org",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://bin.re/blog/a-dga-seeded-by-the-bitcoin-genesis-block/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/orchard",
    ),
    variants=(
        Variant(
            family="orchard",
            name="v3",
            summary="DGA v3, date-seeded names (the Bitcoin-seeded half cannot be forecast)",
            active_from=dt.date(2022, 7, 24),
            active_until=None,
            domains_per_day=16,
            tlds=TLDS,
            generator=generate,
            period_days=1,
            parameters=(("suffix", SUFFIX),),
            signature=Signature("0123456789abcdef", 8, 8),
            period_source=(
                "first public description: bin.re, 'The Domain Generation Algorithm of "
                "Orchard v3', 2022-07-24"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the dynamic-DNS host the sample hashes with the date (4-8 lower-case
    letters under ``duckdns.org``, like ``ojena.duckdns.org``; not it) and the run day (from
    the variant's first day to ``_reseed.LAST_DAY``); the day's 16 names, up to
    ``per_build``.
    """
    first = FAMILY.variants[0].active_from

    def build() -> list[str]:
        host = _reseed.text(rng, _reseed.LOWER, 4, 8, (SUFFIX.split(".")[0],))
        return generate(_reseed.day(rng, first), f"{host}.duckdns.org")[:per_build]

    return _reseed.collect(builds, build)
