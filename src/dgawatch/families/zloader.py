"""Zloader (Silent Night) rendezvous domains.

Generator type: arithmetic (a feedback of the letter just emitted into a 32-bit state).
Seeding: time-dependent; the Unix timestamp of 00:00 UTC of the day, as four
little-endian bytes, is RC4-encrypted with a key from the sample's configuration, and the
ciphertext read back as a 32-bit integer is the day's seed. Since RC4 only XORs a
keystream, the seed is ``timestamp ^ K`` where ``K`` is the key's first four keystream
bytes (computed once per key). A new list every UTC day.
Names per day: 32. TLD: com.

Each name has 20 letters; a letter is ``'a' + r % 25`` (so ``z`` never occurs) and the
state becomes ``seed ^ (r + letter)``. The state is not reset between names.

Active period: the references publish the keys from April 2020 to March 2021 and list
domains from 2020-01-01 for the first four keys, so ``active_from`` is 2020-01-01 for
those (the earliest date the references imply) and 2021-03-26 for the key added then.
No end dates are published.

References:
- https://johannesbader.ch/blog/the-dga-of-zloader/ (also bin.re/blog/the-dga-of-zloader/)
- https://github.com/baderj/domain_generation_algorithms/tree/master/zloader (dga.py and
  one domain list per key)
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

NR_OF_DOMAINS = 32
LABEL_LENGTH = 20
TLD = "com"
_EPOCH = dt.date(1970, 1, 1)


@cache
def keystream_word(key: str) -> int:
    """The first four RC4 keystream bytes of ``key``, as a little-endian integer."""
    k = key.encode("latin-1")
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + k[i % len(k)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    i = j = 0
    word = 0
    for n in range(4):
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        word |= s[(s[i] + s[j]) & 0xFF] << (8 * n)
    return word


def seed_for(day: dt.date, key: str) -> int:
    """The day's seed: the midnight Unix timestamp RC4-encrypted with ``key``."""
    timestamp = (day - _EPOCH).days * 86_400
    return (timestamp & 0xFFFFFFFF) ^ keystream_word(key)


def generate_from_seed(seed: int, nr: int = NR_OF_DOMAINS) -> list[str]:
    """``nr`` names from a 32-bit seed."""
    r = seed
    out: list[str] = []
    for _ in range(nr):
        codes = bytearray(LABEL_LENGTH)
        for n in range(LABEL_LENGTH):
            letter = 97 + r % 25
            codes[n] = letter
            r = seed ^ ((r + letter) & 0xFFFFFFFF)
        out.append(codes.decode("ascii") + "." + TLD)
    return out


def generate(day: dt.date, key: str, nr: int = NR_OF_DOMAINS) -> list[str]:
    """The names of ``day`` for the RC4 ``key`` of a sample's configuration."""
    return generate_from_seed(seed_for(day, key), nr)


#: Published RC4 keys and the earliest date the references imply for each.
KEYS: dict[str, dt.date] = {
    "q23Cud3xsNf3": dt.date(2020, 1, 1),
    "41997b4a729e1a0175208305170752dd": dt.date(2020, 1, 1),
    "kZieCw23gffpe43Sd": dt.date(2020, 1, 1),
    "Ts72YjsjO5TghE6m": dt.date(2020, 1, 1),
    "03d5ae30a0bd934a23b6a7f0756aa504": dt.date(2021, 3, 26),
}


_LISTED_SOURCE = (
    "estimate: the first day of the reference's domain list for this key, 2020-01-01 "
    "(baderj/domain_generation_algorithms, zloader/; keys published from April 2020)"
)
_ADDED_SOURCE = (
    "day the key was added to the reference, 2021-03-26 (git history of zloader/ in "
    "baderj/domain_generation_algorithms)"
)


def _variant(key: str) -> Variant:
    def generator(day: dt.date) -> list[str]:
        return generate(day, key)

    return Variant(
        family="zloader",
        name=key.lower(),
        summary=f"Zloader, RC4 key {key}",
        active_from=KEYS[key],
        active_until=None,
        period_source=_LISTED_SOURCE if KEYS[key] == dt.date(2020, 1, 1) else _ADDED_SOURCE,
        domains_per_day=NR_OF_DOMAINS,
        tlds=(TLD,),
        signature=Signature(string.ascii_lowercase[:25], LABEL_LENGTH, LABEL_LENGTH),  # 97 + r % 25
        generator=generator,
        period_days=1,
        parameters=(("rc4_key", key), ("nr", str(NR_OF_DOMAINS))),
    )


FAMILY = Family(
    name="zloader",
    remediation=(
        "ZLoader: a banking trojan and loader, mostly delivered by macro documents in mail; "
        "reinstall the host, then change every password used on it (online banking first) from "
        "a clean machine, and tell the bank, and block macros in documents from the internet."
    ),
    aliases=("silentnight",),
    summary="Zloader: 32 names/day of 20 letters (.com), seeded by RC4(key, date)",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/blog/the-dga-of-zloader/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/zloader",
    ),
    variants=tuple(_variant(k) for k in KEYS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the RC4 key (12-17 letters and digits, or 32 hex digits), plus the day.
    """

    def build() -> list[str]:
        if rng.integers(2):
            key = _reseed.text(rng, _reseed.HEX, 32, 32)
        else:
            key = _reseed.text(rng, _reseed.ALNUM, 12, 17)
        day = _reseed.day(rng, dt.date(2020, 1, 1))
        return generate(day, key, min(per_build, NR_OF_DOMAINS))

    return _reseed.collect(builds, build)
