"""Tabular exports (csv, jsonl, parquet): the forecast schema version 1 of ``dgawatch
forecast``, written by the same writers, so an export and a forecast of the same selection
agree row for row (README, "Output schemas").

Withheld names (``--allowlist``, ``--exclude-collisions``) are left out as rows; the others
keep their index in the generated day list (the schema's ``index`` is evidence: which name of
the day it was). None of the three formats has room for a comment: the number withheld and
why goes to stderr only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from dgawatch.export import Exporter, ExportOptions, ExportStats, ScreenedDayList
from dgawatch.forecast import DayList, _write_parquet, _write_text, tld_filter, write_forecast


def _generated(lists: Iterable[DayList]) -> Iterator[DayList]:
    """The day lists as generated (the rows keep their indices; ``keep`` drops withheld)."""
    for dl in lists:
        yield DayList(dl.variant, dl.day, dl.generated) if isinstance(dl, ScreenedDayList) else dl


def _keep(options: ExportOptions) -> Callable[[str], bool] | None:
    by_tld = tld_filter(options.tlds)
    assert options.withheld is not None
    withheld = options.withheld.names

    def keep(name: str) -> bool:
        return name.encode("ascii") not in withheld and (by_tld is None or by_tld(name))

    return keep


def _write(fmt: str, lists: Iterable[DayList], out: BinaryIO, options: ExportOptions) -> int:
    if not options.withheld:
        return write_forecast(lists, fmt, out, tlds=options.tlds)
    # The forecast's own row writers, given a name filter that also drops withheld names.
    if fmt == "parquet":
        return _write_parquet(_generated(lists), out, _keep(options), None)
    return _write_text(_generated(lists), fmt, out, _keep(options), None)


def write_csv(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """Header ``day,family,variant,index,domain``; generation order, duplicates kept."""
    assert not isinstance(out, Path)
    return ExportStats(names=_write("csv", lists, out, options))


def write_jsonl(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """One ``{"day","family","variant","index","domain"}`` object per line."""
    assert not isinstance(out, Path)
    return ExportStats(names=_write("jsonl", lists, out, options))


def write_parquet(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    """``dgawatch.forecast.SCHEMA`` (forecast/1), one row group per day list, zstd."""
    assert not isinstance(out, Path)
    return ExportStats(names=_write("parquet", lists, out, options))


EXPORTERS = (
    Exporter("csv", "forecast schema 1 as CSV (day,family,variant,index,domain)", write_csv),
    Exporter("jsonl", "forecast schema 1 as JSON lines", write_jsonl),
    Exporter("parquet", "forecast schema 1 as Parquet (zstd)", write_parquet, binary=True),
)
