"""Registration watch: are the forecast names of the coming days free, held by their
registry, sinkholed, or registered by someone else, and since when?

``dgawatch watch check`` / ``serve`` / ``report``; functions for other parts of dgawatch
(exports withholding collisions, the portal's page) are re-exported here, loaded on first
use: ``dgawatch.cli`` imports ``dgawatch.watch.cli`` for every command, and the report
functions bring DuckDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dgawatch.watch.evidence import STATES
    from dgawatch.watch.report import alert_rows, collision_names, history_rows, report_rows

__all__ = ["STATES", "alert_rows", "collision_names", "history_rows", "report_rows"]

_HOME = {
    "STATES": "dgawatch.watch.evidence",
    "alert_rows": "dgawatch.watch.report",
    "collision_names": "dgawatch.watch.report",
    "history_rows": "dgawatch.watch.report",
    "report_rows": "dgawatch.watch.report",
}


def __getattr__(name: str) -> object:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
