"""Vawtrak (Neverquest) rendezvous domains, DGA versions 2 and 3.

Generator type: arithmetic (the glibc-style LCG ``x = 1103515245 x + 12345 mod 2**31``
picking letters from a consonant and a vowel alphabet).
Seeding: not time-dependent; every sample carries a 32-bit seed in its configuration and
tries the same list every day (``period_days`` 0).
Names per list: 150 (the count the public reimplementation generates by default; the
references do not state a different limit). TLD: com.

Per name: one draw gives the length ``7 + x % 5``, the next draw's parity says whether the
name starts with a consonant. Before each letter the state is bumped by a per-version
increment (2 in version 2, 0x1895120F in version 3) and advanced; the letter is
``consonants[x % 12]`` while consonants are due, else ``vowels[x % 5]`` after which one
more draw sets how many consonants follow (1 or 2).

Version 1 (mid 2016; reference ``vawtrak/dga.py`` of 2016-10-06): one LCG stream (the
same multiplier and increment, state kept to 31 bits) runs through all names; per name
one draw gives the length ``7 + x % 5`` and each letter is ``'a' + x % 26``, under
``.top``; 96 names. :func:`generate_v1` implements it (checked against the reference for
two seeds), but no preset is registered: neither the reference (which takes the seed as a
required argument, example "DEADBEEF") nor the write-ups publish a sample's seed, so
there is no list to forecast. A defender holding a v1 sample's seed can call
``generate_v1(seed)``. (Issue 18 lists v1 as seen in a 2017 360netlab feed snapshot;
that snapshot is not available here, so its seed cannot be recovered from its names.)

Active period: version 2 was first reported by Fidelis on 2016-11-09 (``active_from`` of
both v2 presets); version 3 appears in the reference repository on 2017-01-13 (the
earliest date the references give for it). No end dates are published.

References:
- https://fidelissecurity.com/threatgeek/archive/vawtrak-dga-round-2/
- https://github.com/baderj/domain_generation_algorithms/tree/master/vawtrak (dga2.py,
  dga3.py, example_domains2.txt; sample MD5s for each seed)
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

CONSONANTS = "cdfghlmnrstw"
VOWELS = "aeiou"
NR_OF_DOMAINS = 150
TLD = "com"
M31 = (1 << 31) - 1

#: Per-letter state increment of each DGA version.
INCREMENTS = {"v2": 2, "v3": 0x1895120F}


def generate(seed: int, increment: int, nr: int = NR_OF_DOMAINS, tld: str = TLD) -> list[str]:
    """``nr`` names from ``seed``; ``increment`` is 2 (version 2) or 0x1895120F (v3)."""
    # Only the low 31 bits matter: the LCG works modulo 2**31.
    x = seed & M31
    nc, nv = len(CONSONANTS), len(VOWELS)
    out: list[str] = []
    for _ in range(nr):
        x = (1103515245 * x + 12345) & M31
        length = x % 5 + 7
        x = (1103515245 * x + 12345) & M31
        consonants_due = x & 1
        chars: list[str] = []
        for _ in range(length):
            x = (1103515245 * (x + increment) + 12345) & M31
            if consonants_due:
                chars.append(CONSONANTS[x % nc])
                consonants_due -= 1
            else:
                chars.append(VOWELS[x % nv])
                x = (1103515245 * x + 12345) & M31
                consonants_due = x % 2 + 1
        out.append("".join(chars) + "." + tld)
    return out


V1_NR_OF_DOMAINS = 96
V1_TLD = "top"


def generate_v1(seed: int, nr: int = V1_NR_OF_DOMAINS) -> list[str]:
    """``nr`` version-1 names from a sample's 32-bit ``seed`` (one LCG stream, .top)."""
    x = seed & 0xFFFFFFFF
    out: list[str] = []
    for _ in range(nr):
        x = (1103515245 * x + 12345) & M31
        chars = []
        for _ in range(x % 5 + 7):
            x = (1103515245 * x + 12345) & M31
            chars.append(chr(97 + x % 26))
        out.append("".join(chars) + "." + V1_TLD)
    return out


#: Published presets: name -> (version, seed, sample MD5 where the reference names one).
PRESETS: dict[str, tuple[str, int, str]] = {
    "v2-5884c3c4": ("v2", 0x5884C3C4, "3868082e4daa93d34a3fe5d7df9d1d72"),
    "v2-5542b2": ("v2", 0x5542B2, "edfc8653b93c693a51c57caac9e715f7"),
    "v3-874c49": ("v3", 0x874C49, ""),
    "v3-3cdca1": ("v3", 0x3CDCA1, ""),
}


@cache
def _preset_list(name: str) -> tuple[str, ...]:
    version, seed, _ = PRESETS[name]
    return tuple(generate(seed, INCREMENTS[version]))


def _variant(name: str, active_from: dt.date) -> Variant:
    version, seed, md5 = PRESETS[name]

    def generator(day: dt.date) -> list[str]:
        return list(_preset_list(name))

    return Variant(
        family="vawtrak",
        name=name,
        summary=f"Vawtrak DGA {version}, seed 0x{seed:x}" + (f" (sample md5 {md5})" if md5 else ""),
        active_from=active_from,
        active_until=None,
        domains_per_day=NR_OF_DOMAINS,
        tlds=(TLD,),
        generator=generator,
        period_days=0,
        signature=Signature(CONSONANTS + VOWELS, 7, 11),
        parameters=(
            ("version", version),
            ("seed", f"0x{seed:x}"),
            ("increment", f"0x{INCREMENTS[version]:x}"),
            ("nr", str(NR_OF_DOMAINS)),
        ),
        period_source=(
            "Fidelis report of 2016-11-09" if version == "v2" else "reference commit 2017-01-13"
        ),
    )


FAMILY = Family(
    name="vawtrak",
    aliases=("neverquest",),
    summary="Vawtrak/Neverquest v2, v3: fixed list of 150 pronounceable .com names per seed",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "https://fidelissecurity.com/threatgeek/archive/vawtrak-dga-round-2/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/vawtrak",
    ),
    variants=(
        _variant("v2-5884c3c4", dt.date(2016, 11, 9)),
        _variant("v2-5542b2", dt.date(2016, 11, 9)),
        _variant("v3-874c49", dt.date(2017, 1, 13)),
        _variant("v3-3cdca1", dt.date(2017, 1, 13)),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the version's increment (v2/v3) and the 32-bit seed.
    """

    def build() -> list[str]:
        version = _reseed.pick(rng, sorted(INCREMENTS))
        seed = _reseed.u32(rng, {p[1] for p in PRESETS.values()})
        return generate(seed, INCREMENTS[version], min(per_build, NR_OF_DOMAINS))

    return _reseed.collect(builds, build)
