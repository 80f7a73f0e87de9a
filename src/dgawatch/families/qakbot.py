"""Qakbot (Qbot) banking trojan DGA, as analysed in 2016.

Generator type: hash + arithmetic (the CRC-32 of a date string seeds a standard
MT19937 Mersenne Twister, whose draws pick the TLD, the length and every letter).
Seeding: time-dependent, three periods per month: the string is
``"<p>.<mon>.<year>.<seed as 8 hex digits>"`` with ``p = min((day - 1) // 10, 2)`` and
``mon`` the lower-case English month abbreviation, so the list changes on the 1st, 11th
and 21st of every month (periods of 10, 10 and 8-11 days; ``period_days`` is given as
10). The sample's "sandbox" branch (taken when it detects analysis) adds 1 to the CRC.
Names per period: 5,000 in the reference (the malware tries names until one answers).
Each name: TLD drawn first from ``com net org info biz org`` (org twice), then a length
of 8-25, then the letters; a draw ``x`` maps to ``lo + (x & 0xFFFFFFF) / 2**28 * (hi - lo
+ 1)`` rounded down.

Variants: the reference knows two seed values, 0 and 1, each with and without the
sandbox flag. The reference examples are the first 5,000 names for seed 0 without the
sandbox flag for the period 2016-02-21..2016-02-29 (they were published on 2016-02-24;
found by checking every period of 2013-2020).

Active period: Qakbot dates back to 2009, but this DGA's first use is not published;
every variant is marked active from 2016-02-01, the month of the write-up (the earliest
date the references imply), with no end.

References:
- https://johannesbader.ch/2016/02/the-dga-of-qakbot/
- https://github.com/baderj/domain_generation_algorithms/tree/master/qakbot
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

TLD_TABLE = ("com", "net", "org", "info", "biz", "org")
TLDS = ("com", "net", "org", "info", "biz")
DOMAINS_PER_PERIOD = 5000
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_SCALE = float(1 << 28)


def period_seed(day: dt.date, seed: int, sandbox: bool = False) -> int:
    """The 32-bit MT seed of ``day``'s period: CRC-32 of the period string (+1 in a sandbox)."""
    part = min((day.day - 1) // 10, 2)
    text = f"{part}.{_MONTHS[day.month - 1]}.{day.year}.{seed:08x}"
    return (zlib.crc32(text.encode("ascii")) + int(sandbox)) & 0xFFFFFFFF


def _mt19937(seed: int) -> random.Random:
    """A ``random.Random`` in the state the reference MT19937's ``init_genrand(seed)`` gives."""
    state = [seed]
    prev = seed
    for i in range(1, 624):
        prev = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
        state.append(prev)
    rng = random.Random()
    rng.setstate((3, (*state, 624), None))
    return rng


@lru_cache(maxsize=64)
def _period_names(mt_seed: int, nr: int) -> tuple[str, ...]:
    draw = _mt19937(mt_seed).getrandbits
    scale = _SCALE
    letters = _LETTERS
    names = []
    for _ in range(nr):
        tld = TLD_TABLE[int((draw(32) & 0xFFFFFFF) / scale * 6)]
        length = int(8 + (draw(32) & 0xFFFFFFF) / scale * 18)
        label = "".join([letters[int((draw(32) & 0xFFFFFFF) / scale * 26)] for _ in range(length)])
        names.append(f"{label}.{tld}")
    return tuple(names)


def generate(
    day: dt.date, seed: int = 0, sandbox: bool = False, nr: int = DOMAINS_PER_PERIOD
) -> list[str]:
    """The first ``nr`` names of ``day``'s period for ``seed`` (and the sandbox flag)."""
    return list(_period_names(period_seed(day, seed, sandbox), nr))


def _variant(seed: int, sandbox: bool) -> Variant:
    name = f"seed{seed}" + ("-sandbox" if sandbox else "")
    what = "names generated when a sandbox is detected" if sandbox else "regular names"
    return Variant(
        family="qakbot",
        name=name,
        summary=f"Qakbot seed {seed}, {what}: 5,000 per third of a month",
        active_from=dt.date(2016, 2, 1),
        active_until=None,
        period_source=(
            "estimate: the month of the write-up, February 2016 "
            "(johannesbader.ch/2016/02/the-dga-of-qakbot/); this DGA's first use is not "
            "published"
        ),
        domains_per_day=DOMAINS_PER_PERIOD,
        tlds=TLDS,
        signature=Signature(_LETTERS, 8, 25),  # 8 + [0, 1) * 18
        generator=partial(generate, seed=seed, sandbox=sandbox),
        period_days=10,
        parameters=(("seed", str(seed)), ("sandbox", str(sandbox).lower())),
    )


FAMILY = Family(
    name="qakbot",
    remediation=(
        "Qakbot (QBot): a banking trojan and loader that spreads inside networks (shares, "
        "stolen domain credentials) and has preceded ransomware: isolate the host, reset the "
        "domain credentials used on it and look for further infected hosts in its network."
    ),
    aliases=("qbot", "quakbot", "pinkslipbot"),
    summary="Qakbot/Qbot: CRC-32 of the month third seeds MT19937, 5,000 names per period",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2016/02/the-dga-of-qakbot/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/qakbot",
    ),
    variants=tuple(_variant(s, sb) for s in (0, 1) for sb in (False, True)),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed and the sandbox flag, plus the day.
    """

    def build() -> list[str]:
        seed = _reseed.u32(rng, (0, 1))
        sandbox = bool(rng.integers(2))
        day = _reseed.day(rng, dt.date(2016, 2, 1))
        return generate(day, seed, sandbox, min(per_build, DOMAINS_PER_PERIOD))

    return _reseed.collect(builds, build)
