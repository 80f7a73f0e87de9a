"""The hunt: which clients in DNS logs query the names of which DGA family, since when, how
sure we are, and the lines that show it (design.md: readers -> hunt -> findings -> reports).

Stages, each over one documented schema:

1. readers (:func:`dgawatch.readers.read_events`): query-event batches (``EVENT_SCHEMA``);
2. matching (an *engine*): each event's query name, or its registered domain, against the
   forecast lists of the event's UTC day +/- ``window_days`` of every selected variant ->
   match rows (:data:`~dgawatch.hunt.finding.MATCH_SCHEMA`); ``local``
   (:mod:`dgawatch.hunt.local`: a compiled hash table, reading and the unknown-DGA
   reductions on a read-ahead thread) or ``spark`` (:mod:`dgawatch.hunt.spark`);
3. findings: the match rows reduced per (client, family, variant) by SQL shared by both
   engines, scored by one pure function (:mod:`dgawatch.hunt.confidence`).
"""

from __future__ import annotations

import os

# Arrow on the C library's allocator unless the user chose one: with mimalloc (Arrow's
# default) a 10 M-line hunt kept what its read-ahead thread's reductions had freed and
# peaked at 650-730 MB, 580-600 MB without, in the same time (bench/bench_hunt.py). Read
# once, when pyarrow loads: a hunt process (cli.py imports no pyarrow) loads it here.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

import datetime as dt
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dgawatch.families import all_variants
from dgawatch.families.base import Variant
from dgawatch.hunt.confidence import confidence
from dgawatch.hunt.finding import (
    EVIDENCE_DAYS_SQL,
    MATCH_SCHEMA,
    SHAPES_SQL,
    STATS_SQL,
    Evidence,
    Finding,
    assemble,
    evidence_sql,
    shapes_of,
)
from dgawatch.hunt.lists import ListSource
from dgawatch.hunt.unknown import UnknownCollector, UnknownDGAFinding, UnknownParams
from dgawatch.readers import InputReport
from dgawatch.store import ForecastStore

__all__ = [
    "Evidence",
    "Finding",
    "HuntOptions",
    "HuntResult",
    "UnknownDGAFinding",
    "confidence",
    "hunt_batches",
    "hunt_paths",
]

DEFAULT_BATCH = 1 << 18
EVIDENCE_LIMIT = 10


@dataclass(frozen=True)
class HuntOptions:
    """What to hunt for and how; ``variants`` empty means every registered variant."""

    variants: Sequence[Variant] = ()
    window_days: int = 1
    store: Path | None = None
    fmt: str = "auto"
    strict: bool = False
    batch_size: int = DEFAULT_BATCH
    column_map: Mapping[str, str] | None = None
    evidence_limit: int = EVIDENCE_LIMIT
    #: Also report clients querying many generated-looking names that match no forecast
    #: (:mod:`dgawatch.hunt.unknown`); ``unknown_model`` None means the shipped classifier.
    unknown_dga: bool = False
    unknown_fpr: float = 1e-2
    unknown_min_names: int = 5
    unknown_alpha: float = 0.01
    unknown_allowlist: frozenset[str] = frozenset()
    unknown_model: object | None = None

    def selected(self) -> list[Variant]:
        return list(self.variants) if self.variants else list(all_variants())


@dataclass
class HuntResult:
    findings: list[Finding]
    report: InputReport
    events: int = 0
    matches: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    lists_from_store: int = 0
    lists_generated: int = 0
    engine: str = "local"
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def unknown_dga(self) -> list[UnknownDGAFinding]:
        found = self.extra.get("unknown_dga", [])
        assert isinstance(found, list)
        return found

    def summary(self) -> dict[str, object]:
        extra: dict[str, object] = {}
        if "unknown_dga" in self.extra:
            extra["unknown_dga"] = [f.to_dict() for f in self.unknown_dga]
        return {
            **extra,
            "engine": self.engine,
            "events": self.events,
            "matches": self.matches,
            "findings": len(self.findings),
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "lists_from_store": self.lists_from_store,
            "lists_generated": self.lists_generated,
            "input": self.report.to_dict(),
        }


def findings_from_matches(
    con: duckdb.DuckDBPyConnection,
    variants: Sequence[Variant],
    window_days: int,
    evidence_limit: int,
) -> list[Finding]:
    """Run the shared aggregation SQL over the ``matches`` relation of ``con``."""
    stats = con.sql(STATS_SQL).to_arrow_table()
    shapes = con.sql(SHAPES_SQL).to_arrow_table()
    evidence = con.sql(evidence_sql(evidence_limit)).to_arrow_table()
    con.register("evidence", evidence)
    try:
        days = con.sql(EVIDENCE_DAYS_SQL).to_arrow_table()
    finally:
        con.unregister("evidence")
    return assemble(stats, shapes, evidence, days, shapes_of(variants), window_days)


def _open_store(path: Path | None) -> ForecastStore | None:
    if path is None:
        return None
    return ForecastStore(path, read_only=True)


def hunt_batches(
    batches: Iterable[pa.RecordBatch],
    options: HuntOptions,
    report: InputReport | None = None,
    unknown: UnknownCollector | None = None,
) -> HuntResult:
    """The local engine over query-event batches (``EVENT_SCHEMA``, or only its
    :data:`~dgawatch.readers.HUNT_FIELDS`). ``unknown``: a collector the batches were
    already given to (:func:`hunt_paths` feeds it on the read-ahead thread); else one is
    made here when ``options.unknown_dga``."""
    from dgawatch.hunt.local import LocalMatcher

    report = report if report is not None else InputReport(strict=options.strict)
    variants = options.selected()
    store = _open_store(options.store)
    source = ListSource(store)
    matcher = LocalMatcher(variants, options.window_days, source)
    fed = unknown is not None
    if unknown is None:
        unknown = _collector(options)
    parts: list[pa.Table] = []
    events = 0
    first: dt.date | None = None
    last: dt.date | None = None
    try:
        for batch in batches:
            events += batch.num_rows
            if batch.num_rows:
                lo, hi = _day_span(batch)
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
            m = matcher.match(batch)
            if m.num_rows:
                parts.append(m)
            if unknown is not None:
                matched = m.column("qname").to_pylist() if m.num_rows else ()
                if fed:
                    unknown.explained.update(matched)
                else:
                    unknown.add(batch, matched)
    finally:
        matcher.close()
        if store is not None:
            store.close()
    matches = pa.concat_tables(parts) if parts else MATCH_SCHEMA.empty_table()
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("matches", matches)
        findings = findings_from_matches(con, variants, options.window_days, options.evidence_limit)
    finally:
        con.close()
    result = HuntResult(
        findings=findings,
        report=report,
        events=events,
        matches=matches.num_rows,
        first_day=first,
        last_day=last,
        lists_from_store=source.from_store,
        lists_generated=source.generated,
    )
    if unknown is not None:
        result.extra["unknown_dga"] = unknown.findings()
    return result


def _collector(options: HuntOptions) -> UnknownCollector | None:
    if not options.unknown_dga:
        return None
    params = UnknownParams(
        fpr=options.unknown_fpr,
        alpha=options.unknown_alpha,
        min_names=options.unknown_min_names,
        allowlist=options.unknown_allowlist,
    )
    return UnknownCollector(params=params, model=options.unknown_model)


def _day_span(batch: pa.RecordBatch) -> tuple[dt.date, dt.date]:
    import pyarrow.compute as pc

    mm = pc.min_max(batch.column("ts"))
    lo, hi = mm["min"].as_py(), mm["max"].as_py()
    return lo.astimezone(dt.UTC).date(), hi.astimezone(dt.UTC).date()


def read(
    paths: Sequence[str | os.PathLike[str]],
    options: HuntOptions,
    report: InputReport,
    lean: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Query-event batches of ``paths``; ``lean``: only the fields the local engine reads
    (:data:`~dgawatch.readers.HUNT_FIELDS`: Zeek TSV is then read by the compiled scanner)."""
    from dgawatch.readers import HUNT_FIELDS, read_events

    return read_events(
        paths,
        options.fmt,
        report=report,
        batch_size=options.batch_size,
        column_map=options.column_map,
        fields=HUNT_FIELDS if lean else None,
    )


def prefetch(batches: Iterator[pa.RecordBatch], depth: int = 4) -> Iterator[pa.RecordBatch]:
    """Read ahead on a thread (at most ``depth`` batches waiting), so that parsing the next
    batches overlaps matching this one (and the first lists' loading: 4 Zeek chunks, ~12 MB);
    errors (``--strict``) are raised here, in order."""
    pending: queue.Queue[object] = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        pending.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            pending.put(done)
        except BaseException as exc:  # handed to the consumer
            pending.put(exc)

    worker = threading.Thread(target=produce, name="dgawatch-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = pending.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, pa.RecordBatch)
            yield item
    finally:
        stop.set()
        worker.join()


def hunt_paths(paths: Sequence[str | os.PathLike[str]], options: HuntOptions) -> HuntResult:
    """Read log files (any format :func:`dgawatch.readers.read_events` knows) and hunt."""
    report = InputReport(strict=options.strict)
    unknown = _collector(options)
    batches = read(paths, options, report, lean=True)
    if unknown is not None:
        batches = _feeding(batches, unknown)
    return hunt_batches(prefetch(batches), options, report, unknown)


def _feeding(
    batches: Iterator[pa.RecordBatch], unknown: UnknownCollector
) -> Iterator[pa.RecordBatch]:
    """The batches, each first given to the unknown-DGA collector: run inside
    :func:`prefetch`, its reductions (Arrow, GIL released) overlap the matching."""
    for batch in batches:
        unknown.add_events(batch)
        yield batch
