"""Response Policy Zone (RPZ) export, for BIND 9, Unbound, Knot Resolver, PowerDNS Recursor.

One zone file: SOA and NS at the apex, then one QNAME trigger per forecast name, its owner
relative to the policy zone (so the file loads under whatever zone name the server gives
it). Actions: ``nxdomain`` (``CNAME .``), ``nodata`` (``CNAME *.``), ``sinkhole`` (A/AAAA
local data). ``wildcard`` adds ``*.name`` with the same action, covering subdomains.

Each name is written once per export, at its first occurrence in generation order, however
often it recurs within a day list or across the day lists, variants and families of the
export: PowerDNS Recursor refuses a whole policy zone with a repeated ``CNAME`` trigger, and
PowerDNS Recursor and Knot Resolver answer a repeated sinkhole record twice.

Streaming and fast: each day list is hashed at once (:func:`line_hashes`, the hunt's
64-bit polynomial hash), names already seen are dropped by their hash (:class:`SeenHashes`,
an open-addressing hash table), and the remaining blob is rewritten as a whole with
``bytes.replace``. Memory: 20-40 bytes per distinct name of the export, at least 48 MiB,
e.g. 384 MiB for a year of Conficker C (18.25 M names). Two distinct names with the same
hash (the table also stores a hash 0 as 1) would drop the later one from the zone (never
add a name); treating the hash as random, for n distinct names that happens with
probability about n² / 2^65, ~1e-5 for a year of Conficker C.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from dgawatch.forecast import DayList
from dgawatch.hunt.local import _Hasher

from . import Exporter, ExportOptions, ExportStats, check_policy_addresses, comments
from ._stream import TTL, addresses, name_blobs, prefixed, serial

#: Largest share of :class:`SeenHashes`' slots in use before the table doubles.
MAX_LOAD = 0.6
#: Fibonacci hashing: the top bits of ``hash * 2^64/phi`` pick the slot, so a slot depends
#: on every bit of the hash (the polynomial hash's low bits alone are weak).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_NONE = np.iinfo(np.int32).max


class SeenHashes:
    """A set of 64-bit name hashes: an open-addressing hash table (linear probing) in one
    ``uint64`` array, 0 marking an empty slot (a hash of 0 is stored as 1).

    Vectorised: a batch of hashes probes the table together, one round per probe step; in
    each round the hashes meeting an empty slot write themselves into it, and those whose
    write another hash of the batch overwrote probe on. Equal hashes of a batch move in
    step and end in the same slot, so the first occurrence of each is found with one
    ``np.minimum.at`` over a scratch array of batch positions, without sorting. Probing is
    double hashing (an odd step from the hash's low bits), so few rounds are needed. Memory:
    12 bytes a slot (the table and the scratch), doubling past ``MAX_LOAD``: 20-40 bytes per
    distinct name, 48 MiB at first (384 MiB for a year of Conficker C, 18.25 M names). Each
    lookup or insert is O(1) however many names the export holds: for 180 days of Conficker
    C, 1.3-1.7x less CPU than the sorted runs with a flag table it replaced (loaded machine).
    """

    def __init__(self, bits: int = 22) -> None:
        self.bits = bits
        self.table = np.zeros(1 << bits, np.uint64)
        self.first = np.empty(1 << bits, np.int32)  # scratch: a slot's first batch position
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _GOLDEN) >> np.uint64(64 - self.bits)).astype(np.intp)

    @staticmethod
    def _keys(hashes: np.ndarray) -> np.ndarray:
        return np.where(hashes == 0, np.uint64(1), hashes).astype(np.uint64, copy=False)

    def _grow(self, needed: int) -> None:
        bits = self.bits
        while needed > MAX_LOAD * (1 << bits):
            bits += 1
        if bits == self.bits:
            return
        old = self.table[self.table != 0]
        self.bits, self.table = bits, np.zeros(1 << bits, np.uint64)
        self.first = np.empty(1 << bits, np.int32)
        self._probe(old, insert=True)

    def _probe(self, keys: np.ndarray, *, insert: bool) -> tuple[np.ndarray, np.ndarray]:
        """(which ``keys`` were in the table, the slot where each search ended); with
        ``insert``, the absent keys are added (equal keys share one slot)."""
        mask = (1 << self.bits) - 1
        table = self.table
        found = np.zeros(len(keys), bool)
        ended = np.empty(len(keys), np.intp)
        slots = self._slots(keys)
        steps = (keys.astype(np.intp) | 1) & mask  # double hashing: short probe sequences
        pending = np.arange(len(keys))
        while len(pending):
            at = slots[pending]
            want = keys[pending]
            current = table[at]
            hit = current == want
            found[pending[hit]] = True
            done = hit | (current == 0)
            if insert:
                claim = np.flatnonzero(current == 0)
                table[at[claim]] = want[claim]  # several may claim a slot: one is written
                done[claim[table[at[claim]] != want[claim]]] = False
            ended[pending[done]] = at[done]
            pending = pending[~done]
            slots[pending] = (slots[pending] + steps[pending]) & mask
        return found, ended

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``hashes`` are in the set."""
        return self._probe(self._keys(hashes), insert=False)[0]

    def first_new(self, hashes: np.ndarray) -> np.ndarray:
        """Add ``hashes``; a boolean mask: which of them are neither in the set before nor
        equal to an earlier hash of ``hashes`` (each name's first occurrence in the export)."""
        if not len(hashes):
            return np.zeros(0, bool)
        self._grow(self.count + len(hashes))
        found, ended = self._probe(self._keys(hashes), insert=True)
        new = np.flatnonzero(~found)
        slots = ended[new]
        self.first[slots] = _NONE
        np.minimum.at(self.first, slots, new.astype(np.int32))
        first = np.zeros(len(hashes), bool)
        first[new[self.first[slots] == new]] = True
        self.count += len(new) - int(np.count_nonzero(~first[new]))
        return first


def line_hashes(blob: bytes, offsets: np.ndarray) -> np.ndarray:
    """64-bit hashes of the lines of ``blob`` (each with its ``\\n``; ``offsets``: where each
    starts, then ``len(blob)``): the hunt's polynomial hash (:class:`dgawatch.hunt.local._Hasher`),
    linear in the bytes and about twice as fast here as :func:`dgawatch.index.hash_lines`."""
    off32 = offsets.astype(np.int32)
    lines = pa.StringArray.from_buffers(len(off32) - 1, pa.py_buffer(off32), pa.py_buffer(blob))
    return _Hasher(lines).whole()


def first_occurrences(blob: bytes, seen: SeenHashes) -> bytes:
    """The names of ``blob`` not in ``seen`` and not earlier in ``blob``, in order; adds them."""
    offsets = np.concatenate(([0], np.flatnonzero(np.frombuffer(blob, np.uint8) == 10) + 1))
    keep = seen.first_new(line_hashes(blob, offsets))
    lines = np.flatnonzero(~keep)
    if not len(lines):
        return blob  # nothing recurs
    # Copy the spans between the dropped lines (few), not the lines one by one.
    cuts = np.stack([offsets[lines], offsets[lines + 1]], axis=1).ravel().tolist()
    bounds = [0, *cuts, len(blob)]
    return b"".join(blob[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2))


def actions(options: ExportOptions) -> list[bytes]:
    """The record(s) after each trigger's owner name, as ``b" TYPE rdata\\n"``."""
    if options.policy == "nxdomain":
        return [b" CNAME .\n"]
    if options.policy == "nodata":
        return [b" CNAME *.\n"]
    v4, v6 = addresses(options)
    records = []
    if v4:
        records.append(f" A {v4}\n".encode("ascii"))
    if v6:
        records.append(f" AAAA {v6}\n".encode("ascii"))
    return records


def header(options: ExportOptions) -> bytes:
    what = options.policy
    if options.policy == "sinkhole":
        what += " to " + ", ".join(a for a in addresses(options) if a)
    return (
        f"; dgawatch response policy zone {options.zone}. (schema rpz/1)\n"
        f"; policy {what}{', subdomains too' if options.wildcard else ''}\n"
        "; owner names are relative: load this file as the policy zone's zone file\n"
        "; each name once, at its first occurrence\n"
        f"{comments(options, '; ', final=False).decode('ascii')}"
        f"$TTL {TTL}\n"
        f"@ IN SOA localhost. hostmaster.localhost. {serial(options)} 3600 600 604800 {TTL}\n"
        "@ IN NS localhost.\n"
    ).encode("ascii")


def write_rpz(
    lists: Iterable[DayList], output: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """Write the zone; ``stats.names`` counts the distinct names written."""
    assert not isinstance(output, Path)
    records = actions(options)
    output.write(header(options))
    stats = ExportStats()
    seen = SeenHashes()
    for dl in name_blobs(lists, options.tlds):
        if not dl.blob:
            continue
        blob = first_occurrences(dl.blob, seen)
        parts = [f"; {dl.variant.key} {dl.day.isoformat()}\n".encode("ascii")]
        if blob:
            owners = [blob, prefixed(blob, b"*.")] if options.wildcard else [blob]
            parts.extend(owner.replace(b"\n", rec) for owner in owners for rec in records)
            stats.names += blob.count(b"\n")
        output.writelines(parts)
    output.write(comments(options, "; ", final=True))
    output.flush()
    return stats


EXPORTERS = (
    Exporter(
        "rpz",
        "Response Policy Zone (BIND, Unbound, Knot Resolver, PowerDNS): nxdomain/nodata/sinkhole",
        write_rpz,
        wildcard=True,
        check=check_policy_addresses,
    ),
)
