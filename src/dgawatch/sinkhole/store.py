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

Write errors (a full disk, an I/O error). A batch whose write, ``fdatasync`` or
acknowledgement record fails is cut back off the files and its callbacks run with
``False``: those events are never acknowledged, so no client gets an answer for them. The
queue keeps moving (each later batch tries again), :attr:`EventStore.error` holds the
first error of the run of failures and :attr:`EventStore.on_state` is called once when
writing starts failing and once when a batch is acknowledged again. :meth:`EventStore.drain`
takes a time bound; :meth:`EventStore.abandon` fails whatever is still queued, so a
shutdown never waits on a dead disk.

Closed days can be compacted to Parquet (same columns, mode 0600); raw files older than
the retention limit are deleted (victim addresses are personal data).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import os
import re
import time
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


_CHUNK = 1 << 16


def _cut_partial_line(fd: int, size: int) -> int:
    """Cut off a partial last line (never acknowledged, or a NUL tail left by a power
    loss); the new size. Reads backwards 64 KiB at a time: memory stays bounded."""
    end = size
    while end > 0:
        start = max(0, end - _CHUNK)
        chunk = os.pread(fd, end - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            keep = start + cut + 1
            break
        end = start
    else:
        keep = 0
    if keep != size:
        os.ftruncate(fd, keep)
        os.fsync(fd)
    return keep


def _repair(fd: int, size: int) -> tuple[int, int]:
    """Overwrite NUL bytes with newlines, in place; (lines, NUL bytes overwritten).

    A power loss can leave blocks of zeros where lines were (the file's size reached the
    disk, its data did not). Our lines never hold a NUL (JSON escapes it), so every NUL is
    damage; as newlines they end the damaged line, and a whole line that follows a run of
    zeros reads again instead of being lost with it. Offsets do not change.
    Reads 4 MiB at a time."""
    lines, fixed, pos = 0, 0, 0
    while pos < size:
        chunk = os.pread(fd, min(1 << 22, size - pos), pos)
        if not chunk:
            break
        if b"\0" in chunk:
            fixed += chunk.count(b"\0")
            chunk = chunk.replace(b"\0", b"\n")
            os.pwrite(fd, chunk, pos)
            lines += sum(1 for seg in chunk.split(b"\n")[:-1] if seg)
        else:
            lines += chunk.count(b"\n")
        pos += len(chunk)
    if fixed:
        os.fsync(fd)
    return lines, fixed


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
        #: NUL bytes (power-loss damage) overwritten with newlines at open.
        self.repaired_nul = 0
        #: Number of the batch now collecting events (see :meth:`on_commit`).
        self.batch_no = 0
        #: The first error of the current run of failed batches (None: writing works).
        self.error: str | None = None
        #: ``time.time()`` of that first error.
        self.error_since: float | None = None
        #: Batches that failed (write, sync or acknowledgement record), ever.
        self.failed_batches = 0
        #: Called with the new :attr:`error` when writing starts failing (a message) and
        #: when it works again (None): once per change, never per event.
        self.on_state: Callable[[str | None], None] | None = None
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
        self._abandoned = False

    # -- life cycle --------------------------------------------------------------------

    def open(self) -> EventStore:
        if self.directory.exists() and not self.directory.is_dir():
            raise StoreError(
                f"--sinkhole-dir {self.directory} is a file, not a directory; give the event "
                "store's directory (default: <data dir>/sinkhole)"
            )
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = exc.strerror or exc
            raise StoreError(f"cannot create event store {self.directory}: {why}") from None
        self.apply_retention()
        self._recover()
        # Check today's file now (cut a partial tail, repair, count its lines: ~1.4 s for
        # 500 MB) rather than when the first event arrives and waits for it.
        today = time.time_ns() // 1_000_000 // MS_PER_DAY
        if event_file(
            self.directory, dt.date.fromordinal(_EPOCH_ORDINAL + today), self.worker
        ).exists():
            with contextlib.suppress(OSError):
                self._file(today)
        return self

    def close(self) -> None:
        """Write and sync whatever is pending (synchronously), then close the files.

        After :meth:`abandon` nothing is pending and nothing is synced or waited for."""
        if self._executor is not None:
            self._executor.shutdown(wait=not self._abandoned, cancel_futures=True)
            self._executor = None
        for batch in self._inflight:
            # Their syncs ran on the (now finished) pool; sync again here to be sure.
            batch.done = True
        if self._lines:
            self._start(now=True)
        self._advance(sync_first=not self._abandoned)
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
        if rec is None:
            return
        if not rec.boot or rec.boot != self._boot:
            # After a reboot: the files open at the crash may end in zeros (power loss).
            for name in rec.files:
                with contextlib.suppress(OSError):
                    fd = os.open(self.directory / name, os.O_RDWR)
                    try:
                        size = _cut_partial_line(fd, os.fstat(fd).st_size)
                        self.repaired_nul += _repair(fd, size)[1]
                    finally:
                        os.close(fd)
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
        try:
            size = os.fstat(fd).st_size
            rec = self._recovered
            known = rec.files.get(path.name) if rec is not None else None
            if (
                known is not None
                and known[0] == size
                and rec is not None
                and rec.boot == self._boot
            ):
                events = known[1]
            else:
                size = _cut_partial_line(fd, size)
                events, fixed = _repair(fd, size)
                self.repaired_nul += fixed
            if created:
                _fsync_dir(path.parent)
        except OSError:
            os.close(fd)  # a failing disk: each retry must not leak a descriptor
            raise
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

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is acknowledged (or failed); False if ``timeout``
        seconds passed first (a hung disk: then :meth:`abandon`)."""
        end = None if timeout is None else time.monotonic() + timeout
        while self._lines or self._inflight or self._scheduled:
            if end is not None and time.monotonic() >= end:
                return False
            await asyncio.sleep(0.001)
        return True

    def abandon(self) -> int:
        """Fail every queued and in-flight event (callbacks get ``False``) without
        waiting for the disk; the number failed. For a bounded shutdown."""
        self._abandoned = True
        lost = 0
        batches = list(self._inflight)
        self._inflight.clear()
        if self._lines or self._callbacks:
            batches.append(_Batch(len(self._lines), self._callbacks, {}))
            self._lines, self._callbacks = [], []
        for batch in batches:
            lost += batch.n
            self.failed += batch.n
            for cb in batch.callbacks:
                with contextlib.suppress(Exception):
                    cb(False)
        return lost

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
            if not now:
                # Failed at once: acknowledge-as-failed in order, so the queue moves on.
                self._get_loop().call_soon(self._advance)
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

    #: The write call (a seam for tests that inject write errors).
    _os_write = staticmethod(os.write)

    def _write(self, lines: list[tuple[int, bytes]], batch: _Batch) -> list[int]:
        by_day: dict[int, list[bytes]] = {}
        for day_no, line in lines:
            by_day.setdefault(day_no, []).append(line)
        fds = []
        before: list[tuple[int, _File, int, int]] = []
        try:
            for day_no, chunk in by_day.items():
                f = self._file(day_no)
                before.append((day_no, f, f.size, f.events))
                data = b"".join(chunk)
                view = memoryview(data)
                while view:
                    view = view[self._os_write(f.fd, view) :]
                f.size += len(data)
                f.events += len(chunk)
                self.bytes_written += len(data)
                batch.ends[day_no] = (f.size, f.events)
                fds.append(f.fd)
        except OSError as exc:
            batch.ok = False
            batch.ends.clear()
            self._failing(f"write: {exc}")
            # Cut this batch off every file it touched: no half line for the next batch
            # to follow, no unacknowledged event left behind to be read.
            for day_no, f, size, events in before:
                self.bytes_written -= f.size - size
                f.size, f.events = size, events
                try:
                    os.ftruncate(f.fd, size)
                except OSError:
                    # Cannot cut: close it; reopening cuts a partial line.
                    self._files.pop(day_no, None)
                    with contextlib.suppress(OSError):
                        os.close(f.fd)
            return []
        return fds

    def _failing(self, reason: str) -> None:
        if self.error is None:
            self.error = reason
            self.error_since = time.time()
            if self.on_state is not None:
                with contextlib.suppress(Exception):
                    self.on_state(reason)

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
            self._failing("acknowledgement record: write failed")
            for b in finished:
                b.ok = False
        for batch in finished:
            if batch.ok:
                self.acknowledged += batch.n
                self.batches += 1
            else:
                self.failed += batch.n
                self.failed_batches += 1
                if batch.ends:  # written but not synced
                    self._failing("fdatasync failed")
        if finished[-1].ok and self.error is not None:
            self.error = self.error_since = None
            if self.on_state is not None:
                with contextlib.suppress(Exception):
                    self.on_state(None)
        for batch in finished:
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

#: 2100-01-01 in UTC milliseconds: a timestamp at or past it (or before 1970) is damage.
MAX_TS = 4_102_444_800_000


def _columns_sql() -> str:
    return "{" + ", ".join(f"'{k}': '{t}'" for k, t in COLUMNS.items()) + "}"


def _path_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _raw_sql(paths: str) -> str:
    """Raw JSON-lines files (``paths``: a SQL list or a parameter) as the store's columns
    plus ``_file`` and ``_ok``. A line that is not an event object reads as a row whose
    ``ts`` is NULL (DuckDB's ``ignore_errors``); ``_ok`` is false for a timestamp that
    cannot be ours: before 1970, from 2100 on, or off the UTC day its file is named after
    (the writer files each event under the day of its timestamp)."""
    cols = ", ".join(COLUMNS)
    file_day = (
        "date_diff('day', DATE '1970-01-01', "
        r"CAST(regexp_extract(filename, 'events-([0-9]{4}-[0-9]{2}-[0-9]{2})\.[^/]*$', 1) AS DATE))"
    )
    return (
        f"SELECT {cols}, filename AS _file, "
        f"(ts >= 0 AND ts < {MAX_TS} AND ts // {MS_PER_DAY} = {file_day}) AS _ok "
        f"FROM read_json({paths}, format='newline_delimited', columns={_columns_sql()}, "
        "ignore_errors=true, filename=true)"
    )


def _parquet_sql(paths: str) -> str:
    cols = ", ".join(COLUMNS)
    return (
        f"SELECT {cols}, filename AS _file, (ts >= 0 AND ts < {MAX_TS}) AS _ok "
        f"FROM read_parquet({paths}, union_by_name=true, filename=true)"
    )


def _sources(directory: Path) -> tuple[list[Path], list[Path]]:
    files = list_files(directory)
    raw = [p for _d, _w, kind, p in files if kind == "jsonl" and p.stat().st_size > 0]
    parquet = [p for _d, _w, kind, p in files if kind == "parquet"]
    return raw, parquet


def _all_sql(directory: Path) -> str:
    raw, parquet = _sources(directory)
    parts = []
    if raw:
        parts.append(_raw_sql(_path_list(raw)))
    if parquet:
        parts.append(_parquet_sql(_path_list(parquet)))
    if not parts:
        nulls = ", ".join(f"CAST(NULL AS {t}) AS {k}" for k, t in COLUMNS.items())
        parts.append(f"SELECT {nulls}, CAST(NULL AS VARCHAR) AS _file, false AS _ok WHERE false")
    return " UNION ALL ".join(f"({p})" for p in parts)


def events_sql(directory: Path) -> str:
    """A SELECT over every event file (raw and compacted), with ``time`` as TIMESTAMP.

    Lines that are not events and events with impossible timestamps are left out; see
    :func:`problems_sql` and :func:`check` for their count."""
    cols = ", ".join(COLUMNS)
    return (
        f"SELECT {cols}, epoch_ms(ts) AS time FROM ({_all_sql(directory)}) "
        "WHERE ts IS NOT NULL AND _ok"
    )


def problems_sql(directory: Path) -> str:
    """Per file, the lines readers leave out: ``corrupt`` (not an event object, or no
    integer ``ts``) and ``impossible_ts``."""
    return (
        "SELECT _file AS file, count(*) FILTER (WHERE ts IS NULL) AS corrupt, "
        "count(*) FILTER (WHERE ts IS NOT NULL AND NOT _ok) AS impossible_ts "
        f"FROM ({_all_sql(directory)}) GROUP BY _file "
        "HAVING count(*) FILTER (WHERE ts IS NULL OR NOT _ok) > 0 ORDER BY file"
    )


def connect(directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the view ``events`` over the store, and the view
    ``event_problems`` (file, corrupt, impossible_ts) of the lines ``events`` leaves out."""
    directory = directory or default_dir()
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE VIEW events AS {events_sql(directory)}")
    con.execute(f"CREATE VIEW event_problems AS {problems_sql(directory)}")
    return con


def count_events(directory: Path) -> int:
    con = connect(directory)
    try:
        row = con.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


@dataclass
class StoreCheck:
    """What readers leave out of a store: per file, (corrupt lines, impossible timestamps)."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def corrupt(self) -> int:
        return sum(c for c, _i in self.files.values())

    @property
    def impossible_ts(self) -> int:
        return sum(i for _c, i in self.files.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "corrupt": self.corrupt,
            "impossible_ts": self.impossible_ts,
            "files": {k: {"corrupt": c, "impossible_ts": i} for k, (c, i) in self.files.items()},
        }

    def lines(self) -> list[str]:
        """One message per damaged file, for a user."""
        return [
            f"{name}: {c:,} corrupt line(s), {i:,} impossible timestamp(s) left out"
            for name, (c, i) in self.files.items()
        ]


def check(directory: Path | None = None) -> StoreCheck:
    """Count the lines readers leave out, per file (one streaming scan by DuckDB)."""
    con = connect(directory)
    try:
        rows = con.execute("SELECT * FROM event_problems").fetchall()
    finally:
        con.close()
    return StoreCheck({str(f): (int(c), int(i)) for f, c, i in rows})


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 so a writer that truncates it keeps the mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    os.close(fd)


def compact(
    directory: Path | None = None,
    now: dt.datetime | None = None,
    problems: Callable[[str], None] | None = None,
) -> list[Path]:
    """Rewrite each closed day's raw files as one Parquet file, mode 0600 like the raw
    files (victim addresses), then remove the raw files.

    A day is closed five minutes after its UTC midnight, so late batches have landed.
    A raw file with lines readers leave out (corrupt, impossible timestamps) is moved to
    ``corrupt/`` instead of being deleted, and ``problems`` is told.
    """
    directory = directory or default_dir()
    clock = now or dt.datetime.now(dt.UTC)
    closed_before = (clock - dt.timedelta(minutes=5)).date()
    by_day: dict[dt.date, list[Path]] = {}
    for day, _worker, kind, path in list_files(directory):
        if kind == "jsonl" and day < closed_before:
            by_day.setdefault(day, []).append(path)
    cols = ", ".join(COLUMNS)
    written = []
    for day, raw in sorted(by_day.items()):
        target = event_file(directory, day, "compacted", "parquet")
        raw = [p for p in raw if p.stat().st_size > 0] or raw
        has_target = target.exists()
        parts = [f"SELECT * FROM ({_raw_sql('$raw')})"]
        if has_target:
            parts.append(f"SELECT * FROM ({_parquet_sql('$old')})")
        tmp = target.with_suffix(".parquet.tmp")
        _private_file(tmp)
        params: dict[str, object] = {"raw": [str(p) for p in raw], "tmp": str(tmp)}
        if has_target:
            params["old"] = [str(target)]
        con = duckdb.connect(":memory:")
        try:
            union = " UNION ALL ".join(f"({p})" for p in parts)
            bad = con.execute(
                "SELECT _file, count(*) FILTER (WHERE ts IS NULL), "
                f"count(*) FILTER (WHERE ts IS NOT NULL AND NOT _ok) FROM ({union}) "
                "GROUP BY _file HAVING count(*) FILTER (WHERE ts IS NULL OR NOT _ok) > 0",
                {k: v for k, v in params.items() if k != "tmp"},
            ).fetchall()
            con.execute(
                f"COPY (SELECT {cols} FROM ({union}) WHERE ts IS NOT NULL AND _ok ORDER BY ts) "
                "TO $tmp (FORMAT parquet, COMPRESSION zstd)",
                params,
            )
        finally:
            con.close()
        os.chmod(tmp, 0o600)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        _fsync_dir(directory)
        damaged = {Path(f) for f, _c, _i in bad}
        for f, c, i in bad:
            if problems is not None:
                problems(
                    f"{f}: {c:,} corrupt line(s), {i:,} impossible timestamp(s) not compacted; "
                    f"the file is kept in {directory / 'corrupt'}"
                )
        for p in raw:
            if p in damaged:
                (directory / "corrupt").mkdir(mode=0o700, exist_ok=True)
                os.replace(p, directory / "corrupt" / p.name)
            else:
                p.unlink()
        written.append(target)
    return written
