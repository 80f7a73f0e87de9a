"""Locky ransomware rendezvous domains, DGA version 2 (the February/March 2016 generator).

Generator type: arithmetic (multiply by 0xB11924E1, rotate right, add 0x27100001, on 32
bits). Seeding: time-dependent, from year, ``day // 2`` and month plus a per-sample seed;
the list therefore changes every two days (days 2-3, 4-5, ... share one list; day 1 is
alone), ``period_days = 2``.

The date and the sample seed are folded into one 32-bit value ``t``; name ``i`` starts from
``rol32(i % mod, 21) + t + rol32(seed, 17)``, takes ``5 + r % 11`` letters
``'a' + r % 25`` (the state is rotated left by the letter position before each step) and a
TLD from a fixed list of 14 ccTLDs.

Names per day: 8 (the reference's count; with ``mod = 8`` these are all distinct indices).
TLDs: ru pw eu in yt pm us fr de it be uk nl tf.
Presets: seven published sample configurations (seed, rotation, modulus), named
``config1`` .. ``config7`` after the reference's numbering; ``config1`` is the default.

Active period: Locky was first seen on 2016-02-16 (``active_from``); the example list is
for 2016-02-28/29. A third DGA replaced this one later in 2016, but the references give no
end date, so ``active_until`` is open. Locky's DGA v3 (12 names, other TLDs) is not
implemented: the ground truth has no example of it.

References:
- https://blogs.forcepoint.com/security-labs/lockys-new-dga-seeding-new-domains
- https://github.com/baderj/domain_generation_algorithms/tree/master/locky
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families.base import Family, Variant

M32 = 0xFFFFFFFF
_MUL = 0xB11924E1
_ADD = 0x27100001
TLDS = ("ru", "pw", "eu", "in", "yt", "pm", "us", "fr", "de", "it", "be", "uk", "nl", "tf")
NAMES_PER_DAY = 8


def _ror(v: int, s: int) -> int:
    v &= M32
    return ((v >> s) | (v << (32 - s))) & M32


def _rol(v: int, s: int) -> int:
    v &= M32
    return ((v << s) | (v >> (32 - s))) & M32


def _day_value(day: dt.date, seed: int, shift: int) -> int:
    t = _ror(_MUL * (day.year + 0x1BF5), shift)
    if seed:
        t = _ror(_MUL * (t + seed + _ADD), shift)
    t = _ror(_MUL * (t + day.day // 2 + _ADD), shift)
    return _ror(_MUL * (t + day.month + 0x2709A354), shift)


def generate(
    day: dt.date,
    seed: int,
    shift: int = 7,
    mod: int = 8,
    nr: int = NAMES_PER_DAY,
    tlds: tuple[str, ...] = TLDS,
) -> list[str]:
    """``nr`` Locky v2 names for ``day`` and one sample configuration."""
    t = _day_value(day, seed, shift)
    seed_part = _rol(seed, 17)
    out: list[str] = []
    for i in range(nr):
        r = (_ror(_MUL * (_rol(i % mod, 21) + t + seed_part + _ADD), shift) + _ADD) & M32
        letters = []
        for pos in range(r % 11 + 5):
            r = (_ror(_MUL * _rol(r, pos), shift) + _ADD) & M32
            letters.append(chr(97 + r % 25))
        r = _ror(r * _MUL, shift)
        out.append("".join(letters) + "." + tlds[((r + _ADD) & M32) % len(tlds)])
    return out


#: Reference configurations: name -> (seed, shift, mod).
CONFIGS: dict[str, tuple[int, int, int]] = {
    "config1": (62, 7, 8),
    "config2": (75, 7, 8),
    "config3": (9, 7, 8),
    "config4": (7, 7, 8),
    "config5": (0, 5, 6),
    "config6": (660, 7, 8),
    "config7": (555, 7, 8),
}


def _variant(name: str) -> Variant:
    seed, shift, mod = CONFIGS[name]

    def generator(day: dt.date) -> list[str]:
        return generate(day, seed, shift, mod)

    return Variant(
        family="locky",
        name=name,
        aliases=("v2",) if name == "config1" else (),
        summary=f"Locky DGA v2, sample seed {seed} (shift {shift}, mod {mod})",
        active_from=dt.date(2016, 2, 16),
        active_until=None,
        domains_per_day=NAMES_PER_DAY,
        tlds=TLDS,
        generator=generator,
        period_days=2,
        parameters=(("seed", str(seed)), ("shift", str(shift)), ("mod", str(mod))),
    )


FAMILY = Family(
    name="locky",
    summary="Locky ransomware DGA v2: 8 names per two days, per-sample seed",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://blogs.forcepoint.com/security-labs/lockys-new-dga-seeding-new-domains",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/locky",
    ),
    variants=tuple(_variant(name) for name in CONFIGS),
)
