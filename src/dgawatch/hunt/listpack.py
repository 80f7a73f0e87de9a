"""One packed file of every list a hunt matched, kept in the list cache: the next hunt of
those days maps it and starts matching (no list read, no hash table built).

Why: a warm hunt of a week of logs with every family read 1,308 ``<day>.lst`` files and
built a hash table of their 3.7 M names: 0.7 of its 1.8 s at 1 M lines
(bench/bench_hunt.py), the most of its fixed cost. A pack holds the lists the hunt asked
for (each distinct content once, as :class:`dgawatch.hunt.local.LocalMatcher` held them)
and the compiled table over them (:func:`dgawatch._huntscan.index_from` maps it back, no
copy, no parsing).

Where: ``<list cache>/pack-<digest of the selected variants' fingerprints>/``, so a
changed generator or family module (its fingerprint, see
:func:`dgawatch.families.fingerprint`), another ``--family`` choice or another dgawatch
version never reads an old pack; the fingerprints are also kept inside and checked, as is
the name hash of a few fixed names (a pack of another hash function is never used). One
file per set of lists, ``<first list day>_<last list day>-<digest of the lists>.pack``:
a hunt takes the most recently used pack of its folder whose lists include every list its
first batch needs (a later batch needing more grows the table in memory, and the hunt
then writes the pack of what it asked for). Written to a temporary name and renamed;
trimmed with the day lists (least recently used first, ``$DGAWATCH_LIST_CACHE_MB``).

Damage: a file whose size, end mark, header, offsets, group bounds, list records,
fingerprints or table structure do not agree is not used (the hunt reads the day lists
and writes the pack again); the table's checks make every probe stay inside the file and
end (:func:`~dgawatch._huntscan.index_from`). Bytes changed inside a name or a hash (which
would lose that name's matches, or match a query equal to the changed name) are caught by
a checksum of everything before it (:func:`_body_sum`), checked once per pack file: on its
first use, and again whenever its identity (device, inode, size, modification and change
times) changes, as for look-up tables (:func:`dgawatch.filestamp.checked_before`). The
check reads the file in blocks rather than through the map, so its pages do not count in
the hunt's memory; a flip on the disk itself after that first check is not caught. Cost
(bench/bench_listpack_sum.py, a 1 M-line week's 98 MB pack, loaded): the first use ~30 ms
(15 ms CPU), later finds +0.4 ms for the identity check and ~0.3 ms renewing its mark.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import mmap
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from dgawatch.families import fingerprint
from dgawatch.families.base import Variant

MAGIC = b"DGWPACK2"
#: The checksum of all bytes before it (:func:`_body_sum`), just before the end mark.
_SUM = struct.Struct("<Q")
#: Blocks the checksum is taken over (each block's sum goes into the whole one).
_BLOCK = 1 << 20
#: :func:`~dgawatch.filestamp.checked_before`'s folder for packs.
PACKS_CHECKED = "pack-verified"
#: magic, entries, groups, lists, name bytes, slots, bitmap words, bitshift, labels, meta bytes
_HEAD = struct.Struct("<8sQQQQQQQQQ")
_EPOCH = dt.date(1970, 1, 1)
#: ``list_day`` of a list that is not time-seeded (one list for every day).
NO_DAY = -(1 << 31)
#: The last list day a pack may name (days since 1970: 2517-08-17).
MAX_DAY = 200_000
#: Fewer lists than this are not packed (reading them costs little).
MIN_LISTS = 16
#: Packs looked at before the lists are read instead.
MAX_TRIES = 4

SpecKey = tuple[str, str, dt.date | None]


@dataclass
class Pack:
    """A packed set of lists: ``names`` (every group's names, one after the other),
    ``group_first`` (each group's first entry, and the total at the end), per list its
    group, day (:data:`NO_DAY` for none) and variant (an index into ``variants``), the most
    labels of one name, and the table (an :class:`dgawatch._huntscan.Index`)."""

    names: pa.StringArray
    group_first: np.ndarray
    list_group: np.ndarray
    list_day: np.ndarray
    list_variant: np.ndarray
    variants: list[Variant]
    labels: int
    table: Any

    def keys(self) -> list[SpecKey]:
        """Each list's key, in list order (as :attr:`dgawatch.hunt.lists.ListSpec.key`)."""
        out: list[SpecKey] = []
        for v, d in zip(self.list_variant.tolist(), self.list_day.tolist(), strict=True):
            variant = self.variants[v]
            day = None if d == NO_DAY else _EPOCH + dt.timedelta(days=d)
            out.append((variant.family, variant.name, day))
        return out


def _pad(n: int) -> int:
    return -n % 8


def _layout(
    n: int, groups: int, lists: int, data: int, slots: int, words: int, meta: int
) -> list[tuple[str, int]]:
    """(section, bytes) after the header, in file order; each starts 8-aligned."""
    parts = [
        ("offsets", 4 * (n + 1)),
        ("data", data),
        ("group_first", 8 * (groups + 1)),
        ("list_group", 4 * lists),
        ("list_day", 4 * lists),
        ("list_variant", 4 * lists),
        ("keys", 8 * slots),
        ("vals", 4 * slots),
        ("next", 4 * n),
        ("bits", 8 * words),
        ("meta", meta),
    ]
    return parts


class ListPacks:
    """The packs of one selection of variants under a list cache's root."""

    def __init__(self, folder: Path, variants: Sequence[Variant], prints: dict[str, str]) -> None:
        self.folder = folder
        self.variants = {v.key: v for v in variants}
        self.prints = prints

    @classmethod
    def for_variants(cls, root: Path | None, variants: Sequence[Variant]) -> ListPacks | None:
        """None when there is no cache or a variant is not registered (no fingerprint)."""
        if root is None or not variants:
            return None
        prints: dict[str, str] = {}
        for v in variants:
            fp = fingerprint(v)
            if fp is None:
                return None
            prints[v.key] = fp
        digest = hashlib.sha1("\0".join(sorted(prints.values())).encode()).hexdigest()[:16]
        return cls(root / f"pack-{digest}", variants, prints)

    # -- reading ---------------------------------------------------------------------

    def find(self, wanted: Sequence[SpecKey]) -> Pack | None:
        """The most recently used pack holding every list of ``wanted``, or None."""
        days = [k[2] for k in wanted if k[2] is not None]
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return None
        candidates = []
        for entry in entries:
            span = _span_of(entry.name)
            if span is None:
                continue
            first, last = span
            if days and (first is None or last is None or first > min(days) or last < max(days)):
                continue
            try:
                candidates.append((entry.stat().st_mtime, entry.path))
            except OSError:
                continue
        need = set(wanted)
        for _, path in sorted(candidates, reverse=True)[:MAX_TRIES]:
            pack = self.open(Path(path))
            if pack is not None and need <= set(pack.keys()):
                _touch(Path(path))
                return pack
        return None

    def open(self, path: Path) -> Pack | None:
        """The pack of a file, or None when it is not a whole, consistent one of these
        variants."""
        from dgawatch.filestamp import checked_before, file_identity, remember_checked

        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_size < _HEAD.size + _SUM.size + len(MAGIC):
                    return None
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                pack = self._parsed(mm)
                if pack is None:
                    return None
                identity = file_identity(st)
                if not checked_before(path, identity, PACKS_CHECKED):
                    body = st.st_size - _SUM.size - len(MAGIC)
                    if _body_sum(fh.fileno(), body) != _SUM.unpack_from(mm, body)[0]:
                        return None  # changed bytes in a name, a hash, a record
                    remember_checked(path, identity, PACKS_CHECKED)
                return pack
        except (OSError, ValueError):
            return None

    def _parsed(self, mm: mmap.mmap) -> Pack | None:
        with contextlib.suppress(OSError, AttributeError):
            # pages mapped as touched, not their neighbours too: a hunt reads few names
            # (its hits), and its peak memory counts every mapped page
            mm.madvise(mmap.MADV_RANDOM)
        try:
            return self._parse(mm)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error):
            return None

    def _parse(self, mm: mmap.mmap) -> Pack | None:
        from dgawatch import _huntscan

        magic, n, groups, lists, data, slots, words, shift, labels, meta = _HEAD.unpack_from(mm)
        if magic != MAGIC or mm[-len(MAGIC) :] != MAGIC:
            return None
        if max(n, groups, lists, data, slots, words, meta) >= 1 << 40 or not 1 <= labels <= 255:
            return None
        at = _HEAD.size
        sections: dict[str, tuple[int, int]] = {}
        for name, length in _layout(n, groups, lists, data, slots, words, meta):
            sections[name] = (at, length)
            at += length + _pad(length)
        if at + _SUM.size + len(MAGIC) != len(mm):
            return None

        def arr(name: str, dtype: str) -> np.ndarray:
            start, length = sections[name]
            return np.frombuffer(mm, dtype, length // np.dtype(dtype).itemsize, start)

        info = json.loads(bytes(mm[sections["meta"][0] : sum(sections["meta"])]))
        if info.get("hash") != _hash_probe():
            return None  # another name hash (a table of it finds nothing now)
        variants: list[Variant] = []
        for key, fp in info["variants"]:
            v = self.variants.get(key)
            if v is None or self.prints[key] != fp:
                return None  # another selection or another version of the generator
            variants.append(v)
        offsets = arr("offsets", "<i4")
        first = arr("group_first", "<i8")
        list_group = arr("list_group", "<i4")
        list_day = arr("list_day", "<i4")
        list_variant = arr("list_variant", "<i4")
        if (
            offsets[0] != 0
            or offsets[-1] != data
            or (n and np.any(offsets[1:] < offsets[:-1]))
            or first[0] != 0
            or first[-1] != n
            or (groups and np.any(first[1:] < first[:-1]))
            or (lists and (list_group.min() < 0 or list_group.max() >= groups))
            or (lists and (list_variant.min() < 0 or list_variant.max() >= len(variants)))
            or np.any((list_day != NO_DAY) & ((list_day < 0) | (list_day > MAX_DAY)))
        ):
            return None
        start, length = sections["data"]
        if length and np.frombuffer(mm, np.uint8, length, start).max() >= 0x80:
            return None  # names are ASCII: Arrow strings never hold bad UTF-8
        names = pa.StringArray.from_buffers(
            n,
            pa.py_buffer(memoryview(mm)[slice(*_bounds(sections["offsets"]))]),
            pa.py_buffer(memoryview(mm)[slice(*_bounds(sections["data"]))]),
        )
        table = _huntscan.index_from(
            arr("keys", "<u8"), arr("vals", "<i4"), arr("next", "<i4"), arr("bits", "<u8"), shift
        )
        if table.size() != n:
            return None
        pack = Pack(names, first, list_group, list_day, list_variant, variants, labels, table)
        if len(set(pack.keys())) != lists:
            return None  # a list twice would match twice
        return pack

    # -- writing ---------------------------------------------------------------------

    def save(
        self,
        keys: Sequence[SpecKey],
        list_group: Sequence[int],
        group_names: Sequence[pa.Array],
        group_hashes: Sequence[np.ndarray],
        labels: int,
    ) -> Path | None:
        """Write the pack of these lists (``keys[i]`` uses ``group_names[list_group[i]]``,
        whose hashes are ``group_hashes[...]``); None when it could not be written (the
        cache is only a cache)."""
        from dgawatch import _huntscan

        if len(keys) < MIN_LISTS or not group_names:
            return None
        order = sorted(range(len(keys)), key=lambda i: _sort_key(keys[i]))
        keys = [keys[i] for i in order]
        list_group = [list_group[i] for i in order]
        # names group after group, without a concatenated copy (a week's lists are ~70 MB)
        offsets_parts: list[bytes | memoryview] = []
        data_parts: list[bytes | memoryview] = []
        at = 0
        for g in group_names:
            if g.type != pa.string() or g.null_count:
                return None
            bufs = g.buffers()
            off = np.frombuffer(bufs[1], np.int32)[g.offset : g.offset + len(g) + 1]
            start, end = int(off[0]), int(off[-1])
            offsets_parts.append((off[:-1] - start + at).astype("<i4").tobytes())
            data_parts.append(
                memoryview(bufs[2])[start:end] if bufs[2] is not None else memoryview(b"")
            )
            at += end - start
        n = sum(len(g) for g in group_names)
        if n >= 1 << 30 or at >= 1 << 31:
            return None
        offsets_parts.append(np.array([at], "<i4").tobytes())
        hashes = np.concatenate([np.asarray(h, np.uint64) for h in group_hashes])
        sizes = np.array([len(g) for g in group_names], np.int64)
        first = np.concatenate([[0], np.cumsum(sizes)]).astype("<i8")
        table = _huntscan.Index(hashes)
        del hashes
        keys_b, vals_b, next_b, bits_b, shift = table.dump()
        variant_no: dict[str, int] = {}
        for family, variant, _day in keys:
            variant_no.setdefault(f"{family}/{variant}", len(variant_no))
        if any(k not in self.prints for k in variant_no):
            return None
        meta = json.dumps(
            {"variants": [[k, self.prints[k]] for k in variant_no], "hash": _hash_probe()},
            separators=(",", ":"),
        ).encode()
        days = [NO_DAY if d is None else (d - _EPOCH).days for _f, _v, d in keys]
        head = _HEAD.pack(
            MAGIC,
            n,
            len(group_names),
            len(keys),
            at,
            len(memoryview(keys_b)) // 8,
            len(memoryview(bits_b)) // 8,
            shift,
            labels,
            len(meta),
        )
        sections: list[list[bytes | memoryview]] = [
            offsets_parts,
            data_parts,
            [first.tobytes()],
            [np.asarray(list_group, "<i4").tobytes()],
            [np.asarray(days, "<i4").tobytes()],
            [np.asarray([variant_no[f"{f}/{v}"] for f, v, _d in keys], "<i4").tobytes()],
            [memoryview(keys_b)],
            [memoryview(vals_b)],
            [memoryview(next_b)],
            [memoryview(bits_b)],
            [meta],
        ]
        parts: list[bytes | memoryview] = [head]
        for chunks in sections:
            parts.extend(chunks)
            parts.append(b"\0" * _pad(sum(len(memoryview(c)) for c in chunks)))
        path = self.folder / _file_name(keys)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.writelines(parts)
                    fh.flush()
                    fh.write(_SUM.pack(_body_sum(fh.fileno(), fh.tell())) + MAGIC)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return None
        return path


def _touch(path: Path) -> None:
    """Mark a pack recently used (trimmed last, found first); its identity changes with its
    times, so the mark of its checked contents is renewed (it was checked when opened)."""
    from dgawatch.filestamp import file_identity, remember_checked

    with contextlib.suppress(OSError):
        os.utime(path)
        remember_checked(path, file_identity(os.stat(path)), PACKS_CHECKED)


def _body_sum(fd: int, length: int) -> int:
    """The checksum of the file's first ``length`` bytes: each 1 MiB block's
    :func:`dgawatch._lookupscan.checksum` (at memory speed), those hashed together. Read
    with ``pread`` into one buffer, never through a map: the hunt's memory stays as it was."""
    from dgawatch import _lookupscan

    whole = hashlib.blake2b(digest_size=8)
    buf = bytearray(_BLOCK)
    view = memoryview(buf)
    at = 0
    while at < length:
        got = os.preadv(fd, [view[: min(_BLOCK, length - at)]], at)
        if got <= 0:
            raise OSError(f"pack cut short at byte {at}")
        whole.update(_lookupscan.checksum(buf, 0, got).to_bytes(8, "little"))
        at += got
    return int.from_bytes(whole.digest(), "little")


@functools.cache
def _hash_probe() -> str:
    """The name hash of a few names, kept in each pack: a pack of another hash function
    (a changed ``_hash.h``) is not used, whatever its version says."""
    from dgawatch.hunt.lists import name_hashes

    hashes, _labels = name_hashes(pa.array(["", "a", "www.example.co.uk", "xn--d1acufc.xn--p1ai"]))
    return hashes.astype("<u8").tobytes().hex()


def _bounds(section: tuple[int, int]) -> tuple[int, int]:
    return section[0], section[0] + section[1]


def _sort_key(key: SpecKey) -> tuple[str, str, int]:
    return key[0], key[1], NO_DAY if key[2] is None else (key[2] - _EPOCH).days


def _file_name(keys: Sequence[SpecKey]) -> str:
    """``<first>_<last>-<digest>.pack`` (``none`` when no list is time-seeded)."""
    days = [k[2] for k in keys if k[2] is not None]
    span = f"{min(days).isoformat()}_{max(days).isoformat()}" if days else "none_none"
    h = hashlib.sha1()
    for family, variant, day in sorted(keys, key=_sort_key):
        h.update(f"{family}/{variant}/{day}\n".encode())
    return f"{span}-{h.hexdigest()[:16]}.pack"


def _span_of(name: str) -> tuple[dt.date | None, dt.date | None] | None:
    """The list days of a pack's file name (None: not a pack's name)."""
    if not name.endswith(".pack") or name.startswith("."):
        return None
    span, _, _digest = name[: -len(".pack")].rpartition("-")
    first, _, last = span.partition("_")
    if first == last == "none":
        return None, None
    try:
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except ValueError:
        return None
