"""Kraken (a.k.a. Bobax, Oderoor) rendezvous domains, DGA versions 1 and 2.

Generator type: arithmetic (the C library LCG ``r <- 1103515245 r + 12435`` on 32 bits,
taking ``(r >> 8) & 0x7FFF`` as output).
Both versions derive two names from each index ``n``: one from the seed the bot uses when
its "temp file" does not exist (``nex``), then one from the seed used when it does
(``ex``). Name length is 6-11 (v1) or 7-12 (v2) letters ``'a' + out % 26``; the TLD is
``tlds[n % 4]``.

- v1: not time-seeded (``period_days = 0``). Index ``n = i + 1000015``; the start state is
  a cubic polynomial of ``n`` (signed 32-bit wrap, truncating division by 9) plus a seed
  constant. TLDs: dyndns.org, yi.org, dynserv.com, mooo.com (dynamic-DNS zones).
- v2: time-seeded per week. Before drawing, the state is replaced ``w`` times by the
  cropped output of one LCG step, where ``w = (t - 1207000000) // 604800 + 2`` and ``t`` is
  the Unix time (one less for ``n % 9`` in 6..7, none for ``n % 9 == 8``). The week turns
  over on Mondays at 21:46:40 UTC; a day here means 00:00 UTC, so each list is valid from a
  Tuesday to the following Monday evening (``period_days = 7``). TLD sets: 1 = com, net,
  tv, cc; 2 = the four dynamic-DNS zones of v1.

Seed sets ("a", "b") are the two constant pairs the write-up gives for each version.
Names per list: 2000 (the reference's 1000 indices, two names each).

Active period: Kraken was reported in April 2008 (the v2 epoch 1207000000 is 2008-03-31);
``active_from`` is 2008-03-31 for both versions (estimate from that constant), and
``active_until`` is open (the references give no end date). The ground-truth lists are
v1 seed set "a" and v2 seed set "a" / TLD set 1 for the week 2015-12-22..28.

References:
- https://johannesbader.ch/2015/12/krakens-two-domain-generation-algorithms/
- https://github.com/baderj/domain_generation_algorithms/tree/master/kraken
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cache, lru_cache

import numpy as np

from dgawatch.families.base import Family, Signature, Variant

M32 = 0xFFFFFFFF
NAMES_PER_LIST = 2000
DYNDNS_TLDS = ("dyndns.org", "yi.org", "dynserv.com", "mooo.com")
V2_TLD_SETS = {1: ("com", "net", "tv", "cc"), 2: DYNDNS_TLDS}
#: (nex, ex) seed constants per seed set.
V1_SEEDS = {"a": (0x8924541, -0x0FCFBF88), "b": (0x7924542, -0x1FCFBF87)}
V2_SEEDS = {"a": (24938315, 24938314), "b": (1600001, 1600000)}
_V2_EPOCH = 1207000000
_WEEK = 604800
_UNIX_EPOCH = dt.date(1970, 1, 1)


def _s32(v: int) -> int:
    v &= M32
    return v - (1 << 32) if v & 0x80000000 else v


def _label(r: int, lo: int, sign: int, signed: bool) -> str:
    """Three length draws, then letters; ``r`` is the state before the first draw."""
    mask = M32
    draws = []
    for _ in range(3):
        r = (1103515245 * r + 12435) & mask
        draws.append(((_s32(r) if signed else r) >> 8) & 0x7FFF)
    length = (draws[0] * draws[1] + sign * draws[2]) % 6 + lo
    letters = []
    for _ in range(length):
        r = (1103515245 * r + 12435) & mask
        letters.append(chr(97 + (((_s32(r) if signed else r) >> 8) & 0x7FFF) % 26))
    return "".join(letters)


def _trunc_div9(v: int) -> int:
    q = abs(v) // 9
    return -q if v < 0 else q


def generate_v1(seed_set: str = "a", nr: int = 1000) -> list[str]:
    """``2 * nr`` Kraken v1 names for seed set ``"a"`` or ``"b"`` (not time-seeded)."""
    nex, ex = V1_SEEDS[seed_set]
    out: list[str] = []
    for i in range(nr):
        n = i + 1000015
        tld = DYNDNS_TLDS[n % 4]
        r_nex = _s32(_trunc_div9(_s32((n + 2) * (n + 7) * n)) + (3 * n + 1) * n + nex)
        r_ex = _s32(_trunc_div9(_s32(n * (n + 7) * (n + 12))) + n * (n + 1) + ex)
        for r in (r_nex, r_ex):
            out.append(f"{_label(r & M32, 6, -1, signed=True)}.{tld}")
    return out


def v2_week_steps(day: dt.date) -> int:
    """The weekly discard count ``w`` at 00:00 UTC of ``day``."""
    t = (day - _UNIX_EPOCH).days * 86400
    return (t - _V2_EPOCH) // _WEEK + 2


@cache
def _crop_step() -> np.ndarray:
    """One discard step on a 15-bit state: ``x -> ((1103515245 x + 12435) >> 8) & 0x7FFF``."""
    x = np.arange(1 << 15, dtype=np.uint64)
    return (((x * np.uint64(1103515245) + np.uint64(12435)) & np.uint64(M32)) >> np.uint64(8)) & (
        np.uint64(0x7FFF)
    )


@lru_cache(maxsize=16)
def _crop_power(k: int) -> tuple[int, ...]:
    """The discard step applied ``k`` times, as a table over 15-bit states."""
    step = _crop_step()
    result = np.arange(1 << 15, dtype=np.uint64)
    while k > 0:
        if k & 1:
            result = step[result]
        step = step[step]
        k >>= 1
    return tuple(result.tolist())


def _discard(r: int, steps: int) -> int:
    """``steps`` discard steps from the full state ``r`` (the first one crops it)."""
    if steps <= 0:
        return r
    first = (((1103515245 * r + 12435) & M32) >> 8) & 0x7FFF
    return _crop_power(steps - 1)[first]


@lru_cache(maxsize=32)
def _v2_list(weeks: int, seed_set: str, tld_set: int, nr: int) -> tuple[str, ...]:
    nex, ex = V2_SEEDS[seed_set]
    tlds = V2_TLD_SETS[tld_set]
    out: list[str] = []
    for n in range(nr):
        tld = tlds[n % 4]
        steps = 0 if n % 9 == 8 else (weeks - 1 if n % 9 >= 6 else weeks)
        for seed in (nex, ex):
            r = _discard(3 * n + seed, steps)
            out.append(f"{_label(r, 7, 1, signed=False)}.{tld}")
    return tuple(out)


def generate_v2(day: dt.date, seed_set: str = "a", tld_set: int = 1, nr: int = 1000) -> list[str]:
    """``2 * nr`` Kraken v2 names for ``day``, seed set ``"a"``/``"b"`` and TLD set 1/2."""
    return list(_v2_list(v2_week_steps(day), seed_set, tld_set, nr))


@cache
def _v1_list(seed_set: str) -> tuple[str, ...]:
    return tuple(generate_v1(seed_set))


#: Both versions: no first-seen date is published.
PERIOD_SOURCE = (
    "estimate: the v2 week epoch 1207000000 (2008-03-31); Kraken was reported in April 2008"
)


def _v1_variant(seed_set: str) -> Variant:
    nex, ex = V1_SEEDS[seed_set]

    def generator(day: dt.date) -> list[str]:
        return list(_v1_list(seed_set))

    return Variant(
        family="kraken",
        name=f"v1-{seed_set}",
        aliases=("v1",) if seed_set == "a" else (),
        summary=f"Kraken DGA v1, seed set {seed_set}: fixed list of 2000 dynamic-DNS names",
        active_from=dt.date(2008, 3, 31),
        active_until=None,
        period_source=PERIOD_SOURCE,
        domains_per_day=NAMES_PER_LIST,
        tlds=DYNDNS_TLDS,
        signature=Signature(string.ascii_lowercase, 6, 11),  # Python's % 6 is never negative
        generator=generator,
        period_days=0,
        parameters=(("seed_set", seed_set), ("nex", hex(nex)), ("ex", hex(ex))),
    )


def _v2_variant(seed_set: str, tld_set: int) -> Variant:
    nex, ex = V2_SEEDS[seed_set]

    def generator(day: dt.date) -> list[str]:
        return generate_v2(day, seed_set, tld_set)

    return Variant(
        family="kraken",
        name=f"v2-{seed_set}-tld{tld_set}",
        aliases=("v2",) if (seed_set, tld_set) == ("a", 1) else (),
        summary=f"Kraken DGA v2, seed set {seed_set}, TLD set {tld_set}: weekly list",
        active_from=dt.date(2008, 3, 31),
        active_until=None,
        period_source=PERIOD_SOURCE,
        domains_per_day=NAMES_PER_LIST,
        tlds=V2_TLD_SETS[tld_set],
        signature=Signature(string.ascii_lowercase, 7, 12),
        generator=generator,
        period_days=7,
        parameters=(
            ("seed_set", seed_set),
            ("nex", str(nex)),
            ("ex", str(ex)),
            ("tld_set", str(tld_set)),
        ),
    )


FAMILY = Family(
    name="kraken",
    aliases=("bobax", "oderoor"),
    summary="Kraken / Bobax: 2000 names, v1 fixed, v2 weekly",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2015/12/krakens-two-domain-generation-algorithms/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/kraken",
    ),
    variants=(
        _v1_variant("a"),
        _v1_variant("b"),
        *(_v2_variant(s, t) for s in ("a", "b") for t in (1, 2)),
    ),
)
