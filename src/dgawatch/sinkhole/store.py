"""The durable sinkhole event store: append-only JSON-lines files, one per UTC day and
writer, in ``<data dir>/sinkhole/``.

Durability contract. :meth:`EventStore.append` takes the event; its callback runs (with
``True``) only once the event is *acknowledged*, which means, in this order:

1. its bytes were written to the day file and ``fdatasync`` returned for them;
2. every earlier batch of this writer is acknowledged too (acknowledgement is a prefix);
3. the writer's *acknowledgement record* ``acked.<writer>`` says so: the length in bytes and
   the number of events of each open day file up to and including this batch.

Only then does a listener send the DNS answer or the HTTP response, so whatever a client saw
answered is on disk. Writes are group-committed, and up to ``max_inflight`` batches are
being synced at once (concurrent ``fdatasync`` calls share device flushes, which cuts the
wait for an answer several-fold on the disks we measured).

A ``kill -9`` (or any crash of the process that leaves the kernel running) can leave bytes of
batches that were written but not acknowledged: the page cache outlives the process. When
the writer reopens its files after such a crash (same kernel boot, see
``/proc/sys/kernel/random/boot_id``) it cuts every file back to what the acknowledgement
record says: those events were never acknowledged, no client got an answer for them, and the
store then holds exactly the acknowledged events. The record is not synced itself: after a
reboot (power loss, kernel crash) it may lag behind, so a writer that finds a different boot
id keeps every whole line instead (it may include acknowledged events the record missed) and
only cuts a partial last line. Readers that look at the files between a crash and the
writer's restart may still see the few unacknowledged events.

Closed days can be compacted to Parquet (same columns); raw files older than the retention
limit are deleted (victim addresses are personal data).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dgawatch.errors import InputError, StoreError
from dgawatch.sinkhole.events import COLUMNS, SinkholeEvent
from dgawatch.store import data_dir

MS_PER_DAY = 86_400_000
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_FILE_RE = re.compile(r"^events-(\d{4}-\d{2}-\d{2})\.([A-Za-z0-9_-]+)\.(jsonl|parquet)$")
#: Two slots of the acknowledgement record, written alternately (a torn write of one
#: leaves the other).
_SLOT = 2048

Done = Callable[[bool], None]


def default_dir() -> Path:
    return data_dir() / "sinkhole"


def day_of(ts_ms: int) -> dt.date:
    return dt.date.fromordinal(_EPOCH_ORDINAL + ts_ms // MS_PER_DAY)


def event_file(directory: Path, day: dt.date, worker: str, ext: str = "jsonl") -> Path:
    return directory / f"events-{day.isoformat()}.{worker}.{ext}"


def ack_file(directory: Path, worker: str) -> Path:
    return directory / f"acked.{worker}"


def boot_id() -> str:
    """This kernel boot's id ("" where unknown: then nothing is ever rolled back)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


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


def _cut_partial_line(fd: int, size: int) -> int:
    """Cut off a partial last line (never acknowledged); the new size."""
    if not size:
        return 0
    tail_len = min(size, 1 << 16)
    tail = os.pread(fd, tail_len, size - tail_len)
    if tail.endswith(b"\n"):
        return size
    cut = tail.rfind(b"\n")
    if cut < 0 and tail_len < size:
        # One line longer than 64 KiB cannot be ours; search the whole file.
        keep = os.pread(fd, size, 0).rfind(b"\n") + 1
    else:
        keep = size - tail_len + cut + 1
    os.ftruncate(fd, keep)
    os.fsync(fd)
    return keep


def _count_lines(fd: int, size: int) -> int:
    n, pos = 0, 0
    while pos < size:
        chunk = os.pread(fd, min(1 << 22, size - pos), pos)
        if not chunk:
            break
        n += chunk.count(b"\n")
        pos += len(chunk)
    return n


# -- the acknowledgement record ------------------------------------------------------------


@dataclass
class AckRecord:
    """What a writer has acknowledged: per open day file, (bytes, events)."""

    boot: str = ""
    seq: int = 0
    files: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(n for _size, n in self.files.values())

    def encode(self) -> bytes:
        doc = {"boot": self.boot, "seq": self.seq, "files": self.files}
        body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
        data = b"%08x" % zlib.crc32(body) + body + b"\n"
        if len(data) > _SLOT:
            raise StoreError("acknowledgement record too large")
        return data.ljust(_SLOT, b" ")

    @classmethod
    def decode(cls, slot: bytes) -> AckRecord | None:
        try:
            body = slot[8:].rstrip(b" ").rstrip(b"\n")
            if int(slot[:8], 16) != zlib.crc32(body):
                return None
            doc = json.loads(body)
            files = {str(k): (int(v[0]), int(v[1])) for k, v in doc["files"].items()}
            return cls(str(doc["boot"]), int(doc["seq"]), files)
        except (ValueError, KeyError, TypeError, IndexError):
            return None


def read_ack(directory: Path, worker: str) -> AckRecord | None:
    """The newest intact acknowledgement record of a writer (None: there is none)."""
    try:
        data = ack_file(directory, worker).read_bytes()
    except OSError:
        return None
    found = [AckRecord.decode(data[i : i + _SLOT]) for i in range(0, len(data), _SLOT)]
    good = [r for r in found if r is not None]
    return max(good, key=lambda r: r.seq) if good else None


def acknowledged_events(directory: Path) -> dict[str, int]:
    """Per writer, the events its acknowledgement record counts (in the files it had open)."""
    out = {}
    for p in sorted(directory.glob("acked.*")):
        rec = read_ack(directory, p.name.split(".", 1)[1])
        if rec is not None:
            out[p.name.split(".", 1)[1]] = rec.events
    return out


@dataclass
class _File:
    fd: int
    name: str
    size: int  # bytes written (acknowledged or not)
    events: int  # lines written
    acked: tuple[int, int]  # (bytes, events) acknowledged


@dataclass
class _Batch:
    n: int
    callbacks: list[Done]
    ends: dict[int, tuple[int, int]]  # day number -> (size, events) after this batch
    ok: bool = True
    done: bool = False


class EventStore:
    """Append side of the store for one writer (one listener process).

    Use from one asyncio event loop: writes happen on the loop (into the page cache, in
    batch order), the ``fdatasync`` calls on a small pool of threads.
    """

    def __init__(
        self,
        directory: Path | None = None,
        *,
        worker: str = "0",
        retention_days: int | None = None,
        max_pending: int = 200_000,
        max_inflight: int = 4,
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
        self.max_inflight = max(1, max_inflight)
        self.sync = sync
        self.acknowledged = 0
        self.failed = 0
        self.batches = 0
        self.bytes_written = 0
        #: Events cut off at open: written by a crashed writer but never acknowledged.
        self.rolled_back = 0
        #: Number of the batch now collecting events (see :meth:`on_commit`).
        self.batch_no = 0
        self._files: dict[int, _File] = {}
        self._lines: list[tuple[int, bytes]] = []
        self._callbacks: list[Done] = []
        self._inflight: collections.deque[_Batch] = collections.deque()
        self._scheduled = False
        self._boot = boot_id()
        self._recovered: AckRecord | None = None
        self._ack_fd: int | None = None
        self._ack_seq = 0
        self._executor: ThreadPoolExecutor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- life cycle --------------------------------------------------------------------

    def open(self) -> EventStore:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create event store {self.directory}: {exc}") from None
        self.apply_retention()
        self._recover()
        return self

    def close(self) -> None:
        """Write and sync whatever is pending (synchronously), then close the files."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for batch in self._inflight:
            # Their syncs ran on the (now finished) pool; sync again here to be sure.
            batch.done = True
        if self._lines:
            self._start(now=True)
        self._advance(sync_first=True)
        for f in self._files.values():
            os.close(f.fd)
        self._files.clear()
        if self._ack_fd is not None:
            os.close(self._ack_fd)
            self._ack_fd = None

    def __enter__(self) -> EventStore:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recovery ----------------------------------------------------------------------

    def _recover(self) -> None:
        """Roll the files back to the acknowledgement record (same boot only)."""
        rec = read_ack(self.directory, self.worker)
        self._recovered = rec
        if rec is not None:
            self._ack_seq = rec.seq
        if rec is None or not rec.boot or rec.boot != self._boot:
            return
        for name, (size, _events) in rec.files.items():
            path = self.directory / name
            try:
                fd = os.open(path, os.O_RDWR)
            except OSError:
                continue
            try:
                have = os.fstat(fd).st_size
                if have > size:
                    cut = os.pread(fd, have - size, size)
                    self.rolled_back += cut.count(b"\n")
                    os.ftruncate(fd, size)
                    os.fsync(fd)
            finally:
                os.close(fd)

    def _open_file(self, day_no: int) -> _File:
        day = dt.date.fromordinal(_EPOCH_ORDINAL + day_no)
        path = event_file(self.directory, day, self.worker)
        created = not path.exists()
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        size = os.fstat(fd).st_size
        rec = self._recovered
        known = rec.files.get(path.name) if rec is not None else None
        if known is not None and known[0] == size and rec is not None and rec.boot == self._boot:
            events = known[1]
        else:
            size = _cut_partial_line(fd, size)
            events = _count_lines(fd, size)
        if created:
            _fsync_dir(path.parent)
        return _File(fd, path.name, size, events, (size, events))

    def _file(self, day_no: int) -> _File:
        f = self._files.get(day_no)
        if f is None:
            f = self._open_file(day_no)
            self._files[day_no] = f
            for old in [d for d in self._files if d < day_no - 2]:
                os.close(self._files.pop(old).fd)
        return f

    # -- appending ---------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._lines)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    @property
    def overloaded(self) -> bool:
        """Listeners shed load (drop DNS, pause HTTP reads) while this is true."""
        return len(self._lines) >= self.max_pending

    def append(self, ts_ms: int, line: bytes, done: Done | None = None) -> None:
        """Queue one event line; ``done(True)`` runs once it is acknowledged."""
        self._lines.append((ts_ms // MS_PER_DAY, line))
        if done is not None:
            self._callbacks.append(done)
        if not self._scheduled:
            self._scheduled = True
            self._get_loop().call_soon(self._kick)

    def on_commit(self, done: Done) -> None:
        """Run ``done`` once every event appended to batch :attr:`batch_no` (the batch now
        collecting) is acknowledged; one callback for many events."""
        self._callbacks.append(done)

    def write_now(self, events: Iterable[SinkholeEvent]) -> int:
        """Append, sync and acknowledge outside an event loop (tools, tests, imports)."""
        lines = [(e.ts // MS_PER_DAY, e.to_line()) for e in events]
        if not lines:
            return 0
        self._lines.extend(lines)
        failed = self.failed
        self._start(now=True)
        self._advance(sync_first=True)
        if self.failed > failed:
            raise StoreError(f"cannot write events to {self.directory}")
        return len(lines)

    async def drain(self) -> None:
        """Wait until every queued event is acknowledged (or failed)."""
        while self._lines or self._inflight or self._scheduled:
            await asyncio.sleep(0.001)

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _kick(self) -> None:
        self._scheduled = False
        if self._lines and len(self._inflight) < self.max_inflight:
            self._start()

    def _start(self, now: bool = False) -> None:
        """Write the collecting batch (on this thread, in order) and hand its sync to the
        pool (``now``: the caller syncs it)."""
        lines, callbacks = self._lines, self._callbacks
        self._lines, self._callbacks = [], []
        self.batch_no += 1
        batch = _Batch(len(lines), callbacks, {})
        self._inflight.append(batch)
        fds = self._write(lines, batch)
        if not batch.ok or now:
            batch.done = True
            return
        if not self.sync:
            batch.done = True
            self._get_loop().call_soon(self._advance)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                self.max_inflight, thread_name_prefix="sinkhole-sync"
            )
        fut = self._get_loop().run_in_executor(self._executor, _sync_all, fds)
        fut.add_done_callback(lambda f: self._synced(f, batch))

    def _synced(self, fut: asyncio.Future[bool], batch: _Batch) -> None:
        batch.done = True
        batch.ok = not fut.cancelled() and fut.exception() is None and bool(fut.result())
        self._advance()

    def _write(self, lines: list[tuple[int, bytes]], batch: _Batch) -> list[int]:
        by_day: dict[int, list[bytes]] = {}
        for day_no, line in lines:
            by_day.setdefault(day_no, []).append(line)
        fds = []
        try:
            for day_no, chunk in by_day.items():
                f = self._file(day_no)
                data = b"".join(chunk)
                try:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(f.fd, view) :]
                except OSError:
                    os.ftruncate(f.fd, f.size)  # no half line for the next batch to follow
                    raise
                f.size += len(data)
                f.events += len(chunk)
                self.bytes_written += len(data)
                batch.ends[day_no] = (f.size, f.events)
                fds.append(f.fd)
        except OSError:
            batch.ok = False
        return fds

    def _advance(self, sync_first: bool = False) -> None:
        """Acknowledge the finished batches at the head of the queue, in order: record
        them in ``acked.<writer>``, then run their callbacks."""
        if sync_first and self.sync:
            ok = _sync_all([f.fd for f in self._files.values()])
            for batch in self._inflight:
                batch.ok = batch.ok and ok
        finished = []
        while self._inflight and self._inflight[0].done:
            batch = self._inflight.popleft()
            finished.append(batch)
            if batch.ok:
                for day_no, end in batch.ends.items():
                    f = self._files.get(day_no)
                    if f is not None:
                        f.acked = end
        if not finished:
            return
        if any(b.ok for b in finished) and not self._write_ack():
            for b in finished:
                b.ok = False
        for batch in finished:
            if batch.ok:
                self.acknowledged += batch.n
                self.batches += 1
            else:
                self.failed += batch.n
            for cb in batch.callbacks:
                with contextlib.suppress(Exception):  # a closed transport must not stop the rest
                    cb(batch.ok)
        if self._lines and not self._scheduled and self._loop is not None:
            self._kick()

    def _write_ack(self) -> bool:
        self._ack_seq += 1
        rec = AckRecord(self._boot, self._ack_seq, {f.name: f.acked for f in self._files.values()})
        try:
            if self._ack_fd is None:
                path = ack_file(self.directory, self.worker)
                self._ack_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.pwrite(self._ack_fd, rec.encode(), (self._ack_seq % 2) * _SLOT)
        except OSError:
            return False
        return True

    # -- retention ---------------------------------------------------------------------

    def apply_retention(self, now: dt.date | None = None) -> list[Path]:
        if self.retention_days is None:
            return []
        return apply_retention(self.directory, self.retention_days, now)


def _sync_all(fds: list[int]) -> bool:
    try:
        for fd in fds:
            os.fdatasync(fd)
    except OSError:
        return False
    return True


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
