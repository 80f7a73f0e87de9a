"""What changes when a file is written, and which files had their contents checked.

A file's identity (:func:`file_identity`: device, inode, size, modification and change
times) changes with any write or replacement; the store's (:func:`store_stamp`) says when
lists derived from it are stale (look-up tables, a hunt's coverage record). A table or a
list pack whose whole contents were checked against their checksums is remembered by its
identity (:func:`remember_checked`), so that the next use checks only that it is the same
file (:func:`checked_before`). A small module of its own: a hunt needs it at start-up, and
``dgawatch.lookuptable`` costs ~7 ms more to import.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from dgawatch.home import cache_root

#: :func:`store_stamp`'s part for a file that is not there.
NO_FILE = [-1] * 5


def store_stamp(store: Path) -> list[int]:
    """The store file's and its write-ahead log's identity (:func:`file_identity`): any
    write changes it. :data:`NO_FILE` for either that is absent."""
    out: list[int] = []
    for path in (store, store.with_name(store.name + ".wal")):
        try:
            out += file_identity(path.stat())
        except FileNotFoundError:
            out += NO_FILE
    return out


def file_identity(st: os.stat_result) -> list[int]:
    """Device, inode, size, modification and change times: any write or replacement of the
    file changes them."""
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _checked_mark(path: Path, folder: str) -> Path | None:
    root = cache_root()
    if root is None:
        return None
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:20]
    return root / folder / key


def checked_before(path: Path, identity: list[int], folder: str) -> bool:
    """Whether this very file (:func:`file_identity`) had its contents checked already, as
    :func:`remember_checked` noted in ``folder`` of the cache directory."""
    mark = _checked_mark(path, folder)
    try:
        return mark is not None and json.loads(mark.read_text("ascii")) == identity
    except (OSError, ValueError):
        return False


def remember_checked(path: Path, identity: list[int], folder: str) -> None:
    """Note that the file of this identity had its contents checked (a cache: best effort)."""
    mark = _checked_mark(path, folder)
    if mark is None:
        return
    tmp = mark.with_name(f".{mark.name}.{os.getpid()}.tmp")
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(identity), "ascii")
        tmp.replace(mark)
    except OSError:
        tmp.unlink(missing_ok=True)
