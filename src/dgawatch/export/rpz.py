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
64-bit polynomial hash), names already seen are dropped by their hash (:class:`SeenHashes`),
and the remaining blob is rewritten as a whole with ``bytes.replace``. Memory: 8 bytes per
distinct name of the export (16 while runs merge) plus a 32 MiB flag table, e.g. ~180 MB for
a year of Conficker C (18.25 M names). Two distinct names with the same hash would drop the
later one from the zone (never add a name); treating the hash as random, for n distinct
names that happens with probability about n² / 2^65, ~1e-5 for a year of Conficker C.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from dgawatch.forecast import DayList
from dgawatch.hunt.local import _Hasher

from . import Exporter, ExportOptions, ExportStats, comments
from ._stream import TTL, addresses, name_blobs, prefixed, serial

#: Prefilter of :class:`SeenHashes`: one flag per value of a hash's top bits (32 MiB).
FILTER_BITS = 25
#: Runs of one size class merged together (log-structured, size-tiered).
FAN_IN = 4


class SeenHashes:
    """A set of 64-bit name hashes: sorted, disjoint ``uint64`` runs and a flag table.

    Membership: one flag lookup per hash, then ``searchsorted`` in each run only for the
    hashes whose top ``FILTER_BITS`` bits are flagged (about 4 % of the names of a 30-day
    Conficker C export, 40 % after a year). Each day list adds one run; ``FAN_IN`` runs of
    the same level are merged into one of the next: O(FAN_IN log n) runs, each hash copied
    O(log n / log FAN_IN) times. Memory: 8 bytes per hash (16 while a group merges) + 32 MiB;
    vectorised, no per-name Python objects.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []
        self.levels: list[int] = []
        self.flags = np.zeros(1 << FILTER_BITS, bool)

    def __len__(self) -> int:
        return sum(len(r) for r in self.runs)

    def _slots(self, hashes: np.ndarray) -> np.ndarray:
        return hashes >> np.uint64(64 - FILTER_BITS)

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``hashes`` are in the set."""
        maybe = np.flatnonzero(self.flags[self._slots(hashes)])
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
        self.flags[self._slots(new)] = True
        self.runs.append(new)
        self.levels.append(0)
        while len(self.levels) >= FAN_IN and len(set(self.levels[-FAN_IN:])) == 1:
            merged = np.concatenate(self.runs[-FAN_IN:])
            level = self.levels[-1] + 1
            del self.runs[-FAN_IN:], self.levels[-FAN_IN:]
            self.runs.append(np.sort(merged, kind="stable"))  # sorted runs: a timsort merge
            self.levels.append(level)


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
    hashes = line_hashes(blob, offsets)
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
    # Copy the spans between the dropped lines (few), not the lines one by one.
    lines = np.flatnonzero(drop)
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
    ),
)
