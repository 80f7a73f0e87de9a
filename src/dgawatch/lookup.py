"""Reverse lookup: which (family, variant, day, index) generate a domain seen in a log.

Two sources answer, and one lookup may use both: the forecast store for the (variant, day)
lists it holds, and on-demand generation for the rest of the window. A query matches a
forecast name when the name is the query itself or the query's registered domain (public
suffix list), so ``www.<dga name>`` is found too.

Bulk lookups against the store compute the candidate keys inside DuckDB (the full name
and its last 2..5 labels) and join them against the forecast; only the few rows that hit
are checked against the public suffix list in Python, which keeps a million look-ups well
under the cost of a million PSL calls.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.days import today
from dgawatch.domain import (
    PLAIN_VALID,
    normalise,
    registered_domain,
    registered_domains,
    suffix_is_public,
)
from dgawatch.errors import InputError
from dgawatch.families import aliases_of, all_variants
from dgawatch.families.base import Signature, Variant
from dgawatch.lookuptable import (  # (light: the compiled path of lookup --file --json)
    DEFAULT_AHEAD_DAYS,
    DEFAULT_BACK_DAYS,
    default_window,
    error_line,
    python_check,
    variant_days,
)
from dgawatch.namefile import MAX_LINE_MESSAGES, PROBE_LINES, BadLines, file_bytes
from dgawatch.store import ForecastStore

if TYPE_CHECKING:  # importing it loads the hunt package (readers, engines): a lookup
    # from the store never needs it, only generation does (issue 19, start-up time)
    from dgawatch.hunt.listcache import ListCache

__all__ = ["DEFAULT_AHEAD_DAYS", "DEFAULT_BACK_DAYS", "default_window", "variant_days"]


@dataclass(frozen=True, order=True)
class Hit:
    """One (family, variant, day, index) that generates the name a query asked for."""

    query: str
    family: str
    variant: str
    day: dt.date
    index: int
    domain: str

    def to_dict(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "family": self.family,
            "variant": self.variant,
            "day": self.day.isoformat(),
            "index": self.index,
            "domain": self.domain,
        }
        also = aliases_of(f"{self.family}/{self.variant}")
        if also:  # the same list under another name (gameover/pre-tovar = murofet/v1)
            doc["aliases"] = list(also)
        return doc


#: Columns of :attr:`LookupResult.table` (one row per hit).
HIT_SCHEMA = pa.schema(
    [
        ("query", pa.string()),
        ("family", pa.string()),
        ("variant", pa.string()),
        ("day", pa.date32()),
        ("index", pa.int32()),
        ("domain", pa.string()),
    ]
)


@dataclass
class LookupResult:
    """Hits as an Arrow table (bulk consumers) and, on demand, as ``Hit`` values per query."""

    parts: list[pa.Table] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)
    days_from_store: int = 0
    days_generated: int = 0

    @cached_property
    def table(self) -> pa.Table:
        if not self.parts:
            return HIT_SCHEMA.empty_table()
        return pa.concat_tables([t.cast(HIT_SCHEMA) for t in self.parts])

    @cached_property
    def hits(self) -> dict[str, list[Hit]]:
        out: dict[str, list[Hit]] = {}
        for row in self.table.to_pylist():
            out.setdefault(row["query"], []).append(Hit(**row))
        for query, hits in out.items():
            out[query] = sorted(hits)
        return out


#: Days either side of today for which a quick answer (``classify``, the portal's default
#: lookup) generates the lists the store and the all-time index lack.
NEAR_DAYS = 7


def near_window(now: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Today +- NEAR_DAYS: what a quick answer generates (the rest of the default window is
    answered only where the store or the all-time index holds it)."""
    now = now or today()
    return now - dt.timedelta(days=NEAR_DAYS), now + dt.timedelta(days=NEAR_DAYS)


@dataclass(frozen=True)
class PlannedVariant:
    """Where one variant's day lists come from in a lookup."""

    variant: Variant
    from_store: list[dt.date]
    to_generate: list[dt.date]


def plan_lookup(
    variants: Sequence[Variant],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    whole_period: bool = False,
    days: Iterable[dt.date] | None = None,
    store: ForecastStore | None = None,
) -> list[PlannedVariant]:
    """The (variant, day) lists of the window ``start..end`` (default: today-365..today+90),
    of each variant's whole active period, or of an explicit set of ``days``, split into
    those the store holds and those to generate. Callers that want to size a progress bar
    or refuse a costly request plan first and hand the plan to :func:`lookup`."""
    plan: list[PlannedVariant] = []
    explicit = sorted(set(days)) if days is not None else None
    for v in variants:
        if explicit is not None:
            days_v = [d for d in explicit if v.is_active(d)]
        else:
            days_v = variant_days(v, start, end, whole_period=whole_period)
        covered = store.covered_days(v) if store is not None else set()
        plan.append(
            PlannedVariant(
                v, [d for d in days_v if d in covered], [d for d in days_v if d not in covered]
            )
        )
    return plan


def candidate_variants(
    queries: Sequence[str | None] | pa.Array, variants: Sequence[Variant]
) -> list[Variant]:
    """The variants that could generate some query (in order): a forecast name is one label
    then one of the variant's TLDs, in the variant's declared grammar when it has one, and a
    query matches it only as itself or a name below it. Why: ``lookup xpun.nl`` otherwise
    generates every family's lists (62,411 variant-days) where only the ``.nl`` ones can
    answer. Invalid queries rule nothing in. Column-wise for a file of a million names."""
    keys = _label_suffix_keys(queries, {t for v in variants for t in v.tlds})
    keep: list[Variant] = []
    fits: dict[tuple[str, object], bool] = {}
    for v in variants:
        for tld in v.tlds:
            labels = keys.get(tld)
            if labels is None:
                continue
            sig = v.signature
            if (tld, sig) not in fits:
                fits[tld, sig] = sig is None or _any_match(labels, _grammar(sig))
            if fits[tld, sig]:
                keep.append(v)
                break
    return keep


def prune_plan(
    queries: Sequence[str | None] | pa.Array, plan: Sequence[PlannedVariant]
) -> list[PlannedVariant]:
    """``plan`` less the variants that cannot generate any query (see
    :func:`candidate_variants`); the store answers the same either way."""
    fit = {v.key for v in candidate_variants(queries, [p.variant for p in plan])}
    return [p for p in plan if p.variant.key in fit]


def _any_match(labels: pa.Array, pattern: str) -> bool:
    """Whether some label matches: the first thousand labels first (a common grammar is
    told there), the rest only when none of those did."""
    head = labels.slice(0, 1000)
    for part in (head, labels.slice(1000)):
        if len(part) and pc.any(pc.match_substring_regex(part, pattern)).as_py():
            return True
    return False


def _grammar(sig: Signature) -> str:
    alphabet = "".join(re.escape(c) for c in sorted(set(sig.alphabet)))
    return f"^[{alphabet}]{{{sig.min_len},{sig.max_len}}}$"


def _label_suffix_keys(
    queries: Sequence[str | None] | pa.Array, tlds: set[str]
) -> dict[str, pa.Array]:
    """tld -> distinct labels ``l`` such that some normalised query is ``l.tld`` or ends
    with ``.l.tld`` (the only forecast names with that TLD it can be about). One regex pass
    per suffix depth (TLDs of one label, of two, ...), not one filter of every name per TLD."""
    try:
        array = queries if isinstance(queries, pa.Array) else pa.array(list(queries), pa.string())
        array = pc.unique(array.cast(pa.string()))
    except UnicodeEncodeError:  # lone surrogates: such names are invalid anyway
        array = pa.array([q for q in queries if q is not None and _utf8(q)], pa.string())
    plain = pc.fill_null(pc.match_substring_regex(array, r"^[\x21-\x7e]+$"), False)
    fast = pc.ascii_lower(pc.utf8_rtrim(array.filter(plain), characters="."))
    slow: list[str] = []
    for q in array.filter(pc.invert(plain)).to_pylist():
        if q is None:
            continue
        try:
            slow.append(normalise(q))
        except InputError:
            continue
    names = pc.unique(pa.concat_arrays([fast.cast(pa.string()), pa.array(slow, pa.string())]))
    wanted = pa.array(sorted(tlds), pa.string())
    pairs: list[pa.Table] = []
    for depth in sorted({t.count(".") + 1 for t in tlds}):
        tail = r"\.".join([r"[^.]+"] * depth)
        parts = pc.extract_regex(names, rf"(?P<label>[^.]+)\.(?P<tld>{tail})$")
        found = pa.table(
            {"tld": pc.struct_field(parts, [1]), "label": pc.struct_field(parts, [0])}
        ).filter(pc.fill_null(pc.is_in(pc.struct_field(parts, [1]), value_set=wanted), False))
        pairs.append(found)
    both = pa.concat_tables(pairs).group_by(["tld", "label"]).aggregate([]).sort_by("tld")
    out: dict[str, pa.Array] = {}
    tld_col = both.column("tld").combine_chunks()
    label_col = both.column("label").combine_chunks()
    if not len(tld_col):
        return out
    change = np.flatnonzero(np.asarray(pc.not_equal(tld_col[1:], tld_col[:-1]))) + 1
    bounds = [0, *change.tolist(), len(tld_col)]
    for lo, hi in itertools.pairwise(bounds):
        out[tld_col[lo].as_py()] = label_col.slice(lo, hi - lo)
    return out


def lookup(
    queries: Sequence[str] | pa.Array,
    variants: Sequence[Variant],
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    whole_period: bool = False,
    days: Iterable[dt.date] | None = None,
    store: ForecastStore | None = None,
    plan: Sequence[PlannedVariant] | None = None,
    on_generated_day: Callable[[], None] | None = None,
    prune: bool = True,
    cache: ListCache | None = None,
) -> LookupResult:
    """Look ``queries`` up as :func:`plan_lookup` plans it (or along a given ``plan``).
    Lists to generate are first cut to the :func:`candidate_variants` of the queries (the
    same hits, fewer lists; ``prune=False`` when the caller already did). ``cache``: the
    hunt's list cache, read for the lists to generate and filled with those generated (a
    quick answer over today's window asks for the same lists every run)."""
    if plan is None:
        plan = plan_lookup(
            variants, start=start, end=end, whole_period=whole_period, days=days, store=store
        )
    if prune and any(p.to_generate for p in plan):
        plan = prune_plan(queries, plan)
    result = LookupResult()
    # Invalid names are reported whichever source answers (the store's SQL path would
    # otherwise just find nothing for them).
    result.invalid.update(invalid_names(queries))
    store_plan = [(p.variant, p.from_store) for p in plan if p.from_store]
    if store is not None and store_plan:
        valid = queries
        if result.invalid:  # invalid names cannot match (and may not even encode as UTF-8)
            listed = queries.to_pylist() if isinstance(queries, pa.Array) else queries
            valid = [q for q in listed if q not in result.invalid]
        _from_store(valid, store_plan, store, result)
    gen_plan = [(p.variant, p.to_generate) for p in plan if p.to_generate]
    if gen_plan:
        names = queries.to_pylist() if isinstance(queries, pa.Array) else queries
        _by_generation(names, gen_plan, result, on_generated_day, cache)
    return result


def invalid_names(queries: Sequence[str | None] | pa.Array) -> dict[str, str]:
    """query -> why :func:`normalise` refuses it. Vectorised: only the queries the plain-name
    pattern does not vouch for (non-ASCII, spaces, empty labels, too long) go through
    Python, so a million ordinary names cost one Arrow pass instead of a million calls."""
    try:
        array = queries if isinstance(queries, pa.Array) else pa.array(list(queries), pa.string())
    except UnicodeEncodeError:  # lone surrogates (undecodable bytes on a command line)
        array = pa.array([q for q in queries if q is not None and q.isascii()], pa.string())
        bad = [q for q in queries if q is not None and not q.isascii()]
        return {**invalid_names(array), **python_check(bad)}
    array = array.cast(pa.string())
    plain = pc.and_(
        pc.and_(pc.string_is_ascii(array), pc.match_substring_regex(array, PLAIN_VALID)),
        pc.less_equal(pc.utf8_length(pc.utf8_rtrim(array, characters=".")), 253),
    )
    suspects = pc.filter(array, pc.invert(pc.fill_null(plain, True)))
    return python_check(suspects.to_pylist())


def _from_store(
    queries: Sequence[str] | pa.Array,
    plan: Sequence[tuple[Variant, list[dt.date]]],
    store: ForecastStore,
    result: LookupResult,
) -> None:
    array = queries if isinstance(queries, pa.Array) else pa.array(list(queries), pa.string())
    rows = store.find(array, plan)
    # A hit through a suffix key (www.<name>) counts only when the forecast name is the
    # query's registered domain, i.e. when the name's suffix is a public suffix.
    # The value set is typed explicitly: an inferred empty list is a null array, which
    # is_in refuses against a string column (the crash of every lookup that matched nothing).
    suffix = rows.column("suffix").cast(pa.string())
    public = pa.array(
        [s for s in pc.unique(suffix).to_pylist() if s is not None and suffix_is_public(s)],
        pa.string(),
    )
    keep = pc.or_(pc.equal(rows.column("pos"), 0), pc.is_in(suffix, value_set=public))
    result.parts.append(rows.filter(keep).select(HIT_SCHEMA.names))
    result.days_from_store += sum(len(days) for _, days in plan)


def _query_keys(queries: Sequence[str | None], invalid: Collection[str]) -> pa.Table:
    """(query, key): each valid query's :func:`lookup_keys` (itself, normalised, and its
    registered domain), column-wise: one PSL pass for all names, ``normalise`` in Python
    only for the names the plain-name pattern does not vouch for."""
    distinct = [q for q in dict.fromkeys(queries) if q is not None and q not in invalid]
    array = pa.array(distinct, pa.string())  # valid names are UTF-8 (normalise checked them)
    plain = np.asarray(
        pc.fill_null(
            pc.and_(pc.string_is_ascii(array), pc.match_substring_regex(array, PLAIN_VALID)),
            False,
        ),
        bool,
    )
    fast = pc.ascii_lower(pc.utf8_rtrim(array.filter(pa.array(plain)), characters="."))
    if plain.all():
        name_col = fast
    else:
        names: list[str | None] = [None] * len(distinct)
        for i, name in zip(np.flatnonzero(plain).tolist(), fast.to_pylist(), strict=True):
            names[i] = name
        for i in np.flatnonzero(~plain).tolist():
            names[i] = normalise(distinct[i])
        name_col = pa.array(names, pa.string())
    reg = registered_domains(name_col)
    second = pc.fill_null(pc.not_equal(reg, name_col), False)
    return pa.table(
        {
            "query": pa.concat_arrays([array, array.filter(second)]),
            "key": pa.concat_arrays([name_col, reg.filter(second)]),
        }
    )


#: Lists generated and matched against the keys at once (bounded memory: at most 256 of
#: Conficker C's 50,000-name lists).
_MATCH_BATCH = 256


def _by_generation(
    queries: Sequence[str | None],
    plan: Sequence[tuple[Variant, list[dt.date]]],
    result: LookupResult,
    on_day: Callable[[], None] | None,
    cache: ListCache | None = None,
) -> None:
    """Generate the plan's lists (read from the hunt's list ``cache`` when given, and kept
    there) and match them against every query's keys column-wise: one hash probe of each
    generated name, whatever the number of queries."""
    from dgawatch.hunt.listcache import ListCache
    from dgawatch.hunt.lists import ListSource, ListSpec

    keys = _query_keys(queries, result.invalid)
    wanted = pc.unique(keys.column("key").combine_chunks())
    source = ListSource(cache=cache if cache is not None else ListCache(None))
    # A static variant's list is the same every day: fetched and matched once, its matches
    # stand for each of the days (61 static variants x a 456-day window were 28,000 lists).
    jobs: list[tuple[Variant, list[dt.date], ListSpec]] = []
    for v, days in plan:
        if v.period_days == 0:  # (the hunt's key for a static list: shared in the cache)
            jobs.append((v, days, ListSpec(v, None)))
        else:
            jobs.extend((v, [d], ListSpec(v, d)) for d in days)
    parts: list[pa.Table] = []
    batch: list[tuple[Variant, list[dt.date], ListSpec]] = []

    def flush() -> None:
        lists = source.names([spec for _, _, spec in batch]) if len(wanted) else []
        if lists:
            sizes = np.array([len(n) for n in lists], np.int64)
            names = pa.chunked_array(lists, pa.string())  # probed list by list, not copied
            found = pc.fill_null(pc.is_in(names, value_set=wanted), False)
            hit = np.flatnonzero(found.to_numpy(zero_copy_only=False))
        else:
            hit = np.zeros(0, np.int64)
        if len(hit):
            ends = np.cumsum(sizes)
            which = np.searchsorted(ends, hit, side="right")  # the list of each hit
            index = hit - (ends - sizes)[which]
            # a static list's hit stands for each day of the window: one row per day
            ndays = np.array([len(days) for _, days, _ in batch], np.int64)
            first = np.cumsum(ndays) - ndays
            all_days = np.array([d for _, days, _ in batch for d in days], "datetime64[D]")
            rows = np.repeat(np.arange(len(hit)), ndays[which])
            within = np.arange(len(rows)) - np.repeat(
                np.cumsum(ndays[which]) - ndays[which], ndays[which]
            )
            which_r = pa.array(which[rows])
            parts.append(
                pa.table(
                    {
                        "family": pa.array([v.family for v, _, _ in batch], pa.string()).take(
                            which_r
                        ),
                        "variant": pa.array([v.name for v, _, _ in batch], pa.string()).take(
                            which_r
                        ),
                        "day": pa.array(all_days[first[which][rows] + within], pa.date32()),
                        "index": pa.array(index[rows], pa.int32()),
                        "domain": names.take(pa.array(hit[rows])),
                    }
                )
            )
        for _, days, _ in batch:
            for _ in days:
                result.days_generated += 1
                if on_day is not None:
                    on_day()
        batch.clear()

    for job in jobs:
        batch.append(job)
        if len(batch) >= _MATCH_BATCH:
            flush()
    if batch:
        flush()
    if parts:  # each hit once per query it is a key of
        table = pa.concat_tables(parts).join(keys, "domain", "key", join_type="inner")
        table = table.select(HIT_SCHEMA.names).cast(HIT_SCHEMA)
        table = table.sort_by([(c, "ascending") for c in HIT_SCHEMA.names])
    else:
        table = HIT_SCHEMA.empty_table()
    result.parts.append(table)


# --- JSON lines, column-wise ------------------------------------------------------------

#: Rows per chunk of :func:`json_lines` (bounded memory for a file of millions of names).
#: Small enough that the chunk's arrays reuse freed heap memory: at 262,144 rows each chunk
#: mapped fresh pages (50,000 page faults, 0.3-0.6 s of system time per million names).
JSON_CHUNK = 65_536


def _plain_text(array: pa.Array) -> np.ndarray:
    """Per value: non-empty, printable ASCII without space, ``"`` or ``\\``, i.e. a string that
    ``json.dumps`` writes as itself between quotes and ``str.strip`` leaves alone."""
    array = pa.concat_arrays([array.cast(pa.large_string())])
    n = len(array)
    offsets = np.frombuffer(array.buffers()[1], np.int64, n + 1, array.offset * 8)
    buf = array.buffers()[2]
    data = np.frombuffer(buf, np.uint8) if buf is not None else np.zeros(0, np.uint8)
    bad = (data < 0x21) | (data > 0x7E) | (data == 0x22) | (data == 0x5C)
    count = np.zeros(len(data) + 1, np.int32)
    np.cumsum(bad, out=count[1:])
    starts, ends = offsets[:-1], offsets[1:]
    nulls = np.asarray(array.is_null())
    return (ends > starts) & (count[ends] == count[starts]) & ~nulls


def _join(*parts: pa.Array | str) -> pa.Array:
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p.cast(pa.string()) for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar("", pa.string()))


def _matches_json(table: pa.Table) -> tuple[pa.Array, pa.Array]:
    """(distinct queries with hits, the JSON list of their hits), each list equal to
    ``json.dumps([h.to_dict() for h in sorted hits])``."""
    if table.num_rows == 0:
        return pa.array([], pa.string()), pa.array([], pa.string())
    table = table.sort_by([(c, "ascending") for c in HIT_SCHEMA.names])
    plain = (
        _plain_text(table.column("family").combine_chunks())
        & _plain_text(table.column("variant").combine_chunks())
        & _plain_text(table.column("domain").combine_chunks())
    )
    col = {c: table.column(c).combine_chunks() for c in HIT_SCHEMA.names}
    aliased = [k for k in {f"{v.family}/{v.name}" for v in all_variants()} if aliases_of(k)]
    if aliased:  # hits on a list known under other names too carry "aliases": the slow path
        key = pc.binary_join_element_wise(col["family"], col["variant"], "/")
        plain &= ~np.asarray(pc.fill_null(pc.is_in(key, value_set=pa.array(aliased)), False))
    hit = _join(
        '{"family": "',
        col["family"],
        '", "variant": "',
        col["variant"],
        '", "day": "',
        col["day"].cast(pa.string()),
        '", "index": ',
        col["index"].cast(pa.string()),
        ', "domain": "',
        col["domain"],
        '"}',
    )
    if not plain.all():
        values = hit.to_pylist()
        rows = table.to_pylist()
        for i in np.flatnonzero(~plain):
            values[i] = json.dumps(Hit(**rows[i]).to_dict())
        hit = pa.array(values, pa.string())
    query = col["query"].cast(pa.string())
    new = np.ones(len(query), bool)
    if len(query) > 1:
        new[1:] = np.asarray(pc.not_equal(query[1:], query[:-1]))
    first = np.flatnonzero(new)
    offsets = pa.array(np.append(first, len(query)).astype(np.int32))
    lists = pa.ListArray.from_arrays(offsets, hit)
    return query.take(pa.array(first)), _join("[", pc.binary_join(lists, ", "), "]")


def query_array(queries: Sequence[str]) -> pa.Array | Sequence[str]:
    """The queries as one Arrow string array (what the store path and :func:`json_lines`
    want), or the list itself when a name is not UTF-8 (undecodable bytes on a command line)."""
    try:
        return pa.array(queries, pa.string())
    except UnicodeEncodeError:
        return queries


#: Bytes that split lines or count as whitespace for Python but not for Arrow's ASCII trim
#: (with any non-ASCII byte: such files are read by Python).
_EXOTIC = re.compile(rb"[\r\x0b\x0c\x1c-\x1f]")


def read_names(path: Path) -> pa.Array:
    """``--file``: one name per line, stripped, blank lines and lines starting with ``#``
    left out (``str.splitlines`` and ``str.strip`` semantics)."""
    return read_lines(path)[0]


def read_lines(path: Path) -> tuple[pa.Array, np.ndarray]:
    """:func:`read_names` and each name's 1-based line number. A plain ASCII file with
    ``\n`` line ends (the usual case) is split without a Python string per line."""
    raw = file_bytes(path)
    data = np.frombuffer(raw, np.uint8)
    if raw.isascii() and not _EXOTIC.search(raw):
        ends = np.flatnonzero(data == 0x0A) + 1
        offsets = np.concatenate(
            [[0], ends, [len(data)] if len(ends) == 0 or ends[-1] != len(data) else []]
        )
        lines = pa.LargeStringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets.astype(np.int64)), pa.py_buffer(raw)
        )
        lines = pc.ascii_trim_whitespace(lines)  # then "  # note" is a comment too
        comment = pc.starts_with(lines, "#")
        keep = pc.and_(pc.invert(comment), pc.greater(pc.binary_length(lines), 0))
        numbers = np.flatnonzero(np.asarray(keep)) + 1
        lines = lines.filter(keep)
        return pa.concat_arrays([lines.cast(pa.string())]), numbers
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}, line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as "
            "UTF-8 (or remove that line)"
        ) from None
    stripped = ((n, line.strip()) for n, line in enumerate(text.splitlines(), 1))
    kept = [(n, name) for n, name in stripped if name and name[0] != "#"]
    names = pa.array([name for _, name in kept], pa.string())
    return names, np.array([n for n, _ in kept], np.int64)


def read_file_names(path: Path) -> pa.Array:
    """:func:`read_names`, the file refused (one-line :class:`InputError`) when it holds no
    valid name or is mostly not names, its invalid lines reported on stderr
    (:mod:`dgawatch.namefile`)."""
    names, numbers = read_lines(path)
    bad_file_lines(path, names, numbers).vet()
    return names


def bad_file_lines(path: Path, names: pa.Array, numbers: np.ndarray) -> BadLines:
    """:class:`~dgawatch.namefile.BadLines` of a file read by :func:`read_lines`
    (vectorised: one Arrow pass when every name is plain)."""
    found = BadLines(path, names=len(names))
    why = invalid_names(names) if len(names) else {}
    if not why:
        return found
    bad = pc.fill_null(pc.is_in(names, value_set=pa.array(list(why), pa.string())), False)
    where = np.flatnonzero(np.asarray(bad))
    found.bad = len(where)
    found.probe = min(len(names), PROBE_LINES)
    found.probe_bad = int(np.count_nonzero(where < PROBE_LINES))
    first = where[:MAX_LINE_MESSAGES]
    shown = names.take(pa.array(first)).to_pylist()
    found.first = [(int(numbers[i]), n, why[n]) for i, n in zip(first, shown, strict=True)]
    return found


def join_queries(args: Sequence[str], from_file: pa.Array | None) -> pa.Array | Sequence[str]:
    """Command-line names then the file's, as one array (a list when an argument is not
    UTF-8: undecodable bytes on a command line)."""
    first = query_array(args)
    if from_file is None:
        return first
    if isinstance(first, pa.Array):
        return pa.concat_arrays([first, from_file])
    return [*args, *from_file.to_pylist()]


def as_list(queries: pa.Array | Sequence[str]) -> list[str]:
    """The queries as Python strings (table output, ``--all``)."""
    return queries.to_pylist() if isinstance(queries, pa.Array) else list(queries)


def json_lines(
    queries: pa.Array | Sequence[str], result: LookupResult, *, chunk_size: int = JSON_CHUNK
) -> Iterator[bytes]:
    """:func:`json_blocks`, each block as ``bytes`` (a copy)."""
    for block in json_blocks(queries, result, chunk_size=chunk_size):
        yield bytes(block)


def json_blocks(
    queries: pa.Array | Sequence[str], result: LookupResult, *, chunk_size: int = JSON_CHUNK
) -> Iterator[bytes | memoryview]:
    """``lookup --json`` output, a chunk of lines at a time: per query
    ``json.dumps({"query", "name", "registered_domain", "matches"})`` (``"error"`` instead of
    name and registered domain for an invalid one), byte for byte, built column-wise: plain
    names (printable ASCII, no quote or backslash) by Arrow string kernels and one batch PSL
    pass, the rest by ``json.dumps`` per name."""
    keys, lists = _matches_json(result.table)
    if not isinstance(queries, pa.Array):
        yield "".join(_slow_lines(queries, result, keys, lists)).encode("ascii")
        return
    invalid = pa.array([q for q in result.invalid if q.isascii() or _utf8(q)], pa.string())
    queries = queries.cast(pa.string())
    # one hash table of the hit queries for all chunks (a 4-byte position per query)
    hit_list = pc.index_in(queries, value_set=keys)
    for start in range(0, len(queries), chunk_size):
        chunk = queries.slice(start, chunk_size)
        in_invalid = np.asarray(pc.fill_null(pc.is_in(chunk, value_set=invalid), False))
        fast = _plain_text(chunk) & ~in_invalid
        q = chunk.filter(pa.array(fast))
        name = pc.ascii_lower(pc.utf8_rtrim(q, characters="."))
        reg = pc.fill_null(_join('"', registered_domains(name, normalised=True), '"'), "null")
        found = pc.take(lists, hit_list.slice(start, chunk_size).filter(pa.array(fast)))
        lines = _join(
            '{"query": "',
            q,
            '", "name": "',
            name,
            '", "registered_domain": ',
            reg,
            ', "matches": ',
            pc.fill_null(found, "[]"),
            "}\n",
        )
        slow = np.flatnonzero(~fast)
        if len(slow):
            lines = _merge(
                lines,
                fast,
                _slow_lines(chunk.take(pa.array(slow)).to_pylist(), result, keys, lists),
            )
        offsets = lines.buffers()[1]
        first, last = np.frombuffer(offsets, np.int32, len(lines) + 1, lines.offset * 4)[[0, -1]]
        data = lines.buffers()[2]
        # a view of the chunk's own buffer, not a copy (valid until the next block is
        # asked for): copying 135 MB per million lines cost 0.2-0.3 s of page faults
        yield b"" if data is None else memoryview(data)[first:last]


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _merge(fast_lines: pa.Array, fast: np.ndarray, slow_lines: list[str]) -> pa.Array:
    """Lines in query order from the fast rows' array and the slow rows' list."""
    both = pa.concat_arrays([fast_lines.cast(pa.string()), pa.array(slow_lines, pa.string())])
    order = np.empty(len(fast), np.int64)
    order[fast] = np.arange(int(fast.sum()))
    order[~fast] = int(fast.sum()) + np.arange(len(slow_lines))
    return pa.concat_arrays([both.take(pa.array(order))])


def _json_line(query: str | None, result: LookupResult, matches: str | None) -> str:
    """One line the way the CLI always wrote it (names the column-wise path leaves out);
    ``matches`` is the query's JSON list of hits (None: no hit)."""
    if query in result.invalid:  # (no hits: invalid names are not looked up)
        return error_line(query, result.invalid[query])
    doc: dict[str, object] = {"query": query}
    try:
        name = normalise(query)  # type: ignore[arg-type]
        doc["name"] = name
        doc["registered_domain"] = registered_domain(name)
    except InputError as exc:
        doc["error"] = str(exc)
    return f'{json.dumps(doc)[:-1]}, "matches": {matches or "[]"}}}\n'


def _slow_lines(
    queries: Sequence[str | None], result: LookupResult, keys: pa.Array, lists: pa.Array
) -> list[str]:
    """:func:`_json_line` for each query (one hash lookup for all their hit lists)."""
    text = [q if q is None or q.isascii() or _utf8(q) else None for q in queries]
    found = pc.take(lists, pc.index_in(pa.array(text, pa.string()), value_set=keys))
    return [_json_line(q, result, m) for q, m in zip(queries, found.to_pylist(), strict=True)]
