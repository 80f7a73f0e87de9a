"""Gameover Zeus (GOZ, Peer-to-Peer Zeus) fallback domains: before and after Operation Tovar.

Generator type: hash (MD5 in both generations).

Declared aliases (issue 18, defect 3). GOZ reused generators that are registered under
the families that introduced them, so ``pre-tovar`` and ``post-tovar`` are not generators
of their own here but declared aliases (``Family.variant_aliases``): ``pre-tovar`` *is*
``murofet/v1`` and ``post-tovar`` *is* ``newgoz/default``. The registry (and so lookup,
hunt and the index) holds each list once, so a hit is reported once, under the original
name; ``--family gameover --variant pre-tovar`` resolves to ``murofet/v1`` and gives its
names. Before, both were second generators of the same lists and every hit came twice.
``murofet/v1`` generates 1,020 names a list; the pre-Tovar GOZ list was described as 1,000
(the first 1,000 of the same list, and every observed name below index 1,000), so the
alias forecasts 20 names more than a GOZ bot queries: the superset, never a miss.

- ``pre-tovar`` (2011-2014): the Murofet/LICAT v1 generator (see ``murofet``): MD5 over
  ``(year & 0xFF) + 0x30, month, 7 * (day // 7)`` and the index, two letters per digest
  byte; the list changes on the 1st, 7th, 14th, 21st and 28th of each month
  (``period_days = 7``, approximate). 1000 names per list; TLDs by index: ru, biz, info,
  org, net, com (``.ru`` for every sixth name). The public set of observed GOZ names
  (andrewaeva/DGA ``goz.txt``, from the DDS malicious-domain list) holds only ``.ru``
  names, all of them from lists of 2014-04-07 .. 2014-12-28 and indices below 1000.
- ``post-tovar`` (July 2014 -): the newGOZ generator (see ``newgoz``), 1000 names per day,
  base-36 labels in com/net/org/biz, salt 0x35190501. The Bambenek OSINT feed of
  2017-04-13 lists exactly this day's 1000 names.
- ``andrewaeva-zeus``: the list written by the andrewaeva/DGA reimplementation
  ``GameoverZeus.py`` (its ``zeus.txt`` training set). It is the newGOZ generator with the
  day left out of the hash (record: index, year, key, month, key, key) and the index
  running from ``0x35190501 % 1000 = 129`` round modulo 1000, so the list changes once a
  month (``period_days = 30``, approximate: it changes on the 1st). No malware is known to
  generate it; it is kept so that this public training set is reproduced and labelled.

Active period: GOZ appeared in September 2011 (``active_from`` 2011-09-01, an estimate
from public reporting; the references do not pin a day). The pre-Tovar generator's
``active_until`` is 2014-12-31, the end of the latest list in the public set; Operation
Tovar took the botnet down on 2014-06-02. The post-Tovar generator is open-ended (still in
the Bambenek feed in 2017). The andrewaeva list is for November 2014.

References:
- https://johannesbader.ch/2014/12/the-dga-of-newgoz/
- https://johannesbader.ch/2015/09/three-variants-of-murofets-dga/
- https://github.com/andrewaeva/DGA (dga_algorithms/GameoverZeus.py, dga_wordlists/goz.txt,
  dga_wordlists/zeus.txt)
- https://osint.bambenekconsulting.com/feeds/ (dga-post-tovar-goz feed)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dgawatch.families import murofet, newgoz
from dgawatch.families.base import Family, Variant, VariantAlias

NAMES_PER_DAY = 1000
#: The andrewaeva list starts at the salt modulo 1000 and wraps round.
_ANDREWAEVA_START = newgoz.DEFAULT_KEY % 1000


def generate_pre_tovar(day: dt.date, nr: int = NAMES_PER_DAY) -> list[str]:
    """Pre-Tovar GOZ names for ``day`` (the Murofet v1 generator, ``nr`` names)."""
    return murofet.generate_v1(day, nr)


def generate_post_tovar(
    day: dt.date, key: int = newgoz.DEFAULT_KEY, nr: int = NAMES_PER_DAY
) -> list[str]:
    """Post-Tovar GOZ names for ``day`` (the newGOZ generator)."""
    return newgoz.generate(day, key, nr)


def andrewaeva_blob(day: dt.date, key: int = newgoz.DEFAULT_KEY, nr: int = NAMES_PER_DAY) -> bytes:
    """The andrewaeva ``GameoverZeus.py`` list for ``day``'s year and month, one per line."""
    start = (key & 0xFFFFFFFF) % 1000
    indices = [(start + i) % 1000 for i in range(nr)]
    tail = newgoz.record_tail((day.year, day.month), key) + (key & 0xFFFFFFFF).to_bytes(4, "little")
    return newgoz.blob_indices(indices, tail)


def generate_andrewaeva(
    day: dt.date, key: int = newgoz.DEFAULT_KEY, nr: int = NAMES_PER_DAY
) -> list[str]:
    """The andrewaeva ``GameoverZeus.py`` list for ``day``'s year and month."""
    return andrewaeva_blob(day, key, nr).decode("ascii").split("\n")[:-1]


def _andrewaeva(day: dt.date) -> list[str]:
    return _andrewaeva_blob(day).decode("ascii").split("\n")[:-1]


@lru_cache(maxsize=4)
def _andrewaeva_month(year: int, month: int) -> bytes:
    return andrewaeva_blob(dt.date(year, month, 1))


def _andrewaeva_blob(day: dt.date) -> bytes:
    return _andrewaeva_month(day.year, day.month)


FAMILY = Family(
    name="gameover",
    remediation=(
        "GameOver Zeus: a banking trojan that steals credentials; reinstall the host, then "
        "change every password used on it (online banking first) from a clean machine, and "
        "tell the bank."
    ),
    aliases=("goz", "gameover-zeus", "p2p-zeus"),
    summary="Gameover Zeus fallback DGAs: murofet/v1 before Tovar, newgoz/default after (aliases)",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2014/12/the-dga-of-newgoz/",
        "https://johannesbader.ch/2015/09/three-variants-of-murofets-dga/",
        "https://github.com/andrewaeva/DGA",
        "https://osint.bambenekconsulting.com/feeds/",
    ),
    variant_aliases=(
        VariantAlias(
            "pre-tovar",
            same_as="murofet/v1",
            note="GOZ before Operation Tovar (2011-2014) ran the Murofet v1 generator",
        ),
        VariantAlias(
            "post-tovar",
            same_as="newgoz/default",
            note="GOZ after Operation Tovar (July 2014 -) is newGOZ, salt 0x35190501",
        ),
        VariantAlias("newgoz", same_as="newgoz/default", note="the post-tovar list"),
    ),
    variants=(
        Variant(
            family="gameover",
            name="andrewaeva-zeus",
            summary="andrewaeva/DGA GameoverZeus.py output (newGOZ without the day; monthly)",
            active_from=dt.date(2014, 7, 10),
            active_until=None,
            domains_per_day=NAMES_PER_DAY,
            tlds=newgoz.TLDS,
            # No signature: the family's examples include pre-Tovar .ru names (murofet/v1).
            generator=_andrewaeva,
            blob_generator=_andrewaeva_blob,
            period_days=30,
            parameters=(("key", "0x35190501"), ("first_index", str(_ANDREWAEVA_START))),
            period_source="as newgoz/default (estimate, July 2014); published list: Nov 2014",
        ),
    ),
)
