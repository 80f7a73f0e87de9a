"""A disk cache of generated day lists, so that a hunt does not regenerate them each run.

Why: with its defaults a hunt matches every registered variant's lists of the log's days
+/- the window, about 1 M names for one day of logs; generating them costs seconds of CPU
on every run (mostly pure-Python hash chains), far more than matching a million log lines.
Logs are hunted again and again over the same recent days, so the lists are kept.

What is kept: one file per (variant, list day), ``<day>.lst``, holding the list as Arrow
string buffers (int32 offsets, the names' bytes, generation order) and the local engine's
hash of each name (:func:`dgawatch._huntscan.name_hashes`), so that a warm hunt neither
splits nor hashes a list (bench_hunt.py, 1,308 lists for a week: ~0.2 CPU-s that was),
under ``$DGAWATCH_LIST_CACHE`` or else ``<data dir>/list-cache-v1`` (``off`` turns the
cache off). A file's folder carries a fingerprint of the variant's parameters, the dgawatch
version and the source of the family's module, so a changed generator never reads an old
list. Only registered variants are cached (an ad-hoc ``Variant`` built in code may reuse a
key). The cache holds at most ``$DGAWATCH_LIST_CACHE_MB`` (default 1024) MB: past that
the least recently used files go (``<day>.txt`` files of the first format are never read
again and go first). Files are written to a temporary name and renamed, so concurrent
hunts never read a partial list; a file that is not whole (header, sizes, offsets, end
mark) is not read, and any I/O error only means the list is generated.

The lists one hunt asked for are also kept together, with the engine's hash table over
them, in one file mapped by the next hunt of those days (:mod:`dgawatch.hunt.listpack`,
under ``pack-<digest>/`` here, trimmed with the lists).
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from dgawatch.families import fingerprint
from dgawatch.families.base import Variant
from dgawatch.home import cache_root

DEFAULT_MB = 1024


#: ``<day>.lst``: MAGIC, then n, len(data), labels (u64 each), offsets (int32, n + 1), data,
#: zeros to a multiple of 8, hashes (u64, n), MAGIC again (a cut file lacks it).
MAGIC = b"DGWLST01"
_HEAD = struct.Struct("<8sQQQ")


@dataclass(frozen=True)
class CachedList:
    """A list as the local engine takes it: its names, their hashes, and the most labels
    of one name (at least 1)."""

    names: pa.Array
    hashes: np.ndarray
    labels: int


def pack(lst: CachedList) -> list[bytes | memoryview]:
    """The parts of a ``.lst`` file."""
    names = lst.names
    if names.type != pa.string() or names.null_count or len(names) != len(lst.hashes):
        raise ValueError("a cached list is strings without nulls, one hash each")
    n = len(names)
    offsets = np.frombuffer(names.buffers()[1], np.int32)[names.offset : names.offset + n + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    data = names.buffers()[2]
    body = memoryview(data)[start:end] if data is not None else memoryview(b"")
    pad = b"\0" * (-(_HEAD.size + 4 * (n + 1) + (end - start)) % 8)
    return [
        _HEAD.pack(MAGIC, n, end - start, lst.labels),
        (offsets - start).astype("<i4").tobytes(),
        body,
        pad,
        np.ascontiguousarray(lst.hashes, "<u8").tobytes(),
        MAGIC,
    ]


def unpack(blob: bytes) -> CachedList | None:
    """The list of a ``.lst`` file's bytes (no copy), or None when they are not one whole."""
    if len(blob) < _HEAD.size + 4 + len(MAGIC):
        return None
    magic, n, size, labels = _HEAD.unpack_from(blob)
    at_data = _HEAD.size + 4 * (n + 1)
    at_hashes = at_data + size + (-(at_data + size) % 8)
    if magic != MAGIC or len(blob) != at_hashes + 8 * n + len(MAGIC) or blob[-8:] != MAGIC:
        return None
    offsets = np.frombuffer(blob, "<i4", n + 1, _HEAD.size)
    if offsets[0] != 0 or offsets[-1] != size or (n and np.any(offsets[1:] < offsets[:-1])):
        return None  # Arrow would read out of bounds
    view = memoryview(blob)
    names = pa.StringArray.from_buffers(
        n, pa.py_buffer(view[_HEAD.size : at_data]), pa.py_buffer(view[at_data : at_data + size])
    )
    return CachedList(names, np.frombuffer(blob, "<u8", n, at_hashes), max(1, int(labels)))


class ListCache:
    """Get and put day lists; counts hits for the hunt's summary."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.hits = 0
        self.written = 0

    @classmethod
    def default(cls) -> ListCache:
        return cls(cache_root())

    def _path(self, variant: Variant, day: dt.date) -> Path | None:
        if self.root is None:
            return None
        fp = fingerprint(variant)
        return None if fp is None else self.root / fp / f"{day.isoformat()}.lst"

    def get(self, variant: Variant, day: dt.date) -> CachedList | None:
        path = self._path(variant, day)
        if path is None:
            return None
        try:
            with open(path, "rb") as fh:
                blob = fh.read()
                os.utime(fh.fileno())  # recently used: trimmed last
        except OSError:
            return None
        found = unpack(blob)
        if found is not None:
            self.hits += 1
        return found

    def put(self, variant: Variant, day: dt.date, lst: CachedList) -> None:
        path = self._path(variant, day)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.writelines(pack(lst))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.written += 1

    def trim(self) -> None:
        """Drop least recently used files past the size limit (only after writes)."""
        if self.root is None or not self.written:
            return
        self.written = 0
        try:
            limit = int(float(os.environ.get("DGAWATCH_LIST_CACHE_MB", DEFAULT_MB)) * (1 << 20))
        except ValueError:
            limit = DEFAULT_MB << 20
        files: list[tuple[float, int, Path]] = []
        try:
            for folder in self.root.iterdir():
                for entry in os.scandir(folder):
                    st = entry.stat()
                    files.append((st.st_mtime, st.st_size, Path(entry.path)))
        except OSError:
            return
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= limit:
                break
            try:
                path.unlink()
                total -= size
            except OSError:
                continue
