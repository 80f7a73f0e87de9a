"""Chinad rendezvous domains.

Generator type: hash. For the day and a counter byte ``n`` the malware hashes 16 bytes
(year mod 100, month, day, ``n``, then twelve zero bytes) with SHA-1, reads the digest as
five little-endian 32-bit words, and maps the first 16 bytes of that word-swapped digest to
``a``-``z0``-``9`` (byte mod 36); byte 16 picks the TLD (mod 7).
Seeding: time-dependent (UTC calendar date); a new list every day.
Names per day: 256. The malware loops 1,000 times but the counter is a single byte, so only
256 distinct names exist per day; this module lists each once, counter order 0-255 (the
order of the public reimplementation).
TLDs: com, org, net, biz, info, ru, cn.
Active period: ``active_from`` is 2016-10-24, the earliest public evidence: 360netlab
published Chinad as a new DGA that day (github.com/360netlab/DGA, commit 545d67c of
2016-10-24, "The implementation of Chinad", its issue #1 "New DGA: Chinad") together with
``code/chinad/examples.txt``, the list of 2016-10-24 (the malware's 1,000 names, i.e. the
256 distinct names four times over). Until issue 18 the period began on 2017-01-13, the day
of baderj's reimplementation, so ``lookup --all`` missed that published list. No end date
is known.

Open question (not resolved here): 360netlab changed its reimplementation on 2017-01-17
(commit 6245a99, "domain would be duplicated when index > 0xFF") to put the counter's high
byte in the fifth hashed byte, which gives 1,000 distinct names a day; baderj's
reimplementation (2017-01-13) states that the malware's counter is one byte ("1000
domains, but only 256 different"). Both agree on the 256 names listed here, and the only
published list (2016-10-24) holds exactly these 256; without the sample the other 744 of
the 16-bit reading are not forecast.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/chinad
- https://github.com/360netlab/DGA/tree/master/code/chinad
"""

from __future__ import annotations

import datetime as dt
import hashlib

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com", "org", "net", "biz", "info", "ru", "cn")
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
COUNT = 256

_ZEROS = bytes(12)
#: Position in the digest of each byte of the word-swapped digest (first 17 used).
_ORDER = tuple(4 * (i // 4) + 3 - i % 4 for i in range(20))
_CHAR_OF_BYTE = tuple(ALPHABET[b % 36] for b in range(256))
_TLD_OF_BYTE = tuple(TLDS[b % 7] for b in range(256))


def generate(day: dt.date, nr: int = COUNT) -> list[str]:
    """Names for counters ``0..nr-1`` on ``day`` (counters wrap at 256, like the byte)."""
    head = bytes((day.year % 100, day.month, day.day))
    chars = _CHAR_OF_BYTE
    order = _ORDER[:16]
    tld_pos = _ORDER[16]
    out: list[str] = []
    for n in range(nr):
        digest = hashlib.sha1(head + bytes((n & 0xFF,)) + _ZEROS).digest()
        label = "".join([chars[digest[i]] for i in order])
        out.append(f"{label}.{_TLD_OF_BYTE[digest[tld_pos]]}")
    return out


def _daily(day: dt.date) -> list[str]:
    return generate(day)


FAMILY = Family(
    name="chinad",
    summary="Chinad: 256 SHA-1 derived names per day under seven TLDs",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/chinad",
        "https://github.com/360netlab/DGA/tree/master/code/chinad",
    ),
    variants=(
        Variant(
            family="chinad",
            name="default",
            summary="The only published variant (date-seeded, no sample-specific seed)",
            active_from=dt.date(2016, 10, 24),
            period_source=(
                "360netlab/DGA commit 545d67c (2016-10-24): Chinad published as a new DGA "
                "with that day's list, code/chinad/examples.txt"
            ),
            active_until=None,
            domains_per_day=COUNT,
            tlds=TLDS,
            generator=_daily,
            period_days=1,
            signature=Signature(ALPHABET, 16, 16),
        ),
    ),
)
