"""Tempedreve, time-dependent DGA (sample MD5 a1310a8d9a6a51be4a6600a2be7ddab2).

Generator type: arithmetic (an LCG-seeded shuffle of the alphabet, then LCG letter picks).
Seeding: time-dependent; the seed is ``1664525 * days + 1013904223 mod 2**32`` where
``days`` counts days since 1970-01-01. One name per UTC day.
Names per day: 1 new name. The malware walks back from today, one day at a time, to the
hard-coded floor 2015-03-23, trying each day's name in turn; the list it tries on day
``d`` is therefore ``walk_back(d)`` (today's name first), which grows by one every day.
The registered variant gives the one name that is new each day; the union of the daily
names from 2015-03-23 up to a day is that day's full try list.
TLDs: com, net, org, info (chosen by the seed's two low bits).

Per name: the 26 lower-case letters are shuffled (position ``j`` swapped with
``r % 26``, ``r`` advancing by ``r = 16843009 r + 65805 mod 2**32`` from the seed); the
label has ``7 + seed % 5`` letters, ``shuffled[r % 26]`` with ``r`` again advancing from
the seed.

Active period: the analysed sample was submitted in May 2017; the DGA's floor date
2015-03-23 is the earliest day it can produce and is used as ``active_from`` (the
references give no first-seen date for the time-dependent variant). No end date.
The older, time-independent Tempedreve DGA (Anubis Networks report) is not covered.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/tempedreve
- https://www.anubisnetworks.com/tempedreve-botnet-report (the time-independent DGA)
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com", "net", "org", "info")
FLOOR = dt.date(2015, 3, 23)
_EPOCH = dt.date(1970, 1, 1)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _step(r: int) -> int:
    return (16843009 * r + 65805) & 0xFFFFFFFF


def name_for(day: dt.date) -> str:
    """The one Tempedreve name of ``day``."""
    seed = (1664525 * (day - _EPOCH).days + 1013904223) & 0xFFFFFFFF
    letters = list(_LETTERS)
    r = seed
    for j in range(26):
        i = r % 26
        r = _step(r)
        letters[j], letters[i] = letters[i], letters[j]
    chars = []
    r = seed
    for _ in range(seed % 5 + 7):
        chars.append(letters[r % 26])
        r = _step(r)
    return "".join(chars) + "." + TLDS[seed & 3]


def walk_back(day: dt.date, floor: dt.date = FLOOR) -> list[str]:
    """The names tried on ``day``: that day's, then each earlier day's down to ``floor``."""
    count = (day - floor).days + 1
    return [name_for(day - dt.timedelta(days=k)) for k in range(count)]


def generate(day: dt.date) -> list[str]:
    """The name that is new on ``day`` (a list of one)."""
    return [name_for(day)]


FAMILY = Family(
    name="tempedreve",
    summary="Tempedreve: one new name per day; tries every day's name back to 2015-03-23",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/tempedreve",
        "https://www.anubisnetworks.com/tempedreve-botnet-report",
    ),
    variants=(
        Variant(
            family="tempedreve",
            name="time-dependent",
            aliases=("default", "2017"),
            summary="Time-dependent Tempedreve (2017 sample): one new name per day",
            active_from=FLOOR,
            active_until=None,
            period_source=(
                "the DGA's hard-coded floor date 2015-03-23, the earliest day it can "
                "produce; no first-seen date is published (analysed sample submitted May 2017)"
            ),
            domains_per_day=1,
            tlds=TLDS,
            signature=Signature(_LETTERS, 7, 11),  # seed % 5 + 7 letters
            generator=generate,
            period_days=1,
            parameters=(("floor", FLOOR.isoformat()),),
        ),
    ),
)
