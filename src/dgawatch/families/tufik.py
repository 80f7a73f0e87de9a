"""Tufik rendezvous domains.

Generator type: hash (MD5). Seeding: time-dependent (calendar date) plus a 32-bit magic
number of the sample; a new list every day.
For index ``i`` (0-1019): 8 bytes ``[(year + 48) mod 256, month, day, 0]`` followed by
``i`` with its lowest bit cleared (32-bit little-endian) are XORed with the magic number's
little-endian bytes (repeated), and hashed with MD5. Each digest byte becomes the sum of
its two nibbles (0-30); sums up to 25 give the letters ``a``-``z`` of the label, larger
sums are skipped (labels of at most 16, in practice 8-16, letters). Indices ``2k`` and
``2k + 1`` share their label. The TLD follows from ``i``: biz if ``i`` is a multiple of 5,
else info (of 4), org (of 3), net (of 2), else com.
Names per day: 1,020. TLDs: biz, info, org, net, com.
Preset: magic 0x997722ED (the only published one).

Active period: the reference cites no report or first-seen date; ``active_from`` is
2022-05-09, the day the reimplementation was published with its example list (a late
bound). No end is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/tufik
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

MAGIC = 0x997722ED
COUNT = 1020
TLDS = ("biz", "info", "org", "net", "com")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: byte -> its letter ("" when the nibble sum exceeds 25)
_LETTER_OF_BYTE = tuple(
    _LETTERS[(b & 15) + (b >> 4)] if (b & 15) + (b >> 4) < 26 else "" for b in range(256)
)


def _tld(i: int) -> str:
    if i % 5 == 0:
        return "biz"
    if i % 4 == 0:
        return "info"
    if i % 3 == 0:
        return "org"
    if i % 2 == 0:
        return "net"
    return "com"


_TLD_OF_INDEX = tuple(_tld(i) for i in range(COUNT))


def generate(day: dt.date, magic: int = MAGIC, nr: int = COUNT) -> list[str]:
    """Names ``0..nr-1`` of ``day`` for the sample with ``magic``."""
    key = magic.to_bytes(4, "little")
    head = bytes((((day.year + 48) & 0xFF) ^ key[0], day.month ^ key[1], day.day ^ key[2], key[3]))
    letters = _LETTER_OF_BYTE
    tlds = _TLD_OF_INDEX if nr <= COUNT else tuple(_tld(i) for i in range(nr))
    out: list[str] = []
    label = ""
    for i in range(nr):
        if i % 2 == 0:
            tail = bytes(a ^ b for a, b in zip((i & ~1).to_bytes(4, "little"), key, strict=True))
            label = "".join([letters[b] for b in hashlib.md5(head + tail).digest()])
        out.append(f"{label}.{tlds[i]}")
    return out


def _daily(day: dt.date) -> list[str]:
    return generate(day)


FAMILY = Family(
    name="tufik",
    summary="Tufik: 1,020 names/day, letters from MD5 nibble sums of date and magic",
    generator_type="hash",
    time_seeded=True,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/tufik",),
    variants=(
        Variant(
            family="tufik",
            name="default",
            summary="Magic 0x997722ED, 1,020 names per UTC day",
            active_from=dt.date(2022, 5, 9),
            active_until=None,
            domains_per_day=COUNT,
            tlds=TLDS,
            generator=_daily,
            period_days=1,
            parameters=(("magic", "0x997722ED"), ("nr", str(COUNT))),
            signature=Signature(alphabet=_LETTERS, min_len=1, max_len=16),
            period_source=(
                "no report or first-seen date published; reimplementation and example list "
                "published 2022-05-09 (baderj commit 681a06c), a late bound; no end known"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit magic (not 0x997722ED) and the run day (from the variant's
    first day to ``_reseed.LAST_DAY``); names 0 to ``min(per_build, COUNT) - 1`` of that day.
    """
    first = FAMILY.variants[0].active_from
    return _reseed.collect(
        builds,
        lambda: generate(
            _reseed.day(rng, first), _reseed.u32(rng, (MAGIC,)), min(per_build, COUNT)
        ),
    )
