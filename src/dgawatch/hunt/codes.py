"""Strings given dense integer codes in the order first seen, batch by batch: the
query-only hunt's clients, names and sites (:mod:`dgawatch.hunt.unknown`).

A batch's distinct values (Arrow's ``dictionary_encode``) are looked up in the hunt's
compiled hash index (:class:`dgawatch._huntscan.Index`, the one the matcher probes; its
hash is :func:`dgawatch.hunt.lists.name_hashes`), every hit compared with the value held
at its code (Arrow, byte for byte), so a hash collision costs a comparison, never a wrong
code: codes are exactly a dict's, set in the order first seen. The values live in one
growing byte store, seen by Arrow without a copy. This replaced a Python dict probed
value by value under the GIL, the query-only stage's largest cost: the 10 M-line
query-only bench week's names took 1.3-1.7 CPU-s to code that way, 0.7-0.9 this way
(about half of it Arrow's ``dictionary_encode`` of every event's name)."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch import _huntscan
from dgawatch.hunt.lists import name_hashes

#: The byte store's limit (Arrow ``string`` offsets are int32): past it, a dict codes
#: the values, as before.
_STORE_MAX = (1 << 31) - 1


def _buffers(a: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A ``string`` array's offsets (its own, int32) and the whole data buffer."""
    bufs = a.buffers()
    offsets = np.frombuffer(bufs[1], np.int32)[a.offset : a.offset + len(a) + 1]
    data = np.frombuffer(bufs[2], np.uint8) if bufs[2] is not None else np.zeros(1, np.uint8)
    return np.ascontiguousarray(offsets), data


class Codes:
    """Strings (a null among them) given integer codes in the order first seen."""

    def __init__(self) -> None:
        self._n = 0
        #: The null's code (None: not seen).
        self._null: int | None = None
        self._chunks: list[pa.Array] = []
        self._values: pa.Array | None = None
        #: The hash index (entry number = code) and the values' bytes at their codes (a
        #: null's as ""), with room to grow; None: released, or a dict codes the values.
        self._index: _huntscan.Index | None = _huntscan.Index(np.zeros(0, np.uint64))
        self._offsets = np.zeros(1 << 10, np.int32)
        self._data = np.empty(1 << 16, np.uint8)
        #: A dict of value -> code, used instead of the index once the values were released
        #: (:meth:`release`) and values came after all, or the store is full.
        self._ids: dict[str | None, int] | None = None
        #: The values the last :meth:`encode` gave a code first (None: none).
        self.new: pa.Array | None = None

    def encode(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """The code of each value (new values numbered on, in the order first seen). A
        chunked array is coded chunk by chunk against one dictionary (not copied into one
        array first: the query-only hunt's batches are a few chunks each)."""
        if isinstance(values, pa.ChunkedArray) and values.num_chunks < 2:
            values = values.combine_chunks()
        if pa.types.is_dictionary(values.type):  # (its dictionary may repeat a value)
            values = values.cast(values.type.value_type)
        enc = pc.dictionary_encode(values, null_encoding="encode")
        # (a chunked answer's chunks share one dictionary; the last one's holds them all)
        parts = enc.chunks if isinstance(enc, pa.ChunkedArray) else [enc]
        distinct = parts[-1].dictionary
        if distinct.type != pa.string():
            distinct = distinct.cast(pa.string())
        if self._index is None and self._ids is None:  # (released: values after all)
            self._ids = dict(zip(self.values().to_pylist(), itertools.count()))
        codes = self._codes(distinct) if self._ids is None else self._dict_codes(distinct)
        out = np.empty(len(values), np.int64)
        at = 0
        for part in parts:
            idx = np.asarray(part.indices.to_numpy(zero_copy_only=False))
            np.take(codes, idx, out=out[at : at + len(idx)])
            at += len(idx)
        return out

    def _codes(self, distinct: pa.Array) -> np.ndarray:
        """The codes of distinct values through the index; new ones added to it."""
        assert self._index is not None
        codes = np.full(len(distinct), -1, np.int64)
        valid = None
        if distinct.null_count:
            valid = np.asarray(distinct.is_valid().to_numpy(zero_copy_only=False), bool)
            if self._null is not None:
                codes[~valid] = self._null
        if self._n and len(distinct) > distinct.null_count:
            probed = distinct if valid is None else distinct.filter(pa.array(valid))
            at = np.arange(len(distinct)) if valid is None else np.flatnonzero(valid)
            rows, entries = self._candidates(probed)
            if len(rows):
                # a hash hit is the value only if the bytes held at that code are its own
                same = pc.equal(probed.take(pa.array(rows)), self._store().take(pa.array(entries)))
                ok = np.asarray(same.to_numpy(zero_copy_only=False), bool)
                if self._null is not None:
                    ok &= entries != self._null
                codes[at[rows[ok]]] = entries[ok]
        new = np.flatnonzero(codes < 0)
        self.new = None
        if len(new):
            fresh = distinct.take(pa.array(new))
            size = int(self._offsets[self._n]) + (pc.sum(pc.binary_length(fresh)).as_py() or 0)
            if size > _STORE_MAX:  # (a dict from here on: the codes stay the same)
                self._ids = dict(zip(self.values().to_pylist(), itertools.count()))
                self._index = None
                return self._dict_codes(distinct)
            codes[new] = np.arange(self._n, self._n + len(new))
            if fresh.null_count:
                null = ~np.asarray(fresh.is_valid().to_numpy(zero_copy_only=False), bool)
                self._null = int(codes[new[null]][0])
            self._add(fresh)
        return codes

    def _candidates(self, probed: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """(row, code) of every held value whose hash is that of a row of ``probed``."""
        assert self._index is not None
        rows, entries, _ = self._index.probe_names(*_buffers(probed), 1)
        return np.frombuffer(rows, np.int32), np.frombuffer(entries, np.int32)

    def _add(self, fresh: pa.Array) -> None:
        """Values coded on from the last (a null held as "" in the store)."""
        assert self._index is not None
        plain = pc.fill_null(fresh, "") if fresh.null_count else fresh
        off, data = _buffers(plain)
        n, end, k = self._n, int(self._offsets[self._n]), len(fresh)
        lo, hi = int(off[0]), int(off[-1])
        if n + k + 1 > len(self._offsets):
            self._offsets = _grown(self._offsets, n + k + 1)
        if end + hi - lo > len(self._data):
            self._data = _grown(self._data, end + hi - lo)
        self._offsets[n + 1 : n + k + 1] = off[1:] - lo + end
        self._data[end : end + hi - lo] = data[lo:hi]
        self._index.add(name_hashes(plain)[0])
        self._n += k
        self._chunks.append(fresh)
        self._values = None
        self.new = fresh

    def _store(self) -> pa.Array:
        """The values held, at their codes (a null as ""), over the store's memory."""
        n = self._n
        return pa.Array.from_buffers(
            pa.string(),
            n,
            [None, pa.py_buffer(self._offsets[: n + 1]), pa.py_buffer(self._data)],
        )

    def _dict_codes(self, distinct: pa.Array) -> np.ndarray:
        """The codes of distinct values through the dict (one probe a value)."""
        assert self._ids is not None
        ids, start = self._ids, len(self._ids)
        local = distinct.to_pylist()
        sizes = map(len, itertools.repeat(ids))
        got = np.fromiter(map(ids.setdefault, local, sizes), np.int64, len(local))
        new = got >= start
        self.new = None
        if new.any():
            self.new = distinct.filter(pa.array(new))
            self._chunks.append(self.new)
            self._values = None
        self._n = len(ids)
        return got

    def release(self) -> None:
        """No value will be added: the index and the store go, the values stay (values
        given after all are coded through a dict of them)."""
        self.values()
        self._index, self._ids = None, None
        self._offsets = np.zeros(0, np.int32)
        self._data = np.zeros(0, np.uint8)

    def values(self) -> pa.Array:
        """Every value, at its code."""
        if self._values is None:
            self._values = (
                pa.concat_arrays(self._chunks) if self._chunks else pa.array([], pa.string())
            )
            self._chunks = [self._values]
        return self._values

    def __len__(self) -> int:
        return self._n


def _grown(a: np.ndarray, need: int) -> np.ndarray:
    """``a`` copied into an array of at least ``need`` items (twice as many, or more; not
    cleared: only what is written is read)."""
    out = np.empty(max(need, 2 * len(a)), a.dtype)
    out[: len(a)] = a
    return out
