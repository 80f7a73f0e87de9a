"""Necurs rendezvous domains.

Generator type: arithmetic (a 64-bit mixing function ``f`` iterated 21-148 times per call:
``v <- v + ((7 v) xor (v << 15)) + 8 k - (v >> 5) mod 2**64`` for ``k < 21 + (v & 0x7F)``).
Seeding: time-dependent, from year, month and ``day >> 2`` plus a per-sample magic number.
The day enters as ``day >> 2``, so the list changes on the 4th, 8th, ..., 28th and 1st of
each month (``period_days = 4``; days 1-3 and 28-31 are the short/long periods).

Name ``n`` chains ``f`` over year, month + 43690, ``day >> 2``, the sequence number and the
magic; its length is ``7 + v % 15``; each letter ``'a' + f(v + i) % 25`` is followed by
``v <- f(v + 0xABBEDF)``; the final value picks one of 43 TLDs.

Names per period: 2048. TLDs: 43, from ``tj`` to ``bit`` (see ``TLDS``; order matters).
Magic numbers: 9 (the reference's default sample), 5 and 7. The magic is the only
per-build input; builds with magic 5 and 7 were the most common Necurs sources in a 2017
360netlab DGA feed snapshot (3,433 of its 5,481 Necurs names, issue 18), so they are
registered presets too. The reference's ``generate_necurs_domain(seq, magic, date)`` takes
the magic as an argument; its output for magic 5 and 7 is the ground truth.

Cost: each name needs about 30 calls of ``f`` (roughly 2,500 64-bit steps), so Necurs is
by far the most expensive family here. The list is computed with numpy for all 2048
sequence numbers at once and cached per period.

Active period: the write-up (February 2015) describes samples from 2014; Necurs was first
reported in 2012, used as ``active_from`` (2012-01-01, the earliest year the references
imply). ``active_until`` is open. The ground-truth list is for 2015-08-28..31.

References:
- http://johannesbader.ch/2015/02/the-dgas-of-necurs/
- https://github.com/baderj/domain_generation_algorithms/tree/master/necurs
"""

from __future__ import annotations

import datetime as dt
from functools import cache, lru_cache

import numpy as np

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

M64 = (1 << 64) - 1
NAMES_PER_PERIOD = 2048
DEFAULT_MAGIC = 9
TLDS = (
    "tj", "in", "jp", "tw", "ac", "cm", "la", "mn", "so", "sh", "sc", "nu", "nf", "mu", "ms",
    "mx", "ki", "im", "cx", "cc", "tv", "bz", "me", "eu", "de", "ru", "co", "su", "pw", "kz",
    "sx", "us", "ug", "ir", "to", "ga", "com", "net", "org", "biz", "xxx", "pro", "bit",
)  # fmt: skip
_LETTER_ADD = 0xABBEDF


def mix(value: int) -> int:
    """The scalar mixing function (reference for the vectorised one)."""
    v = value & M64
    for k in range((v & 0x7F) + 21):
        v = (v + ((v * 7) ^ (v << 15)) + 8 * k - (v >> 5)) & M64
    return v


def _mix_vec(v: np.ndarray) -> np.ndarray:
    """``mix`` on every element of a uint64 array (wrapping arithmetic, new array)."""
    loops = (v & np.uint64(0x7F)).astype(np.int64) + 21
    order = np.argsort(-loops, kind="stable")  # longest runs first: the active set is a prefix
    w = v[order]
    # active[k] = how many elements still run iteration k (those with loops > k)
    active = np.searchsorted(-loops[order], -np.arange(149), side="left").tolist()
    tmp = np.empty_like(w)
    shifted = np.empty_like(w)
    seven, s15, s5 = np.uint64(7), np.uint64(15), np.uint64(5)
    for k in range(148):
        n = active[k]
        if n == 0:
            break
        a, t, s = w[:n], tmp[:n], shifted[:n]
        np.multiply(a, seven, out=t)
        np.left_shift(a, s15, out=s)
        np.bitwise_xor(t, s, out=t)
        np.right_shift(a, s5, out=s)
        np.subtract(t, s, out=t)
        if k:
            np.add(t, np.uint64(8 * k), out=t)
        np.add(a, t, out=a)
    out = np.empty_like(w)
    out[order] = w
    return out


def _period_value(year: int, month: int, quarter: int) -> int:
    return mix(mix(mix(year) + month + 43690) + quarter)


@lru_cache(maxsize=64)
def _period_names(year: int, month: int, quarter: int, magic: int, nr: int) -> tuple[str, ...]:
    base = _period_value(year, month, quarter)
    if _compiled_ok():
        return _compiled_names(base, magic, nr)
    return _numpy_names(base, magic, nr)


def _compiled_names(base: int, magic: int, nr: int) -> tuple[str, ...]:
    """The same names from the compiled loop (``dgawatch._fastdga.necurs_names``): the
    mixing function's 21-148 dependent rounds per call are numpy's per-call overhead at
    every step, so the vectorised path costs ~19 us a name, the compiled one ~1."""
    import dgawatch._fastdga as fast

    tlds = ("\n".join(TLDS) + "\n").encode("ascii")
    blob = fast.necurs_names(base & M64, magic & M64, _LETTER_ADD, tlds, nr)
    return tuple(blob.decode("ascii").split("\n")[:-1])


@cache
def _compiled_ok() -> bool:
    """The compiled loop is used only when it exists and gives the scalar reference's
    names on a check period (as Conficker's fast path)."""
    try:
        import dgawatch._fastdga as fast
    except ImportError:
        return False
    if not hasattr(fast, "necurs_names"):
        return False
    day = dt.date(2017, 3, 14)
    base = _period_value(day.year, day.month, day.day >> 2)
    expected = tuple(generate_reference(day, seq) for seq in range(16))
    return _compiled_names(base, DEFAULT_MAGIC, 16) == expected


def _numpy_names(base: int, magic: int, nr: int) -> tuple[str, ...]:
    """The vectorised path (numpy over sequence numbers)."""
    # base + seq may pass 2**64: the malware's 64-bit addition wraps, as uint64 does here.
    seqs = np.arange(nr, dtype=np.uint64)
    v = _mix_vec(seqs + np.uint64(base))
    v = _mix_vec(v + np.uint64(magic & M64))
    lengths = (v % np.uint64(15)).astype(np.int64) + 7
    letters = np.zeros((nr, 21), dtype=np.uint8)
    for i in range(int(lengths.max())):
        idx = np.flatnonzero(lengths > i)
        w = _mix_vec(v[idx] + np.uint64(i))
        letters[idx, i] = (w % np.uint64(25)).astype(np.uint8) + 97
        v[idx] = _mix_vec(w + np.uint64(_LETTER_ADD))
    tld_idx = (v % np.uint64(len(TLDS))).tolist()
    raw = letters.tobytes().decode("ascii")
    return tuple(
        f"{raw[21 * j : 21 * j + n]}.{TLDS[t]}"
        for j, (n, t) in enumerate(zip(lengths.tolist(), tld_idx, strict=True))
    )


def generate(day: dt.date, magic: int = DEFAULT_MAGIC, nr: int = NAMES_PER_PERIOD) -> list[str]:
    """The ``nr`` Necurs names (sequence numbers ``0 .. nr - 1``) for ``day`` and ``magic``."""
    return list(_period_names(day.year, day.month, day.day >> 2, magic, nr))


def generate_reference(day: dt.date, seq: int, magic: int = DEFAULT_MAGIC) -> str:
    """One name with scalar Python arithmetic (slow; cross-checks the vectorised path)."""
    v = mix(mix(_period_value(day.year, day.month, day.day >> 2) + seq) + magic)
    letters = []
    for i in range(v % 15 + 7):
        v = mix(v + i)
        letters.append(chr(97 + v % 25))
        v = mix(v + _LETTER_ADD)
    return "".join(letters) + "." + TLDS[v % len(TLDS)]


def _variant(magic: int, summary: str, aliases: tuple[str, ...] = ()) -> Variant:
    def names(day: dt.date) -> list[str]:
        return generate(day, magic)

    return Variant(
        family="necurs",
        name=f"magic{magic}",
        aliases=aliases,
        summary=summary,
        active_from=dt.date(2012, 1, 1),
        active_until=None,
        domains_per_day=NAMES_PER_PERIOD,
        tlds=TLDS,
        generator=names,
        period_days=4,
        parameters=(("magic", str(magic)),),
        signature=Signature("abcdefghijklmnopqrstuvwxy", 7, 21),  # 'a' + v % 25, 7 + v % 15
        period_source="estimate: Necurs first reported in 2012 (Bader's write-up, 2015-02)",
    )


FAMILY = Family(
    name="necurs",
    remediation=(
        "Necurs: a spam botnet (it sent Dridex and Locky) with a rootkit driver: reinstall the "
        "host rather than clean it."
    ),
    summary="Necurs: 2048 names per 4-day period from a 64-bit mixing function",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "http://johannesbader.ch/2015/02/the-dgas-of-necurs/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/necurs",
    ),
    variants=(
        _variant(9, "Necurs with magic number 9 (the reference's default sample)", ("default",)),
        _variant(5, "Necurs with magic number 5 (seen in 360netlab's 2017 feed)"),
        _variant(7, "Necurs with magic number 7 (seen in 360netlab's 2017 feed)"),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit magic, plus the day.
    """

    def build() -> list[str]:
        magic = _reseed.u32(rng, {int(dict(v.parameters)["magic"]) for v in FAMILY.variants})
        day = _reseed.day(rng, dt.date(2012, 1, 1))
        return generate(day, magic, min(per_build, NAMES_PER_PERIOD))

    return _reseed.collect(builds, build)
