"""A disk cache of generated day lists, so that a hunt does not regenerate them each run.

Why: with its defaults a hunt matches every registered variant's lists of the log's days
+/- the window, about 1 M names for one day of logs; generating them costs seconds of CPU
on every run (mostly pure-Python hash chains), far more than matching a million log lines.
Logs are hunted again and again over the same recent days, so the lists are kept.

What is kept: one file per (variant, list day), the list as ``domains_blob`` gives it
(``name\\n`` per name, generation order), and the matcher's sorted hashes of it, under
``$DGAWATCH_LIST_CACHE`` or else ``<data dir>/list-cache-v1`` (``off`` turns the cache
off). A file's folder carries a fingerprint of the variant's parameters, the dgawatch
version and the source of the family's module, so a changed generator never reads an old
list. Only registered variants are cached (an ad-hoc ``Variant`` built in code may reuse a
key). The cache holds at most ``$DGAWATCH_LIST_CACHE_MB`` (default 1024) MB: past that
the least recently used files go. Files are written to a temporary name and renamed, so
concurrent hunts never read a partial list; any I/O error only means the list is
generated.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import numpy as np

from dgawatch.families import fingerprint
from dgawatch.families.base import Variant
from dgawatch.home import cache_root

DEFAULT_MB = 1024


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
        return None if fp is None else self.root / fp / f"{day.isoformat()}.txt"

    def get(self, variant: Variant, day: dt.date) -> bytes | None:
        path = self._path(variant, day)
        if path is None:
            return None
        try:
            blob = path.read_bytes()
            os.utime(path)  # recently used: trimmed last
        except OSError:
            return None
        if blob and not blob.endswith(b"\n"):
            return None  # not a list this module wrote
        self.hits += 1
        return blob

    def put(self, variant: Variant, day: dt.date, blob: bytes) -> None:
        path = self._path(variant, day)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.written += 1

    def get_array(self, variant: Variant, day: dt.date, kind: str) -> np.ndarray | None:
        """An array derived from the list (``kind`` names it and its format version)."""
        path = self._path(variant, day)
        if path is None:
            return None
        try:
            arr = np.load(path.with_suffix(f".{kind}.npy"), allow_pickle=False)
        except (OSError, ValueError, EOFError):
            return None
        return arr if isinstance(arr, np.ndarray) else None

    def put_array(self, variant: Variant, day: dt.date, kind: str, arr: np.ndarray) -> None:
        path = self._path(variant, day)
        if path is None:
            return
        target = path.with_suffix(f".{kind}.npy")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.save(fh, arr, allow_pickle=False)
                os.replace(tmp, target)
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
