"""All-time lookup: which variant generates a name on any day of its whole active period.

Generating every day of every family to answer one question takes CPU-minutes (1.6 billion
names to today + 1 year), so two things answer instead:

* **Signatures** (:class:`dgawatch.families.base.Signature` and each variant's TLD set)
  rule out every variant whose grammar the name does not fit, before anything is generated.
  They also answer "has the shape of family X" for names no registered seed generates.
* The **all-time index** (format version 2, a folder ``alltime-v2`` in the data directory):
  per variant, *segments*; a segment covers a contiguous range of days and holds

  - ``<first>_<last>.runs.npy``: ``int32[R, 2]``, the first and last day (proleptic
    ordinals) of each *run* of consecutive days with the same list (a static variant's
    list is one run over its whole period);
  - ``<first>_<last>.keys.npy``: a sorted ``uint64`` array, one entry per distinct
    (name, run): the name's 64-bit hash (:func:`hash_lines`) with its low 16 bits replaced
    by the run number. 8 bytes per name;
  - ``<first>_<last>.pos.npy``: ``uint32``, the name's first position in the run's list,
    the top bit set when the key recurs in that list;
  - ``<first>_<last>.chk.npy``: ``uint32``, a check of the name (:func:`hash_pair`): the
    hash's low 16 bits and 16 bits of a second, independent hash. 16 bytes per name.

  A query hashes its candidate keys (the name and its last 2..4 labels) and probes each
  segment with two ``searchsorted`` calls. An entry whose check matches is the name (80
  bits agree; the chance that another name matches is about n/2^80); a mismatch is another
  name (dropped). Only entries whose key recurs in their list are answered by regenerating
  the run's list (every position of the name). No name of an indexed day is ever missed.
  (Version 1 had no check and regenerated the first run of every hit: most of the CPU of
  a batch lookup.)

Days the index does not cover are generated (after signature pruning), so an answer is
always complete; ``dgawatch store build --all-time`` makes it fast.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from dgawatch.days import today
from dgawatch.domain import normalise, registered_domain
from dgawatch.errors import InputError, StoreError
from dgawatch.families import aliases_of, fingerprint
from dgawatch.families.base import Variant
from dgawatch.forecast import iter_day_lists

INDEX_VERSION = 2
INDEX_DIR = f"alltime-v{INDEX_VERSION}"
#: Open-ended variants are looked up (and indexed) this far ahead of today.
HORIZON_DAYS = 365
#: Candidate keys of a query: the name itself and its last 2..MAX_SUFFIX_LABELS labels.
MAX_SUFFIX_LABELS = 4
_RUN_BITS = 16
#: Names (with repeats) of one segment at most: its build sorts them in ~40 bytes each.
MAX_SEGMENT_NAMES = 8 << 20
_DAY = dt.timedelta(days=1)
_RUN_MASK = np.uint64((1 << _RUN_BITS) - 1)
_HASH_MASK = ~_RUN_MASK
#: Flag in an entry's stored position: the run's list holds this 48-bit key more than once
#: (the name recurs in the list, or two names of the list collide): such an entry is
#: answered by regenerating the run's list, which gives every position of the name.
_DUP = np.uint32(1 << 31)
#: File in each variant's folder naming the generator version its lists came from.
FINGERPRINT = "FINGERPRINT"
_SEGMENT = re.compile(r"^(\d+)_(\d+)\.keys\.npy$")


def default_index_dir() -> Path:
    from dgawatch.store import data_dir

    return data_dir() / INDEX_DIR


def horizon(now: dt.date | None = None) -> dt.date:
    return (now or today()) + dt.timedelta(days=HORIZON_DAYS)


def active_span(variant: Variant, until: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The variant's whole active period, open-ended ones cut at today + 1 year."""
    end = until or horizon()
    return variant.active_from, min(variant.active_until or end, end)


# --- hashing ---------------------------------------------------------------------------

_K0 = np.uint64(0x9E3779B97F4A7C15)
_K1 = np.uint64(0xBF58476D1CE4E5B9)
_K2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (a bijection with full avalanche), element-wise."""
    x = x ^ (x >> np.uint64(30))
    x = x * _K1
    x = x ^ (x >> np.uint64(27))
    x = x * _K2
    return x ^ (x >> np.uint64(31))


def hash_lines(blob: bytes) -> np.ndarray:
    """64-bit hashes of the ``\\n``-terminated lines of ``blob`` (the index's key hash: changing
    it means a new INDEX_VERSION). Vectorised: each name is read as little-endian 8-byte
    words, mixed word by word; :func:`hash_pair` computes it with the entries' check."""
    return hash_pair(blob)[0]


def hash_pair(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """:func:`hash_lines` of each line and a 32-bit check of it: the low 16 bits of that
    hash (which the index's key gives to the run number) and 16 bits of a second hash with
    its own seed and mixing. With the key's 48 bits that is 80 bits per entry: an index hit
    whose check matches is the name (false match ~n/2^80), so no list is regenerated to
    confirm it (version 2 of the index format)."""
    if not blob:
        return np.empty(0, np.uint64), np.empty(0, np.uint32)
    a = np.frombuffer(blob, np.uint8)
    ends = np.flatnonzero(a == 10)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lens = ends - starts
    out = np.empty(len(ends), np.uint64)
    chk = np.empty(len(ends), np.uint32)
    for lo in range(0, len(ends), 65_536):
        s, n = starts[lo : lo + 65_536], lens[lo : lo + 65_536]
        width = int(-(-int(n.max()) // 8) * 8) or 8
        cols = np.arange(width)
        idx = s[:, None] + cols[None, :]
        m = a[np.minimum(idx, len(a) - 1)]
        m[cols[None, :] >= n[:, None]] = 0
        words = np.ascontiguousarray(m).view("<u8")
        n64 = n.astype(np.uint64)
        h = _mix(n64 * _K0 + _K0)
        h2 = _mix(n64 * _K2 + _K1)
        for j in range(width // 8):
            live = n > 8 * j
            h = np.where(live, _mix(h ^ words[:, j]), h)
            h2 = np.where(live, _mix(h2 + words[:, j] * _K1), h2)
        out[lo : lo + 65_536] = h
        chk[lo : lo + 65_536] = ((h & np.uint64(0xFFFF)) << np.uint64(16)) | (h2 >> np.uint64(48))
    return out, chk


# --- the index on disk ------------------------------------------------------------------


@dataclass
class Segment:
    first: dt.date
    last: dt.date
    keys: np.ndarray
    runs: np.ndarray
    pos: np.ndarray
    chk: np.ndarray


class AllTimeIndex:
    """The index folder; segments are memory-mapped on first use."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_index_dir()
        self._segments: dict[str, list[Segment]] = {}
        #: Variants whose indexed lists came from another version of their generator
        #: (their fingerprint differs): their segments are ignored until rebuilt.
        self.stale: set[str] = set()

    def _variant_dir(self, v: Variant) -> Path:
        return self.path / v.family / v.name

    def segments(self, v: Variant) -> list[Segment]:
        if v.key not in self._segments:
            found: list[Segment] = []
            folder = self._variant_dir(v)
            if folder.is_dir() and not self._current(v, folder):
                self.stale.add(v.key)
            elif folder.is_dir():
                for f in sorted(folder.iterdir()):
                    m = _SEGMENT.match(f.name)
                    if not m:
                        continue
                    runs_file = f.with_name(f.name.replace(".keys.", ".runs."))
                    pos_file = f.with_name(f.name.replace(".keys.", ".pos."))
                    chk_file = f.with_name(f.name.replace(".keys.", ".chk."))
                    try:
                        keys = np.load(f, mmap_mode="r")
                        runs = np.load(runs_file)
                        pos = np.load(pos_file, mmap_mode="r")
                        chk = np.load(chk_file, mmap_mode="r")
                    except (OSError, ValueError) as exc:
                        raise StoreError(
                            f"all-time index segment {f} is unreadable ({exc}); delete "
                            f"{self.path} and run 'dgawatch store build --all-time' again"
                        ) from None
                    first = dt.date.fromordinal(int(m.group(1)))
                    last = dt.date.fromordinal(int(m.group(2)))
                    found.append(Segment(first, last, keys, runs, pos, chk))
            self._segments[v.key] = found
        return self._segments[v.key]

    @staticmethod
    def _current(v: Variant, folder: Path) -> bool:
        """Whether the folder's lists are those of this version of the variant's generator
        (the hunt list cache's fingerprint: key, parameters, the generator's and the family
        module's source, dgawatch's version), as recorded when it was built."""
        want = fingerprint(v)
        if want is None:  # not a registered variant: nothing to compare with
            return True
        try:
            return (folder / FINGERPRINT).read_text("ascii").strip() == want
        except (OSError, UnicodeDecodeError):
            return False

    def covered(self, v: Variant) -> set[dt.date]:
        out: set[dt.date] = set()
        for s in self.segments(v):
            out.update(
                dt.date.fromordinal(o) for o in range(s.first.toordinal(), s.last.toordinal() + 1)
            )
        return out

    def missing_days(self, v: Variant, until: dt.date | None = None) -> list[dt.date]:
        first, last = active_span(v, until)
        if last < first:
            return []
        return _days(_uncovered(first, last, self.segments(v)))

    def size_bytes(self) -> int:
        if not self.path.is_dir():
            return 0
        return sum(f.stat().st_size for f in self.path.rglob("*.npy"))

    def summary(self, variants: Sequence[Variant]) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for v in variants:
            segs = self.segments(v)
            if segs:
                rows.append(
                    {
                        "family": v.family,
                        "variant": v.name,
                        "first_day": min(s.first for s in segs).isoformat(),
                        "last_day": max(s.last for s in segs).isoformat(),
                        "names": int(sum(len(s.keys) for s in segs)),
                        "segments": len(segs),
                    }
                )
        return rows

    # --- building ---------------------------------------------------------------------

    def build(
        self,
        variants: Sequence[Variant],
        *,
        days: Iterable[dt.date] | None = None,
        until: dt.date | None = None,
        on_day: Callable[[int], None] | None = None,
    ) -> int:
        """Index the days of each variant's active period (to ``until``, default today +
        1 year; or only ``days``) that no segment covers yet; returns names indexed.
        ``on_day(n)`` reports n more (variant, day) pairs done."""
        wanted = None if days is None else set(days)
        total = 0
        for v in variants:
            self.segments(v)
            folder = self._variant_dir(v)
            if v.key in self.stale:  # built by another version of the generator: start over
                shutil.rmtree(folder)
                self.stale.discard(v.key)
                self._segments.pop(v.key, None)
            fp = fingerprint(v)
            if fp is not None and not (folder / FINGERPRINT).exists():
                folder.mkdir(parents=True, exist_ok=True)
                (folder / FINGERPRINT).write_text(fp + "\n", "ascii")
            todo = self.missing_days(v, until)
            if wanted is not None:
                todo = [d for d in todo if d in wanted]
            for first, last in day_ranges(todo):
                total += self._build_range(v, first, last, on_day)
            self._segments.pop(v.key, None)
        return total

    def _build_range(
        self, v: Variant, first: dt.date, last: dt.date, on_day: Callable[[int], None] | None
    ) -> int:
        """Index ``first..last`` as segments of at most :data:`MAX_SEGMENT_NAMES` names each
        (cut where a new list begins): memory stays bounded (before, one segment of a
        year-long range of Conficker C, 340 M names, was sorted whole in ~10 GB and the
        build was killed)."""
        if v.period_days == 0:  # one static list, valid on every day
            blob = v.domains_blob(v.active_from)
            total = self._write_segment(
                v, first, last, [[first.toordinal(), last.toordinal()]], [hash_pair(blob)]
            )
            if on_day is not None:
                on_day((last - first).days + 1)
            return total
        total = 0
        runs: list[list[int]] = []
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        names = 0
        seg_first = first
        days = [dt.date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]
        previous: bytes | None = None
        for dl in iter_day_lists([v], days):
            if dl.blob == previous:
                runs[-1][1] = dl.day.toordinal()
            else:
                if names >= MAX_SEGMENT_NAMES or len(runs) == 1 << _RUN_BITS:
                    total += self._write_segment(v, seg_first, dl.day - _DAY, runs, parts)
                    runs, parts, names, seg_first = [], [], 0, dl.day
                previous = dl.blob
                runs.append([dl.day.toordinal(), dl.day.toordinal()])
                parts.append(hash_pair(dl.blob))
                names += len(parts[-1][0])
            if on_day is not None:
                on_day(1)
        return total + self._write_segment(v, seg_first, last, runs, parts)

    def _write_segment(
        self,
        v: Variant,
        first: dt.date,
        last: dt.date,
        runs: list[list[int]],
        parts: list[tuple[np.ndarray, np.ndarray]],
    ) -> int:
        keyed = [(h & _HASH_MASK) | np.uint64(i) for i, (h, _) in enumerate(parts)]
        if keyed:
            flat = np.concatenate(keyed)
            del keyed
            checks = np.concatenate([c for _, c in parts])
            at = np.concatenate([np.arange(len(h), dtype=np.uint32) for h, _ in parts])
            order = np.argsort(flat, kind="stable")  # a name's first position comes first
            flat, at, checks = flat[order], at[order], checks[order]
            del order
            first_of = np.ones(len(flat), bool)
            first_of[1:] = flat[1:] != flat[:-1]
            heads = np.flatnonzero(first_of)
            repeated = np.diff(np.r_[heads, len(flat)]) > 1  # the key recurs in its run
            keys, positions, chk = flat[heads], at[heads], checks[heads]
            positions[repeated] |= _DUP
        else:
            keys, positions = np.empty(0, np.uint64), np.empty(0, np.uint32)
            chk = np.empty(0, np.uint32)
        folder = self._variant_dir(v)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{first.toordinal()}_{last.toordinal()}"
        tmp = folder / f".{stem}.tmp"
        tmp.mkdir(exist_ok=True)
        np.save(tmp / "runs.npy", np.asarray(runs, np.int32).reshape(-1, 2))
        np.save(tmp / "pos.npy", positions)
        np.save(tmp / "chk.npy", chk)
        np.save(tmp / "keys.npy", keys)
        # The keys file appears last: a segment is visible only when complete.
        (tmp / "runs.npy").replace(folder / f"{stem}.runs.npy")
        (tmp / "pos.npy").replace(folder / f"{stem}.pos.npy")
        (tmp / "chk.npy").replace(folder / f"{stem}.chk.npy")
        (tmp / "keys.npy").replace(folder / f"{stem}.keys.npy")
        shutil.rmtree(tmp, ignore_errors=True)
        return len(keys)


def _uncovered(
    first: dt.date, last: dt.date, segments: Sequence[Segment]
) -> list[tuple[dt.date, dt.date]]:
    """The ranges of first..last that no segment covers."""
    out: list[tuple[dt.date, dt.date]] = []
    at = first
    for s in sorted(segments, key=lambda s: s.first):
        if s.first > at:
            out.append((at, min(last, s.first - dt.timedelta(days=1))))
        at = max(at, s.last + dt.timedelta(days=1))
        if at > last:
            return [r for r in out if r[0] <= r[1]]
    if at <= last:
        out.append((at, last))
    return [r for r in out if r[0] <= r[1]]


def _days(ranges: Sequence[tuple[dt.date, dt.date]]) -> list[dt.date]:
    return [
        dt.date.fromordinal(o) for a, b in ranges for o in range(a.toordinal(), b.toordinal() + 1)
    ]


def day_ranges(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Runs of consecutive days, as (first, last) pairs."""
    out: list[tuple[dt.date, dt.date]] = []
    for d in sorted(days):
        if out and (d - out[-1][1]).days == 1:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


# --- looking up -------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class AllTimeHit:
    """A (variant, index) whose list holds the name on every day of first_day..last_day."""

    query: str
    family: str
    variant: str
    first_day: dt.date
    last_day: dt.date
    index: int
    domain: str

    def to_dict(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "family": self.family,
            "variant": self.variant,
            "day": self.first_day.isoformat(),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "index": self.index,
            "domain": self.domain,
        }
        also = aliases_of(f"{self.family}/{self.variant}")
        if also:  # the same list under another name (gameover/pre-tovar = murofet/v1)
            doc["aliases"] = list(also)
        return doc


@dataclass
class AllTimeResult:
    hits: dict[str, list[AllTimeHit]] = field(default_factory=dict)
    #: query -> variant keys whose declared signature the name fits (when nothing matched).
    shapes: dict[str, list[str]] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)
    variants_pruned: int = 0
    days_from_index: int = 0
    days_generated: int = 0
    lists_verified: int = 0


@dataclass
class _Keys:
    """Candidate keys of the valid queries: key text, hash, owning query, label count."""

    text: list[str]
    query: list[str]
    pos: list[int]
    hashes: np.ndarray
    by_suffix: dict[str, np.ndarray]
    checks: np.ndarray
    #: Each key's first label as bytes, zero-padded (``[keys, longest]``), and its length:
    #: the signatures' grammar checked for all keys at once.
    label_bytes: np.ndarray
    label_lens: np.ndarray


def _candidate_keys(names: dict[str, str]) -> _Keys:
    text: list[str] = []
    owner: list[str] = []
    pos: list[int] = []
    for query, name in names.items():
        labels = name.split(".")
        text.append(name)
        owner.append(query)
        pos.append(0)
        for n in range(2, min(len(labels) - 1, MAX_SUFFIX_LABELS) + 1):
            text.append(".".join(labels[-n:]))
            owner.append(query)
            pos.append(n)
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(text):
        groups.setdefault(key.partition(".")[2], []).append(i)
    by_suffix = {suffix: np.asarray(idx, np.int64) for suffix, idx in groups.items()}
    blob = ("\n".join(text) + "\n").encode("ascii") if text else b""
    hashes, checks = hash_pair(blob)
    firsts = [key.partition(".")[0].encode("ascii") for key in text]
    lens = np.fromiter((len(x) for x in firsts), np.int64, len(firsts))
    width = int(lens.max()) if len(firsts) else 1
    padded = np.frombuffer(b"".join(x.ljust(width, b"\0") for x in firsts), np.uint8)
    return _Keys(
        text, owner, pos, hashes, by_suffix, checks, padded.reshape(len(firsts), width), lens
    )


@cache
def _alphabet_table(alphabet: str) -> np.ndarray:
    """Bytes allowed in a label of this alphabet (and the padding byte 0)."""
    table = np.zeros(256, bool)
    table[np.frombuffer(alphabet.encode("ascii"), np.uint8)] = True
    table[0] = True
    return table


def _fits(v: Variant, keys: _Keys) -> np.ndarray:
    """Keys that could be names of ``v`` (TLD set, then the declared label grammar)."""
    parts = [keys.by_suffix[tld] for tld in v.tlds if tld in keys.by_suffix]
    if not parts:
        return np.empty(0, np.int64)
    found = np.sort(np.concatenate(parts)) if len(parts) > 1 else parts[0]
    if v.signature is not None:
        sig = v.signature
        lens = keys.label_lens[found]
        ok = (lens >= sig.min_len) & (lens <= sig.max_len)
        ok &= _alphabet_table(sig.alphabet)[keys.label_bytes[found]].all(axis=1)
        found = found[ok]
    return found


def generation_plan(
    queries: Sequence[str],
    variants: Sequence[Variant],
    *,
    index: AllTimeIndex | None = None,
    until: dt.date | None = None,
) -> tuple[int, int]:
    """(variant-days, day lists) that :func:`lookup_all` will generate for ``queries``:
    the days no index segment covers, of the variants whose TLDs and grammar fit some
    query (a static list is generated once per uncovered range). Why: to say up front how
    long an ``--all`` without the index takes, and to size its progress bar."""
    gaps_of: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for v in variants:
        first, last = active_span(v, until)
        gaps = _uncovered(first, last, index.segments(v) if index is not None else [])
        if gaps:
            gaps_of[v.key] = gaps
    if not gaps_of:  # the index covers every day: nothing to generate, no keys to fit
        return 0, 0
    names: dict[str, str] = {}
    for q in dict.fromkeys(queries):
        try:
            names[q] = normalise(q)
        except InputError:
            continue
    keys = _candidate_keys(names)
    days = lists = 0
    for v in variants:
        gaps = gaps_of.get(v.key, [])
        if not gaps or not len(_fits(v, keys)):
            continue
        n = sum((b - a).days + 1 for a, b in gaps)
        days += n
        lists += len(gaps) if v.period_days == 0 else n
    return days, lists


def lookup_all(
    queries: Sequence[str],
    variants: Sequence[Variant],
    *,
    index: AllTimeIndex | None = None,
    until: dt.date | None = None,
    generate_missing: bool = True,
    on_generated_day: Callable[[], None] | None = None,
) -> AllTimeResult:
    """Every (variant, run of days, index) generating each query on any day of its whole
    active period (to today + 1 year). Indexed days are probed; the rest is generated
    (unless ``generate_missing`` is false), only for variants whose grammar fits."""
    result = AllTimeResult()
    names: dict[str, str] = {}
    for q in dict.fromkeys(queries):
        try:
            names[q] = normalise(q)
        except InputError as exc:
            result.invalid[q] = str(exc)
    keys = _candidate_keys(names)
    # (query, variant key, first ordinal, last ordinal, index, domain)
    found: set[tuple[str, str, int, int, int, str]] = set()
    by_key = {v.key: v for v in variants}
    for v in variants:
        cand = _fits(v, keys)
        if not len(cand):
            result.variants_pruned += 1
            continue
        cand_hashes = keys.hashes[cand] & _HASH_MASK
        segments = index.segments(v) if index is not None else []
        probes = [_probe(seg, np.asarray(cand), cand_hashes) for seg in segments]
        result.days_from_index += sum((seg.last - seg.first).days + 1 for seg in segments)
        if probes and sum(len(p[0]) for p in probes):
            cols = [np.concatenate(col) for col in zip(*probes, strict=True)]
            rows = _verified(cols[0], cols[1], cols[2], cols[3], cols[4], v, keys, result)
            for k, a, b, i in rows:
                found.add((keys.query[k], v.key, a, b, i, keys.text[k]))
        first, last = active_span(v, until)
        gaps = _uncovered(first, last, segments) if generate_missing else []
        if gaps:
            # A static list is generated once per uncovered range of days.
            todo_lists = gaps if v.period_days == 0 else [(d, d) for d in _days(gaps)]
            wanted_keys: dict[str, list[int]] = {}
            for k in cand.tolist():
                wanted_keys.setdefault(keys.text[k], []).append(k)
            valid_until = dict(todo_lists)
            for dl in iter_day_lists([v], list(valid_until)):
                until_day = valid_until[dl.day]
                day_names = dl.names()
                if not wanted_keys.keys().isdisjoint(day_names):
                    for i, n in enumerate(day_names):
                        for k in wanted_keys.get(n, ()):
                            found.add(
                                (
                                    keys.query[k],
                                    v.key,
                                    dl.day.toordinal(),
                                    until_day.toordinal(),
                                    i,
                                    n,
                                )
                            )
                result.days_generated += (until_day - dl.day).days + 1
                if on_generated_day is not None:
                    on_generated_day()
    # A hit through a suffix key counts only when it is the query's registered domain.
    registered: dict[str, str | None] = {}
    for query, vkey, a, b, i, domain in found:
        if domain != names[query]:
            if query not in registered:
                registered[query] = registered_domain(names[query])
            if registered[query] != domain:
                continue
        v = by_key[vkey]
        first_day, last_day = dt.date.fromordinal(a), dt.date.fromordinal(b)
        result.hits.setdefault(query, []).append(
            AllTimeHit(query, v.family, v.name, first_day, last_day, i, domain)
        )
    for query, hits in result.hits.items():
        result.hits[query] = merge_runs(hits)
    shaped = _by_tld(variants)
    for query, name in names.items():
        if query not in result.hits:
            shapes = _shapes(name, shaped)
            if shapes:
                result.shapes[query] = shapes
    return result


class _Verifier:
    """Regenerates runs' lists (once each) to check that a name is really in them."""

    def __init__(self, variant: Variant, result: AllTimeResult) -> None:
        self.variant = variant
        self.result = result
        self.blobs: dict[int, bytes] = {}

    def positions(self, first_ord: int, name: str) -> list[int]:
        """Every position of ``name`` in the run's list. The list is searched as one
        ``b"\\n"``-joined blob (the families' fast path, memchr-speed search) rather than
        indexed name by name: a 50,000-name list is checked for one name in microseconds."""
        blob = self.blobs.get(first_ord)
        if blob is None:
            blob = b"\n" + self.variant.domains_blob(dt.date.fromordinal(first_ord))
            self.blobs[first_ord] = blob
            self.result.lists_verified += 1
        needle = b"\n" + name.encode("ascii") + b"\n"
        out: list[int] = []
        at = blob.find(needle)
        while at >= 0:
            out.append(blob.count(b"\n", 0, at))
            at = blob.find(needle, at + 1)
        return out


def _verified(
    ks: np.ndarray,
    firsts: np.ndarray,
    lasts: np.ndarray,
    poss: np.ndarray,
    chks: np.ndarray,
    v: Variant,
    keys: _Keys,
    result: AllTimeResult,
) -> list[tuple[int, int, int, int]]:
    """Index entries (key, run first day, run last day, position) checked and merged.

    An entry is the name when its 32-bit check equals the name's (with the key's 48 bits, 80
    bits agree; a mismatch is a collision of another name: dropped). An entry flagged as
    recurring in its run's list is answered by regenerating that list, which gives every
    position of the name (and settles a collision within the list). Runs of consecutive days
    with the name at the same position are merged (vectorised: a name can sit in thousands
    of daily lists)."""
    poss = poss.astype(np.uint32)
    dup = (poss & _DUP) != 0
    same = chks == keys.checks[ks]
    sure = ~dup & same
    exact: list[tuple[int, int, int, int]] = []
    if dup.any():
        verifier = _Verifier(v, result)
        for row in np.flatnonzero(dup).tolist():
            k, a, b = int(ks[row]), int(firsts[row]), int(lasts[row])
            exact.extend((k, a, b, j) for j in verifier.positions(a, keys.text[k]))
    ks, firsts, lasts = ks[sure], firsts[sure], lasts[sure]
    poss = poss[sure].astype(np.int64)
    if exact:
        e = np.asarray(exact, np.int64)
        ks, firsts, lasts, poss = (
            np.r_[ks, e[:, 0]],
            np.r_[firsts, e[:, 1]],
            np.r_[lasts, e[:, 2]],
            np.r_[poss, e[:, 3]],
        )
    if not len(ks):
        return []
    order = np.lexsort((firsts, poss, ks))
    ks, firsts, lasts, poss = ks[order], firsts[order], lasts[order], poss[order]
    new = np.r_[True, (ks[1:] != ks[:-1]) | (poss[1:] != poss[:-1]) | (firsts[1:] > lasts[:-1] + 1)]
    heads = np.flatnonzero(new)
    last_of = np.maximum.reduceat(lasts, heads)
    return list(
        zip(
            ks[heads].tolist(),
            firsts[heads].tolist(),
            last_of.tolist(),
            poss[heads].tolist(),
            strict=True,
        )
    )


def _probe(
    seg: Segment, cand: np.ndarray, cand_hashes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(key, run first day, run last day, position, check) of every entry matching a
    candidate's 48-bit hash."""
    lo = np.searchsorted(seg.keys, cand_hashes, "left")
    hi = np.searchsorted(seg.keys, cand_hashes | _RUN_MASK, "right")
    counts = hi - lo
    nz = np.flatnonzero(counts)
    c = counts[nz]
    total = int(c.sum())
    if not total:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, np.empty(0, np.uint32), np.empty(0, np.uint32)
    idx = np.repeat(lo[nz] - (np.cumsum(c) - c), c) + np.arange(total)
    run_ids = (np.asarray(seg.keys[idx]) & _RUN_MASK).astype(np.intp)
    return (
        np.repeat(cand[nz], c),
        seg.runs[run_ids, 0],
        seg.runs[run_ids, 1],
        np.asarray(seg.pos[idx]),
        np.asarray(seg.chk[idx]),
    )


def format_run(first: dt.date, last: dt.date) -> str:
    """A run of days as the tables show it: ``2014-11-11``, ``2014-11-11..2014-11-12 (2 days)``."""
    if first == last:
        return first.isoformat()
    return f"{first.isoformat()}..{last.isoformat()} ({(last - first).days + 1:,} days)"


def merge_runs(hits: list[AllTimeHit]) -> list[AllTimeHit]:
    """Consecutive days of the same (variant, index, name) become one hit."""
    out: list[AllTimeHit] = []
    for h in sorted(hits, key=lambda h: (h.family, h.variant, h.index, h.domain, h.first_day)):
        p = out[-1] if out else None
        if (
            p is not None
            and (p.family, p.variant, p.index, p.domain) == (h.family, h.variant, h.index, h.domain)
            and (h.first_day - p.last_day).days <= 1
        ):
            out[-1] = AllTimeHit(
                p.query,
                p.family,
                p.variant,
                p.first_day,
                max(p.last_day, h.last_day),
                p.index,
                p.domain,
            )
        else:
            out.append(h)
    return sorted(out, key=lambda h: (h.first_day, h.family, h.variant, h.index))


def _by_tld(variants: Sequence[Variant]) -> dict[str, list[tuple[int, Variant]]]:
    """The variants with a declared signature (and their place in ``variants``), by TLD."""
    out: dict[str, list[tuple[int, Variant]]] = {}
    for place, v in enumerate(variants):
        if v.signature is not None:
            for tld in v.tlds:
                out.setdefault(tld, []).append((place, v))
    return out


def _shapes(name: str, by_tld: dict[str, list[tuple[int, Variant]]]) -> list[str]:
    """Variants with a declared signature that ``name`` (or a parent of it) fits: the label
    right before one of the variant's TLDs, in the order of the variants given. (No
    public-suffix lookup: loading the list costs 0.4 s, most of a one-name lookup.)"""
    labels = name.split(".")
    found: dict[str, int] = {}
    for n in range(1, len(labels)):
        for place, v in by_tld.get(".".join(labels[n:]), ()):
            sig = v.signature
            if sig is not None and v.key not in found and sig.matches_label(labels[n - 1]):
                found[v.key] = place
    return sorted(found, key=found.__getitem__)
