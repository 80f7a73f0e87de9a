"""The durable sinkhole event store: append-only JSON-lines files, one per UTC day and
writer, in ``<data dir>/sinkhole/``.

Durability contract: :meth:`EventStore.append` takes the event and a callback; the callback
runs (with ``True``) only after the event's bytes are written *and* ``fdatasync``-ed. The
listeners send the DNS answer or the HTTP response from that callback, so whatever a client
saw acknowledged is on disk; a ``kill -9`` can only lose events nobody was told about.
Writes are group-committed: while one batch is being synced on the writer thread, new events
collect for the next, so the number of syncs per second stays bounded however many events
arrive. A partial last line left by a crash is cut off when a writer reopens the file (it
was never acknowledged), and readers skip it in the meantime.

Closed days can be compacted to Parquet (same columns); raw files older than the retention
limit are deleted (victim addresses are personal data).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from dgawatch.errors import InputError, StoreError
from dgawatch.sinkhole.events import COLUMNS, SinkholeEvent
from dgawatch.store import data_dir

MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_FILE_RE = re.compile(r"^events-(\d{4}-\d{2}-\d{2})\.([A-Za-z0-9_-]+)\.(jsonl|parquet)$")

Done = Callable[[bool], None]


def default_dir() -> Path:
    return data_dir() / "sinkhole"


def day_of(ts_ms: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH_ORDINAL + ts_ms // MS_PER_DAY)


def event_file(directory: Path, day: dt.date, worker: str, ext: str = "jsonl") -> Path:
    return directory / f"events-{day.isoformat()}.{worker}.{ext}"


def list_files(directory: Path) -> list[tuple[dt.date, str, str, Path]]:
    """(day, worker, kind, path) of every event file, sorted."""
    found = []
    if directory.is_dir():
        for p in directory.iterdir():
            m = _FILE_RE.match(p.name)
            if m:
                found.append((dt.date.fromisoformat(m.group(1)), m.group(2), m.group(3), p))
    return sorted(found)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_append(path: Path) -> int:
    """Open for appending, first cutting off a partial last line (never acknowledged)."""
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    size = os.fstat(fd).st_size
    if size:
        tail_len = min(size, 1 << 16)
        tail = os.pread(fd, tail_len, size - tail_len)
        if not tail.endswith(b"\n"):
            cut = tail.rfind(b"\n")
            if cut < 0 and tail_len < size:
                # One line longer than 64 KiB cannot be ours; search the whole file.
                whole = os.pread(fd, size, 0)
                keep = whole.rfind(b"\n") + 1
            else:
                keep = size - tail_len + cut + 1
            os.ftruncate(fd, keep)
            os.fsync(fd)
    if created:
        _fsync_dir(path.parent)
    return fd


class EventStore:
    """Append side of the store for one writer (one listener process).

    Use from one asyncio event loop; the syncs run on a private writer thread.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        worker: str = "0",
        retention_days: int | None = None,
        max_pending: int = 200_000,
        sync: bool = True,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", worker):
            raise InputError(f"worker name {worker!r} must be letters, digits, _ or -")
        if retention_days is not None and retention_days < 1:
            raise InputError("--retention-days must be at least 1")
        self.directory = directory or default_dir()
        self.worker = worker
        self.retention_days = retention_days
        self.max_pending = max_pending
        self.sync = sync
        self.acknowledged = 0
        self.failed = 0
        self.batches = 0
        self.bytes_written = 0
        self._fds: dict[int, int] = {}
        self._lines: list[tuple[int, bytes]] = []
        self._callbacks: list[Done] = []
        self._inflight = False
        self._scheduled = False
        self._idle: asyncio.Event | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- life cycle --------------------------------------------------------------------

    def open(self) -> EventStore:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create event store {self.directory}: {exc}") from None
        self.apply_retention()
        return self

    def close(self) -> None:
        """Write and sync whatever is pending (synchronously), then close the files."""
        if self._lines:
            lines, callbacks = self._take()
            ok = self._write(lines)
            self._finish(ok, len(lines), callbacks)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def __enter__(self) -> EventStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- appending ---------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._lines)

    @property
    def overloaded(self) -> bool:
        """Listeners shed load (drop DNS, pause HTTP reads) while this is true."""
        return len(self._lines) >= self.max_pending

    def append(self, ts_ms: int, line: bytes, done: Done) -> None:
        """Queue one event line; ``done(True)`` runs once it is durable."""
        self._lines.append((ts_ms // MS_PER_DAY, line))
        self._callbacks.append(done)
        if not self._inflight and not self._scheduled:
            self._scheduled = True
            self._get_loop().call_soon(self._start)

    def write_now(self, events: Iterable[SinkholeEvent]) -> int:
        """Append and sync outside an event loop (tools, tests, imports)."""
        lines = [(e.ts // MS_PER_DAY, e.to_line()) for e in events]
        if not self._write(lines):
            raise StoreError(f"cannot write events to {self.directory}")
        self.acknowledged += len(lines)
        return len(lines)

    async def drain(self) -> None:
        """Wait until every queued event is durable."""
        while self._lines or self._inflight or self._scheduled:
            await asyncio.sleep(0.001)

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _take(self) -> tuple[list[tuple[int, bytes]], list[Done]]:
        lines, callbacks = self._lines, self._callbacks
        self._lines, self._callbacks = [], []
        return lines, callbacks

    def _start(self) -> None:
        self._scheduled = False
        if self._inflight or not self._lines:
            return
        lines, callbacks = self._take()
        self._inflight = True
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="sinkhole-store")
        fut = self._get_loop().run_in_executor(self._executor, self._write, lines)
        fut.add_done_callback(lambda f: self._flushed(f, len(lines), callbacks))

    def _flushed(self, fut: asyncio.Future[bool], n: int, callbacks: list[Done]) -> None:
        self._inflight = False
        ok = not fut.cancelled() and fut.exception() is None and fut.result()
        self._finish(ok, n, callbacks)
        if self._lines:
            self._start()

    def _finish(self, ok: bool, n: int, callbacks: list[Done]) -> None:
        if ok:
            self.acknowledged += n
            self.batches += 1
        else:
            self.failed += n
        for cb in callbacks:
            with contextlib.suppress(Exception):  # a closed transport must not stop the rest
                cb(ok)

    # -- the writer thread -------------------------------------------------------------

    def _fd(self, day_no: int) -> int:
        fd = self._fds.get(day_no)
        if fd is None:
            day = dt.date.fromordinal(_EPOCH_ORDINAL + day_no)
            fd = _open_append(event_file(self.directory, day, self.worker))
            self._fds[day_no] = fd
            for old in [d for d in self._fds if d < day_no - 2]:
                os.close(self._fds.pop(old))
        return fd

    def _write(self, lines: list[tuple[int, bytes]]) -> bool:
        by_day: dict[int, list[bytes]] = {}
        for day_no, line in lines:
            by_day.setdefault(day_no, []).append(line)
        touched = []
        try:
            for day_no, chunk in by_day.items():
                fd = self._fd(day_no)
                data = b"".join(chunk)
                start = os.fstat(fd).st_size
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                except OSError:
                    os.ftruncate(fd, start)  # no half line for the next batch to follow
                    raise
                self.bytes_written += len(data)
                touched.append(fd)
            if self.sync:
                for fd in touched:
                    os.fdatasync(fd)
        except OSError:
            return False
        return True

    # -- retention ---------------------------------------------------------------------

    def apply_retention(self, now: dt.date | None = None) -> list[Path]:
        if self.retention_days is None:
            return []
        return apply_retention(self.directory, self.retention_days, now)


def apply_retention(directory: Path, retention_days: int, now: dt.date | None = None) -> list[Path]:
    """Delete raw and compacted event files of days older than ``retention_days`` days."""
    today = now or dt.datetime.now(dt.UTC).date()
    oldest_kept = today - dt.timedelta(days=retention_days - 1)
    removed = []
    for day, _worker, _kind, path in list_files(directory):
        if day < oldest_kept:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_events(events: Iterable[SinkholeEvent], directory: Path, worker: str = "import") -> int:
    """Append events durably without a listener (simulations, imports)."""
    with EventStore(directory, worker=worker) as store:
        return store.write_now(events)


# -- reading ---------------------------------------------------------------------------


def _columns_sql() -> str:
    return "{" + ", ".join(f"'{k}': '{t}'" for k, t in COLUMNS.items()) + "}"


def _path_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def events_sql(directory: Path) -> str:
    """A SELECT over every event file (raw and compacted), with ``time`` as TIMESTAMP."""
    files = list_files(directory)
    raw = [p for _d, _w, kind, p in files if kind == "jsonl" and p.stat().st_size > 0]
    parquet = [p for _d, _w, kind, p in files if kind == "parquet"]
    parts = []
    if raw:
        parts.append(
            f"SELECT * FROM read_json({_path_list(raw)}, format='newline_delimited', "
            f"columns={_columns_sql()}, ignore_errors=true)"
        )
    if parquet:
        cols = ", ".join(COLUMNS)
        parts.append(f"SELECT {cols} FROM read_parquet({_path_list(parquet)}, union_by_name=true)")
    if not parts:
        nulls = ", ".join(f"CAST(NULL AS {t}) AS {k}" for k, t in COLUMNS.items())
        parts.append(f"SELECT {nulls} WHERE false")
    body = " UNION ALL ".join(f"({p})" for p in parts)
    return f"SELECT *, epoch_ms(ts) AS time FROM ({body}) WHERE ts IS NOT NULL"


def connect(directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the view ``events`` over the store."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW events AS {events_sql(directory or default_dir())}")
    return con


def count_events(directory: Path) -> int:
    con = connect(directory)
    try:
        row = con.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def compact(directory: Path | None = None, now: dt.datetime | None = None) -> list[Path]:
    """Rewrite each closed day's raw files as one Parquet file (then remove the raw files).

    A day is closed five minutes after its UTC midnight, so late batches have landed.
    """
    directory = directory or default_dir()
    clock = now or dt.datetime.now(dt.UTC)
    closed_before = (clock - dt.timedelta(minutes=5)).date()
    by_day: dict[dt.date, list[Path]] = {}
    for day, _worker, kind, path in list_files(directory):
        if kind == "jsonl" and day < closed_before:
            by_day.setdefault(day, []).append(path)
    written = []
    for day, raw in sorted(by_day.items()):
        target = event_file(directory, day, "compacted", "parquet")
        sources = raw + ([target] if target.exists() else [])
        parts = [
            f"SELECT * FROM read_json({_path_list(raw)}, format='newline_delimited', "
            f"columns={_columns_sql()}, ignore_errors=true)"
        ]
        if target.exists():
            parts.append(f"SELECT * FROM read_parquet({_path_list([target])})")
        tmp = target.with_suffix(".parquet.tmp")
        con = duckdb.connect(":memory:")
        try:
            query = " UNION ALL ".join(parts)
            con.execute(f"COPY ({query} ORDER BY ts) TO '{tmp}' (FORMAT parquet, COMPRESSION zstd)")
        finally:
            con.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        _fsync_dir(directory)
        for p in sources:
            if p != target:
                p.unlink()
        written.append(target)
    return written
