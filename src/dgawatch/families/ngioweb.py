"""Ngioweb proxy botnet (Windows and Linux) rendezvous domains.

Generator type: wordlist. A glibc-style linear congruential generator
(``x = 1103515245 x + 12345 mod 2**32``; a draw "mod m" is the new state mod m) builds each
name from one to three hyphen-joined parts. A part is an English prefix from a 30-word
list, then 4-6 letters alternating between vowels (``aeiou``) and consonants
(``bcdfghklmnprstvxz``), starting with whichever class differs from the prefix's last
letter, then a suffix: from a 35-entry list after a consonant, from a 16-entry list after a
vowel. The TLD is drawn last.
Seeding: a 32-bit seed in the sample; not time-dependent (the same names on every day).
Names per list: 1,024 (0x400, the count the reference uses for every seed).
TLDs: net, info, com, biz, org, name.
The three word lists are data files (``data/ngioweb_*.txt``, with their provenance).
Active periods, per seed (the earliest public evidence of each):
0x5397FB1 from the sample in 360 Netlab's "An analysis of Linux.Ngioweb botnet" (June 2019);
0x01275C63, 0x04BC65BC and 0x00375D5A from 360 Netlab's "Linux.Ngioweb v2 going after IoT
devices" (August 2020); 0x56EDC15 from the reference author's own analysis, published with
the reimplementation on 2023-11-01. Day-exact publication dates could not be checked
offline: the variants start on the first day of the month. No end date is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/ngioweb
- https://blog.netlab.360.com/an-analysis-of-linux-ngioweb-botnet-en/
- https://blog.netlab.360.com/linux-ngioweb-v2-going-after-iot-devices-en/
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

_M32 = 0xFFFFFFFF
COUNT = 0x400
VOWELS = "aeiou"
CONSONANTS = "bcdfghklmnprstvxz"
TLDS = ("net", "info", "com", "biz", "org", "name")


@cache
def words(kind: str) -> tuple[str, ...]:
    """One of the sample's word lists (``prefixes``, ``vowel_suffixes``,
    ``consonant_suffixes``), in its order; ``#`` lines are provenance."""
    text = resources.files("dgawatch.families").joinpath(f"data/ngioweb_{kind}.txt")
    lines = (line.strip() for line in text.read_text("ascii").splitlines())
    return tuple(w for w in lines if w and not w.startswith("#"))


def generate(seed: int, nr: int = COUNT) -> list[str]:
    """The first ``nr`` names of a sample with the 32-bit ``seed``."""
    prefixes = words("prefixes")
    after_consonant = words("vowel_suffixes")
    after_vowel = words("consonant_suffixes")
    x = seed & _M32

    def draw(m: int) -> int:
        nonlocal x
        x = (1103515245 * x + 12345) & _M32
        return x % m

    out: list[str] = []
    for _ in range(nr):
        parts: list[str] = []
        for _ in range(draw(3) + 1):
            part = prefixes[draw(len(prefixes))]
            vowel_next = part[-1] not in VOWELS
            for _ in range(draw(3) + 4):
                pool = VOWELS if vowel_next else CONSONANTS
                part += pool[draw(len(pool))]
                vowel_next = not vowel_next
            suffixes = after_consonant if part[-1] not in VOWELS else after_vowel
            parts.append(part + suffixes[draw(len(suffixes))])
        out.append("-".join(parts) + "." + TLDS[draw(len(TLDS))])
    return out


@cache
def _preset(seed: int) -> tuple[str, ...]:
    return tuple(generate(seed))


#: seed -> (first day, where it comes from)
SEEDS: dict[int, tuple[dt.date, str]] = {
    0x5397FB1: (
        dt.date(2019, 6, 1),
        "sample in 360 Netlab, 'An analysis of Linux.Ngioweb botnet', June 2019",
    ),
    0x1275C63: (
        dt.date(2020, 8, 1),
        "360 Netlab, 'Linux.Ngioweb v2 going after IoT devices', August 2020",
    ),
    0x4BC65BC: (
        dt.date(2020, 8, 1),
        "360 Netlab, 'Linux.Ngioweb v2 going after IoT devices', August 2020",
    ),
    0x375D5A: (
        dt.date(2020, 8, 1),
        "360 Netlab, 'Linux.Ngioweb v2 going after IoT devices', August 2020",
    ),
    0x56EDC15: (
        dt.date(2023, 11, 1),
        "reference author's analysis of md5 2838cd03b6c0a414c8edb4d4a333ff94, "
        "baderj commit a168d82, 2023-11-01",
    ),
}


def _variant(seed: int) -> Variant:
    first, source = SEEDS[seed]
    return Variant(
        family="ngioweb",
        name=f"{seed:08x}",
        summary=f"Seed 0x{seed:08X}: 1,024 word-built names, the same every day",
        active_from=first,
        active_until=None,
        domains_per_day=COUNT,
        tlds=TLDS,
        generator=lambda day: list(_preset(seed)),
        period_days=0,
        parameters=(("seed", f"0x{seed:08X}"), ("nr", str(COUNT))),
        signature=Signature("abcdefghijklmnopqrstuvwxyz-", 8, 50),
        period_source="earliest public evidence: " + source,
    )


FAMILY = Family(
    name="ngioweb",
    summary="Ngioweb proxy botnet: 1,024 prefix+syllables+suffix names per seed, six TLDs",
    generator_type="wordlist",
    time_seeded=False,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/ngioweb",
        "https://blog.netlab.360.com/an-analysis-of-linux-ngioweb-botnet-en/",
        "https://blog.netlab.360.com/linux-ngioweb-v2-going-after-iot-devices-en/",
    ),
    variants=tuple(_variant(s) for s in SEEDS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed (not one of :data:`SEEDS`); names 0 to
    ``min(per_build, COUNT) - 1`` (not time-dependent: no day).
    """
    return _reseed.collect(builds, lambda: generate(_reseed.u32(rng, SEEDS), min(per_build, COUNT)))
