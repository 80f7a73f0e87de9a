"""Pitou (kernel-mode spam bot) rendezvous domains.

Generator type: arithmetic. The DGA runs inside Pitou's virtual machine.
Seeding: the date, shifted by the sample's off-by-one: it counts days since 1970-01-01 to
the date one month *later* (month + 1, wrapping the year; a day past the end of that month
spills into the next one), and rounds ``that + counter // 3`` down to a multiple of ten, so
a name stays the same for up to ten days. The year (since 1900) and a 32-bit magic value
from the sample enter too.
Per counter 0-19, eight bytes are mixed from the magic's nibbles, the year and the seed,
then read as a queue: a byte with the top bit set yields consonant + vowel (+ a second vowel
if the next byte has bit 6 set), otherwise vowel + consonant, until the label length (8 or
9, from a parity of magic, counter and seed) is reached. The TLD is
``(counter ^ seed ^ magic) mod 9`` into com, org, biz, net, info, mobi, us, name, me.
The malware bug: the ninth letter is read past the end of the byte buffer, so it is
unpredictable. As the reference does, a 9-letter name is listed as all its candidates,
the first eight letters plus each letter of the ninth's class (21 consonants or 5 vowels);
the malware queries one of them. 8-letter names are exact.
Names per day: 20 names, i.e. 20 to 420 listed candidates (252 on average over 2014-2029);
``domains_per_day`` states the maximum.
Active period: Pitou was first publicly reported by F-Secure in January 2014 ("Pitou - the
'silent' resurrection of the notorious Srizbi kernel spambot"), one of the public reports
the DGA write-up (July 2019) compares with; ``active_from`` is therefore 2014-01-01, an
early bound. No end date is known.

References:
- https://bin.re/blog/the-dga-of-pitou/
- https://github.com/baderj/domain_generation_algorithms/tree/master/pitou
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

VOWELS = "aeiou"
CONSONANTS = "bcdfghjklmnpqrstvwxyz"
TLDS = ("com", "org", "biz", "net", "info", "mobi", "us", "name", "me")
COUNTERS = 20
MAX_PER_DAY = COUNTERS * len(CONSONANTS)
MAGICS = (0xDAFE02C, 0xDAFE02D)
_EPOCH = dt.date(1970, 1, 1)


def day_seed(day: dt.date) -> int:
    """Days since the epoch of the date one month after ``day``, as the sample computes it."""
    year, month, mday = day.year, day.month + 1, day.day
    if month > 12:
        month, year = month - 12, year + 1
    length = calendar.monthrange(year, month)[1]
    if mday > length:
        month, mday = month + 1, mday - length
        if month > 12:
            month, year = month - 12, year + 1
    return (dt.date(year, month, mday) - _EPOCH).days


def candidates(year: int, seed: int, counter: int, magic: int) -> list[str]:
    """The name of ``counter``: one name, or the 21 or 5 candidates of a 9-letter one."""
    sv = 10 * ((counter // 3 + seed) // 10)
    since = year - 1900
    length = 8 + ((((magic >> counter) * ((counter - 1) & 0xFF)) & 0xFF) * sv & 1)
    lo, hi = sv & 0xFF, (sv >> 8) & 0xFF
    queue: list[int] = []
    for i in range(8):
        part, half = i // 4, i % 4
        byte = (magic >> (8 * part)) & 0xFF
        nibble = byte >> 4 if half in (0, 2) else byte & 0xF
        if half == 0:
            mix = since >> part
        elif half == 1:
            mix = since << part
        elif half == 2:
            mix = (hi << part) ^ (lo >> part)
        else:
            mix = (lo << part) ^ (hi >> part)
        queue.append((((nibble * mix) & 0xFF) * (counter + 1)) & 0xFF)
    queue.append(0xE0)
    queue.reverse()  # pop() from the end = the sample's next byte

    label = ""
    while True:
        x = queue.pop()
        if x & 0x80:
            label += CONSONANTS[x % 21]
            if len(label) >= length:
                break
            label += VOWELS[queue.pop() % 5]
            if len(label) >= length:
                break
            if queue[-1] & 0x40:
                label += VOWELS[queue.pop() % 5]
                if len(label) >= length:
                    break
        else:
            label += VOWELS[x % 5]
            label += CONSONANTS[queue.pop() % 21]
            if len(label) >= length:
                break
    tld = TLDS[((counter ^ sv ^ magic) & 0xFFFFFFFF) % len(TLDS)]
    if len(label) <= 8:
        return [f"{label}.{tld}"]
    stem, last = label[:-1], label[-1]
    pool = CONSONANTS if last in CONSONANTS else VOWELS
    return [f"{stem}{c}.{tld}" for c in pool]


def generate(day: dt.date, magic: int = MAGICS[0]) -> list[str]:
    """Every candidate for counters 0-19 on ``day``, in counter order."""
    seed = day_seed(day)
    out: list[str] = []
    for counter in range(COUNTERS):
        out += candidates(day.year, seed, counter, magic)
    return out


def _variant(magic: int) -> Variant:
    return Variant(
        family="pitou",
        name=f"{magic:07x}",
        summary=f"Magic 0x{magic:07X}: 20 names a day, 9-letter ones as all candidates",
        active_from=dt.date(2014, 1, 1),
        active_until=None,
        domains_per_day=MAX_PER_DAY,
        tlds=TLDS,
        generator=lambda day: generate(day, magic),
        period_days=1,
        parameters=(("magic", f"0x{magic:07X}"), ("counters", str(COUNTERS))),
        signature=Signature("abcdefghijklmnopqrstuvwxyz", 8, 9),
        period_source=(
            "estimate: first public report, F-Secure 'Pitou - the silent resurrection of "
            "the notorious Srizbi kernel spambot', January 2014"
        ),
    )


FAMILY = Family(
    name="pitou",
    summary="Pitou (2014-): 20 consonant/vowel names a day; 9-letter ones as candidate sets",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://bin.re/blog/the-dga-of-pitou/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/pitou",
    ),
    variants=tuple(_variant(m) for m in MAGICS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit magic (not one of :data:`MAGICS`) and the run day (from the
    earliest variant's first day to ``_reseed.LAST_DAY``); up to ``per_build`` of that day's
    20-420 listed candidates, spread over the counters.
    """
    first = min(v.active_from for v in FAMILY.variants)
    return _reseed.collect(
        builds,
        lambda: _reseed.sample(
            rng, generate(_reseed.day(rng, first), _reseed.u32(rng, MAGICS)), per_build
        ),
    )
