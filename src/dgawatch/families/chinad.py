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
Active period: the references give no first-seen date; the example list is for 2017-01-13,
the day the reimplementation was published, used as ``active_from``. No end date is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/chinad
"""

from __future__ import annotations

import datetime as dt
import hashlib

from dgawatch.families.base import Family, Variant

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
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/chinad",),
    variants=(
        Variant(
            family="chinad",
            name="default",
            summary="The only published variant (date-seeded, no sample-specific seed)",
            active_from=dt.date(2017, 1, 13),
            active_until=None,
            domains_per_day=COUNT,
            tlds=TLDS,
            generator=_daily,
            period_days=1,
        ),
    ),
)
