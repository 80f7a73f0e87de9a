"""Shiotob (UrlZone, Bebloh) rendezvous domains: a chain of names from a seed domain.

Generator type: arithmetic (each name is a byte-mixing function of the previous name).
Seeding: not time-dependent; each sample carries an initial domain and derives every next
name from the last one, so it walks the same list every day (``period_days`` 0).
Names per list: 2,001, the seed domain and 2,000 successors (the count the public
reimplementation prints; the malware keeps going while no server answers).
TLDs: com and net, alternating (a ``.net`` name is followed by a ``.com`` name and the
other way round).

Next name from ``name`` (``L`` = ``len(name) - 4``, the label length; ``S`` = sum of
the character codes of ``name`` without its last three characters): the
codes of ``name``, zero-padded, are mixed in place by ``c[i+j] ^= (L * c[j] ^ S) & 0xFF``
for ``i`` then ``j`` ascending while ``i + j < 65``. The new label length is
``(((c[2] * L) ^ c[0]) & 0xFF) // 16``, or ``L`` when that is below 10; label letter ``k``
is ``"qwertyuiopasdfghjklzxcvbnm123945678"[c[k] // 8]``. Position ``k`` of the mix only
depends on positions up to ``k``, so only the first positions that are read are mixed.

Version 2 (360netlab, March 2019: github.com/360netlab/DGA commit 5157e82, "A new seed of
Shiotob", found by 360TI): the same chain, but the character sum ``S`` is XORed with a
32-bit key before the mix: the CRC-32 (reflected polynomial 0xEDB88320, initial value
0xCA0B56EE, no final inversion) of the RSA public-key blob the sample embeds (stored as
``data/shiotob_v2_rsa_key.b64``, from 360netlab's ``code/shiotob/dga.py``); only its low
byte reaches the mix. :func:`generate` takes ``version=2``. No version-2 preset is
registered: 360netlab's reimplementation takes the seed domain as a required argument and
the seed domain of the 2019 sample is in the 360TI article (WeChat), not in the
repository; without it there is no list to forecast.

Active period: the write-up (January 2015) analysed a sample seeded with
``wtipubctwiekhir.net``; the reference repository added the seed ``4ypv1eehphg3a.com`` on
2017-08-30. These are the ``active_from`` dates (earliest the references imply for each
seed); no end dates are published.

References:
- https://johannesbader.ch/2015/01/the-dga-of-shiotob/
- https://github.com/baderj/domain_generation_algorithms/tree/master/shiotob
- https://github.com/360netlab/DGA/tree/master/code/shiotob (version 2)
"""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

ALPHABET = "qwertyuiopasdfghjklzxcvbnm123945678"
NR_OF_DOMAINS = 2001
_MIX_LIMIT = 65


@cache
def v2_key() -> int:
    """Version 2's key: the CRC of the sample's RSA key blob (see the module docstring)."""
    text = resources.files("dgawatch.families").joinpath("data/shiotob_v2_rsa_key.b64")
    blob = base64.b64decode(text.read_text(encoding="ascii").strip())
    # zlib's CRC-32 inverts before and after; the sample does neither.
    return ~zlib.crc32(blob, ~0xCA0B56EE & 0xFFFFFFFF) & 0xFFFFFFFF


def next_domain(domain: str, key: int = 0) -> str:
    """The name Shiotob derives from ``domain`` (``label.com`` or ``label.net``);
    ``key`` is 0 for version 1 and :func:`v2_key` for version 2."""
    old_len = len(domain) - 4
    sof = sum(ord(c) for c in domain[:-3]) ^ key
    # Positions read afterwards: 0..14 (a new label has at most 15 letters) or the
    # old label, whichever is longer; position k of the mix only reads positions <= k.
    width = min(max(16, old_len + 1), _MIX_LIMIT)
    codes = [ord(c) for c in domain[:width]]
    codes += [0] * (width - len(codes))
    for i in range(width):
        for e in range(i, width):
            codes[e] ^= (old_len * codes[e - i] ^ sof) & 0xFF
    new_len = (((codes[2] * old_len) ^ codes[0]) & 0xFF) // 16
    if new_len < 10:
        new_len = old_len
    label = "".join(ALPHABET[c // 8] for c in codes[:new_len])
    return label + (".com" if domain.endswith(".net") else ".net")


def generate(seed_domain: str, nr: int = NR_OF_DOMAINS, version: int = 1) -> list[str]:
    """``nr`` names: ``seed_domain`` first, then each successor of the previous name."""
    key = v2_key() if version == 2 else 0
    out = [seed_domain]
    while len(out) < nr:
        out.append(next_domain(out[-1], key))
    return out[:nr]


#: Published seed domains and the earliest date the references imply for each.
SEEDS: dict[str, dt.date] = {
    "wtipubctwiekhir.net": dt.date(2015, 1, 1),
    "4ypv1eehphg3a.com": dt.date(2017, 8, 30),
}


@cache
def _preset_list(seed: str) -> tuple[str, ...]:
    return tuple(generate(seed))


def _variant(seed: str) -> Variant:
    def generator(day: dt.date) -> list[str]:
        return list(_preset_list(seed))

    return Variant(
        family="shiotob",
        name=seed.split(".")[0],
        summary=f"Shiotob chain from the seed domain {seed}",
        active_from=SEEDS[seed],
        active_until=None,
        domains_per_day=NR_OF_DOMAINS,
        tlds=("com", "net"),
        generator=generator,
        period_days=0,
        parameters=(("seed_domain", seed), ("nr", str(NR_OF_DOMAINS))),
        # Letters are ALPHABET[c // 8] for a byte c: its first 32 characters; a new label
        # has 10-15 of them, or keeps the previous length (the seed's, 13 or 15 here).
        signature=Signature(ALPHABET[:32], 10, 15),
        period_source="write-up of January 2015, or the seed's commit in the reference",
    )


FAMILY = Family(
    name="shiotob",
    aliases=("urlzone", "bebloh"),
    summary="Shiotob/UrlZone/Bebloh: chain of 2,001 names from a seed domain (.com/.net)",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "https://johannesbader.ch/2015/01/the-dga-of-shiotob/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/shiotob",
    ),
    variants=tuple(_variant(s) for s in SEEDS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the seed domain (10-15 characters of the module's own alphabet,
    ``.com`` or ``.net``; like the seed of banjori, it is left out of the names).
    """

    def build() -> list[str]:
        seed = f"{_reseed.text(rng, ALPHABET, 10, 15)}.{_reseed.pick(rng, ('com', 'net'))}"
        return generate(seed, min(per_build, NR_OF_DOMAINS - 1) + 1)[1:]

    return _reseed.collect(builds, build)
