"""The local engine: query-event batches -> match rows, memory bounded.

Per batch, in compiled code (:mod:`dgawatch._huntscan`, GIL released): every query name and
its last 2..k labels (k = the most labels of any forecast name) are hashed and probed
against an open-addressing table of the hashes of every list that can serve the batch's
days (a bitmap filter first, so a miss costs one memory access). The few hits are checked
as strings (hash collisions), against the public suffix list (``www.<name>`` counts only
when ``<name>`` is the query's registered domain, as in :mod:`dgawatch.lookup`), and
against each event's day window. Only match rows are kept. The table grows by a day's lists
as a log moves on (lists with equal names, a weekly seed's seven days, share one set of
entries) and is rebuilt past :data:`MAX_INDEX_NAMES`; lists not used for a while are evicted,
so a year of logs runs in bounded memory.

Why compiled: on bench/bench_hunt.py's 1 M-line log the NumPy version (prefix-sum hashes
of each batch's distinct names, a sorted array re-merged by argsort at every new day) cost
~1.3 CPU-s of 4.9 and lost to a plain Polars join.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.domain import registered_domain
from dgawatch.families.base import Variant
from dgawatch.hunt.finding import MATCH_SCHEMA
from dgawatch.hunt.listpack import NO_DAY, ListPacks, Pack
from dgawatch.hunt.lists import ListSource, ListSpec, Names, lists_for_days, name_hashes

_EPOCH = dt.date(1970, 1, 1)
#: Lists kept in memory (names); older ones are dropped and regenerated if needed again.
MAX_CACHED_NAMES = 8_000_000
#: Names one index may hold before it is rebuilt with only the lists the batch needs
#: (a week of every registered variant's lists is about 4 M).
MAX_INDEX_NAMES = 8_000_000

_B = 0x100000001B3  # odd, so invertible modulo 2**64
_B_INV = pow(_B, -1, 1 << 64)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


class _Powers:
    """B**i and B**-(i+1) modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.n = 0
        self.fwd = np.ones(1, np.uint64)
        self.inv = np.ones(1, np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n + 1 > len(self.fwd):
            size = max(n + 1, 2 * len(self.fwd))
            with np.errstate(over="ignore"):
                self.fwd = np.cumprod(np.full(size, _B, np.uint64), dtype=np.uint64)
                self.fwd = np.concatenate([np.ones(1, np.uint64), self.fwd[:-1]])
                self.inv = np.cumprod(np.full(size, _B_INV, np.uint64), dtype=np.uint64)
        return self.fwd, self.inv


_POWERS = _Powers()


def _string_parts(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, bytes) of a string array, offsets relative to the returned bytes."""
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    if arr.type == pa.large_string():
        arr = arr.cast(pa.string())
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    base = int(offsets[0]) if len(offsets) else 0
    end = int(offsets[-1]) if len(offsets) else 0
    return offsets.astype(np.int64) - base, data[base:end]


class _Hasher:
    """Polynomial hashes of any substrings of one string array, from one prefix sum:
    hash(s[a:b]) = B**b * (S[b] - S[a]) with S the prefix sums of c_i * B**-(i+1), which is
    the ordinary polynomial hash of the substring wherever it sits (then bit-mixed)."""

    def __init__(self, arr: pa.Array) -> None:
        self.offsets, data = _string_parts(arr)
        fwd, inv = _POWERS.upto(len(data) + 1)
        self.fwd = fwd
        with np.errstate(over="ignore"):
            terms = data.astype(np.uint64) * inv[: len(data)]
            self.prefix = np.concatenate(
                [np.zeros(1, np.uint64), np.cumsum(terms, dtype=np.uint64)]
            )
        self.dots = np.flatnonzero(data == 46)
        self._dot_span: tuple[np.ndarray, np.ndarray] | None = None

    def hash(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = self.fwd[end] * (self.prefix[end] - self.prefix[start])
            h ^= h >> np.uint64(30)
            h *= _M1
            h ^= h >> np.uint64(27)
            h *= _M2
            h ^= h >> np.uint64(31)
        return h

    def whole(self) -> np.ndarray:
        return self.hash(self.offsets[:-1], self.offsets[1:])

    def last_labels(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row numbers, hashes) of the last ``k`` labels of every name with more labels."""
        ends = self.offsets[1:]
        if self._dot_span is None:
            at = np.searchsorted(self.dots, self.offsets, "left")  # dots before each offset
            self._dot_span = (at[:-1], at[1:])
        first, last = self._dot_span
        rows = np.flatnonzero(last - first >= k)
        cut = self.dots[last[rows] - k] + 1
        return rows, self.hash(cut, ends[rows])

    def suffix_start(self, row: int, k: int) -> int:
        return int(self.dots[np.searchsorted(self.dots, self.offsets[row + 1], "left") - k] + 1)


@lru_cache(maxsize=262_144)
def _accepts_suffix(query: str, candidate: str) -> bool:
    return candidate == registered_domain(query)


class _List:
    """One forecast list: its names, their hashes in list order (compiled: hashing a
    list costs less than reading a cached copy of its hashes) and the days it serves."""

    __slots__ = ("day_no", "family", "hashes", "hi", "labels", "lo", "names", "spec", "variant")
    hashes: np.ndarray
    labels: int

    def __init__(
        self, spec: ListSpec, names: Names, window: int, twin: _List | None = None
    ) -> None:
        lo, hi = spec.valid(window)
        self.spec = spec
        self.family = spec.variant.family
        self.variant = spec.variant.name
        self.day_no = (spec.day - _EPOCH).days if spec.day is not None else -1
        self.lo = (lo - _EPOCH).days
        self.hi = (hi - _EPOCH).days
        self.names = names.names
        if twin is not None:  # the same names (same array): the same hashes
            self.hashes, self.labels = twin.hashes, twin.labels
            return
        if names.hashes is not None:  # from the list cache
            self.hashes, labels = names.hashes, names.labels
        else:
            self.hashes, labels = name_hashes(self.names)
        self.labels = max(labels, 2)


class _Index:
    """The hashes of a set of lists, with (list number, position) per entry, in a compiled
    open-addressing table (:class:`dgawatch._huntscan.Index`: a bitmap rejects almost every
    miss with one memory access; built in one pass, no sort), or mapped from a packed file
    of the lists (:mod:`dgawatch.hunt.listpack`: nothing read, nothing built)."""

    def __init__(self, lists: Sequence[_List], window: int, pack: Pack | None = None) -> None:
        from dgawatch import _huntscan

        #: Entries are positions in the distinct contents (groups: a list each, shared by
        #: the lists with equal names), group after group (``first``: where each begins,
        #: and the total); a hit on group g stands for every list (``uses``) of g, each
        #: with its own days.
        self.group_names: list[pa.Array] = []
        #: Each group's hashes (None for a pack's: they are in its table).
        self.group_hashes: list[np.ndarray | None] = []
        self._group_of: dict[int, int] = {}
        self.first = np.zeros(1, np.int64)
        #: Each list's key (:attr:`ListSpec.key`), in list number order.
        self.keys: list[tuple[str, str, dt.date | None]] = []
        self._use_group: list[int] = []
        self._family: list[str] = []
        self._variant: list[str] = []
        self._lo: list[int] = []
        self._hi: list[int] = []
        self._day_no: list[int] = []
        self.labels = 2
        self.window = window
        #: A pack's names, one array (its entries come first): one take for their names.
        self.flat: pa.Array | None = None
        if pack is not None:
            self.flat = pack.names
            self.table = pack.table
            self.first = np.asarray(pack.group_first, np.int64)
            bounds = self.first.tolist()
            self.group_names = [pack.names.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
            self.group_hashes = [None] * len(self.group_names)
            self.labels = max(pack.labels, 2)
            for v, day, g in zip(
                pack.list_variant.tolist(),
                pack.list_day.tolist(),
                pack.list_group.tolist(),
                strict=True,
            ):
                when = None if day == NO_DAY else _EPOCH + dt.timedelta(days=day)
                self._add_use(ListSpec(pack.variants[v], when), g)
        else:
            self.table = _huntscan.Index(np.zeros(0, np.uint64))
        self.extend(lists)

    def __len__(self) -> int:
        return int(self.first[-1])

    def _add_use(self, spec: ListSpec, group: int) -> None:
        lo, hi = spec.valid(self.window)
        self.keys.append(spec.key)
        self._use_group.append(group)
        self._family.append(spec.variant.family)
        self._variant.append(spec.variant.name)
        self._lo.append((lo - _EPOCH).days)
        self._hi.append((hi - _EPOCH).days)
        self._day_no.append((spec.day - _EPOCH).days if spec.day is not None else -1)

    def extend(self, lists: Sequence[_List]) -> None:
        """Hold these lists too (new contents' entries numbered on from those held)."""
        fresh: list[_List] = []
        for x in lists:
            g = self._group_of.get(id(x.hashes))
            if g is None:
                g = self._group_of[id(x.hashes)] = len(self.group_names)
                self.group_names.append(x.names)
                self.group_hashes.append(x.hashes)
                fresh.append(x)
                self.labels = max(self.labels, x.labels)
            self._add_use(x.spec, g)
        if fresh:
            self.table.add(np.concatenate([x.hashes for x in fresh]))
            sizes = np.array([len(x.hashes) for x in fresh], np.int64)
            self.first = np.concatenate([self.first, self.first[-1] + np.cumsum(sizes)])
        use_group = np.array(self._use_group, dtype=np.int64)
        self.use_group = use_group
        self.use_order = np.argsort(use_group, kind="stable")  # uses, group by group
        groups = len(self.group_names)
        self.use_start = np.searchsorted(use_group[self.use_order], np.arange(groups))
        self.use_count = np.bincount(use_group, minlength=groups)
        self.family = pa.array(self._family, pa.string())
        self.variant = pa.array(self._variant, pa.string())
        self.lo = np.array(self._lo, dtype=np.int64)
        self.hi = np.array(self._hi, dtype=np.int64)
        self.day_no = np.array(self._day_no, dtype=np.int64)

    def group_of(self, entry: np.ndarray) -> np.ndarray:
        """The group of each entry."""
        return np.searchsorted(self.first, entry, "right") - 1

    def uses(self, entry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of ``entry``, list number) for every list holding each entry's name."""
        g = self.group_of(entry)
        count = self.use_count[g]
        return np.repeat(np.arange(len(entry)), count), self.use_order[
            _ranges(self.use_start[g], count)
        ]

    def probe_names(self, names: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, index entry, start) of every entry whose hash equals that of a name
        (start 0) or of its last k labels, 2 <= k <= ``labels`` (start: where they begin)."""
        offsets, data = _string_buffers(names)
        rows, entries, starts = self.table.probe_names(offsets, data, self.labels)
        return (
            np.frombuffer(rows, np.int32).astype(np.intp),
            np.frombuffer(entries, np.int32).astype(np.intp),
            np.frombuffer(starts, np.int32),
        )

    def pos_of(self, entry: np.ndarray) -> np.ndarray:
        """The position of each entry's name in its list."""
        return entry - self.first[self.group_of(entry)]

    def names_of(self, entry: np.ndarray) -> pa.Array:
        """The forecast names of index entries, taken group by group (the hits of a batch
        touch few lists; no concatenated copy of every list is kept)."""
        if not len(entry):
            return pa.array([], pa.string())
        if self.flat is not None and int(entry.max()) < len(self.flat):
            return self.flat.take(pa.array(entry))
        which = self.group_of(entry)
        order = np.argsort(which, kind="stable")
        cuts = np.flatnonzero(np.diff(which[order])) + 1
        chunks = [
            self.group_names[int(which[seg[0]])].take(pa.array(self.pos_of(entry[seg])))
            for seg in np.split(order, cuts)
        ]
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        return pa.concat_arrays(chunks).take(pa.array(inverse))


def _string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int32 offsets of each string, n + 1 of them, into ``data``; data) without copying
    the characters."""
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    if arr.type != pa.string():
        arr = arr.cast(pa.string())
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    return np.ascontiguousarray(offsets), data


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each pair, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.intp)
    ends = np.cumsum(counts)
    offsets = np.repeat(ends - counts, counts)
    return np.repeat(starts, counts) + (np.arange(total) - offsets)


class LocalMatcher:
    """Turns event batches into match rows (:data:`MATCH_SCHEMA`)."""

    def __init__(self, variants: Sequence[Variant], window_days: int, source: ListSource) -> None:
        self.variants = list(variants)
        self.window = window_days
        self.source = source
        self._lists: OrderedDict[tuple[str, str, dt.date | None], _List] = OrderedDict()
        self._cached_names = 0
        self._index_key: set[tuple[str, str, dt.date | None]] = set()
        self._index: _Index | None = None
        self._twins: dict[tuple[str, int, int, int], _List] = {}
        #: Hashes of the names arrays held (a weekly seed's equal day lists come as one
        #: array from :meth:`ListSource.names`: hashed once).
        self._hashed: dict[int, _List] = {}
        #: The lists serving each set of event days seen (a batch's days; a log has few),
        #: and those sets the current index holds every list of: most batches cost no
        #: list bookkeeping at all.
        self._specs_of: dict[tuple[int, ...], list[ListSpec]] = {}
        self._ready: set[tuple[int, ...]] = set()
        #: Every list a batch asked for (what a pack written at the end holds).
        self._asked: dict[tuple[str, str, dt.date | None], None] = {}
        #: Packed lists (:mod:`dgawatch.hunt.listpack`): None without a list cache or with
        #: a variant not registered.
        root = source.cache.root if source.cache is not None else None
        self._packs = ListPacks.for_variants(root, self.variants)
        self._pack_tried = False
        #: The lists of the pack the index was mapped from, and those of them counted as
        #: read from the list cache (as each is first asked for).
        self._pack_keys: set[tuple[str, str, dt.date | None]] = set()
        self._pack_counted: set[tuple[str, str, dt.date | None]] = set()

    def close(self) -> None:
        self._lists.clear()
        self._twins.clear()
        self._hashed.clear()
        self._index = None

    def _load(self, specs: Sequence[ListSpec]) -> list[_List]:
        missing = [s for s in specs if s.key not in self._lists]
        if missing:
            for spec, names in zip(missing, self.source.lists(missing), strict=True):
                twin = self._hashed.get(id(names.names))
                if twin is not None and twin.names is not names.names:
                    twin = None
                lst = self._lists[spec.key] = _List(spec, names, self.window, twin)
                self._hashed[id(names.names)] = lst
                self._share(spec, lst)
                self._cached_names += len(lst.names)
        for s in specs:
            self._lists.move_to_end(s.key)
        wanted = {s.key for s in specs}
        while self._cached_names > MAX_CACHED_NAMES:
            oldest = next(iter(self._lists))
            if oldest in wanted:
                break
            gone = self._lists.pop(oldest)
            self._cached_names -= len(gone.names)
            self._twins = {k: v for k, v in self._twins.items() if v is not gone}
            self._hashed = {k: v for k, v in self._hashed.items() if v is not gone}
        return [self._lists[s.key] for s in specs]

    def _share(self, spec: ListSpec, lst: _List) -> None:
        """A list with the same names as one held of its variant (a variant seeded weekly
        has seven equal day lists) shares that one's arrays: the index then holds the
        names once, with the day of each list that has them."""
        h = lst.hashes
        sig = (spec.variant.key, len(h), int(h[0]) if len(h) else 0, int(h[-1]) if len(h) else 0)
        twin = self._twins.get(sig)
        if twin is not None and (
            twin.names is lst.names
            or (np.array_equal(twin.hashes, h) and twin.names.equals(lst.names))
        ):
            lst.names, lst.hashes = twin.names, twin.hashes
        else:
            self._twins[sig] = lst

    def _index_for(self, specs: Sequence[ListSpec]) -> _Index:
        """An index holding at least ``specs``: the current one when it does (extra lists
        are harmless, each row's window is checked), else the current one grown by the
        missing lists (a time-ordered log adds one day's lists a day), or, past
        :data:`MAX_INDEX_NAMES`, a new one of only those."""
        self._asked.update((s.key, None) for s in specs)
        if self._index is None and not self._pack_tried:
            self._pack_tried = True
            self._open_pack(specs)
        held = self._index_key
        if self._index is not None and all(s.key in held for s in specs):
            self._count_packed(specs)
            return self._index
        ahead = list(specs)
        missing = {s.key for s in ahead} - held
        if self._index is not None:
            # (a pack's lists are not read again: only those it lacks)
            need = [s for s in ahead if s.key in missing] if self._pack_keys else ahead
            lists = self._load(need)
            if len(self._index) + sum(len(x.hashes) for x in lists) <= MAX_INDEX_NAMES:
                self._index.extend(
                    [x for s, x in zip(need, lists, strict=True) if s.key in missing]
                )
                held.update(missing)
                self._count_packed(specs)
                return self._index
        lists = self._load(ahead)
        self._index = None  # freed first: two big indexes never coexist
        self._ready.clear()
        self._index = _Index(lists, self.window)
        self._index_key = {s.key for s in ahead}
        self._pack_keys = set()
        return self._index

    def _open_pack(self, specs: Sequence[ListSpec]) -> None:
        """Map the pack holding every list of ``specs``, if there is one (not when the
        store serves any of them: its lists count as the store's)."""
        if self._packs is None or self.source.stored_any(specs):
            return
        pack = self._packs.find([s.key for s in specs])
        if pack is None:
            return
        self._index = _Index([], self.window, pack)
        self._index_key = set(self._index.keys)
        self._pack_keys = set(self._index_key)

    def _count_packed(self, specs: Sequence[ListSpec]) -> None:
        """Lists served by the pack count as read from the list cache, once each."""
        if self._pack_keys:
            new = {s.key for s in specs if s.key in self._pack_keys} - self._pack_counted
            self.source.from_cache += len(new)
            self._pack_counted |= new

    def save_pack(self) -> Path | None:
        """Write the pack of every list asked for, unless a pack held them all already, a
        list came from the store, or the index no longer holds them all (a long log's was
        rebuilt). Called after the last batch."""
        index = self._index
        if (
            self._packs is None
            or index is None
            or self.source.from_store
            or not self._asked
            or all(k in self._pack_keys for k in self._asked)
        ):
            return None
        number = {k: i for i, k in enumerate(index.keys)}
        if any(k not in number for k in self._asked):
            return None
        keys = list(self._asked)
        uses = [number[k] for k in keys]
        groups: dict[int, int] = {}
        for u in uses:
            groups.setdefault(int(index.use_group[u]), len(groups))
        names = [index.group_names[g] for g in groups]
        hashes = []
        for g in groups:
            h = index.group_hashes[g]
            hashes.append(h if h is not None else name_hashes(index.group_names[g])[0])
        path = self._packs.save(
            keys, [groups[int(index.use_group[u])] for u in uses], names, hashes, index.labels
        )
        if path is not None and self.source.cache is not None:
            self.source.cache.written += 1
            self.source.cache.trim()
        return path

    def match(self, batch: pa.RecordBatch) -> pa.Table:
        """Match rows of one batch of query events."""
        if batch.num_rows == 0:
            return MATCH_SCHEMA.empty_table()
        ms = np.asarray(batch.column("ts").cast(pa.int64()).to_numpy(zero_copy_only=False))
        day_no = ms // 86_400_000  # UTC days since 1970 (floored, as a date32 cast)
        lo, hi = int(day_no.min()), int(day_no.max())
        days = (
            (np.flatnonzero(np.bincount(day_no - lo)) + lo).tolist()
            if hi - lo < 1000
            else np.unique(day_no).tolist()
        )
        key = tuple(days)
        specs = self._specs_of.get(key)
        if specs is None:
            if len(self._specs_of) > 4096:  # days scattered over years: keep it bounded
                self._specs_of.clear()
            distinct = [_EPOCH + dt.timedelta(days=d) for d in days]
            specs = self._specs_of[key] = lists_for_days(self.variants, distinct, self.window)
        if not specs:
            return MATCH_SCHEMA.empty_table()
        if self._index is not None and key in self._ready:
            index = self._index
        else:
            index = self._index_for(specs)
            self._ready.add(key)
        qname = batch.column("qname")
        rows, entry, starts = index.probe_names(qname)
        if not len(rows):
            return MATCH_SCHEMA.empty_table()
        ok = np.zeros(len(rows), dtype=np.bool_)
        # Whole names: equal hash, then equal string (hash collisions are possible).
        whole = np.flatnonzero(starts == 0)
        if len(whole):
            same = pc.equal(qname.take(pa.array(rows[whole])), index.names_of(entry[whole]))
            ok[whole] = np.asarray(same.to_numpy(zero_copy_only=False), dtype=np.bool_)
        # www.<name>: the last k labels, when the name is the query's registered domain.
        tail = np.flatnonzero(starts != 0)
        if len(tail):
            queries = qname.take(pa.array(rows[tail])).to_pylist()
            candidates = index.names_of(entry[tail]).to_pylist()
            for i, query, candidate in zip(tail, queries, candidates, strict=True):
                ok[i] = query.endswith("." + candidate) and _accepts_suffix(query, candidate)
        row_of, entry = rows[ok], entry[ok]
        if not len(row_of):
            return MATCH_SCHEMA.empty_table()
        order = np.lexsort((entry, row_of))
        row_of, entry = row_of[order], entry[order]

        # Every list holding the name, keeping each list's day window.
        k, which = index.uses(entry)
        row_of, entry = row_of[k], entry[k]
        ev_day = day_no[row_of]
        keep = (index.lo[which] <= ev_day) & (ev_day <= index.hi[which])
        row_of, entry, which, ev_day = row_of[keep], entry[keep], which[keep], ev_day[keep]
        if not len(row_of):
            return MATCH_SCHEMA.empty_table()
        if len(row_of) > 1:
            # A name twice in one list (pushdo, kraken v2, dmsniff, qsnatch draw repeats):
            # one row per (event, list), at the name's first position in it; order kept.
            order = np.lexsort((entry, which, row_of))
            r, w = row_of[order], which[order]
            again = (r[1:] == r[:-1]) & (w[1:] == w[:-1])
            if again.any():
                later = np.flatnonzero(again) + 1  # sorted positions of a (row, list) again
                same = pc.equal(
                    index.names_of(entry[order[later]]), index.names_of(entry[order[later - 1]])
                )
                drop = later[np.asarray(same.to_numpy(zero_copy_only=False), dtype=np.bool_)]
                keep = np.ones(len(row_of), dtype=np.bool_)
                keep[order[drop]] = False
                row_of, entry, which, ev_day = row_of[keep], entry[keep], which[keep], ev_day[keep]
        list_day = index.day_no[which]
        list_day = np.where(list_day < 0, ev_day, list_day)
        take = pa.array(row_of)
        lists = pa.array(which)
        return pa.table(
            {
                "ts": batch.column("ts").take(take),
                "event_day": pa.array(ev_day.astype("datetime64[D]"), pa.date32()),
                "client": batch.column("client").take(take),
                "qname": batch.column("qname").take(take),
                "rcode": batch.column("rcode").take(take),
                "source_file": batch.column("source_file").take(take),
                "source_line": batch.column("source_line").take(take),
                "family": index.family.take(lists),
                "variant": index.variant.take(lists),
                "list_day": pa.array(list_day.astype("datetime64[D]"), pa.date32()),
                "idx": pa.array(index.pos_of(entry), pa.int32()),
                "domain": index.names_of(entry),
            },
            schema=MATCH_SCHEMA,
        )
