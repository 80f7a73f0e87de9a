"""Locky ransomware rendezvous domains: DGA v2 (February/March 2016) and v3 (from March 2016).

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
end date, so ``active_until`` is open.

DGA v3 (``v3-config1`` .. ``v3-config20``, the reference's ``dgav3.py`` numbering; the
reference first published it on 2016-03-29 as "second version of locky dga"): the same
multiply/rotate/add step, but the state is folded seven times over (year + j for
j = 0..6, each round mixing in the previous round's value, the sample seed, ``day // 2``,
the month, ``rol32(seed, 17)`` and ``rol32(i, 21)`` with the constants 0x1BF5, 0xD8EFFFFF
and 0x65CAD), then ``7 + r % 11`` letters ``'a' + r % 25`` and one of ten TLDs (ru info
biz click su work pl org pw xyz). 12 names per list; the list changes every two days
(``period_days = 2``). The 20 configurations differ only in the seed (rotation 7
throughout); each variant's ``active_from`` is the day its seed was first published in
the reference (git history of locky/ in baderj/domain_generation_algorithms, from
2016-03-29 to 2016-07-13): the earliest public evidence of that build, not its first
infection. A 2017 360netlab feed snapshot shows these configurations in the wild
(issue 18).

References:
- https://blogs.forcepoint.com/security-labs/lockys-new-dga-seeding-new-domains
- https://github.com/baderj/domain_generation_algorithms/tree/master/locky
- https://nominum.com/locky-back/ (seeds 7773 and 7743)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

M32 = 0xFFFFFFFF
_MUL = 0xB11924E1
_ADD = 0x27100001
#: Letters are ``'a' + r % 25``: never ``z``.
_LETTERS_25 = "abcdefghijklmnopqrstuvwxy"
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
        signature=Signature(_LETTERS_25, 5, 15),
        period_source="Locky first seen 2016-02-16 (Forcepoint)",
    )


V3_TLDS = ("ru", "info", "biz", "click", "su", "work", "pl", "org", "pw", "xyz")
V3_NAMES_PER_DAY = 12


def _v3_lists(
    year: int, month: int, half_day: int, seeds: tuple[int, ...], nr: int
) -> list[list[str]]:
    """v3 names for several sample seeds at once (numpy over seeds x indices): the
    per-name work is 35 multiply/rotate steps plus one per letter, all independent."""
    m = np.uint64(M32)
    mul, add = np.uint64(_MUL), np.uint64(_ADD)
    sh, back = np.uint64(7), np.uint64(25)

    def step(x: np.ndarray) -> np.ndarray:
        p = (mul * (x & m)) & m
        return ((p >> sh) | (p << back)) & m

    seed = np.repeat(np.array(seeds, dtype=np.uint64) & m, nr)
    index = np.tile(np.arange(nr, dtype=np.uint64), len(seeds))
    seed_part = ((seed << np.uint64(17)) | (seed >> np.uint64(15))) & m
    fixed = (seed_part + (((index << np.uint64(21)) | (index >> np.uint64(11))) & m)) & m
    r = np.zeros_like(seed)
    for y in range(year, year + 7):
        a = ((step(np.uint64(y + 0x1BF5) + r) + add) & m) ^ r
        b = ((step(a + seed) + add) & m) ^ a
        c = (np.uint64(0xD8EFFFFF) - step(np.uint64(half_day) + b) + b) & m
        d = (c + step(np.uint64(month) + c - np.uint64(0x65CAD)) + add) & m
        r = ((step(d + fixed) + add) & m) ^ d
    lengths = (r % np.uint64(11)).astype(np.int64) + 7
    letters = np.zeros((len(r), 17), dtype=np.uint8)
    for pos in range(17):
        live = lengths > pos
        u = np.uint64(pos)
        rotated = ((r << u) | (r >> np.uint64(32 - pos))) & m if pos else r
        nxt = (step(rotated) + add) & m
        r = np.where(live, nxt, r)
        letters[:, pos] = (r % np.uint64(25)).astype(np.uint8) + 97
    tld = (((step(r) + add) & m) % np.uint64(len(V3_TLDS))).tolist()
    rows = letters.tobytes().decode("ascii")
    names = [
        rows[17 * k : 17 * k + n] + "." + V3_TLDS[t]
        for k, (n, t) in enumerate(zip(lengths.tolist(), tld, strict=True))
    ]
    return [names[c * nr : (c + 1) * nr] for c in range(len(seeds))]


def generate_v3(day: dt.date, seed: int, shift: int = 7, nr: int = V3_NAMES_PER_DAY) -> list[str]:
    """``nr`` Locky v3 names for ``day`` and sample ``seed`` (every sample: shift 7)."""
    if shift != 7:
        raise ValueError("Locky v3 samples rotate by 7")
    return _v3_lists(day.year, day.month, day.day // 2, (seed,), nr)[0]


#: v3 configurations (reference numbering) -> (seed, first publication of the seed).
V3_CONFIGS: dict[int, tuple[int, dt.date]] = {
    1: (7077, dt.date(2016, 3, 29)),
    2: (5566, dt.date(2016, 3, 31)),
    3: (9106, dt.date(2016, 3, 31)),
    4: (5579, dt.date(2016, 4, 4)),
    5: (111, dt.date(2016, 4, 4)),
    6: (9044, dt.date(2016, 4, 12)),
    7: (9099, dt.date(2016, 4, 13)),
    8: (9047, dt.date(2016, 5, 2)),
    9: (9133, dt.date(2016, 5, 3)),
    10: (9199, dt.date(2016, 5, 6)),
    11: (9190, dt.date(2016, 5, 10)),
    12: (9088, dt.date(2016, 5, 19)),
    13: (9998, dt.date(2016, 5, 19)),
    14: (9992, dt.date(2016, 5, 19)),
    15: (1511, dt.date(2016, 5, 26)),
    16: (1513, dt.date(2016, 5, 30)),
    17: (1517, dt.date(2016, 5, 30)),
    18: (9056, dt.date(2016, 6, 1)),
    19: (7773, dt.date(2016, 7, 13)),
    20: (7743, dt.date(2016, 7, 13)),
}


@lru_cache(maxsize=200)  # a year of periods (~18 KB each): callers walk one variant at a time
def _v3_period(year: int, month: int, half_day: int) -> tuple[tuple[str, ...], ...]:
    """All 20 configurations' lists of one two-day period (computed together)."""
    seeds = tuple(seed for seed, _ in V3_CONFIGS.values())
    return tuple(tuple(x) for x in _v3_lists(year, month, half_day, seeds, V3_NAMES_PER_DAY))


def _v3_variant(number: int) -> Variant:
    seed, published = V3_CONFIGS[number]
    position = list(V3_CONFIGS).index(number)

    def generator(day: dt.date) -> list[str]:
        return list(_v3_period(day.year, day.month, day.day // 2)[position])

    return Variant(
        family="locky",
        name=f"v3-config{number}",
        aliases=("v3",) if number == 1 else (),
        summary=f"Locky DGA v3, sample seed {seed} (shift 7)",
        active_from=published,
        active_until=None,
        domains_per_day=V3_NAMES_PER_DAY,
        tlds=V3_TLDS,
        generator=generator,
        period_days=2,
        parameters=(("seed", str(seed)), ("shift", "7")),
        signature=Signature(_LETTERS_25, 7, 17),
        period_source=(
            "first publication of this seed in baderj/domain_generation_algorithms "
            "(git history of locky/)"
        ),
    )


FAMILY = Family(
    name="locky",
    remediation=(
        "Locky (ransomware): arrives as a mail attachment (macro documents, scripts) and "
        "encrypts local and network-share files; reinstall the host, restore the files from "
        "offline backups, and block macros and script attachments at the mail gateway."
    ),
    summary="Locky ransomware DGAs: v2 (8 names per two days) and v3 (12), per-sample seed",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://blogs.forcepoint.com/security-labs/lockys-new-dga-seeding-new-domains",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/locky",
    ),
    variants=(
        *(_variant(name) for name in CONFIGS),
        *(_v3_variant(number) for number in V3_CONFIGS),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit sample seed and a published (shift, modulus) pair, plus the
    day.
    """

    def build() -> list[str]:
        seed = _reseed.u32(rng, {c[0] for c in CONFIGS.values()})
        shift, mod = _reseed.pick(rng, sorted({c[1:] for c in CONFIGS.values()}))
        day = _reseed.day(rng, dt.date(2016, 2, 16))
        return generate(day, seed, shift, mod, min(per_build, NAMES_PER_DAY))

    return _reseed.collect(builds, build)
