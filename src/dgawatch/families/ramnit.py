"""Ramnit (Nimnul) DGA: a fixed, seed-determined list per sample.

Generator type: arithmetic (the Park-Miller "minimal standard" generator in Schrage's
form, ``x = 16807 * (x mod 127773) - 2836 * (x div 127773)`` kept to 32 bits).
Seeding: not time-dependent: every sample carries a 32-bit seed and always generates
the same names (``period_days = 0``).
Names: for each name the first draw (mod 12, plus 8) gives a length of 8-19 letters, the
following draws (mod 25) the letters ``a``-``y``; then the state is re-seeded from the
two states seen before and after the length draw (``m = s_a * s_b``, ``x = (m + m >> 32)
mod 2**32``). TLDs rotate through the sample's TLD list (``.com`` for most samples).
Names per list: the reference gives no count for most seeds; the sample re-runs the list
while it looks for its C2. 100 (the length of the reference example list) is used unless
the reference names a count (``4302c04a``: 10, ``9753029a``: 100, ``a6eab21a`` and
``46cf1b28``: 500). A 2022 revision of the reference makes the length range a parameter
(default 9-25); the write-up's disassembly (``push 12`` / ``add eax, 8``) gives 8-19,
used here by default; :func:`generate` takes any range.

The reference example list is the first 100 names of seed ``79159c10``.

Active period: Ramnit has existed since 2010; its DGA was described in December 2014.
As the lists do not depend on the date, ``active_from`` is the earliest date the
references imply for each seed: December 2014 for ``79159c10`` (the seed of the examples
published with the first reimplementation) and otherwise the day the seed was added to
the reference repository.

References:
- https://johannesbader.ch/2014/12/the-dga-of-ramnit/
- https://github.com/baderj/domain_generation_algorithms/tree/master/ramnit
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

_MASK = 0xFFFFFFFF
_LETTERS = "abcdefghijklmnopqrstuvwxy"  # draws are mod 25: "z" never occurs
DEFAULT_COUNT = 100

#: seed -> (date the references first name it, names per list, TLD rotation)
SEEDS: dict[int, tuple[dt.date, int, tuple[str, ...]]] = {
    0x79159C10: (dt.date(2014, 12, 1), DEFAULT_COUNT, ("com",)),
    0xEF214BBF: (dt.date(2016, 11, 2), DEFAULT_COUNT, ("com",)),
    0x28488EEA: (dt.date(2016, 11, 2), DEFAULT_COUNT, ("com",)),
    0x4BFCBC6A: (dt.date(2016, 11, 2), DEFAULT_COUNT, ("com",)),
    0x92F4BE35: (dt.date(2016, 11, 2), DEFAULT_COUNT, ("com",)),
    0x4302C04A: (dt.date(2017, 2, 6), 10, ("click", "bid", "eu")),
    0x52278648: (dt.date(2017, 8, 30), DEFAULT_COUNT, ("com",)),
    0x9753029A: (dt.date(2018, 7, 25), 100, ("eu",)),
    0xE706B455: (dt.date(2019, 1, 10), DEFAULT_COUNT, ("com",)),
    0xDC485593: (dt.date(2019, 1, 10), DEFAULT_COUNT, ("com",)),
    0xE7392D18: (dt.date(2019, 1, 14), DEFAULT_COUNT, ("com",)),
    0xC129388E: (dt.date(2019, 1, 14), DEFAULT_COUNT, ("com",)),
    0x16647BB4: (dt.date(2019, 1, 24), DEFAULT_COUNT, ("com",)),
    0xA6EAB21A: (dt.date(2019, 4, 10), 500, ("com",)),
    0x46CF1B28: (dt.date(2019, 4, 10), 500, ("com",)),
    0x1CCEC41C: (dt.date(2019, 5, 9), DEFAULT_COUNT, ("com",)),
    0xC5787AE2: (dt.date(2019, 7, 1), DEFAULT_COUNT, ("com",)),
    0xFCFFD9E9: (dt.date(2019, 7, 1), DEFAULT_COUNT, ("com",)),
    0x75EA95C2: (dt.date(2019, 7, 1), DEFAULT_COUNT, ("com",)),
    0x8A0AEC7D: (dt.date(2019, 7, 19), DEFAULT_COUNT, ("com",)),
    0x1DF640A8: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0x14DF29DD: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0x8222270B: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0x55536A85: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0x5C39E467: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0xD2B3C361: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0xF318D47D: (dt.date(2019, 11, 8), DEFAULT_COUNT, ("com",)),
    0x231D9480: (dt.date(2019, 11, 25), DEFAULT_COUNT, ("com",)),
    0x13317EAC: (dt.date(2020, 1, 10), DEFAULT_COUNT, ("com",)),
    0x89547381: (dt.date(2020, 2, 12), DEFAULT_COUNT, ("com",)),
    0x6C36D41D: (dt.date(2020, 3, 5), DEFAULT_COUNT, ("com",)),
}


@lru_cache(maxsize=64)
def _names(
    seed: int, nr: int, tlds: tuple[str, ...], min_len: int, max_len: int
) -> tuple[str, ...]:
    x = seed & _MASK
    span = max_len - min_len + 1
    names = []
    for i in range(nr):
        before = x
        x = (16807 * (x % 127773) - 2836 * (x // 127773)) & _MASK
        length = x % span + min_len
        after = x
        chars = []
        for _ in range(length):
            x = (16807 * (x % 127773) - 2836 * (x // 127773)) & _MASK
            chars.append(_LETTERS[x % 25])
        names.append("".join(chars) + "." + tlds[i % len(tlds)])
        m = before * after
        x = (m + (m >> 32)) & _MASK
    return tuple(names)


def generate(
    seed: int,
    nr: int = DEFAULT_COUNT,
    tlds: tuple[str, ...] = ("com",),
    min_len: int = 8,
    max_len: int = 19,
) -> list[str]:
    """The first ``nr`` names of the sample with ``seed`` (not date-dependent)."""
    return list(_names(seed, nr, tuple(tlds), min_len, max_len))


#: Seed of the examples published with the first reimplementation.
EXAMPLE_SEED = 0x79159C10
_EXAMPLE_SOURCE = (
    "write-up of December 2014 (johannesbader.ch/2014/12/the-dga-of-ramnit/), published with "
    "the first reimplementation and this seed's examples; Ramnit itself dates from 2010"
)
_ADDED_SOURCE = (
    "day the seed was added to the reference (git history of ramnit/ in "
    "baderj/domain_generation_algorithms; the lists do not depend on the date)"
)


def _variant(seed: int) -> Variant:
    since, nr, tlds = SEEDS[seed]
    return Variant(
        family="ramnit",
        name=f"{seed:08x}",
        summary=f"Ramnit seed {seed:08x}: {nr} fixed names, {'/'.join(tlds)}",
        active_from=since,
        active_until=None,
        period_source=(
            _EXAMPLE_SOURCE if seed == EXAMPLE_SEED else f"{_ADDED_SOURCE}: {since.isoformat()}"
        ),
        domains_per_day=nr,
        tlds=tlds,
        signature=Signature(_LETTERS, 8, 19),  # generate()'s min_len..max_len
        generator=lambda day: generate(seed, nr, tlds),
        period_days=0,
        parameters=(("seed", f"0x{seed:08x}"), ("nr", str(nr)), ("tlds", ",".join(tlds))),
    )


FAMILY = Family(
    name="ramnit",
    remediation=(
        "Ramnit: a file infector (.exe, .dll and .html files) and credential stealer; files on "
        "the host, its shares and its removable drives are infected, so reinstall rather than "
        "clean, scan the shares and drives, and change the passwords used on the host."
    ),
    aliases=("nimnul",),
    summary="Ramnit/Nimnul: fixed list per sample seed from a Park-Miller generator",
    generator_type="arithmetic",
    time_seeded=False,
    references=(
        "https://johannesbader.ch/2014/12/the-dga-of-ramnit/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/ramnit",
    ),
    variants=tuple(_variant(s) for s in SEEDS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit seed (TLD rotation of a random published sample: mostly
    ``.com``).
    """

    def build() -> list[str]:
        seed = _reseed.u32(rng, SEEDS)
        _, _, tlds = _reseed.pick(rng, list(SEEDS.values()))
        most = max(nr for _, nr, _ in SEEDS.values())
        return generate(seed, min(per_build, most), tlds)

    return _reseed.collect(builds, build)
