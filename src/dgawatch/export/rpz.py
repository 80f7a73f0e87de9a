"""Response Policy Zone (RPZ) export, for BIND 9, Unbound, Knot Resolver, PowerDNS Recursor.

One zone file: SOA and NS at the apex, then one QNAME trigger per forecast name, its owner
relative to the policy zone (so the file loads under whatever zone name the server gives
it). Actions: ``nxdomain`` (``CNAME .``), ``nodata`` (``CNAME *.``), ``sinkhole`` (A/AAAA
local data). ``wildcard`` adds ``*.name`` with the same action, covering subdomains.

Each name is written once per export, at its first occurrence in generation order, however
often it recurs within a day list or across the day lists, variants and families of the
export: PowerDNS Recursor refuses a whole policy zone with a repeated ``CNAME`` trigger, and
PowerDNS Recursor and Knot Resolver answer a repeated sinkhole record twice.

Streaming and fast: each day list is hashed at once (:func:`dgawatch.index.hash_lines`,
64-bit), names already seen are dropped by their hash (:class:`SeenHashes`), and the
remaining blob is rewritten as a whole with ``bytes.replace``. Memory: 8 bytes per distinct
name of the export (16 while two runs merge), e.g. ~146 MB for a year of Conficker C
(18.25 M names). Two distinct names with the same hash would drop the later one; for n
distinct names that happens with probability about n² / 2^65, ~1e-5 for a year of Conficker C.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress
from pathlib import Path
from typing import BinaryIO

import numpy as np

from dgawatch.forecast import DayList
from dgawatch.index import hash_lines

from . import Exporter, ExportOptions, ExportStats
from ._stream import TTL, addresses, name_blobs, prefixed, serial

#: Prefilter bits of :class:`SeenHashes` (2**27 bits, 16 MiB): one per value of a hash's top bits.
FILTER_BITS = 27


class SeenHashes:
    """A set of 64-bit name hashes: a few sorted, disjoint ``uint64`` runs and a bitmap.

    Membership is one ``searchsorted`` per run, only for the hashes whose top
    ``FILTER_BITS`` bits are marked in the bitmap (under 12 % of new names after a year of
    Conficker C). A new run is merged into the previous one while it is at least half its
    size: O(log n) runs, each hash copied O(log n) times. Memory: 8 bytes per hash + 16 MiB,
    vectorised, no per-name Python objects.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []
        self.bits = np.zeros(1 << (FILTER_BITS - 3), np.uint8)

    def __len__(self) -> int:
        return sum(len(r) for r in self.runs)

    def _slots(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        top = hashes >> np.uint64(64 - FILTER_BITS)
        return top >> np.uint64(3), np.left_shift(1, top & np.uint64(7)).astype(np.uint8)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``hashes`` are in the set."""
        byte, bit = self._slots(hashes)
        maybe = np.flatnonzero(self.bits[byte] & bit)
        found = np.zeros(len(hashes), bool)
        if not len(maybe):
            return found
        cand = hashes[maybe]
        hit = np.zeros(len(cand), bool)
        for run in self.runs:
            pos = np.searchsorted(run, cand)
            hit |= run[np.minimum(pos, len(run) - 1)] == cand
        found[maybe] = hit
        return found

    def add(self, new: np.ndarray) -> None:
        """Add sorted, distinct hashes none of which is in the set yet."""
        if not len(new):
            return
        byte, bit = self._slots(new)
        np.bitwise_or.at(self.bits, byte, bit)
        self.runs.append(new)
        while len(self.runs) > 1 and 2 * len(self.runs[-1]) >= len(self.runs[-2]):
            top = self.runs.pop()
            merged = np.concatenate([self.runs[-1], top])
            self.runs[-1] = np.sort(merged, kind="stable")  # two sorted runs: a linear merge


def first_occurrences(blob: bytes, seen: SeenHashes) -> bytes:
    """The names of ``blob`` not in ``seen`` and not earlier in ``blob``, in order; adds them."""
    hashes = hash_lines(blob)
    ordered = np.sort(hashes)
    repeat = ordered[1:] == ordered[:-1]  # within the day list: a few names at most
    recurs = bool(repeat.any())
    distinct = ordered[np.concatenate(([True], ~repeat))] if recurs else ordered
    old = seen.contains(distinct)
    seen.add(distinct[~old])
    if not recurs and not old.any():
        return blob  # nothing recurs
    drop = np.isin(hashes, distinct[old])  # every occurrence of a name of an earlier list
    if recurs:  # and the later occurrences of a name within this list
        at = np.flatnonzero(np.isin(hashes, ordered[1:][repeat]))
        first = np.unique(hashes[at], return_index=True)[1]
        drop[np.delete(at, first)] = True
    kept = list(compress(blob.split(b"\n"), (~drop).tolist()))
    return b"\n".join(kept) + b"\n" if kept else b""


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
    output.flush()
    return stats


EXPORTERS = (
    Exporter(
        "rpz",
        "Response Policy Zone (BIND, Unbound, Knot Resolver, PowerDNS): nxdomain/nodata/sinkhole",
        write_rpz,
        wildcard=True,
    ),
)
