"""Rendezvous domains of a Monero-miner downloader ("MoneroDownloader").

Generator type: hash. For counter ``n`` (0-499) the sample hashes the text
``jkhhksugrhtijys78g46-<days>-<n>`` with MD5, ``days`` being the number of days since
1970-01-01; the first 13 hex digits are the label, tried under each of five TLDs in turn.
Counter 0 is special: its label is the fixed string ``31b4bd31fg1x2``, so those five names
are the same on every day.
Seeding: time-dependent (UTC date); a new list every day.
Names per day: 2,500 (500 labels x 5 TLDs).
TLDs: org, tickets, blackfriday, hosting, feedback.
Active period: the earliest public evidence we have is the reimplementation of the analysed
sample, committed 2020-01-12 (its example list is that day's). No end date is known.

Classifier reseeding: no ``reseed`` hook. The magic string is the one per-build input, but
:func:`generate` reads it from :data:`MAGIC`; a hook needs a ``magic`` parameter there first
(the date alone varies the names the trainer draws from the registered variant).

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/monerodownloader
"""

from __future__ import annotations

import datetime as dt
import hashlib

from dgawatch.families.base import Family, Signature, Variant

MAGIC = "jkhhksugrhtijys78g46"
FIXED_LABEL = "31b4bd31fg1x2"
TLDS = ("org", "tickets", "blackfriday", "hosting", "feedback")
LABELS_PER_DAY = 500
_EPOCH = dt.date(1970, 1, 1)


def generate(day: dt.date, nr: int = LABELS_PER_DAY) -> list[str]:
    """The names for counters ``0..nr-1`` on ``day``, each label under the five TLDs."""
    days = (day - _EPOCH).days
    out: list[str] = []
    for n in range(nr):
        if n == 0:
            label = FIXED_LABEL
        else:
            label = hashlib.md5(f"{MAGIC}-{days}-{n}".encode("ascii")).hexdigest()[:13]
        out += [f"{label}.{tld}" for tld in TLDS]
    return out


FAMILY = Family(
    name="monerodownloader",
    summary="Monero-miner downloader (2020-): 2,500 MD5-derived names a day under 5 TLDs",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/monerodownloader",
    ),
    variants=(
        Variant(
            family="monerodownloader",
            name="default",
            summary="The analysed sample: 500 labels x 5 TLDs per UTC day",
            active_from=dt.date(2020, 1, 12),
            active_until=None,
            domains_per_day=LABELS_PER_DAY * len(TLDS),
            tlds=TLDS,
            generator=generate,
            period_days=1,
            parameters=(("magic", MAGIC), ("nr", str(LABELS_PER_DAY))),
            signature=Signature("0123456789abcdef" + "gx", 13, 13),
            period_source=(
                "earliest public evidence: reimplementation of the analysed sample, "
                "baderj/domain_generation_algorithms commit 255ee6b, 2020-01-12"
            ),
        ),
    ),
)
