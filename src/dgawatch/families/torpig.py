"""Torpig (a.k.a. Sinowal, Anserin) daily rendezvous domain ("domain flux").

Generator type: arithmetic. Seeding: time-dependent (calendar date) with the parameter
``p = 8``; one label a day, tried under com, net and biz.
With ``s = ((month XOR day) + day) * p + day + year`` (years before 2007 count as 2007) the
label is ``c1 'h' c2 c3 'x' c4`` followed by a three-letter suffix for the month (anj ebf
arm pra aym unj ulj uag esp kot onv edc), where ``c1 = 'a' + (((year >> 2) & 0x3FC0) + s)
mod 25``, ``c2 = 'a' + (month + s) mod 10``, ``c3 = 'a' + ((year & 0xFF) + s) mod 25``.

``c4`` is ambiguous in the published listing (Stone-Gross et al. 2009, transcribed by both
references): ``if day*2 < '0' or day*2 < '9': c4 = 'a' + (2 day) mod 25, else
c4 = '1' + day mod 10``. Read as C (characters are their codes 48 and 57), days 1-28 take the
letter and days 29-31 the digit branch, giving ``:`` (not a hostname character) on the 29th,
``1`` on the 30th and ``2`` on the 31st: this is pchaigno/dga-collection's Python 3 module.
The listing's Python 2 transcription compares an int with a string, which Python 2 always
finds true, so it takes the letter on every day. Both readings agree on days 1-28. On the
30th and 31st the day list holds both labels (the C reading first), on the 29th only the
letter reading (the other is no DNS name): a bot of either reading is caught, at the cost
of at most three extra names on two days a month.
Names per day: 3 (6 on the 30th and 31st). TLDs: com, net, biz.
Not covered: Torpig first tries a *weekly* domain whose algorithm the references do not
give.

Active period: the UCSB team took over the botnet by registering its generated domains for
2009-01-25 onwards (Stone-Gross et al., "Your Botnet is My Botnet", CCS 2009), the earliest
public evidence of the DGA in use: ``active_from`` 2009-01-25. No end is documented.

Classifier reseeding: no ``reseed`` hook: seeded by the date alone (``p = 8`` is the one
published value; no source says builds vary it).

References:
- B. Stone-Gross et al., "Your Botnet is My Botnet: Analysis of a Botnet Takeover", ACM CCS 2009
- https://github.com/pchaigno/dga-collection (dgacollection/Torpig.py, originals/torpig.py)
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families.base import Family, Signature, Variant

P = 8
TLDS = ("com", "net", "biz")
MONTH_SUFFIXES = (
    "anj",
    "ebf",
    "arm",
    "pra",
    "aym",
    "unj",
    "ulj",
    "uag",
    "esp",
    "kot",
    "onv",
    "edc",
)
_A = ord("a")


def labels(day: dt.date, p: int = P) -> list[str]:
    """The day's distinct labels: the C reading of the listing first, then the Python 2
    reading where it differs; a label with a character outside a-z0-9 is left out."""
    year = max(day.year, 2007)
    month, d = day.month, day.day
    s = ((month ^ d) + d) * p + d + year
    head = (
        chr((((year >> 2) & 0x3FC0) + s) % 25 + _A)
        + "h"
        + chr((month + s) % 10 + _A)
        + chr(((year & 0xFF) + s) % 25 + _A)
        + "x"
    )
    letter = chr((d * 2) % 25 + _A)
    c_reading = letter if d * 2 < ord("9") else chr(d % 10 + ord("1"))
    out = []
    for c4 in dict.fromkeys((c_reading, letter)):
        if c4.isalnum():
            out.append(head + c4 + MONTH_SUFFIXES[month - 1])
    return out


def generate(day: dt.date) -> list[str]:
    return [f"{label}.{tld}" for label in labels(day) for tld in TLDS]


FAMILY = Family(
    name="torpig",
    summary="Torpig: one 9-character label a day under com/net/biz (domain flux, p = 8)",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "B. Stone-Gross et al., 'Your Botnet is My Botnet: Analysis of a Botnet Takeover', "
        "ACM CCS 2009",
        "https://github.com/pchaigno/dga-collection",
    ),
    variants=(
        Variant(
            family="torpig",
            name="daily",
            summary="The daily domain (p = 8); both readings of the listing on days 30-31",
            active_from=dt.date(2009, 1, 25),
            active_until=None,
            domains_per_day=3,
            tlds=TLDS,
            generator=generate,
            period_days=1,
            aliases=("default",),
            parameters=(("p", str(P)),),
            signature=Signature(alphabet="abcdefghijklmnopqrstuvwxyz12", min_len=9, max_len=9),
            period_source=(
                "botnet takeover by registering the generated domains from 2009-01-25 "
                "(Stone-Gross et al., CCS 2009); no end documented"
            ),
        ),
    ),
    aliases=("sinowal", "anserin"),
)
