"""Pushdo (Cutwail loader) DGA: MD5 hash chains turned into pronounceable names.

Generator type: hash (MD5 chains; each digest byte becomes a consonant-vowel(-letter)
syllable through fixed letter tables).
Seeding: time-dependent, from a day count ``N`` (see below).

Two published reimplementations are registered, both reproduced exactly:

``kz_v1``, ``kz_v2``, ``kz_v3``, ``com_v1`` (Johannes Bader, 2019; the letter tables
differ per configuration). For day count ``N`` the chain is seeded with ``N`` as four
little-endian bytes; every step hashes the current 32-bit value, takes the digest's first
four bytes (little-endian) as the new value, emits a label of ``9 + (value & 3)``
characters and adds one. One chain gives 30 names; the day's list is the 45 chains
for ``N, N-1, ..., N-30, N+1, ..., N+14`` in that order: 1,350 names per UTC day (the
window slides by one chain a day). The reference's day count adds the lengths of the
*list* entries ``1 .. month-1`` of ``[31, 28 (29 in years divisible by 4), 31, ...]``
(so February's length stands in for January's), then
``365 * (year - year // 4) + 366 * (year // 4)``; that count is reproduced as published.
The reference prints ``.kz`` for every configuration; ``com_v1`` is named after its
configured ``.com`` and uses it here (the examples only cover ``kz_v1``).

``andrewaeva`` (the 2014 reimplementation in andrewaeva/DGA): one chain of 100,000 names
per day, 8-letter ``.ru`` labels. Its day count adds the real month lengths before the
month; the chain starts from the count's four little-endian bytes, and each later step
hashes the ASCII hex string ``"%08x" % (first four digest bytes, big-endian, +
0x01000000)``. The syllable rule is the same as kz_v1's, except that the vowel index is
not reduced to a byte first (a digest byte 0xFF gives "e", not "a"). The reference script
raises an error in leap years (it assigns into a Python 2 string); leap years here use
February's 29 days, which the decompiled code it follows intends.

Active period: Pushdo has been around since 2007; its DGA (1,380 .com names a day) was
reported by Dell SecureWorks and Damballa in May 2013, and the switch to .kz names by
Seculert days later. No per-configuration dates are published, so every variant is
marked active from 2013-05-01. The kz_v1 examples are for 2019-12-06 (the day
they were published) and the andrewaeva examples for 2014-11-07 (likewise); both dates
were confirmed by checking every day of 2013-2020.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/pushdo
- https://github.com/andrewaeva/DGA/blob/master/dga_algorithms/PushDO.py
- http://www.seculert.com/blog/2013/05/pushdo-malware-domain-generation-adaptation.html
- https://threatpost.com/pushdo-attackers-adjust-algorithm-to-generate-kz-domains/100684/
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
import struct
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import chain

from dgawatch.families.base import Family, Signature, Variant

_U32 = struct.Struct("<I")
_BIG_U32 = struct.Struct(">I")


@dataclass(frozen=True)
class Config:
    """Letter tables and bit tests of one Pushdo configuration."""

    first: str  # consonant indexed by the byte
    vowels: str  # 5 vowels indexed by byte + 1
    after_e: str  # 3 vowels that may follow an "e"
    last: str  # 15 consonants that may close a syllable
    e_mask: int  # an "e" is followed by a vowel when (byte + 2) & e_mask
    c_mask: int  # otherwise a consonant closes the syllable when (byte + 2) & c_mask
    tld: str
    byte_vowel_index: bool = True  # reduce byte + 1 to a byte before indexing the vowels


CONFIGS = {
    "kz_v1": Config("bcdfghjklmnpqrstvwx", "aeiou", "aio", "zxtsrqpnmlkgfdc", 7, 1, "kz"),
    "com_v1": Config("bcdfghjklmnpqrstvwx", "aeiou", "aio", "zxtsrqpnmlkgfdc", 7, 1, "com"),
    "kz_v2": Config("kqbhcndjfwglpmzxrsv", "aeiou", "aio", "qzlbtgrnkxsfdcm", 8, 2, "kz"),
    "kz_v3": Config("zhjntdwmqbglpxrsfc", "aeiou", "aio", "rlngbtkszpfdcmx", 8, 2, "kz"),
    "andrewaeva": Config(
        "bcdfghjklmnpqrstvwx", "aeiou", "aio", "zxtsrqpnmlkgfdc", 7, 1, "ru", False
    ),
}

#: Chain offsets (relative to the day count) whose names make up one day's list.
WINDOW = tuple(chain(range(0, -31, -1), range(1, 15)))
NAMES_PER_CHAIN = 30
ANDREWAEVA_NAMES = 100_000
ANDREWAEVA_LENGTH = 8


@cache
def _syllables(config: Config) -> tuple[str, ...]:
    """The syllable each digest byte value (0-255) becomes."""
    out = []
    for b in range(256):
        vowel_index = (b + 1) & 0xFF if config.byte_vowel_index else b + 1
        s = config.first[b % len(config.first)] + config.vowels[vowel_index % 5]
        if s[1] == "e" and (b + 2) & config.e_mask:
            s += config.after_e[(b + 2) % 3]
        elif (b + 2) & config.c_mask:
            s += config.last[(b + 3) % 15]
        out.append(s)
    return tuple(out)


def reference_day_count(day: dt.date) -> int:
    """The day count of the Bader reimplementation (see the module docstring)."""
    lengths = [31, 29 if day.year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    y = day.year
    return day.day + sum(lengths[1 : day.month]) + 365 * (y - y // 4) + 366 * (y // 4)


def calendar_day_count(day: dt.date) -> int:
    """The day count of the andrewaeva reimplementation: real month lengths."""
    y = day.year
    day_of_year = day.timetuple().tm_yday
    return day_of_year + 365 * (y - y // 4) + 366 * (y // 4)


@lru_cache(maxsize=512)
def chain_names(config_name: str, start: int) -> tuple[str, ...]:
    """The 30 names of one kz/com-style chain seeded with ``start``."""
    config = CONFIGS[config_name]
    table = _syllables(config)
    suffix = "." + config.tld
    names = []
    r = start
    for _ in range(NAMES_PER_CHAIN):
        digest = hashlib.md5(_U32.pack(r & 0xFFFFFFFF)).digest()
        r = _U32.unpack_from(digest)[0]
        label = "".join([table[b] for b in digest])
        names.append(label[: 9 + (r & 3)] + suffix)
        r += 1
    return tuple(names)


def generate(day: dt.date, config: str = "kz_v1") -> list[str]:
    """The 1,350 names of ``day`` for one of the Bader configurations."""
    base = reference_day_count(day)
    out: list[str] = []
    for offset in WINDOW:
        out.extend(chain_names(config, base + offset))
    return out


def generate_andrewaeva(day: dt.date, nr: int = ANDREWAEVA_NAMES) -> list[str]:
    """The first ``nr`` names of ``day`` in the andrewaeva reimplementation."""
    table = _syllables(CONFIGS["andrewaeva"])
    md5 = hashlib.md5
    unpack = _BIG_U32.unpack_from
    data = _U32.pack(calendar_day_count(day))
    out: list[str] = []
    for _ in range(nr):
        digest = md5(data).digest()
        # Four syllables always reach the 8 letters kept.
        label = table[digest[0]] + table[digest[1]] + table[digest[2]] + table[digest[3]]
        out.append(label[:ANDREWAEVA_LENGTH] + ".ru")
        data = b"%08x" % (unpack(digest)[0] + 0x01000000)
    return out


#: Every variant: no per-configuration dates are published.
PERIOD_SOURCE = (
    "estimate: the month Pushdo's DGA was reported, May 2013 (Dell SecureWorks and "
    "Damballa; the switch to .kz names by Seculert days later)"
)


def _bader_variant(name: str) -> Variant:
    config = CONFIGS[name]
    return Variant(
        family="pushdo",
        name=name,
        summary=f"Pushdo {name} (Bader): 45 chains of 30 names, .{config.tld}",
        active_from=dt.date(2013, 5, 1),
        active_until=None,
        period_source=PERIOD_SOURCE,
        domains_per_day=len(WINDOW) * NAMES_PER_CHAIN,
        tlds=(config.tld,),
        generator=partial(generate, config=name),
        period_days=1,
        signature=Signature(string.ascii_lowercase, 9, 12),  # 9 + (value & 3) letters
        parameters=(
            ("config", name),
            ("consonants", config.first),
            ("closing_consonants", config.last),
            ("tld", config.tld),
        ),
    )


FAMILY = Family(
    name="pushdo",
    summary="Pushdo/Cutwail loader (2013-): MD5 chains, pronounceable .kz/.com/.ru names",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/pushdo",
        "https://github.com/andrewaeva/DGA/blob/master/dga_algorithms/PushDO.py",
        "http://www.seculert.com/blog/2013/05/pushdo-malware-domain-generation-adaptation.html",
        "https://threatpost.com/pushdo-attackers-adjust-algorithm-to-generate-kz-domains/100684/",
    ),
    variants=(
        *(_bader_variant(n) for n in ("kz_v1", "kz_v2", "kz_v3", "com_v1")),
        Variant(
            family="pushdo",
            name="andrewaeva",
            summary="Pushdo as reimplemented in andrewaeva/DGA: 100,000 .ru names per day",
            active_from=dt.date(2013, 5, 1),
            active_until=None,
            period_source=PERIOD_SOURCE,
            domains_per_day=ANDREWAEVA_NAMES,
            tlds=("ru",),
            generator=generate_andrewaeva,
            period_days=1,
            signature=Signature(string.ascii_lowercase, 8, 8),
            parameters=(("nr", str(ANDREWAEVA_NAMES)), ("label_length", "8")),
        ),
    ),
)
