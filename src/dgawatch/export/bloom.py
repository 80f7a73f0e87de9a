"""Bloom filter of a date window's names, for sandboxes and sensors that cannot hold the list.

A Bloom filter answers "certainly not a forecast name" or "probably one" in a few memory
probes and ``-ln(p) / ln(2)^2`` bits per name (28.8 bits, 3.6 bytes, at the default stated
false-positive rate ``p = 1e-6``). It never misses a name it holds.

File format ``dgawatch-bloom`` version 1 (all integers little-endian)::

    offset  size  field
    0       8     magic b"DGWBLOOM"
    8       2     format version (uint16) = 1
    10      2     k: probes per name (uint16)
    12      2     hash scheme (uint16): 1 = blake2b-128 double hashing (below)
    14      2     reserved, 0
    16      8     m: bits in the filter (uint64)
    24      8     n: distinct names inserted (uint64)
    32      8     p: stated false-positive rate (float64) for which m and k were chosen
    40      4     L: length of the metadata (uint32)
    44      4     reserved, 0
    48      L     metadata: UTF-8 JSON object (below)
    48+L    pad   zero bytes up to a multiple of 8
    ...     ceil(m / 8) bytes: the bits; bit j is byte j >> 3, mask 1 << (j & 7)

Hash scheme 1: a name is lower-case ASCII without a trailing dot (IDNA A-labels); ``d =
BLAKE2b(name, digest_size=16)`` (RFC 7693, no key, no salt); ``h1`` = bytes 0..7 and ``h2``
= bytes 8..15 of ``d`` as uint64, ``h2`` with its lowest bit set; probe ``i`` (0 <= i < k)
is bit ``(h1 + i * h2) mod 2^64 mod m``. A name is "probably in" when all k bits are set.
BLAKE2b is in every crypto library (Python's hashlib, OpenSSL 1.1+, Go's x/crypto, libsodium),
so a sensor in any language reads the filter with some twenty lines.

Metadata keys: ``schema`` ("dgawatch-bloom/1"), ``producer``, ``first_day``/``last_day`` (the
window's days that contributed names), ``families`` and ``variants`` (``family/variant`` keys),
``names`` (= n), ``fp_rate`` (= p), ``withheld`` (what the export left out, if anything).

m and k: ``m = ceil(-n ln p / ln(2)^2)`` (at least 64), ``k = max(1, round(m / n * ln 2))``.
Measured false-positive rate on names from no family: tests/export/test_bloom.py and
README ("Status").

Why hand-written (numpy): the maintained Python Bloom filters on PyPI do not give a format a
sensor in another language can read: ``rbloom`` (1.5.4) hashes with a Python callback per
name for persistence and writes its own unversioned layout; ``pybloom-live`` (4.0.0, 2022) and
``bloom-filter2`` (2021) are pure-Python and unmaintained; the ``datasketches`` binding (5.2.0,
a project dependency) has no Bloom filter. The filter itself is a bit array and one hash.

Memory while building: the names' digests (16 bytes per distinct name, deduplicated as they
come, copied once when merged) plus the filter; measured: 30 days of Conficker C (1.5 M
names, a 5.4 MB filter) peak at 219 MB resident, about 90 MB of it the interpreter and its
libraries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import struct
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NoReturn

import numpy as np

from dgawatch.errors import InputError
from dgawatch.export import Exporter, ExportOptions, ExportStats
from dgawatch.export._stream import name_blobs
from dgawatch.forecast import DayList

MAGIC = b"DGWBLOOM"
VERSION = 1
HASH_BLAKE2B_DOUBLE = 1
SCHEMA = "dgawatch-bloom/1"
DEFAULT_FP_RATE = 1e-6
_HEAD = struct.Struct("<8sHHHHQQdII")  # 48 bytes
#: Digests kept before duplicates are dropped (bounds memory to distinct names).
_COMPACT_AT = 1 << 21
#: Names whose probes are set in one numpy pass.
_CHUNK = 1 << 16


def fp_rate_of(options: ExportOptions) -> float:
    """The stated false-positive rate (``--fp-rate``; default 1e-6)."""
    return float(options.fp_rate)


#: The smallest ``--fp-rate``: 40 probes a name, 7.2 bytes a name (about what the list
#: itself takes). 1e-300 took 997 probes, 180 bytes a name and 1.76 GB of memory for three
#: days of Conficker C (a year would not fit).
MIN_FP_RATE = 1e-12


def check_fp_rate(options: ExportOptions) -> None:
    p = fp_rate_of(options)
    if not (MIN_FP_RATE <= p <= 0.5) or math.isnan(p):
        why = " (a smaller rate makes the filter larger than the list)" if 0 < p < 0.5 else ""
        raise InputError(f"--fp-rate must be between {MIN_FP_RATE:g} and 0.5, not {p:g}{why}")


def sizing(n: int, p: float) -> tuple[int, int]:
    """(m bits, k probes) for n names at false-positive rate p."""
    if n <= 0:
        return 64, 1
    m = max(64, math.ceil(-n * math.log(p) / math.log(2) ** 2))
    k = max(1, round(m / n * math.log(2)))
    return m, k


def digests(names: Iterable[bytes]) -> np.ndarray:
    """(count, 2) uint64: h1, h2 of each name (hash scheme 1, h2's low bit not yet set)."""
    raw = b"".join(hashlib.blake2b(n, digest_size=16).digest() for n in names)
    return np.frombuffer(raw, dtype="<u8").reshape(-1, 2)


def probes(pairs: np.ndarray, m: int, k: int) -> np.ndarray:
    """(count, k) uint64 bit positions of each (h1, h2) pair."""
    h1 = pairs[:, 0:1].astype(np.uint64)
    h2 = pairs[:, 1:2].astype(np.uint64) | np.uint64(1)
    i = np.arange(k, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        return (h1 + i * h2) % np.uint64(m)  # uint64 arithmetic wraps modulo 2^64


def _unique(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.empty((0, 2), "<u8")
    both = np.concatenate(parts)
    view = np.ascontiguousarray(both).view([("a", "<u8"), ("b", "<u8")]).ravel()
    return np.unique(view).view("<u8").reshape(-1, 2)


@dataclass
class BloomBuilder:
    """Collects the window's names (as digests), then writes the filter."""

    fp_rate: float = DEFAULT_FP_RATE
    parts: list[np.ndarray] = field(default_factory=list)
    pending: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    variants: dict[str, None] = field(default_factory=dict)

    def add(self, dl: DayList) -> None:
        if not dl.blob:
            return
        self.parts.append(digests(dl.blob[:-1].split(b"\n")))
        self.pending += len(self.parts[-1])
        self.first_day = min(self.first_day or dl.day, dl.day)
        self.last_day = max(self.last_day or dl.day, dl.day)
        self.variants[dl.variant.key] = None
        if self.pending >= _COMPACT_AT:
            self.parts = [_unique(self.parts)]
            self.pending = len(self.parts[0])

    def bits(self) -> tuple[np.ndarray, int, int, int]:
        """(filter bytes, m, k, n)."""
        pairs = _unique(self.parts)
        n = len(pairs)
        m, k = sizing(n, self.fp_rate)
        bits = np.zeros((m + 7) // 8, np.uint8)
        for lo in range(0, n, _CHUNK):
            pos = probes(pairs[lo : lo + _CHUNK], m, k).ravel()
            masks = np.left_shift(np.uint8(1), (pos & np.uint64(7)).astype(np.uint8))
            np.bitwise_or.at(bits, pos >> np.uint64(3), masks)
        return bits, m, k, n

    def write(self, fh: BinaryIO, withheld: str | None = None) -> int:
        bits, m, k, n = self.bits()
        keys = list(self.variants)
        meta: dict[str, object] = {
            "schema": SCHEMA,
            "producer": "dgawatch",
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "families": sorted({k.split("/")[0] for k in keys}),
            "variants": sorted(keys),
            "names": n,
            "fp_rate": self.fp_rate,
            "hash": "blake2b-128 double hashing: h1 + i*h2 mod 2^64 mod m, h2 |= 1",
        }
        if withheld:
            meta["withheld"] = withheld
        blob = json.dumps(meta, sort_keys=True).encode("utf-8")
        fh.write(
            _HEAD.pack(MAGIC, VERSION, k, HASH_BLAKE2B_DOUBLE, 0, m, n, self.fp_rate, len(blob), 0)
        )
        fh.write(blob + b"\0" * (-len(blob) % 8))
        fh.write(bits.tobytes())
        return n


def write_bloom(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert not isinstance(out, Path)
    builder = BloomBuilder(fp_rate_of(options))
    for dl in name_blobs(lists, options.tlds):
        builder.add(dl)
    withheld = options.withheld.summary() if options.withheld is not None else None
    n = builder.write(out, withheld=withheld or None)
    out.flush()
    return ExportStats(names=n)


def _key(name: str) -> bytes:
    """A name as hash scheme 1 hashes it: lower case, no trailing dot, A-labels."""
    text = name.strip().rstrip(".").lower()
    if text.isascii():
        return text.encode("ascii")
    try:
        return text.encode("idna")
    except UnicodeError:
        return text.encode("utf-8")  # no forecast name is like it: a miss


class BloomReader:
    """A filter read back: ``name in reader`` (normalised: lower case, no trailing dot)."""

    def __init__(self, header: dict[str, object], bits: np.ndarray) -> None:
        self.meta = header
        self.m = int(header["m"])  # type: ignore[call-overload]
        self.k = int(header["k"])  # type: ignore[call-overload]
        self.n = int(header["n"])  # type: ignore[call-overload]
        self.fp_rate = float(header["p"])  # type: ignore[arg-type]
        self.bits = bits

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "filter") -> BloomReader:
        if len(data) < _HEAD.size or data[:8] != MAGIC:
            raise InputError(f"{source}: not a dgawatch Bloom filter (no DGWBLOOM header)")
        _magic, version, k, scheme, _, m, n, p, length, _ = _HEAD.unpack_from(data)
        if version != VERSION:
            raise InputError(f"{source}: Bloom filter format version {version}; this reads 1")
        if scheme != HASH_BLAKE2B_DOUBLE:
            raise InputError(f"{source}: unknown hash scheme {scheme}")
        start = _HEAD.size + length + (-length % 8)
        if k < 1 or m < 1 or len(data) != start + (m + 7) // 8:
            raise InputError(f"{source}: truncated or damaged Bloom filter")
        try:
            meta = json.loads(data[_HEAD.size : _HEAD.size + length].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InputError(f"{source}: damaged Bloom filter metadata") from None
        header = dict(meta) | {"m": m, "k": k, "n": n, "p": p}
        return cls(header, np.frombuffer(data, np.uint8, offset=start))

    @classmethod
    def open(cls, path: str | Path) -> BloomReader:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
        return cls.from_bytes(data, str(path))

    def contains_many(self, names: Sequence[str]) -> np.ndarray:
        """bool per name: all k bits set."""
        keys = [_key(n) for n in names]
        pos = probes(digests(keys), self.m, self.k)
        found = (self.bits[pos >> np.uint64(3)] >> (pos & np.uint64(7)).astype(np.uint8)) & 1
        return np.asarray(found.all(axis=1), bool)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.contains_many([name])[0])


EXPORTERS = (
    Exporter(
        "bloom",
        "Bloom filter of the window's names (binary; --fp-rate, default 1e-6; "
        "reader: python -m dgawatch.export.bloom check FILE NAME...)",
        write_bloom,
        binary=True,
        check=check_fp_rate,
    ),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, like every dgawatch error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dgawatch.export.bloom check FILE NAME...`` / ``info FILE``."""
    parser = _Parser(prog="python -m dgawatch.export.bloom")
    sub = parser.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="say for each name: probably in / not in")
    c.add_argument("file")
    c.add_argument("names", nargs="+")
    i = sub.add_parser("info", help="the header and metadata as JSON")
    i.add_argument("file")
    args = parser.parse_args(argv)
    try:
        reader = BloomReader.open(args.file)
    except InputError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "info":
        print(json.dumps(reader.meta, indent=1, sort_keys=True))
        return 0
    hits = reader.contains_many(args.names)
    for name, hit in zip(args.names, hits.tolist(), strict=True):
        print(f"{name}\t{'probably-in' if hit else 'not-in'}")
    return 0 if hits.any() else 1


if __name__ == "__main__":
    sys.exit(main())
