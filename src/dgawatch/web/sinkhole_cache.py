"""The portal's sinkhole figures, computed once and refreshed incrementally.

Recomputing :class:`~dgawatch.sinkhole.stats.SinkholeStats` over the whole event store on
every request cost 40 s of CPU and 252 MiB for 520 k events (issue 14, item 10). Every
figure the page shows is per UTC day (distinct sources per day, per day and family,
estimates per list day), so they are kept per day, keyed by the size and mtime of that
day's event and held-names files (and of the shared plan): a refresh recomputes only the
days whose files changed, over those files alone, and a request never computes anything
itself. One background thread refreshes, at most once per ``refresh_interval_s``; a
request waits for it only within its budget and otherwise gets the previous figures
(marked ``stale``), or 503 when there are none yet.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from dgawatch.web.guard import Busy

log = logging.getLogger("dgawatch.web")

_EVENT_RE = re.compile(r"^events-(\d{4}-\d{2}-\d{2})\.[A-Za-z0-9_-]+\.(?:jsonl|parquet)$")
_HELD_RE = re.compile(r"^held-(\d{4}-\d{2}-\d{2})\.json$")
#: Files rewritten on every commit that no figure depends on.
_CHURN_PREFIXES = ("acked.",)

FileSig = tuple[str, int, int]


class StoreSignature:
    """Size and mtime of every file the figures depend on, by day (event and held-names
    files) and shared (everything else, e.g. the address plan)."""

    def __init__(self, directory: Path) -> None:
        self.days: dict[dt.date, tuple[FileSig, ...]] = {}
        self.event_days: set[dt.date] = set()
        shared: list[FileSig] = []
        per_day: dict[dt.date, list[FileSig]] = {}
        try:
            entries = list(os.scandir(directory))
        except OSError:
            entries = []
        for e in sorted(entries, key=lambda e: e.name):
            if not e.is_file() or e.name.startswith(_CHURN_PREFIXES):
                continue
            try:
                st = e.stat()
            except OSError:
                continue
            sig = (e.name, st.st_size, st.st_mtime_ns)
            m = _EVENT_RE.match(e.name) or _HELD_RE.match(e.name)
            if m is None:
                shared.append(sig)
                continue
            day = dt.date.fromisoformat(m.group(1))
            per_day.setdefault(day, []).append(sig)
            if e.name.startswith("events-") and (st.st_size > 0 or e.name.endswith(".parquet")):
                self.event_days.add(day)
        self.shared = tuple(shared)
        self.days = {d: tuple(s) for d, s in per_day.items()}

    def key(self) -> tuple[object, ...]:
        return (self.shared, tuple(sorted(self.days.items())))


def _day_figures(directory: Path, day: dt.date) -> dict[str, Any]:
    """The figures of one day, from a view of the store holding that day's event files and
    every shared file (symbolic links in a temporary directory)."""
    from dgawatch.sinkhole.stats import SinkholeStats

    with tempfile.TemporaryDirectory(prefix="dgawatch-day-") as tmp:
        view = Path(tmp)
        for e in os.scandir(directory):
            m = _EVENT_RE.match(e.name)
            if e.is_file() and (m is None or m.group(1) == day.isoformat()):
                os.symlink(os.path.abspath(e.path), view / e.name)  # a relative directory too
        with SinkholeStats(view) as st:
            row = st.con.execute("SELECT count(*) FROM events").fetchone()
            return {
                "events": int(row[0]) if row else 0,
                "by_day": st.by_time("day"),
                "by_family": st.by_family(),
                "estimates": [e.to_dict() for e in st.estimates()],
            }


class SinkholeAggregates:
    """Cached per-day sinkhole figures of one store directory (thread-safe)."""

    def __init__(
        self,
        directory: Path,
        *,
        refresh_interval_s: float = 10.0,
        first_wait_s: float = 20.0,
        fresh_wait_s: float = 1.0,
    ) -> None:
        self.directory = directory
        self.refresh_interval_s = refresh_interval_s
        self.first_wait_s = first_wait_s
        self.fresh_wait_s = fresh_wait_s
        self._lock = threading.Lock()
        self._days: dict[dt.date, tuple[tuple[FileSig, ...], dict[str, Any]]] = {}
        self._shared: tuple[FileSig, ...] | None = None
        self._snapshot: dict[str, Any] | None = None
        self._snapshot_key: tuple[object, ...] | None = None
        self._worker: threading.Thread | None = None
        self._last_start = float("-inf")
        self._error: str | None = None
        #: Day figures computed so far (each refresh adds only the days that changed).
        self.days_computed = 0

    def figures(self) -> dict[str, Any]:
        """The current figures: events, by_day, by_family, estimates, present, stale."""
        sig = StoreSignature(self.directory)
        key = sig.key()
        with self._lock:
            if self._snapshot is not None and self._snapshot_key == key:
                return self._snapshot | {"stale": False}
            worker = self._worker
            due = time.monotonic() - self._last_start >= self.refresh_interval_s
            if (worker is None or not worker.is_alive()) and (due or self._snapshot is None):
                worker = threading.Thread(
                    target=self._refresh, args=(sig,), name="sinkhole-figures", daemon=True
                )
                self._worker = worker
                self._last_start = time.monotonic()
                worker.start()
            first = self._snapshot is None
        if worker is not None:
            worker.join(self.first_wait_s if first else self.fresh_wait_s)
        with self._lock:
            if self._snapshot is not None:
                return self._snapshot | {"stale": self._snapshot_key != key}
            error = self._error
        if error is not None:
            raise Busy(f"sinkhole figures unavailable: {error}", 30)
        raise Busy("sinkhole figures are still being computed; retry shortly", 10)

    def _refresh(self, sig: StoreSignature) -> None:
        try:
            with self._lock:
                old = dict(self._days) if self._shared == sig.shared else {}
            days: dict[dt.date, tuple[tuple[FileSig, ...], dict[str, Any]]] = {}
            for day in sorted(sig.event_days):
                files = sig.days[day]
                kept = old.get(day)
                if kept is not None and kept[0] == files:
                    days[day] = kept
                    continue
                days[day] = (files, _day_figures(self.directory, day))
                self.days_computed += 1
            snapshot = _merge(days)
            with self._lock:
                self._days, self._shared = days, sig.shared
                self._snapshot, self._snapshot_key = snapshot, sig.key()
                self._error = None
        except Exception as exc:  # a damaged store must not kill the portal's refresher
            log.error("sinkhole figures failed", exc_info=exc)
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"


def _merge(days: dict[dt.date, tuple[tuple[FileSig, ...], dict[str, Any]]]) -> dict[str, Any]:
    parts = [figs for _d, (_s, figs) in sorted(days.items())]
    events = sum(int(p["events"]) for p in parts)
    return {
        "present": events > 0,
        "events": events,
        "by_day": [r for p in parts for r in p["by_day"]],
        "by_family": [r for p in parts for r in p["by_family"]],
        "estimates": [e for p in parts for e in p["estimates"]],
        "as_of": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
