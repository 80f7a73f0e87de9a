"""The compiled path of ``dgawatch lookup --file F --json`` from a forecast store.

A bulk lookup from the store (``dgawatch.lookup``) costs, per million names, about 0.6 s of
imports (NumPy, Arrow's compute kernels, DuckDB), 1.5 s of DuckDB join and 0.8 s of JSON
assembled by Arrow (issue 19: 0.37 M names/s end to end, the target is 1 M/s). Here a
*look-up table* of the store is built once, next to it (``<store>.lookup``; in the cache
directory when the store's folder is not writable), and memory-mapped by later lookups;
:mod:`dgawatch._lookupscan` reads the file's names, probes each one's keys and writes its
JSON line in one pass, without any of those libraries.

The table holds every stored forecast row (domain, family/variant, day, index), the store's
coverage and the generator versions its lists came from, and the store file's identity
(device, inode, size, modification and change times, the same of its ``.wal``): a table
whose store has changed since is not used, and the next large lookup rebuilds it. Variants
whose generator changed since the store was built are stale, as ``ForecastStore.stale``
decides, and their days count as not stored. The variants that ``--family``/``--variant``
choose (periods, generator versions, aliases) are kept in the cache directory per options
and per state of the package's files (:func:`choose`): a repeated lookup does not import
the registry of families.

A table is checked before it is answered from (:class:`DamagedTable`): its header (codes,
coverage, the section table) against a checksum kept before it, every time; the section
table against itself and the file (offsets, lengths, counts, the last entries that bound
every read), every time; each section's bytes against its checksum once per table file
(device, inode, size and times, remembered in the cache directory: that read of the whole
table costs ~0.1 s for a one-year store, a sixth of a million-name lookup). A damaged table
is said on stderr and removed; the next large lookup rebuilds it. Tables are written
``fsync``-ed before they take their name.

The compiled path answers only what it answers exactly as the general path does (the output
is the same bytes; ``tests/test_lookup_table.py`` compares them): a file of ASCII names,
a window the store covers for every chosen variant (nothing to generate), and names that
are either plain (``PLAIN_VALID``, at most 253 characters) or invalid (their error lines are
made here, as the general path makes them). Everything else, and every error, is left to
the general path (:func:`lookup_file_json` returns False).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import mmap
import os
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgawatch import __version__
from dgawatch.days import parse_day, span, today
from dgawatch.domain import _psl, invalid_reason, normalise
from dgawatch.errors import DgawatchError, InputError, StoreError
from dgawatch.families.base import Variant
from dgawatch.filestamp import checked_before, file_identity, remember_checked, store_stamp
from dgawatch.home import cache_root, data_dir
from dgawatch.namefile import bad_lines, file_bytes

DEFAULT_BACK_DAYS = 365
DEFAULT_AHEAD_DAYS = 90

#: ``dgawatch.store.STORE_FILE`` (that module imports DuckDB; tests check they agree).
STORE_FILE = "forecast.duckdb"

TABLE_VERSION = 2
#: Then the header's length and checksum (two little-endian uint64) and the header (JSON).
_MAGIC = b"dgawatch lookup table\n\0\2"
_PREAMBLE = len(_MAGIC) + 16
#: The sections after the header, as ``_lookupscan.build`` makes them (layout[2:]).
SECTIONS = ("dir", "tag", "gstart", "goff", "rows", "blob")
_ALIGN = 64
#: A lookup of this many names builds a missing or outdated table (a one-year Conficker C
#: store, 18.3 M names, takes ~9 CPU-s and 1.9 GB of memory); smaller ones take the general
#: path meanwhile.
BUILD_MIN_NAMES = 100_000
_EPOCH = dt.date(1970, 1, 1)
#: Files from this size on are answered by two threads, one per half (the second half's
#: lines kept in memory and written after the first's), when a second core is idle.
SPLIT_FROM_BYTES = 1 << 20


def idle_core() -> bool:
    """Whether a second core is likely free: two or more usable, and a one-minute load
    average at most their number less a half (a lookup run after lookup keeps it near 1 by
    itself; on a busy machine a second thread only competes, and costs the memory of half
    the output)."""
    try:
        cores = len(os.sched_getaffinity(0))
        return cores >= 2 and os.getloadavg()[0] <= cores - 0.5
    except (AttributeError, OSError):
        return False


#: Stored names above which no table is built (building takes ~100 bytes of memory per
#: name, the table ~33 bytes on disk): such stores keep the general path.
MAX_TABLE_ROWS = 50_000_000


def default_window(now: dt.date | None = None) -> tuple[dt.date, dt.date]:
    now = now or today()
    return now - dt.timedelta(days=DEFAULT_BACK_DAYS), now + dt.timedelta(days=DEFAULT_AHEAD_DAYS)


def variant_days(
    variant: Variant, start: dt.date | None, end: dt.date | None, *, whole_period: bool = False
) -> list[dt.date]:
    """Days of the window on which ``variant`` is active (its whole period with ``whole_period``,
    open-ended periods running to the default horizon, today + 90 days)."""
    if whole_period:
        start = variant.active_from
        horizon = default_window()[1]
        end = min(variant.active_until or horizon, horizon)
    if start is None or end is None:
        start, end = default_window()
    if end < start:
        raise InputError(f"window end {end} is before its start {start}")
    return active_days(variant.active_from, variant.active_until, start, end)


def active_days(
    active_from: dt.date, active_until: dt.date | None, start: dt.date, end: dt.date
) -> list[dt.date]:
    """The days of ``start..end`` within an active period (open-ended without its end)."""
    first = max(start, active_from)
    last = min(end, active_until) if active_until else end
    if last < first:
        return []
    return list(span(first, last))


def python_check(queries: Sequence[str]) -> dict[str, str]:
    """query -> why it is no domain name (the ``error`` of its JSON line), for the queries
    :func:`dgawatch.domain.normalise` or :func:`dgawatch.domain.invalid_reason` refuse."""
    out: dict[str, str] = {}
    for query in dict.fromkeys(queries):
        try:
            normalise(query)
        except (InputError, UnicodeError) as exc:
            out[query] = str(exc) if isinstance(exc, InputError) else f"{query!r} is not text"
            continue
        why = invalid_reason(query.strip())  # a URL, "name,comment", a wildcard...
        if why is not None:
            out[query] = f"{query!r} is not a domain name: {why}"
    return out


def error_line(query: str | None, why: str) -> str:
    """The JSON line of a query that is no domain name."""
    return f'{json.dumps({"query": query, "error": why})[:-1]}, "matches": []}}\n'


# --- the table on disk --------------------------------------------------------------------


def table_paths(store: Path) -> list[Path]:
    """Where ``store``'s table is kept: next to it, else (a folder one may not write in) in
    the cache directory under a name derived from the store's absolute path."""
    paths = [store.with_name(store.name + ".lookup")]
    root = cache_root()
    if root is not None:
        key = hashlib.sha1(str(store.resolve()).encode()).hexdigest()[:20]
        paths.append(root / "lookup-tables" / f"{key}.lookup")
    return paths


def table_path(store: Path) -> Path:
    """Where the table of ``store`` is: the first of :func:`table_paths` that exists (the
    first when none does)."""
    paths = table_paths(store)
    return next((p for p in paths if p.exists()), paths[0])


class DamagedTable(Exception):
    """A table file whose header or sections fail their checks (a disk error, a copy cut
    short, a write cut by a crash): never answered from."""

    def __init__(self, path: Path | None, why: str) -> None:
        super().__init__(f"the look-up table {path} is damaged: {why}")
        self.why = why


#: A header longer than this is damage (a one-year store's is ~20 kB: codes and coverage).
MAX_HEADER = 64 << 20


def _header_sum(size: int, text: bytes) -> int:
    from dgawatch import _lookupscan

    return _lookupscan.checksum(struct.pack("<Q", size) + text, 0, 8 + len(text))


def check_sections(header: dict[str, Any], mm: mmap.mmap | bytes, header_end: int) -> None:
    """The section table against itself and the file (every time a table is mapped; no
    section is read but the last entries that bound the others): each section where its
    length says, aligned, in order, inside the file, of the length its counts imply.
    Raises :class:`DamagedTable`."""
    try:
        bits, groups, *offsets = (int(x) for x in header["layout"])
        lengths = [int(x) for x in header["lengths"]]
        sums = [int(x) for x in header["sums"]]
        size = int(header["size"])
    except (KeyError, TypeError, ValueError):
        raise DamagedTable(None, "section table") from None
    n = len(SECTIONS)
    if len(offsets) != n or len(lengths) != n or len(sums) != n or size != len(mm):
        raise DamagedTable(None, f"section table or size ({len(mm):,} bytes)")
    if not (8 <= bits <= 30 and 0 <= groups < 2**31):
        raise DamagedTable(None, "section table (bits, groups)")
    at = header_end
    for name, start, length in zip(SECTIONS, offsets, lengths, strict=True):
        if start % _ALIGN or start < at or length < 0 or start + length > size:
            raise DamagedTable(None, f"section {name} at {start:,} (+{length:,})")
        at = start + length
    implied = [(2**bits + 1) * 4, groups * 4, (groups + 1) * 4, (groups + 1) * 4]
    if lengths[:4] != implied or lengths[4] % 8:
        raise DamagedTable(None, "section lengths disagree with the counts")
    (last_dir,) = struct.unpack_from("=I", mm, offsets[0] + lengths[0] - 4)
    (last_start,) = struct.unpack_from("=I", mm, offsets[2] + lengths[2] - 4)
    (last_off,) = struct.unpack_from("=I", mm, offsets[3] + lengths[3] - 4)
    if (last_dir, last_start * 8, last_off) != (groups, lengths[4], lengths[5]):
        raise DamagedTable(None, "sections disagree (groups, rows, names)")


def check_contents(header: dict[str, Any], mm: mmap.mmap | bytes) -> None:
    """Each section's bytes against its checksum (reads the whole table: ~0.1 s for a
    one-year store's 600 MB, so done once per table file, see :func:`checked_before`)."""
    from dgawatch import _lookupscan

    offsets = header["layout"][2:]
    for name, start, length, want in zip(
        SECTIONS, offsets, header["lengths"], header["sums"], strict=True
    ):
        if _lookupscan.checksum(mm, start, length) != want:
            raise DamagedTable(None, f"section {name} fails its checksum")


#: :func:`~dgawatch.filestamp.checked_before`'s folder (in the cache directory) for tables.
TABLES_CHECKED = "lookup-verified"


class LookupTable:
    """A memory-mapped table (:func:`build_table`): the header's fields and the mapping."""

    def __init__(self, header: dict[str, Any], mm: mmap.mmap) -> None:
        self.header = header
        self.mm = mm
        self.codes: list[tuple[str, str]] = [(f, v) for f, v in header["codes"]]
        self.code = {f"{f}/{v}": i for i, (f, v) in enumerate(self.codes)}
        self.layout: tuple[int, ...] = tuple(header["layout"])
        self.max_labels = int(header["max_labels"])
        self._variants: dict[str, dict[str, Any]] = header["variants"]

    @classmethod
    def open(cls, store: Path) -> LookupTable | None:
        """The table of ``store`` when it is there, current and whole, else None. A damaged
        table (:class:`DamagedTable`) is said on stderr and removed: the next large lookup
        rebuilds it, the general path answers meanwhile."""
        for path in table_paths(store):
            try:
                table = cls._open(path, store)
            except DamagedTable as exc:
                print(f"{exc}; removed it (the next large lookup rebuilds it)", file=sys.stderr)
                path.unlink(missing_ok=True)
                continue
            if table is not None:
                return table
        return None

    @classmethod
    def _open(cls, path: Path, store: Path) -> LookupTable | None:
        try:
            with path.open("rb") as fh:
                head = fh.read(_PREAMBLE)
                if len(head) < _PREAMBLE or head[: len(_MAGIC)] != _MAGIC:
                    return None  # (no table, or one of another format: rebuilt)
                size, check = struct.unpack_from("<QQ", head, len(_MAGIC))
                if size > MAX_HEADER:
                    raise DamagedTable(path, "header length")
                text = fh.read(size)
                if len(text) != size or _header_sum(size, text) != check:
                    raise DamagedTable(path, "header checksum")
                header = json.loads(text)
                if (
                    header.get("version") != TABLE_VERSION
                    or header.get("byteorder") != sys.byteorder
                    or header.get("stamp") != store_stamp(store)
                ):
                    return None
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
                identity = file_identity(os.fstat(fh.fileno()))
        except OSError:
            return None  # (no table there, or none that can be read: not used)
        except ValueError as exc:  # (JSON)
            raise DamagedTable(path, f"header ({exc})") from None
        try:
            check_sections(header, mm, _PREAMBLE + size)
            if not checked_before(path, identity, TABLES_CHECKED):
                check_contents(header, mm)
                remember_checked(path, identity, TABLES_CHECKED)
        except DamagedTable as exc:
            mm.close()
            raise DamagedTable(path, exc.why) from None
        return cls(header, mm)

    def covered_days(self, key: str, fingerprint: str | None) -> set[int]:
        """Proleptic ordinals of the stored days of variant ``key``; none when its lists came
        from another version of its generator than ``fingerprint`` (the running one's,
        :func:`dgawatch.families.fingerprint`), as ``ForecastStore.covered_days`` decides."""
        entry = self._variants.get(key)
        if entry is None or entry.get("fingerprint") != fingerprint:
            return set()
        days: set[int] = set()
        for first, last in entry["days"]:
            days.update(range(first, last + 1))
        return days

    def close(self) -> None:
        self.mm.close()


def _runs(ordinals: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for o in ordinals:
        if runs and runs[-1][1] == o - 1:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    return runs


def build_table(store: Path) -> Path:
    """Write ``store``'s look-up table (next to it, else in the cache directory; atomically)
    and return its path. Raises StoreError for a file that is no forecast store, ValueError
    for a store the compiled path does not answer from (a domain that needs JSON escaping, a
    day before 1970 or after 2149, more than 65,536 variants or MAX_TABLE_ROWS names),
    OSError when neither place can be written."""
    import duckdb
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from dgawatch import _lookupscan
    from dgawatch.store import ForecastStore

    stamp = store_stamp(store)  # before reading: a write meanwhile makes the table stale
    with ForecastStore(store, read_only=True) as fs:
        con = fs.con
        (count,) = con.execute("SELECT count(*) FROM forecast").fetchone() or (0,)
        if count > MAX_TABLE_ROWS:
            raise ValueError(f"{count:,} stored names: more than a table holds")
        max_labels = fs.max_labels()
        coverage = con.execute(
            "SELECT family || '/' || variant, day FROM coverage ORDER BY 1, 2"
        ).fetchall()
        try:
            recorded = dict(
                con.execute(
                    "SELECT family || '/' || variant, fingerprint FROM generators"
                ).fetchall()
            )
        except duckdb.CatalogException:  # written before versions were recorded: all stale
            recorded = {}
        codes = sorted(con.execute("SELECT DISTINCT family, variant FROM forecast").fetchall())
        if len(codes) > 65_536:
            raise ValueError("more than 65,536 variants in the store")
        # one query per variant (the rows of a variant lie together: DuckDB skips the
        # others' row groups by their min/max), each row packed as code, day and index
        packs: list[np.ndarray] = []
        names: list[pa.Array] = []
        for code, (family, variant) in enumerate(codes):
            rows = con.sql(
                "SELECT day, idx, domain FROM forecast WHERE family = ? AND variant = ?",
                params=[family, variant],
            ).to_arrow_table()
            day = pc.cast(rows.column("day"), pa.int32()).to_numpy()
            idx = rows.column("idx").to_numpy()
            if len(day) and (day.min() < 0 or day.max() > 0xFFFF or idx.min() < 0):
                raise ValueError("a stored day before 1970 or after 2149, or a negative index")
            packed = day.astype(np.uint64) << np.uint64(32)
            packed |= idx.astype(np.uint64)
            packed |= np.uint64(code << 48)
            packs.append(packed)
            names += [c.cast(pa.large_string()) for c in rows.column("domain").chunks]
            del rows, day, idx, packed
    packed = np.concatenate(packs) if packs else np.zeros(0, np.uint64)
    domains = pa.concat_arrays(names or [pa.array([], pa.large_string())])
    del packs, names
    offsets = np.frombuffer(domains.buffers()[1], np.int64, len(domains) + 1, domains.offset * 8)
    data = domains.buffers()[2] or b""
    bits, groups, *sections = _lookupscan.build(offsets, data, packed)
    del packed, domains, offsets, data

    days: dict[str, list[int]] = {}
    for key, day_value in coverage:
        days.setdefault(key, []).append(day_value.toordinal())
    variants = {
        key: {"fingerprint": recorded.get(key), "days": _runs(ordinals)}
        for key, ordinals in days.items()
    }
    header: dict[str, object] = {
        "version": TABLE_VERSION,
        "byteorder": sys.byteorder,
        "stamp": stamp,
        "store": str(store.resolve()),  # (a table in the cache dir outliving it is pruned)
        "max_labels": max_labels,
        "codes": [list(c) for c in codes],
        "variants": variants,
    }
    header["lengths"] = [len(part) for part in sections]
    header["sums"] = [_lookupscan.checksum(part, 0, len(part)) for part in sections]
    # the sections' offsets go into the header, whose length they change: room is made
    # with the largest values, and the header padded with blanks to that length
    layout = [bits, groups] + [0] * len(sections)
    header["layout"], header["size"] = [2**62] * len(layout), 2**62
    head_len = _PREAMBLE + len(json.dumps(header).encode())
    pos = -(-head_len // _ALIGN) * _ALIGN
    for i, part in enumerate(sections):
        layout[2 + i] = pos
        pos += -(-len(part) // _ALIGN) * _ALIGN
    header["layout"], header["size"] = layout, pos
    text = json.dumps(header).encode()
    text += b" " * (head_len - _PREAMBLE - len(text))
    head = _MAGIC + struct.pack("<QQ", len(text), _header_sum(len(text), text)) + text
    paths = table_paths(store)
    for i, path in enumerate(paths):
        try:
            _write_table(path, head, list(zip(layout[2:], sections, strict=True)), pos)
        except OSError:
            if i == len(paths) - 1:
                raise
            continue
        for other in paths[i + 1 :]:  # (an older table elsewhere would shadow nothing)
            other.unlink(missing_ok=True)
        if i > 0:
            prune_cached_tables(path.parent)
        return path
    raise AssertionError("unreachable")


def remove_orphan_tables(store: Path) -> None:
    """Remove the tables of ``store`` when no store is there (deleted, or about to be
    created anew): a table is never used for another store file (its stamp differs), so it
    would only keep its disk space (~600 MB for a one-year store)."""
    if store.exists():
        return
    for path in table_paths(store):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def prune_cached_tables(folder: Path) -> None:
    """Remove the tables of the cache directory (stores in read-only folders) whose store
    is gone, and those of an older format (never read again)."""
    for path in folder.glob("*.lookup"):
        try:
            with path.open("rb") as fh:
                head = fh.read(_PREAMBLE)
                store = None
                if len(head) == _PREAMBLE and head[: len(_MAGIC)] == _MAGIC:
                    size = struct.unpack_from("<Q", head, len(_MAGIC))[0]
                    store = json.loads(fh.read(min(size, MAX_HEADER))).get("store")
            if not isinstance(store, str) or not Path(store).exists():
                path.unlink(missing_ok=True)
        except (OSError, ValueError, AttributeError):
            continue


def _write_table(path: Path, head: bytes, sections: list[tuple[int, bytes]], size: int) -> None:
    """The table file, written under a temporary name and renamed (readers see it whole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(head)
            for start, part in sections:
                fh.write(b"\0" * (start - fh.tell()))
                fh.write(part)
            fh.write(b"\0" * (size - fh.tell()))
            fh.flush()
            os.fsync(fh.fileno())  # (on disk before its name: a crash leaves no torn table)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


# --- the variants of --family/--variant, without importing the registry -------------------


@dataclass(frozen=True)
class Chosen:
    """What a lookup needs of a chosen variant."""

    key: str
    active_from: dt.date
    active_until: dt.date | None
    fingerprint: str | None


def code_stamp() -> list[object]:
    """dgawatch's and Python's versions and the size and time of every file of the package
    folder and of its families (what the registry, each variant's period and each
    generator's fingerprint come from): while it is unchanged, so are they."""
    import dgawatch

    root = Path(dgawatch.__file__).parent
    out: list[object] = [__version__, sys.version]
    for folder in (root, root / "families", root / "families" / "data"):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_file():
                st = entry.stat()
                out.append([entry.name, st.st_size, st.st_mtime_ns])
    return out


def choose(
    family: list[str] | None, variant: list[str] | None
) -> tuple[list[Chosen], dict[str, list[str]]]:
    """:func:`dgawatch.families.choose_variants` of the options, and the aliases of every
    variant known under other names: kept in the cache directory per (options, code
    stamp), so that a repeated lookup does not import the registry (58 family modules and
    NumPy, ~0.1 s). Raises what choose_variants raises."""
    root = cache_root()
    key = json.dumps([family, variant, code_stamp()])
    path = None
    if root is not None:
        path = root / "lookup-selections" / f"{hashlib.sha1(key.encode()).hexdigest()[:24]}.json"
        try:
            doc = json.loads(path.read_text("utf-8"))
            if doc["key"] == key:
                chosen = [
                    Chosen(
                        c["key"],
                        dt.date.fromisoformat(c["from"]),
                        dt.date.fromisoformat(c["until"]) if c["until"] else None,
                        c["fingerprint"],
                    )
                    for c in doc["chosen"]
                ]
                return chosen, doc["aliases"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from dgawatch.families import aliases_of, all_variants, choose_variants, fingerprint

    variants = choose_variants(family, variant)
    chosen = [Chosen(v.key, v.active_from, v.active_until, fingerprint(v)) for v in variants]
    aliases = {v.key: list(aliases_of(v.key)) for v in all_variants() if aliases_of(v.key)}
    if path is not None:
        doc = {
            "key": key,
            "chosen": [
                {
                    "key": c.key,
                    "from": c.active_from.isoformat(),
                    "until": c.active_until.isoformat() if c.active_until else None,
                    "fingerprint": c.fingerprint,
                }
                for c in chosen
            ],
            "aliases": aliases,
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(doc), "utf-8")
            tmp.replace(path)
            _prune(path.parent, SELECTIONS_KEPT)
        except OSError:
            tmp.unlink(missing_ok=True)
    return chosen, aliases


#: Selections kept in the cache (those of earlier versions of the package pile up).
SELECTIONS_KEPT = 64


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently written files of ``folder``."""
    files = sorted(folder.glob("*.json"), key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


# --- the command ------------------------------------------------------------------------


def lookup_file_json(
    file: Path,
    *,
    family: list[str] | None,
    variant: list[str] | None,
    start: str | None,
    end: str | None,
    days: int | None,
    store: Path | None,
    say: Callable[..., object],
) -> bool:
    """``dgawatch lookup --file FILE --json`` (no names as arguments, no ``--all``, no
    ``--no-store``) by the compiled path, writing to ``sys.stdout``: True when done, False
    (nothing written) when the general path must answer (see the module's docstring).
    ``say`` prints the summary line on stderr (the CLI's console)."""
    if days is not None or (start is None) != (end is None):
        return False  # (--start alone, --days: the CLI's own window rules)
    try:
        if start is None or end is None:
            first, last = default_window()
        else:
            first, last = parse_day(start, what="--start"), parse_day(end, what="--end")
    except DgawatchError:
        return False
    if last < first:
        return False
    store_path = store if store is not None else data_dir() / STORE_FILE
    if not store_path.is_file():
        remove_orphan_tables(store_path)  # (the store was deleted: its table is garbage)
        return False
    try:
        data = file_bytes(file)
    except InputError:
        return False  # (the general path says why)
    from dgawatch import _lookupscan

    scanned = _lookupscan.scan(data)
    if scanned is None or scanned[0] == 0:
        return False
    names, slow = scanned
    try:
        variants, aliases = choose(family, variant)
    except DgawatchError:
        return False
    table = LookupTable.open(store_path)
    if table is None:
        if names < BUILD_MIN_NAMES:
            return False
        print(
            f"building the look-up table of {store_path} (once per change of the store)",
            file=sys.stderr,
        )
        try:
            build_table(store_path)
        except (StoreError, OSError, ValueError):
            return False
        table = LookupTable.open(store_path)
        if table is None:
            return False
    try:
        return _answer(file, data, names, slow, table, variants, first, last, say, aliases)
    finally:
        table.close()


def _text_lines(data: bytes) -> Iterator[str]:
    """An ASCII file's lines, one at a time (split at LF; a CR before it is stripped with the
    blanks: the files the compiled path reads, see ``_lookupscan.scan``)."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        yield data[start:end].decode("ascii")
        start = end + 1


def _answer(
    file: Path,
    data: bytes,
    names: int,
    slow: list[bytes],
    table: LookupTable,
    variants: list[Chosen],
    first: dt.date,
    last: dt.date,
    say: Callable[..., object],
    aliases: dict[str, list[str]],
) -> bool:
    from dgawatch import _lookupscan

    allowed = bytearray(len(table.codes) * 8192)  # a bit per (code, day since 1970)
    from_store = 0
    for v in variants:
        wanted = active_days(v.active_from, v.active_until, first, last)
        covered = table.covered_days(v.key, v.fingerprint)
        if any(d.toordinal() not in covered for d in wanted):
            return False  # lists to generate: the general path
        from_store += len(wanted)
        code = table.code.get(v.key)
        if code is None:
            continue
        for d in wanted:
            n = (d - _EPOCH).days
            if 0 <= n <= 0xFFFF:
                bit = code << 16 | n
                allowed[bit >> 3] |= 1 << (bit & 7)
    lines: list[bytes] = []
    if slow:
        texts = [s.decode("ascii") for s in slow]
        why = python_check(texts)
        if any(t not in why for t in texts):
            return False  # a valid name that is not plain: the general path reads it
        lines = [error_line(t, why[t]).encode("ascii") for t in texts]
        # (refused or reported as the general path does: dgawatch.lookup.read_file_names)
        bad_lines(file, _text_lines(data), why, names=names, bad=len(texts)).vet()
    prefixes, suffixes = [], []
    for fam, var in table.codes:
        prefixes.append(
            f'{{"family": {json.dumps(fam)}, "variant": {json.dumps(var)}, "day": "'.encode()
        )
        also = aliases.get(f"{fam}/{var}")  # (json.dumps(Hit.to_dict()) puts them last)
        tail = f', "aliases": {json.dumps(also)}' if also else ""
        suffixes.append(f'"{tail}}}'.encode())
    say(f"window {first}..{last}", f"- {from_store} day lists from the store, 0 generated")
    psl = _psl()
    sys.stdout.flush()
    out = sys.stdout.buffer
    _lookupscan.write(
        data,
        table.mm,
        table.layout,
        allowed,
        table.max_labels,
        psl._publicsuffix,
        psl._maxlabel,
        prefixes,
        suffixes,
        lines,
        out.write,
        SPLIT_FROM_BYTES if idle_core() else 0,
    )
    out.flush()
    return True
