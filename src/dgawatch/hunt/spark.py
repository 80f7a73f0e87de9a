"""The Spark engine: the same hunt as a PySpark job, for logs that outgrow one machine.

1. Conversion (driver): the inputs are read once with :func:`dgawatch.readers.read_events`
   and written as Parquet (``EVENT_SCHEMA``); the forecast lists that can serve their days
   (:func:`dgawatch.hunt.lists.lists_for_days`) go to Parquet too, one row per name with the
   span of event days it serves (``lo``..``hi``). Inputs already in Parquet on a cluster's
   file system are read as they are (``hunt_spark(..., events_parquet=...)``).
2. Matching (Spark SQL): every event's candidate keys (the whole name and its last k labels)
   joined with the forecast on the name and the day span; a suffix key only counts when the
   forecast name is the query's registered domain, checked on the driver for the few
   distinct candidate pairs with the same function as the local engine.
3. Findings: the same aggregation SQL as the local engine (:mod:`dgawatch.hunt.finding`),
   collected as Arrow and scored by the same pure function. Same input, same findings.
4. Unknown DGAs (``HuntOptions.unknown_dga``): the events are reduced on the executors
   with the local engine's SQL (:data:`~dgawatch.hunt.unknown.PAIRS_SQL`: one row per
   (client, name) not answered NOERROR; queries per client; names resolved); those come
   back as Arrow to the local engine's :class:`~dgawatch.hunt.unknown.UnknownCollector`,
   with the names a forecast matched, and it runs the host-level analysis (same input,
   same findings). The driver holds distinct clients and names, not lines.

Local mode by default (``local[*]``); ``master`` names a cluster (``spark://host:7077``,
``yarn``...); the work directory must then be on storage every executor can read.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dgawatch.errors import DgawatchError, InputError
from dgawatch.events import EVENT_SCHEMA
from dgawatch.hunt import HuntOptions, HuntResult, _collector, read
from dgawatch.hunt.finding import (
    EVIDENCE_DAYS_SQL,
    SHAPES_SQL,
    STATS_SQL,
    Finding,
    assemble,
    evidence_sql,
    shapes_of,
)
from dgawatch.hunt.lists import ListSource, lists_for_days
from dgawatch.hunt.local import _accepts_suffix
from dgawatch.hunt.unknown import CLIENTS_SQL, PAIRS_SQL, RESOLVED_SQL, UnknownCollector
from dgawatch.readers import InputReport
from dgawatch.store import ForecastStore

FORECAST_SCHEMA = pa.schema(
    [
        ("domain", pa.string()),
        ("family", pa.string()),
        ("variant", pa.string()),
        ("day", pa.date32()),  # null: a list that is not time-seeded (valid every day)
        ("idx", pa.int32()),
        ("lo", pa.date32()),
        ("hi", pa.date32()),
    ]
)
_EPOCH = dt.date(1970, 1, 1)


#: The JVM heap of Spark's driver (in local mode also the executors'): ``spark.driver.memory``.
DRIVER_MEMORY_ENV = "DGAWATCH_SPARK_DRIVER_MEMORY"


#: A JVM memory size as Spark reads ``spark.driver.memory``: a whole number and its unit.
_MEMORY = re.compile(r"(\d+)([kmgt])b?", re.IGNORECASE)
#: Below this, Spark refuses to start (it keeps 300 MiB and wants 1.5 times that).
MIN_DRIVER_MEMORY_MIB = 1024


def check_memory(text: str) -> str:
    """``text`` as ``spark.driver.memory`` (``8g``, ``1536m``...), or the one-line
    :class:`InputError` naming :data:`DRIVER_MEMORY_ENV`, the value and the accepted form:
    said before Spark starts, instead of a JVM that does not start or a heap that runs out."""
    match = _MEMORY.fullmatch(text)
    mib = 0.0
    if match is not None:
        scale = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024**2}[match[2].lower()]
        mib = int(match[1]) * scale
    if mib < MIN_DRIVER_MEMORY_MIB:
        raise InputError(
            f"{DRIVER_MEMORY_ENV}={text!r} is not a memory size Spark's driver can start "
            "with: give a whole number and a unit k, m, g or t, at least 1g (e.g. 8g or "
            "1536m), or unset it (a quarter of this machine's memory, 1-8g)"
        )
    return text


def driver_memory(master: str) -> str | None:
    """``spark.driver.memory`` for a new session: ``DGAWATCH_SPARK_DRIVER_MEMORY`` when set;
    in local mode a quarter of this machine's memory, between 1 and 8 GiB (Spark's own 1 GiB
    default ran out of heap on ``sinkhole stats`` over 56 M events); on a cluster, Spark's
    configuration decides (None)."""
    given = os.environ.get(DRIVER_MEMORY_ENV, "").strip()
    if given:
        return check_memory(given)
    if not master.startswith("local"):
        return None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # pragma: no cover - every Linux has both
        return None
    return f"{max(1, min(8, total // 4 // 2**30))}g"


def spark_session(master: str | None = None) -> Any:
    """A Spark session for the hunt (UTC session time zone: days are UTC days).

    Executors run Python (the classifier) and need dgawatch: in local mode they run this
    interpreter unless ``PYSPARK_PYTHON`` says otherwise. The driver's heap: see
    :func:`driver_memory`."""
    master = master or os.environ.get("DGAWATCH_SPARK_MASTER", "local[*]")
    memory = driver_memory(master)  # (a bad setting is said before Spark starts)
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - pyspark is a dependency
        raise DgawatchError("--engine spark needs pyspark (pip install pyspark)") from None
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName("dgawatch-hunt")
        .master(master)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if memory is not None:
        builder = builder.config("spark.driver.memory", memory)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def convert_events(
    paths: Sequence[str | os.PathLike[str]],
    options: HuntOptions,
    report: InputReport,
    out: Path,
) -> tuple[int, list[dt.date]]:
    """Read the inputs once into Parquet; returns (events, distinct UTC days)."""
    days: set[int] = set()
    events = 0
    with pq.ParquetWriter(out, EVENT_SCHEMA) as writer:
        for batch in read(paths, options, report):
            if not batch.num_rows:
                continue
            events += batch.num_rows
            day = pc.cast(pc.cast(batch.column("ts"), pa.timestamp("ms")), pa.date32())
            days.update(
                np.unique(
                    np.asarray(day.to_numpy(zero_copy_only=False), "datetime64[D]").astype(np.int64)
                ).tolist()
            )
            writer.write_batch(batch.cast(EVENT_SCHEMA))
    return events, sorted(_EPOCH + dt.timedelta(days=d) for d in days)


def write_forecast(
    options: HuntOptions, days: Sequence[dt.date], source: ListSource, out: Path
) -> int:
    """The lists that can serve ``days`` as Parquet; returns the most labels of any name."""
    specs = lists_for_days(options.selected(), days, options.window_days)
    labels = 2
    with pq.ParquetWriter(out, FORECAST_SCHEMA) as writer:
        for i in range(0, len(specs), 64):
            chunk = specs[i : i + 64]
            for spec, names in zip(chunk, source.names(chunk), strict=True):
                if not len(names):
                    continue
                lo, hi = spec.valid(options.window_days)
                # A name twice in one list (pushdo, kraken v2, dmsniff, qsnatch draw
                # repeats) matches once, at its first position, as in the local engine.
                idx = np.arange(len(names), dtype=np.int32)
                if pc.count_distinct(names).as_py() < len(names):
                    first = pa.table({"d": names, "i": idx}).group_by("d").aggregate([("i", "min")])
                    idx = np.sort(first.column("i_min").to_numpy())
                    names = names.take(pa.array(idx))
                n = len(names)
                dots = pc.max(pc.count_substring(names, ".")).as_py() or 1
                labels = max(labels, int(dots) + 1)
                writer.write_table(
                    pa.table(
                        {
                            "domain": names,
                            "family": pa.array([spec.variant.family] * n, pa.string()),
                            "variant": pa.array([spec.variant.name] * n, pa.string()),
                            "day": pa.array([spec.day] * n, pa.date32()),
                            "idx": pa.array(idx),
                            "lo": pa.array([lo] * n, pa.date32()),
                            "hi": pa.array([hi] * n, pa.date32()),
                        },
                        schema=FORECAST_SCHEMA,
                    )
                )
    return labels


def _keys_sql(labels: int) -> str:
    suffixes = "".join(
        f", CASE WHEN size(split(qname, '[.]')) > {k} THEN substring_index(qname, '.', -{k}) END"
        for k in range(2, labels + 1)
    )
    return f"""
SELECT e.ts, to_date(e.ts) AS event_day, e.client, e.qname, e.rcode, e.source_file,
       e.source_line, k.pos, k.key
FROM hunt_events e
LATERAL VIEW posexplode(array(qname{suffixes})) k AS pos, key
"""


_CANDIDATES_SQL = """
SELECT k.ts, k.event_day, k.client, k.qname, k.rcode, k.source_file, k.source_line, k.pos,
       f.family, f.variant, coalesce(f.day, k.event_day) AS list_day, f.idx, f.domain
FROM hunt_keys k JOIN hunt_forecast f
  ON f.domain = k.key AND k.event_day BETWEEN f.lo AND f.hi
WHERE k.key IS NOT NULL
"""

_MATCHES_SQL = """
SELECT ts, event_day, client, qname, rcode, source_file, source_line, family, variant,
       list_day, idx, domain
FROM hunt_candidates c
WHERE c.pos = 0 OR EXISTS (
    SELECT 1 FROM hunt_accepted a WHERE a.qname = c.qname AND a.domain = c.domain)
"""


def hunt_spark(
    paths: Sequence[str | os.PathLike[str]],
    options: HuntOptions,
    *,
    spark: Any = None,
    master: str | None = None,
    workdir: Path | None = None,
) -> HuntResult:
    """The hunt as a Spark job; ``spark`` reuses a session (tests share one)."""
    report = InputReport(strict=options.strict)
    session = spark if spark is not None else spark_session(master)
    store = ForecastStore(options.store, read_only=True) if options.store is not None else None
    source = ListSource(store)
    unknown = _collector(options)
    try:
        with tempfile.TemporaryDirectory(dir=workdir, prefix="dgawatch-spark-") as tmp:
            events_path = Path(tmp) / "events.parquet"
            forecast_path = Path(tmp) / "forecast.parquet"
            events, days = convert_events(paths, options, report, events_path)
            labels = write_forecast(options, days, source, forecast_path) if days else 2
            findings, matches = (
                _run(session, events_path, forecast_path, labels, options, unknown)
                if days
                else ([], 0)
            )
    finally:
        if store is not None:
            store.close()
        if spark is None:
            session.stop()
    result = HuntResult(
        findings=findings,
        report=report,
        events=events,
        matches=matches,
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        lists_from_store=source.from_store,
        lists_generated=source.generated,
        lists_from_cache=source.from_cache,
        engine="spark",
    )
    if unknown is not None:
        result.extra["unknown_dga"] = unknown.findings()
    return result


def _run(
    spark: Any,
    events_path: Path,
    forecast_path: Path,
    labels: int,
    options: HuntOptions,
    unknown: UnknownCollector | None,
) -> tuple[list[Finding], int]:
    from pyspark.sql.types import StringType, StructField, StructType

    spark.read.parquet(str(events_path)).createOrReplaceTempView("hunt_events")
    spark.read.parquet(str(forecast_path)).createOrReplaceTempView("hunt_forecast")
    spark.sql(_keys_sql(labels)).createOrReplaceTempView("hunt_keys")
    candidates = spark.sql(_CANDIDATES_SQL).cache()
    candidates.createOrReplaceTempView("hunt_candidates")
    pairs = candidates.where("pos > 0").select("qname", "domain").distinct().collect()
    accepted = [
        (r["qname"], r["domain"]) for r in pairs if _accepts_suffix(r["qname"], r["domain"])
    ]
    schema = StructType(
        [StructField("qname", StringType(), False), StructField("domain", StringType(), False)]
    )
    spark.createDataFrame(accepted, schema).createOrReplaceTempView("hunt_accepted")
    spark.sql(_MATCHES_SQL).createOrReplaceTempView("matches")
    try:
        matches = int(spark.sql("SELECT count(*) AS n FROM matches").collect()[0]["n"])
        stats = spark.sql(STATS_SQL).toArrow()
        shapes = spark.sql(SHAPES_SQL).toArrow()
        evidence_df = spark.sql(evidence_sql(options.evidence_limit))
        evidence = evidence_df.toArrow()
        evidence_df.createOrReplaceTempView("evidence")
        days = spark.sql(EVIDENCE_DAYS_SQL).toArrow()
        if unknown is not None:
            _collect_unknown(spark, unknown)
    finally:
        candidates.unpersist()
        for view in ("hunt_events", "hunt_forecast", "hunt_keys", "hunt_candidates"):
            spark.catalog.dropTempView(view)
        for view in ("hunt_accepted", "matches", "evidence", "unk_src"):
            spark.catalog.dropTempView(view)
    findings = assemble(
        stats, shapes, evidence, days, shapes_of(options.selected()), options.window_days
    )
    return findings, matches


def _collect_unknown(spark: Any, unknown: UnknownCollector) -> None:
    """Reduce the events on the executors to the unknown-DGA stage's three relations (the
    local engine's SQL, :data:`~dgawatch.hunt.unknown.PAIRS_SQL` and its two siblings),
    hand the collector those and the names a forecast matched; it analyses them on the
    driver with the local engine's code."""
    spark.sql("SELECT ts, client, qname, rcode FROM hunt_events").createOrReplaceTempView("unk_src")
    matched = spark.sql("SELECT DISTINCT qname FROM matches").toArrow()
    unknown.explained.update(matched.column("qname").to_pylist())
    unknown.add_relations(
        pairs=spark.sql(PAIRS_SQL).toArrow(),
        clients=spark.sql(CLIENTS_SQL).toArrow(),
        resolved=spark.sql(RESOLVED_SQL).toArrow(),
    )
