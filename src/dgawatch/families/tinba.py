"""Tinba (TinyBanker, Zusy) rendezvous domains: a chain of names from a hard-coded domain.

Generator type: arithmetic (each label is a byte-mixing function of the previous name and a
16-character seed string).
Seeding: not time-dependent; each sample carries a seed string, an initial domain and a TLD
list, and walks the same list every day (``period_days`` 0).
Names per list: the initial domain, then ``nr`` labels each under every TLD of the sample
(1 + 1,000 x 1 for the first preset, 1 + 100 x 4 for the others: the counts the public
reimplementation uses). TLDs: per preset, see ``PRESETS``.

Next label from the previous name ``p`` (only its first 13 characters matter): ``t``
starts at the seed's 16th byte and ``s`` at the sum of its first 16 bytes; for each of
12 letters, repeat ``t = ((t + p[i]) ^ (s & 0xFF)) + p[i+1]`` (mod 256) and, while ``t`` is
not strictly between ``a`` and ``z``, ``s += 1`` and retry; ``t`` becomes letter ``i``.
So the labels never contain ``a`` or ``z``.

Active period: the .com-only preset (``oGkS3w3s...``) predates the April 2015 write-up on
Tinba's new TLDs, which introduced the second preset; both get ``active_from``
2015-04-01, the earliest date the references imply. The ``j193HsnW`` preset first appears
in the reference on 2015-12-22 (commit f320eb2), the ``yqokqFC2`` preset on 2016-03-31
(commit c7d154a, which replaced the former in the example). No end dates are published.

References:
- http://garage4hackers.com/entry.php?b=3086 (first preset)
- http://johannesbader.ch/2015/04/new-top-level-domains-for-tinbas-dga/
- https://www.sophos.com/en-us/threat-center/threat-analyses/viruses-and-spyware/Troj~Tinba-EL/detailed-analysis.aspx
- https://github.com/baderj/domain_generation_algorithms/tree/master/tinba
- https://github.com/andrewaeva/DGA (dga_algorithms/Tinba.py, dga_wordlists/tinba.txt)
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

LABEL_LENGTH = 12


def next_label(previous: str, seed: str) -> str:
    """The 12-letter label Tinba derives from the ``previous`` name and the ``seed``."""
    key = seed.encode("latin-1").ljust(17, b"\x00")
    p = previous.encode("ascii")
    s = sum(key[:16])
    t = key[15]
    out = bytearray()
    for i in range(LABEL_LENGTH):
        a, b = p[i], p[i + 1]
        while True:
            t = (((t + a) ^ (s & 0xFF)) + b) & 0xFF
            if 0x61 < t < 0x7A:
                out.append(t)
                break
            s += 1
    return out.decode("ascii")


def generate(seed: str, initial: str, tlds: tuple[str, ...], nr: int) -> list[str]:
    """``initial`` then ``nr`` labels, each under every TLD in ``tlds`` (that order)."""
    out = [initial]
    previous = initial
    for _ in range(nr):
        label = next_label(previous, seed)
        names = [f"{label}.{tld}" for tld in tlds]
        out.extend(names)
        previous = names[-1]
    return out


#: Published presets: name -> (seed, initial domain, TLDs, nr, earliest date implied).
PRESETS: dict[str, tuple[str, str, tuple[str, ...], int, dt.date]] = {
    "ogks3w3s": ("oGkS3w3sGGOGG7oc", "ssrgwnrmgrxe.com", ("com",), 1000, dt.date(2015, 4, 1)),
    "jc74flun": (
        "jc74FlUna852Ji9o",
        "blackfreeqazyio.cc",
        ("com", "net", "in", "ru"),
        100,
        dt.date(2015, 4, 1),
    ),
    "yqokqfc2": (
        "yqokqFC2TPBFfJcG",
        "watchthisnow.xyz",
        ("pw", "us", "xyz", "club"),
        100,
        dt.date(2016, 3, 31),
    ),
    "j193hsnw": (
        "j193HsnW72Yqns7u",
        "j193hsne720uie8i.cc",
        ("com", "net", "biz", "org"),
        100,
        dt.date(2015, 12, 22),
    ),
}


#: Where each preset's ``active_from`` comes from.
PERIOD_SOURCES: dict[str, str] = {
    "ogks3w3s": (
        "estimate: the preset predates the April 2015 write-up on Tinba's new TLDs "
        "(johannesbader.ch/2015/04/new-top-level-domains-for-tinbas-dga/)"
    ),
    "jc74flun": (
        "the April 2015 write-up that introduced this preset "
        "(johannesbader.ch/2015/04/new-top-level-domains-for-tinbas-dga/)"
    ),
    "yqokqfc2": (
        "day the preset was published in the reference, 2016-03-31 (commit c7d154a of "
        "baderj/domain_generation_algorithms, tinba/dga.py)"
    ),
    "j193hsnw": (
        "earliest public evidence: the seed's first appearance in the reference, "
        "baderj/domain_generation_algorithms tinba/dga.py, commit f320eb2 of 2015-12-22"
    ),
}


@cache
def _preset_list(name: str) -> tuple[str, ...]:
    seed, initial, tlds, nr, _ = PRESETS[name]
    return tuple(generate(seed, initial, tlds, nr))


def _variant(name: str) -> Variant:
    seed, initial, tlds, nr, active_from = PRESETS[name]
    first = initial.partition(".")[0]  # the hard-coded first name is in the list too

    def generator(day: dt.date) -> list[str]:
        return list(_preset_list(name))

    return Variant(
        family="tinba",
        name=name,
        summary=f"Tinba, seed {seed}, initial domain {initial}",
        active_from=active_from,
        active_until=None,
        period_source=PERIOD_SOURCES[name],
        domains_per_day=1 + nr * len(tlds),
        tlds=tuple(dict.fromkeys((initial.rsplit(".", 1)[1], *tlds))),
        # Derived labels: 12 letters 0x62..0x79 (b..y).
        signature=Signature(
            "".join(sorted(set(first + string.ascii_lowercase[1:25]))),
            min(LABEL_LENGTH, len(first)),
            max(LABEL_LENGTH, len(first)),
        ),
        generator=generator,
        period_days=0,
        parameters=(
            ("seed", seed),
            ("initial_domain", initial),
            ("tlds", ",".join(tlds)),
            ("nr", str(nr)),
        ),
    )


FAMILY = Family(
    name="tinba",
    remediation=(
        "Tinba (Tiny Banker): a banking trojan injecting into browsers; reinstall the host, "
        "then change every password used on it (online banking first) from a clean machine, "
        "and tell the bank."
    ),
    aliases=("tinybanker", "zusy"),
    summary="Tinba/TinyBanker: chain of 12-letter labels from a hard-coded domain and seed",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "http://garage4hackers.com/entry.php?b=3086",
        "http://johannesbader.ch/2015/04/new-top-level-domains-for-tinbas-dga/",
        "https://www.sophos.com/en-us/threat-center/threat-analyses/viruses-and-spyware/Troj~Tinba-EL/detailed-analysis.aspx",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/tinba",
        "https://github.com/andrewaeva/DGA",
    ),
    variants=tuple(_variant(n) for n in PRESETS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 16-character seed string (letters and digits), the initial domain
    (12-16 letters, left out) and a published TLD list.
    """

    def build() -> list[str]:
        seed = _reseed.text(rng, _reseed.ALNUM, 16, 16)
        presets = list(PRESETS.values())
        label = _reseed.text(rng, _reseed.LOWER, 12, 16)
        initial = f"{label}.{_reseed.pick(rng, presets)[1].rsplit('.', 1)[1]}"
        tlds = _reseed.pick(rng, presets)[2]
        count = min(per_build, 1000)
        return generate(seed, initial, tlds, -(-count // len(tlds)))[1 : count + 1]

    return _reseed.collect(builds, build)
