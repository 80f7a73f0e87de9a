"""Fobber (a.k.a. Tinba v3) rendezvous domains.

Generator type: arithmetic (a 32-bit linear congruential step followed by a 16-bit rotation).
Seeding: not time-dependent. Each sample carries a fixed start state, an additive constant,
a label length and one TLD; the malware walks the same list of 300 names every time, so
the list is the same on every day (``period_days = 0``).
Names per list: 300. TLDs: ``.net`` (preset 1, 17 letters), ``.com`` (preset 2, 10 letters).

Each letter advances the state ``r <- ror32(321167 * r + c mod 2**32, 16)`` and emits
``'a' + (r & 0x17FF) % 26``; the state carries over from one name to the next.

Active period: the references give no dates. Fobber was analysed publicly in 2015, so
``active_from`` is 2015-01-01 (an estimate, earliest year the references imply) and
``active_until`` is open.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/fobber (dga.py,
  domains_1.txt, domains_2.txt)
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

M32 = 0xFFFFFFFF
_MULTIPLIER = 321167


def generate(state: int, addend: int, length: int, tld: str, nr: int = 300) -> list[str]:
    """``nr`` Fobber names from the start ``state``, additive constant and label length."""
    r = state & M32
    c = addend & M32
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    out: list[str] = []
    for _ in range(nr):
        letters = []
        for _ in range(length):
            x = (_MULTIPLIER * r + c) & M32
            r = ((x >> 16) | (x << 16)) & M32
            letters.append(alphabet[(r & 0x17FF) % 26])
        out.append("".join(letters) + "." + tld)
    return out


#: Published presets: (state, addend, label length, TLD).
PRESETS: dict[str, tuple[int, int, int, str]] = {
    "v1": (0xC87C8A78, -1719405398, 17, "net"),
    "v2": (0x851A3E59, -1916503263, 10, "com"),
}


@cache
def _preset_list(name: str) -> tuple[str, ...]:
    return tuple(generate(*PRESETS[name]))


def _variant(name: str, summary: str) -> Variant:
    state, addend, length, tld = PRESETS[name]

    def generator(day: dt.date) -> list[str]:
        return list(_preset_list(name))

    return Variant(
        family="fobber",
        name=name,
        summary=summary,
        active_from=dt.date(2015, 1, 1),
        active_until=None,
        period_source=(
            "estimate: 2015, the year Fobber was analysed publicly "
            "(baderj/domain_generation_algorithms, fobber/); the references give no dates"
        ),
        domains_per_day=300,
        tlds=(tld,),
        signature=Signature(string.ascii_lowercase, length, length),
        generator=generator,
        period_days=0,
        parameters=(
            ("state", f"0x{state & M32:08X}"),
            ("addend", str(addend)),
            ("length", str(length)),
            ("tld", tld),
        ),
    )


FAMILY = Family(
    name="fobber",
    aliases=("tinba-v3",),
    summary="Fobber / Tinba v3: fixed list of 300 names per sample (not time-seeded)",
    generator_type="arithmetic",
    time_seeded=False,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/fobber",),
    variants=(
        _variant("v1", "Fobber preset 1: 17-letter .net names"),
        _variant("v2", "Fobber preset 2: 10-letter .com names"),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit start state and addend, the label length (10-17) and the TLD
    (``net``/``com``).
    """

    def build() -> list[str]:
        state = _reseed.u32(rng, {p[0] for p in PRESETS.values()})
        addend = _reseed.u32(rng)
        length = int(rng.integers(10, 18))
        tld = _reseed.pick(rng, ("net", "com"))
        return generate(state, addend, length, tld, min(per_build, 300))

    return _reseed.collect(builds, build)
