"""Murofet (a.k.a. LICAT, a Zeus relative) rendezvous domains, variants 1, 2 and 3.

Generator type: hash (MD5 of a small date/index record, mapped to letters).
Seeding: time-dependent.

- v1: the record is ``(year & 0xFF) + 0x30, month, 7 * (day // 7)`` followed by the name
  index as a little-endian 32-bit integer. The day only enters as ``7 * (day // 7)``, so a
  list stays valid for days 1-6, 7-13, 14-20, 21-27 and 28-end of each month (about weekly,
  ``period_days = 7`` is approximate: the list changes on the 7th, 14th, 21st, 28th and 1st).
  Each MD5 byte ``b`` gives the letters ``'a' + (b & 0x1F)`` and ``'a' + (b >> 3)`` (each
  kept only if it is a letter, and both dropped when equal). TLD by index: ``.ru`` when
  ``i % 6 == 0``, else ``.biz`` (``% 5``), ``.info`` (``% 4``), ``.org`` (``% 3``),
  ``.net`` (``% 2``), else ``.com``.
- v2: the record is ``(year & 0xFF) + 0x30, month, day, 0`` followed by the index with its
  lowest bit cleared (so names come in pairs with different TLDs), every byte XORed with a
  32-bit key byte (``key >> 8 * (i % 4)``; no key means no XOR). Each MD5 byte ``b`` gives
  ``'a' + (b & 0xF) + (b >> 4)`` when that is a letter. TLD by index: ``.biz`` when
  ``i % 5 == 0``, else ``.info`` (``% 4``), ``.org`` (``% 3``), ``.net`` (``% 2``), else
  ``.com``. Daily list. Published keys: none (the reference's default), 0xD6D7A4BE,
  0xDEADC2DE, 0xD6D7A4B1.

- v3: v1's record (``7 * (day // 7)``, so the same weekly lists) and TLD rule, but each
  MD5 byte ``b`` gives ``'a' + (b & 0xF)`` then ``'q' + (b >> 4)``; when that second
  character passes ``z`` it becomes a digit ``'1'..'6'`` and a third character follows,
  the digit ``(ord(first) % 10)``. Labels of 32-48 characters mixing letters and digits;
  1000 names per list.

Names per day: 1020 for v1 and v2 (the reference loops over 1020 indices), 1000 for v3.
TLDs: v1 and v3 ru/biz/info/org/net/com; v2 biz/info/org/net/com.

Active period: Murofet/LICAT was first reported by anti-virus vendors in autumn 2010;
``active_from`` is 2010-10-01 (an estimate from that, not pinned by the write-up). The
published example lists are for days in September 2015 (v1: 2015-09-01..06, v2:
2015-09-03, the reference's "today" at publication), so ``active_until`` is left open.
v3's ``active_from`` is 2015-09-03, the day its reimplementation was published (the
earliest public evidence found; the write-up does not date its sample). A 2017 360netlab
feed snapshot shows v3 in the wild (issue 18).

References:
- https://johannesbader.ch/2015/09/three-variants-of-murofets-dga/
- https://github.com/baderj/domain_generation_algorithms/tree/master/murofet
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from functools import cache, lru_cache

import numpy as np

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

NAMES_PER_DAY = 1020
V1_TLDS = ("ru", "biz", "info", "org", "net", "com")
V2_TLDS = ("biz", "info", "org", "net", "com")


def _tld_for(index: int, tlds: tuple[str, ...]) -> str:
    # The first divisor (largest first) that divides the index picks the TLD; 1 always does.
    for pos, tld in enumerate(tlds):
        if index % (len(tlds) - pos) == 0:
            return tld
    raise AssertionError("unreachable: the last divisor is 1")


@cache
def _tld_rows(tlds: tuple[str, ...], nr: int) -> np.ndarray:
    """``".tld\\n"`` of each index, left-padded with spaces to 6 bytes: shape (nr, 6)."""
    rows = b"".join(f".{_tld_for(i, tlds)}\n".rjust(6).encode("ascii") for i in range(nr))
    return np.frombuffer(rows, dtype=np.uint8).reshape(nr, 6)


@cache
def _v1_table() -> np.ndarray:
    """Per digest byte, its (up to) two letters; a space marks a dropped letter."""
    table = np.full((256, 2), ord(" "), dtype=np.uint8)
    for b in range(256):
        lo = (b & 0x1F) + 97
        hi = (b >> 3) + 97
        if lo != hi:
            if lo <= 122:
                table[b, 0] = lo
            if hi <= 122:
                table[b, 1] = hi
    return table


@cache
def _v2_table() -> np.ndarray:
    table = np.full(256, ord(" "), dtype=np.uint8)
    for b in range(256):
        v = (b & 0xF) + (b >> 4) + 97
        if v <= 122:
            table[b] = v
    return table


def _assemble(letters: np.ndarray, tld_rows: np.ndarray) -> bytes:
    """Rows of letter bytes plus TLD rows, spaces removed: ``b"name\\n"`` lines."""
    return np.concatenate([letters, tld_rows], axis=1).tobytes().replace(b" ", b"")


@lru_cache(maxsize=8)
def _v1_blob(year: int, month: int, week_day: int, nr: int) -> bytes:
    head = bytes(((year & 0xFF) + 0x30 & 0xFF, month, week_day))
    md5 = hashlib.md5
    digests = b"".join([md5(head + i.to_bytes(4, "little")).digest() for i in range(nr)])
    if not nr:
        return b""
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(nr, 16)
    letters = _v1_table()[raw].reshape(nr, 32)
    return _assemble(letters, _tld_rows(V1_TLDS, nr))


def generate_v1_blob(day: dt.date, nr: int = NAMES_PER_DAY) -> bytes:
    """Murofet v1 names for ``day`` as ``b"name\\n"`` lines."""
    return _v1_blob(day.year, day.month, (day.day // 7) * 7, nr)


def generate_v1(day: dt.date, nr: int = NAMES_PER_DAY) -> list[str]:
    """Murofet v1 names for ``day`` (depends on year, month and ``7 * (day // 7)``)."""
    return generate_v1_blob(day, nr).decode("ascii").split("\n")[:-1]


V3_NAMES_PER_LIST = 1000


@cache
def _v3_chars() -> tuple[str, ...]:
    """Per digest byte, its two or three characters."""
    out = []
    for b in range(256):
        first = (b & 0xF) + 97
        second = (b >> 4) + 113
        if second > 122:  # past 'z': a digit 1-6, and a third character
            out.append(chr(first) + chr(second - 74) + chr(first % 10 + 48))
        else:
            out.append(chr(first) + chr(second))
    return tuple(out)


@lru_cache(maxsize=8)
def _v3_list(year: int, month: int, week_day: int, nr: int) -> tuple[str, ...]:
    head = bytes(((year & 0xFF) + 0x30 & 0xFF, month, week_day))
    chars = _v3_chars()
    md5 = hashlib.md5
    return tuple(
        "".join([chars[b] for b in md5(head + i.to_bytes(4, "little")).digest()])
        + "."
        + _tld_for(i, V1_TLDS)
        for i in range(nr)
    )


def generate_v3(day: dt.date, nr: int = V3_NAMES_PER_LIST) -> list[str]:
    """Murofet v3 names for ``day`` (weekly lists like v1; digits in the labels)."""
    return list(_v3_list(day.year, day.month, (day.day // 7) * 7, nr))


def generate_v2_blob(day: dt.date, key: int | None = None, nr: int = NAMES_PER_DAY) -> bytes:
    """Murofet v2 names for ``day`` and 32-bit ``key`` as ``b"name\\n"`` lines."""
    if not nr:
        return b""
    k = (key or 0) & 0xFFFFFFFF
    mask = int.from_bytes(k.to_bytes(4, "little") * 2, "little")
    head = bytes(((day.year & 0xFF) + 0x30 & 0xFF, day.month, day.day, 0))
    md5 = hashlib.md5
    # Odd indices reuse the record of the even index below them (index & ~1).
    digests = b"".join(
        [
            md5(
                (int.from_bytes(head + i.to_bytes(4, "little"), "little") ^ mask).to_bytes(
                    8, "little"
                )
            ).digest()
            for i in range(0, nr, 2)
        ]
    )
    raw = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 16)
    letters = np.repeat(_v2_table()[raw], 2, axis=0)[:nr]
    return _assemble(letters, _tld_rows(V2_TLDS, nr))


def generate_v2(day: dt.date, key: int | None = None, nr: int = NAMES_PER_DAY) -> list[str]:
    """Murofet v2 names for ``day`` and 32-bit ``key`` (``None`` or 0: no XOR)."""
    return generate_v2_blob(day, key, nr).decode("ascii").split("\n")[:-1]


V2_KEYS: dict[str, int | None] = {
    "v2": None,
    "v2-d6d7a4be": 0xD6D7A4BE,
    "v2-deadc2de": 0xDEADC2DE,
    "v2-d6d7a4b1": 0xD6D7A4B1,
}


def _v2_variant(name: str, key: int | None) -> Variant:
    def generator(day: dt.date) -> list[str]:
        return generate_v2(day, key)

    def blob(day: dt.date) -> bytes:
        return generate_v2_blob(day, key)

    keyed = "no key" if key is None else f"key 0x{key:08X}"
    return Variant(
        family="murofet",
        name=name,
        summary=f"Murofet v2 ({keyed}): 1020 names/day in pairs sharing a label",
        active_from=dt.date(2010, 10, 1),
        active_until=None,
        domains_per_day=NAMES_PER_DAY,
        tlds=V2_TLDS,
        generator=generator,
        blob_generator=blob,
        parameters=(("key", "none" if key is None else f"0x{key:08X}"),),
        signature=Signature(string.ascii_lowercase, 1, 16),  # at most a letter a byte
        period_source="estimate: first anti-virus reports of Murofet/LICAT, autumn 2010",
    )


FAMILY = Family(
    name="murofet",
    remediation=(
        "Murofet (Zeus/Licat): a banking trojan that steals credentials; reinstall the host, "
        "then change every password used on it (online banking first) from a clean machine, "
        "and tell the bank."
    ),
    aliases=("licat",),
    summary="Murofet / LICAT: MD5-based, 1000-1020 names (v1 and v3 about weekly, v2 daily)",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2015/09/three-variants-of-murofets-dga/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/murofet",
    ),
    variants=(
        Variant(
            family="murofet",
            name="v1",
            summary="Murofet v1: 1020 names, list changes on the 1st/7th/14th/21st/28th",
            active_from=dt.date(2010, 10, 1),
            active_until=None,
            domains_per_day=NAMES_PER_DAY,
            tlds=V1_TLDS,
            generator=generate_v1,
            blob_generator=generate_v1_blob,
            period_days=7,
            signature=Signature(string.ascii_lowercase, 1, 32),  # at most two a byte
            period_source="estimate: first anti-virus reports of Murofet/LICAT, autumn 2010",
        ),
        *(_v2_variant(name, key) for name, key in V2_KEYS.items()),
        Variant(
            family="murofet",
            name="v3",
            summary="Murofet v3: 1000 letter-and-digit names, list changes about weekly",
            active_from=dt.date(2015, 9, 3),
            active_until=None,
            domains_per_day=V3_NAMES_PER_LIST,
            tlds=V1_TLDS,
            generator=generate_v3,
            period_days=7,
            signature=Signature(string.ascii_lowercase + string.digits, 32, 48),
            period_source="reimplementation published 2015-09-03 (baderj murofet/v3)",
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 32-bit v2 XOR key, plus the day.
    """

    def build() -> list[str]:
        key = _reseed.u32(rng, {0, *(k for k in V2_KEYS.values() if k)})
        day = _reseed.day(rng, dt.date(2010, 10, 1))
        return generate_v2(day, key, min(per_build, NAMES_PER_DAY))

    return _reseed.collect(builds, build)
