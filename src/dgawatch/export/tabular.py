"""Tabular exports (csv, jsonl, parquet): the forecast schema version 1 of ``dgawatch
forecast``, written by the same writers, so an export and a forecast of the same selection
agree row for row (README, "Output schemas")."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from dgawatch.export import Exporter, ExportOptions, ExportStats
from dgawatch.forecast import DayList, write_forecast


def write_csv(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """Header ``day,family,variant,index,domain``; generation order, duplicates kept."""
    assert not isinstance(out, Path)
    return ExportStats(names=write_forecast(lists, "csv", out, tlds=options.tlds))


def write_jsonl(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """One ``{"day","family","variant","index","domain"}`` object per line."""
    assert not isinstance(out, Path)
    return ExportStats(names=write_forecast(lists, "jsonl", out, tlds=options.tlds))


def write_parquet(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """``dgawatch.forecast.SCHEMA`` (forecast/1), one row group per day list, zstd."""
    assert not isinstance(out, Path)
    return ExportStats(names=write_forecast(lists, "parquet", out, tlds=options.tlds))


EXPORTERS = (
    Exporter("csv", "forecast schema 1 as CSV (day,family,variant,index,domain)", write_csv),
    Exporter("jsonl", "forecast schema 1 as JSON lines", write_jsonl),
    Exporter("parquet", "forecast schema 1 as Parquet (zstd)", write_parquet, binary=True),
)
