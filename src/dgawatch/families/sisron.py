"""Sisron rendezvous domains: Base64 of recent dates.

Generator type: arithmetic (no PRNG: the label is the Base64 encoding of a date string).
Seeding: time-dependent; a new list every UTC day.
Names per day: 40. TLDs: com, org, net, info (in that order).

For each TLD in turn, the malware takes today and the nine days before it, writes each
date as ``DDMMYYYY``, Base64-encodes those eight bytes (twelve characters, one ``=`` of
padding), lower-cases the result and replaces ``=`` by ``a``. So the list for a day is
ten dates x four TLDs, the TLD changing slowest; every name also appears in the lists
of the following nine days.

Active period: the write-up found the first sample with the DGA uploaded in April 2013
(``active_from`` 2013-04-01, the start of that month; the day is not given), most
samples in 2013, fewer in 2014, then hardly any after Microsoft's takedown. No end date
is published, so ``active_until`` is open.

References:
- https://johannesbader.ch/2016/06/the-dga-of-sisron/ (also bin.re/blog/the-dga-of-sisron/)
- https://github.com/baderj/domain_generation_algorithms/tree/master/sisron
"""

from __future__ import annotations

import base64
import datetime as dt

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com", "org", "net", "info")
DAYS_BACK = 10


def label(day: dt.date) -> str:
    """The Sisron label of one date: Base64 of ``DDMMYYYY``, lower case, ``=`` -> ``a``."""
    text = f"{day.day:02d}{day.month:02d}{day.year:04d}".encode("ascii")
    return base64.b64encode(text).decode("ascii").lower().replace("=", "a")


def generate(day: dt.date, tlds: tuple[str, ...] = TLDS, days_back: int = DAYS_BACK) -> list[str]:
    """The names tried on ``day``: for each TLD, today's label then the previous days'."""
    labels = [label(day - dt.timedelta(days=k)) for k in range(days_back)]
    return [f"{lab}.{tld}" for tld in tlds for lab in labels]


FAMILY = Family(
    name="sisron",
    summary="Sisron: Base64 of the last ten dates under four TLDs, 40 names/day",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2016/06/the-dga-of-sisron/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/sisron",
    ),
    variants=(
        Variant(
            family="sisron",
            name="default",
            summary="Sisron: today and the nine previous days, com/org/net/info",
            active_from=dt.date(2013, 4, 1),
            active_until=None,
            period_source=(
                "write-up: first sample with the DGA uploaded in April 2013, day not given "
                "(johannesbader.ch/2016/06/the-dga-of-sisron/)"
            ),
            domains_per_day=len(TLDS) * DAYS_BACK,
            tlds=TLDS,
            # Base64 of 8 ASCII digits (all the characters any date can give), '=' as 'a'.
            signature=Signature("012345acdegijkmnoqtuwxyz", 12, 12),
            generator=generate,
            period_days=1,
            parameters=(("days_back", str(DAYS_BACK)), ("tlds", ",".join(TLDS))),
        ),
    ),
)
