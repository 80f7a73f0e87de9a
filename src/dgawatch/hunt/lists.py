"""The forecast lists a hunt matches against, for both engines.

A *list* is one variant's names valid over a span of event days: a time-seeded variant's
list of day ``D`` serves events of days ``D - w .. D + w`` (the window); a variant that is not
time-seeded (``period_days == 0``) has one list, valid on every day of its active period, and
its matches are attributed to the event's own day. Lists come from the forecast store when
it holds them and are generated otherwise (compiled generators run on a thread pool).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.days import FIRST_SUPPORTED, LAST_SUPPORTED
from dgawatch.families import all_variants, fingerprint
from dgawatch.families.base import Variant
from dgawatch.filestamp import NO_FILE, store_stamp
from dgawatch.hunt.listcache import CachedList, ListCache
from dgawatch.store import ForecastStore

#: Day used as "no end" for variants active until further notice.
FAR_FUTURE = dt.date(2099, 12, 31)


@dataclass(frozen=True)
class ListSpec:
    """Which list: ``day`` None for a variant that is not time-seeded."""

    variant: Variant
    day: dt.date | None

    @property
    def key(self) -> tuple[str, str, dt.date | None]:
        return (self.variant.family, self.variant.name, self.day)

    def valid(self, window_days: int) -> tuple[dt.date, dt.date]:
        """Event days this list serves (inclusive)."""
        if self.day is None:
            return self.variant.active_from, self.variant.active_until or FAR_FUTURE
        w = dt.timedelta(days=window_days)
        return self.day - w, self.day + w


def lists_for_days(
    variants: Sequence[Variant], event_days: Iterable[dt.date], window_days: int
) -> list[ListSpec]:
    """Every list that can match an event of one of ``event_days``."""
    days = sorted(set(event_days))
    around = sorted(
        {d + dt.timedelta(days=i) for d in days for i in range(-window_days, window_days + 1)}
    )
    wanted: list[ListSpec] = []
    for v in variants:
        if v.period_days == 0:
            if any(v.is_active(d) for d in days):
                wanted.append(ListSpec(v, None))
        else:
            wanted.extend(
                ListSpec(v, day)
                for day in around
                if v.is_active(day) and FIRST_SUPPORTED <= day <= LAST_SUPPORTED
            )
    return wanted


class ListSource:
    """Names of lists, from the store where it holds them, else generated."""

    def __init__(
        self,
        store: ForecastStore | None = None,
        workers: int | None = None,
        cache: ListCache | None = None,
    ) -> None:
        self.store = store
        self.workers = workers or min(4, os.cpu_count() or 1)
        #: Generated lists kept on disk between runs (:mod:`dgawatch.hunt.listcache`).
        self.cache = cache if cache is not None else ListCache.default()
        self.from_store = 0
        self.generated = 0
        self.from_cache = 0
        self._covered: dict[str, set[dt.date]] = {}
        #: The store to open when a list it holds is asked for (:meth:`for_store`).
        self._store_path: Path | None = None

    @classmethod
    def for_store(cls, path: Path | None, cache: ListCache | None = None) -> ListSource:
        """A source of lists with the forecast store at ``path`` (None: no store). The
        store's coverage is kept in the list cache (:data:`COVERAGE_FOLDER`): while the store
        file is unchanged and the generators of its lists too, it is opened only when it
        holds a list asked for (DuckDB's first connection costs ~50 ms of CPU, loaded, at
        every hunt otherwise). Without a valid copy it is opened here, as before, and its
        errors (missing, locked, another program's file) are raised here."""
        source = cls(cache=cache)
        if path is None:
            return source
        snapshot = _read_coverage(source.cache.root, path)
        if snapshot is not None:
            source._covered = snapshot
            source._store_path = path
            return source
        before = _store_signature(path)
        source.store = ForecastStore(path, read_only=True)
        source._covered = {}
        covered = source._all_coverage()
        if before is not None and _store_signature(path) == before:
            _write_coverage(source.cache.root, before, covered)
        return source

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def _open_store(self) -> ForecastStore:
        if self.store is None:
            assert self._store_path is not None
            self.store = ForecastStore(self._store_path, read_only=True)
        return self.store

    def _all_coverage(self) -> dict[str, set[dt.date]]:
        """Every registered variant's stored days (none for a stale one), into the
        coverage known."""
        assert self.store is not None
        rows = self.store.con.execute("SELECT family, variant, day FROM coverage").fetchall()
        found: dict[str, set[dt.date]] = {v.key: set() for v in all_variants()}
        stale = self.store.stale()
        for family, variant, day in rows:
            days = found.get(f"{family}/{variant}")
            if days is not None and f"{family}/{variant}" not in stale:
                days.add(day)
        self._covered.update(found)
        return found

    def _stored(self, spec: ListSpec) -> bool:
        if self.store is None and self._store_path is None:
            return False
        key = spec.variant.key
        if key not in self._covered:
            self._covered[key] = self._open_store().covered_days(spec.variant)
        day = spec.day if spec.day is not None else spec.variant.active_from
        return day in self._covered[key]

    def stored_any(self, specs: Sequence[ListSpec]) -> bool:
        """Whether the store holds any of these lists (it would serve them)."""
        if self.store is None and self._store_path is None:
            return False
        self._load_coverage(specs)
        return any(self._stored(s) for s in specs)

    def _load_coverage(self, specs: Sequence[ListSpec]) -> None:
        """The store's coverage of every variant of ``specs`` in one query (one query per
        variant costs more than reading a cached day list)."""
        if self.store is None:
            return
        missing = {s.variant.key for s in specs} - self._covered.keys()
        if len(missing) < 8:
            return
        rows = self.store.con.execute("SELECT family, variant, day FROM coverage").fetchall()
        found: dict[str, set[dt.date]] = {k: set() for k in missing}
        stale = self.store.stale()
        for family, variant, day in rows:
            key = f"{family}/{variant}"
            days = found.get(key) if key not in stale else None
            if days is not None:
                days.add(day)
        self._covered.update(found)

    def names(self, specs: Sequence[ListSpec]) -> list[pa.Array]:
        """The names of each list, in generation order (duplicates kept)."""
        return [x.names for x in self.lists(specs)]

    def lists(self, specs: Sequence[ListSpec]) -> list[Names]:
        """The names of each list, in generation order (duplicates kept), with their hashes
        where the list cache had them or they were made to fill it. Lists of one variant
        with the same names (a weekly seed's seven days) read from a blob are one array
        object: split once, and hashed once by the local engine."""
        out: list[Names | None] = [None] * len(specs)
        todo = []
        same = _Twins()
        self._load_coverage(specs)
        for i, spec in enumerate(specs):
            day = spec.day if spec.day is not None else spec.variant.active_from
            if self._stored(spec):
                stored = self._open_store().day_list(spec.variant, day)
                if stored is not None:
                    out[i] = Names(same.names(spec.variant.key, stored.blob))
                    self.from_store += 1
                    continue
            cached = self.cache.get(spec.variant, day)
            if cached is not None:
                out[i] = Names(cached.names, cached.hashes, cached.labels)
                self.from_cache += 1
                continue
            todo.append((i, spec.variant, day))
        if todo:
            if len(todo) == 1 or self.workers == 1:
                blobs = [v.domains_blob(d) for _, v, d in todo]
            else:
                with ThreadPoolExecutor(max_workers=self.workers) as pool:
                    blobs = list(pool.map(lambda job: job[1].domains_blob(job[2]), todo))
            for (i, variant, day), blob in zip(todo, blobs, strict=True):
                names = same.names(variant.key, blob)
                hashes, labels = name_hashes(names)
                out[i] = Names(names, hashes, labels)
                self.generated += 1
                if names.type == pa.string():  # not a list of 2 GiB or more
                    self.cache.put(variant, day, CachedList(names, hashes, labels))
            self.cache.trim()
        return [n if n is not None else Names(pa.array([], pa.string())) for n in out]


#: Folder of the list cache holding the forecast stores' coverage (one file per store).
COVERAGE_FOLDER = "store-coverage-v1"


def _store_signature(path: Path) -> list[Any] | None:
    """What changes whenever the store's contents may have: its resolved path and
    :func:`dgawatch.filestamp.store_stamp` (the file's and its write-ahead log's identity).
    None when the store cannot be looked at (then it is opened, and says why)."""
    try:
        stamp = store_stamp(path)
        resolved = str(path.resolve())
    except (OSError, RuntimeError):
        return None
    return None if stamp[:5] == NO_FILE else [resolved, *stamp]


def _coverage_file(root: Path, sig: list[Any]) -> Path:
    return root / COVERAGE_FOLDER / (hashlib.sha1(sig[0].encode()).hexdigest()[:16] + ".json")


def _prints() -> dict[str, str | None]:
    return {v.key: fingerprint(v) for v in all_variants()}


def _write_coverage(root: Path | None, sig: list[Any], covered: dict[str, set[dt.date]]) -> None:
    """Keep the store's coverage (a cache: any failure only means the next hunt opens the
    store). It holds the generators' fingerprints it was read under: a changed generator
    makes it invalid, as it makes the store's lists of that variant stale."""
    if root is None:
        return
    record = {
        "signature": sig,
        "prints": _prints(),
        "coverage": {k: sorted(d.toordinal() for d in days) for k, days in covered.items()},
    }
    path = _coverage_file(root, sig)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _read_coverage(root: Path | None, path: Path) -> dict[str, set[dt.date]] | None:
    """The store's coverage kept by an earlier hunt, when the store and every generator
    are as they were then; else None."""
    if root is None:
        return None
    sig = _store_signature(path)
    if sig is None:
        return None
    try:
        record = json.loads(_coverage_file(root, sig).read_text())
        if record["signature"] != sig or record["prints"] != _prints():
            return None
        return {
            key: {dt.date.fromordinal(d) for d in days} for key, days in record["coverage"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return None


@dataclass(frozen=True)
class Names:
    """A list's names; their hashes (:func:`name_hashes`) and the most labels of one name
    when known."""

    names: pa.Array
    hashes: np.ndarray | None = None
    labels: int = 1


def name_hashes(names: pa.Array) -> tuple[np.ndarray, int]:
    """The local engine's hash of each name (:mod:`dgawatch.hunt.local`) and the most labels
    of one name."""
    from dgawatch import _huntscan

    if names.null_count:
        names = pc.fill_null(names, "")
    if names.type != pa.string():
        names = names.cast(pa.string())
    bufs = names.buffers()
    offsets = np.frombuffer(bufs[1], np.int32)[names.offset : names.offset + len(names) + 1]
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    hashes, labels = _huntscan.name_hashes(np.ascontiguousarray(offsets), data)
    return np.frombuffer(hashes, np.uint64), max(labels, 1)


class _Twins:
    """Names of list blobs, one array for equal blobs of one variant."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, bytes, bytes], list[tuple[bytes, pa.Array]]] = {}

    def names(self, variant: str, blob: bytes) -> pa.Array:
        held = self._seen.setdefault((variant, len(blob), blob[:64], blob[-64:]), [])
        for other, names in held:
            if other == blob:
                return names
        names = blob_names(blob)
        held.append((blob, names))
        return names


def blob_names(blob: bytes) -> pa.Array:
    """``b"a\\nb\\n"`` -> Arrow strings ["a", "b"], split in Arrow (no Python strings)."""
    if not blob:
        return pa.array([], pa.string())
    if not blob.isascii() or len(blob) >= 1 << 31:
        parts = pc.split_pattern(pa.array([blob.decode("ascii")], pa.string()), "\n")
        flat = parts.flatten()
        return flat.slice(0, len(flat) - 1) if blob.endswith(b"\n") else flat
    from dgawatch import _huntscan

    offsets, data, n = _huntscan.split_lines(blob)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
