"""Shared by the reader tests: read a file through the public entry point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dgawatch.events import EVENT_SCHEMA
from dgawatch.readers import InputReport, read_events

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def read(
    path: Path | str, fmt: str = "auto", **kw: Any
) -> tuple[list[dict[str, Any]], InputReport]:
    report = kw.pop("report", None) or InputReport()
    rows: list[dict[str, Any]] = []
    for batch in read_events([path], fmt, report=report, **kw):
        assert batch.schema.equals(EVENT_SCHEMA)
        rows.extend(batch.to_pylist())
    return rows, report


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def bad(report: InputReport) -> list[tuple[int, str]]:
    return sorted((b.line, b.reason) for ex in report.examples.values() for b in ex)
