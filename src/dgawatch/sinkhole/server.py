"""The listeners: DNS over UDP and TCP and HTTP, on one asyncio loop per process.

An event is acknowledged (the DNS answer sent, the HTTP response written, the counter
``acknowledged`` incremented) only from the event store's durability callback. Floods and
slow clients are bounded: at most ``max_connections`` TCP connections (more are closed at
once), a request head of at most ``max_header`` bytes, a deadline for every request
(slowloris) and for idle keep-alive connections, reads paused while a connection waits on
many responses or cannot take more output, and queries shed while the store's backlog is
full. The connection cap stays below the open-files limit (with a margin), so accept()
never runs out of descriptors. When the store cannot write (a full disk, an I/O error) the
listeners stop acknowledging: no DNS answer, HTTP 503, for every event not stored; the
status and the log say so once, other queries are still answered, and the first batch the
disk takes again resumes acknowledging. A shutdown waits at most ``shutdown_timeout``
seconds for the store. ``--workers N`` forks N such processes, each with its own event files and
acknowledgement record: they share one UDP socket bound by the parent (whichever worker is
free reads the next datagrams) and the TCP ports through SO_REUSEPORT.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import errno
import functools
import json
import math
import os
import re
import resource
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dgawatch.errors import DgawatchError, InputError
from dgawatch.families.base import Variant
from dgawatch.sinkhole.dns import NXDOMAIN, REFUSED, Answer, DnsCounters, DnsHandler, qtype_text
from dgawatch.sinkhole.events import SCHEMA_VERSION
from dgawatch.sinkhole.http import (
    BAD_REQUEST,
    LENGTH_REQUIRED,
    OK_CLOSE,
    OK_KEEP,
    TOO_LARGE,
    UNAVAILABLE,
    BadRequest,
    Request,
    parse_head,
)
from dgawatch.sinkhole.names import SinkholeSet, window, write_held
from dgawatch.sinkhole.plan import AddressPlan, write_plan
from dgawatch.sinkhole.store import EventStore, default_dir


@dataclass
class ServeConfig:
    variants: Sequence[Variant]
    addresses: tuple[str, ...] = ()
    addresses6: tuple[str, ...] = ()
    listen: str = "127.0.0.1"
    dns_port: int | None = 53
    http_ports: tuple[int, ...] = (80,)
    directory: Path = field(default_factory=default_dir)
    retention_days: int | None = None
    ttl: int = 300
    radius: int = 1
    max_names_per_day: int | None = None
    unknown: str = "refused"
    max_connections: int = 20_000
    #: The user gave --max-connections: say so when the open-files limit lowers it (the
    #: default lowered is not news: the limit in use is in the start-up line).
    max_connections_given: bool = True
    request_timeout: float = 10.0
    idle_timeout: float = 5.0
    max_header: int = 8192
    max_body: int = 1 << 20
    worker: str = "0"
    workers: int = 1
    status_interval: float = 1.0
    #: Seconds a shutdown waits for the store before failing what it still holds.
    shutdown_timeout: float = 5.0
    #: Seconds between retries of a failed midnight rebuild or held-names file.
    refresh_retry: float = 60.0
    #: A UDP socket bound by the parent and shared by all workers (see :func:`serve`).
    udp_socket: socket.socket | None = None
    today: Callable[[], dt.date] = field(default=lambda: dt.datetime.now(dt.UTC).date())

    def check(self) -> None:
        if not self.addresses and not self.addresses6:
            raise InputError("give the sinkhole address: --address (and/or --address6)")
        if self.unknown not in ("refused", "nxdomain"):
            raise InputError("--unknown must be refused or nxdomain")
        if self.workers < 1:
            raise InputError("--workers must be at least 1")
        check_worker_name(self.worker)
        if self.workers > 1 and (self.dns_port == 0 or 0 in self.http_ports):
            raise InputError("--workers > 1 needs fixed ports (not 0)")
        for name, port in [("--dns-port", self.dns_port)] + [
            ("--http-port", p) for p in self.http_ports
        ]:
            if port is not None and not 0 <= port <= 65535:
                raise InputError(f"{name} must be 0..65535 (got {port})")
        if self.max_connections < 1:
            raise InputError(f"--max-connections must be at least 1 (got {self.max_connections})")
        for name, value in (
            ("--request-timeout", self.request_timeout),
            ("--idle-timeout", self.idle_timeout),
        ):
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number of seconds (got {value})")
        if self.max_names_per_day is not None and self.max_names_per_day < 1:
            raise InputError(
                f"--max-names-per-day must be at least 1 (got {self.max_names_per_day})"
            )
        if not 0 <= self.ttl <= 2_147_483_647:
            raise InputError(f"--ttl must be 0..2147483647 seconds (got {self.ttl})")
        if self.retention_days is not None and self.retention_days < 1:
            raise InputError(f"--retention-days must be at least 1 (got {self.retention_days})")


@dataclass
class HttpCounters:
    connections: int = 0
    requests: int = 0
    acknowledged: int = 0
    conficker_ab: int = 0
    malformed: int = 0
    too_large: int = 0
    unsupported: int = 0
    timed_out: int = 0
    rejected: int = 0  # over max_connections
    shed: int = 0  # store backlog full
    accept_errors: int = 0  # accept() out of descriptors/memory (the cap keeps this 0)

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


#: Query names that need no JSON escaping (the usual case).
_PLAIN = re.compile(r"[a-z0-9._-]*")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def log(message: str) -> None:
    """One line on stderr (the listeners log state changes, never per packet)."""
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"{stamp} dgawatch sinkhole: {message}\n")
        sys.stderr.flush()


def connection_cap(configured: int) -> tuple[int, int]:
    """(connections allowed, open-files limit): ``configured``, lowered to leave a margin
    below RLIMIT_NOFILE for the listening sockets, event files, status and accept() of a
    connection that is then closed at once."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return configured, -1
    margin = 64 + soft // 32
    return max(1, min(configured, soft - margin)), soft


def raise_nofile_limit() -> int:
    """Raise the soft open-files limit to the hard limit (10,000 sockets need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


class Sinkhole:
    """One process's listeners, sharing one sinkholed set and one event store."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.store = EventStore(
            config.directory, worker=config.worker, retention_days=config.retention_days
        )
        self.http = HttpCounters()
        self.dns_tcp_connections = 0
        self.conns: set[_Conn] = set()
        self.handler: DnsHandler | None = None
        self.ports: dict[str, object] = {}
        self._servers: list[_TcpListener] = []
        #: connections accepted whose transport is still being made (count against the cap)
        self.starting = 0
        self._udp: list[_DnsUdp] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.day: dt.date | None = None
        self._tails: dict[str, tuple[object, str]] = {}
        self.max_connections = config.max_connections
        self.nofile = -1
        self._cap_logged = False
        self._accept_logged = 0.0
        #: The last rebuild of the sinkholed set (midnight) and the held-names file.
        self.refresh_state: dict[str, object] = {"ok": True, "error": None, "failures": 0}
        self._held_due: SinkholeSet | None = None
        self._wake = asyncio.Event()
        self.store.on_state = self._store_state

    def _store_state(self, error: str | None) -> None:
        if error is not None:
            log(
                f"cannot write events to {self.config.directory} ({error}): sinkholed queries "
                "get no answer and HTTP gets 503 until the disk takes writes again"
            )
        else:
            log(f"event store writable again; {self.store.failed:,} events were not stored")
        self.write_status()

    # -- the sinkholed set -----------------------------------------------------------------

    def build(self, day: dt.date) -> DnsHandler:
        cfg = self.config
        sinkset = SinkholeSet(
            cfg.variants, window(day, cfg.radius), max_names_per_day=cfg.max_names_per_day
        )
        try:
            self._write_held(sinkset)
            self._held_due = None
        except OSError as exc:
            self._held_due = sinkset  # retried by the refresh task
            self._refresh_failed(f"cannot write the held-names file: {exc}")
        # The address plan (which address answers which variant / half), kept in the store
        # for stats and reports.
        plan = AddressPlan.assign(cfg.variants, cfg.addresses, cfg.addresses6)
        write_plan(cfg.directory, plan)
        old = self.handler
        return DnsHandler(
            sinkset,
            cfg.addresses,
            cfg.addresses6,
            ttl=cfg.ttl,
            serial=int(day.strftime("%Y%m%d")) * 100 + 1,
            unknown_rcode=NXDOMAIN if cfg.unknown == "nxdomain" else REFUSED,
            counters=old.counters if old is not None else DnsCounters(),
            plan=plan,
        )

    def _write_held(self, sinkset: SinkholeSet) -> None:
        """``held-<day>.json``: names held per variant (the k of the k-of-D estimate)."""
        directory = self.config.directory
        directory.mkdir(parents=True, exist_ok=True)
        per_day: dict[str, dict[str, int]] = {}
        for (family, variant, day), n in sinkset.held.items():
            per_day.setdefault(day.isoformat(), {})[f"{family}/{variant}"] = n
        for day_text, held in per_day.items():
            write_held(directory, day_text, held, sinkset.max_names_per_day)

    def _refresh_failed(self, message: str) -> None:
        state = self.refresh_state
        if state["ok"] or state["error"] != message:
            log(f"{message}; retrying every {self.config.refresh_retry:g} s")
        state.update(ok=False, error=message, failures=int(state["failures"]) + 1)  # type: ignore[call-overload]

    def _refresh_ok(self) -> None:
        if not self.refresh_state["ok"]:
            log(f"sinkholed set and held-names file for {self.day} written")
        self.refresh_state.update(ok=True, error=None)

    async def refresh(self, day: dt.date) -> bool:
        """Serve ``day``'s sinkholed set (and apply retention); False, logged and shown in
        the status, if something failed (the refresh task retries)."""
        loop = asyncio.get_running_loop()
        try:
            self.handler = await loop.run_in_executor(None, self.build, day)
            self.day = day
            await loop.run_in_executor(None, self.store.apply_retention)
        except Exception as exc:  # a dead refresh task would serve old names for ever
            self._refresh_failed(f"cannot rebuild the sinkholed set for {day}: {exc}")
            self._wake.set()  # the refresh task may sleep until midnight: retry sooner
            return False
        if self._held_due is None:
            self._refresh_ok()
            return True
        self._wake.set()
        return False

    async def _retry_held(self) -> None:
        sinkset = self._held_due
        if sinkset is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._write_held, sinkset)
        except OSError as exc:
            self._refresh_failed(f"cannot write the held-names file: {exc}")
            return
        if self._held_due is sinkset:
            self._held_due = None
            self._refresh_ok()

    async def _refresh_at_midnight(self) -> None:
        while True:
            now = dt.datetime.now(dt.UTC)
            midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
            wait = (midnight - now).total_seconds() + 0.01
            if not self.refresh_state["ok"]:
                wait = min(wait, self.config.refresh_retry)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), wait)
                continue  # a failure: sleep again, for the retry interval
            except TimeoutError:
                pass
            day = self.config.today()
            if day != self.day or (self._held_due is None and not self.refresh_state["ok"]):
                await self.refresh(day)
            else:
                await self._retry_held()

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        cfg = self.config
        loop = asyncio.get_running_loop()
        self.max_connections, self.nofile = connection_cap(cfg.max_connections)
        if self.max_connections < cfg.max_connections and cfg.max_connections_given:
            log(
                f"--max-connections {cfg.max_connections} lowered to {self.max_connections}: "
                f"the open-files limit is {self.nofile} (raise it with ulimit -n)"
            )
        self.store.open()
        if self.store.rolled_back or self.store.repaired_nul:
            log(
                f"recovered the event store: {self.store.rolled_back:,} unacknowledged events "
                f"cut, {self.store.repaired_nul:,} NUL bytes (power loss) turned into newlines"
            )
        self.day = cfg.today()
        self.handler = await loop.run_in_executor(None, self.build, self.day)
        reuse = cfg.workers > 1
        if cfg.dns_port is not None:
            try:
                await self._listen_dns(loop, reuse)
            except OSError as exc:
                raise listen_error(
                    exc, cfg.listen, "--dns-port", cfg.dns_port, cfg.workers == 1
                ) from None
        http_ports = []
        for p in cfg.http_ports:
            try:
                srv = _TcpListener(self, lambda: _Http(self), cfg.listen, p, reuse)
            except OSError as exc:
                raise listen_error(exc, cfg.listen, "--http-port", p, cfg.workers == 1) from None
            self._servers.append(srv)
            http_ports.append(srv.port)
        self.ports["http"] = http_ports
        self._tasks.append(asyncio.create_task(self._sweep()))
        self._tasks.append(asyncio.create_task(self._refresh_at_midnight()))
        if cfg.status_interval > 0:
            self._tasks.append(asyncio.create_task(self._status_loop()))
        self.write_status()

    async def _listen_dns(self, loop: asyncio.AbstractEventLoop, reuse: bool) -> None:
        """The DNS listeners, UDP and TCP on one port."""
        cfg = self.config
        assert cfg.dns_port is not None
        for attempt in range(20):
            udp = _DnsUdp(self, cfg.listen, cfg.dns_port, reuse, cfg.udp_socket)
            port = udp.port
            try:
                tcp = _TcpListener(self, lambda: _DnsTcp(self), cfg.listen, port, reuse)
            except OSError:
                # Port 0: the free UDP port may be taken for TCP; try another one.
                if cfg.udp_socket is not None:
                    raise
                udp.sock.close()
                if cfg.dns_port != 0 or attempt == 19:
                    raise
                continue
            break
        udp.start(loop)
        self._udp.append(udp)
        self._servers.append(tcp)
        self.ports["dns"] = port

    def accept_failed(self, exc: OSError) -> None:
        """accept() out of descriptors or memory: counted, logged once a minute."""
        self.http.accept_errors += 1
        now = time.monotonic()
        if now - self._accept_logged > 60:
            self._accept_logged = now
            log(
                f"accept() failed: {exc}; "
                f"{self.http.accept_errors:,} so far (counted as http.accept_errors)"
            )

    def rejected(self) -> None:
        """A connection over the cap: closed at once, counted, logged the first time."""
        self.http.rejected += 1
        if not self._cap_logged:
            self._cap_logged = True
            log(
                f"{self.max_connections:,} connections open: more are closed at once "
                "(counted as http.rejected)"
            )

    async def stop(self) -> None:
        for srv in self._servers:
            srv.close()
        for u in self._udp:
            u.close()
        for conn in list(self.conns):
            conn.abort()
        for task in self._tasks:
            task.cancel()
        if not await self.store.drain(self.config.shutdown_timeout):
            lost = self.store.abandon()
            log(
                f"shutdown: the store did not finish within {self.config.shutdown_timeout:g} s; "
                f"{lost:,} queued events were not stored (none of them was answered)"
            )
        self.store.close()
        self.write_status()

    # -- housekeeping ---------------------------------------------------------------------

    async def _sweep(self) -> None:
        """Close connections past their deadline (slowloris, idle keep-alive)."""
        while True:
            await asyncio.sleep(0.25)
            now = time.monotonic()
            # Waiting on an acknowledgement counts too: a store that cannot write must
            # not hold connections open for ever.
            for conn in [c for c in self.conns if c.deadline < now]:
                conn.timed_out()

    async def _status_loop(self) -> None:
        while True:
            self.write_status()
            await asyncio.sleep(self.config.status_interval)

    def status(self) -> dict[str, object]:
        return {
            "pid": os.getpid(),
            "worker": self.config.worker,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sinkholed_names": len(self.handler.sinkset) if self.handler else 0,
            "days": [d.isoformat() for d in self.handler.sinkset.days] if self.handler else [],
            "open_connections": len(self.conns),
            "max_connections": self.max_connections,
            "open_files_limit": self.nofile,
            "refresh": dict(self.refresh_state),
            "dns": self.handler.counters.to_dict() if self.handler else {},
            "http": self.http.to_dict(),
            "store": {
                "writable": self.store.error is None,
                "error": self.store.error,
                "error_since": (
                    dt.datetime.fromtimestamp(self.store.error_since, dt.UTC).isoformat(
                        timespec="seconds"
                    )
                    if self.store.error_since is not None
                    else None
                ),
                "acknowledged": self.store.acknowledged,
                "failed": self.store.failed,
                "failed_batches": self.store.failed_batches,
                "batches": self.store.batches,
                "pending": self.store.pending,
                "inflight": self.store.inflight,
                "rolled_back": self.store.rolled_back,
                "repaired_nul_bytes": self.store.repaired_nul,
                "bytes": self.store.bytes_written,
            },
        }

    def write_status(self) -> None:
        """Atomically (temp file + rename); on a full disk, in place over the old file's
        bytes, so the status can still say the disk is full. Padded with spaces to whole
        4 KiB blocks, so the in-place write needs no new block."""
        target = self.config.directory / f"status.{self.config.worker}.json"
        tmp = target.with_name(f".{target.name}.tmp")
        data = json.dumps(self.status()).encode()
        data = data.ljust(-(-(len(data) + 512) // 4096) * 4096)
        try:
            tmp.write_bytes(data)
            os.replace(tmp, target)
            return
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
        with contextlib.suppress(OSError):
            fd = os.open(target, os.O_WRONLY)
            try:
                size = os.fstat(fd).st_size
                if len(data) <= size:
                    os.pwrite(fd, data.ljust(size), 0)
            finally:
                os.close(fd)

    # -- events -----------------------------------------------------------------------------

    def dns_line(
        self, proto: str, src: tuple[str, int], dst: tuple[str, int], a: Answer, ts: int
    ) -> bytes:
        """One DNS event as a JSON line (the hot path: the per-name part is cached)."""
        m = a.match
        assert m is not None
        tail = self._tails.get(m.apex)
        if tail is None or tail[0] is not m.attributions:
            first = m.attributions[0]
            doc: dict[str, object] = {
                "domain": m.apex,
                "family": first.family,
                "variant": first.variant,
                "day": first.day.isoformat(),
            }
            if len(m.attributions) > 1:
                doc["also"] = [f"{x.family}/{x.variant}/{x.day}" for x in m.attributions[1:]]
            doc["worker"] = self.config.worker
            if len(self._tails) > 500_000:
                self._tails.clear()
            tail = (m.attributions, json.dumps(doc, separators=(",", ":"))[1:])
            self._tails[m.apex] = tail
        qname = a.qname or ""
        if not _PLAIN.fullmatch(qname):
            qname = json.dumps(qname)[1:-1]
        return (
            f'{{"v":{SCHEMA_VERSION},"ts":{ts},"proto":"{proto}","src_ip":"{src[0]}",'
            f'"src_port":{src[1]},'
            f'"dst_ip":"{dst[0]}","dst_port":{dst[1]},"qname":"{qname}",'
            f'"qtype":"{qtype_text(a.qtype)}","rcode":"NOERROR",{tail[1]}\n'
        ).encode()

    def record_line(self, ts: int, line: bytes, done: Callable[[bool], None]) -> bool:
        if self.store.overloaded:
            return False
        self.store.append(ts, line, done)
        return True

    def record(self, doc: dict[str, object], done: Callable[[bool], None]) -> bool:
        """Queue an event; False (nothing queued) while the store is overloaded."""
        if self.store.overloaded:
            return False
        ts = now_ms()
        doc["ts"] = ts
        line = (json.dumps(doc, separators=(",", ":")) + "\n").encode()
        self.store.append(ts, line, done)
        return True


# -- protocols -----------------------------------------------------------------------------


#: A writer's name is part of its event and acknowledgement file names.
WORKER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


def check_worker_name(name: str) -> None:
    """``--worker``: letters, digits, '_' and '-' (it names files in the event store; a
    '/' or '..' would write outside it)."""
    if not WORKER_NAME.fullmatch(name):
        raise InputError(
            f"--worker {name!r}: give 1 to 32 letters, digits, '_' or '-' (it names the "
            "writer's event files)"
        )


def listen_error(
    exc: OSError, host: str, option: str, port: int, any_free: bool = True
) -> InputError:
    """One line naming the option whose port could not be taken, and what to do
    (``any_free``: port 0 is allowed, i.e. not with ``--workers`` > 1)."""
    if isinstance(exc, socket.gaierror):
        return InputError(
            f"--listen {host}: not an address of this machine ({exc.strerror}); give an IP "
            "address, e.g. --listen 127.0.0.1"
        )
    if exc.errno == errno.EADDRINUSE:
        hint = f"the port is in use (another server?): pick a free one with {option} PORT"
        if port != 0 and any_free:
            hint += f" ({option} 0 = any free port)"
    elif exc.errno == errno.EACCES:
        hint = (
            f"ports below 1024 need privileges: run with CAP_NET_BIND_SERVICE, or pick "
            f"{option} 1024 or above"
        )
    elif exc.errno == errno.EADDRNOTAVAIL:
        hint = f"{host} is not an address of this machine: pick one with --listen"
    else:
        hint = exc.strerror or str(exc)
    return InputError(f"cannot listen on {host} {option} {port}: {hint}")


def udp_socket(host: str, port: int, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
        sock.bind((host, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class _TcpListener:
    """A listening TCP socket whose accept() is ours. A connection over the cap is closed in
    the same call that accepted it, so open descriptors stay within the cap plus the fixed
    margin of :func:`connection_cap`. (asyncio's server accepts up to its backlog, 4,096, a
    tick and the protocol could close those over the cap only two ticks later: a burst of
    connections ran the process out of descriptors, and accept() failed with EMFILE.)"""

    BURST = 64
    BACKLOG = 4096

    def __init__(
        self, sink: Sinkhole, factory: Callable[[], _Conn], host: str, port: int, reuse: bool
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
        # proto IPPROTO_TCP, as asyncio's own: its transports set TCP_NODELAY only on such
        # sockets, and without it pipelined answers wait on Nagle (half the throughput)
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address[0][4])
            sock.listen(self.BACKLOG)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        self.sink = sink
        self.factory = factory
        self.loop = asyncio.get_running_loop()
        self.starting: set[asyncio.Task[None]] = set()
        self.closed = False
        self.loop.add_reader(sock.fileno(), self._accept)

    def _accept(self) -> None:
        sink = self.sink
        for _ in range(self.BURST):
            try:
                conn, _addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # out of descriptors or memory: wait, as asyncio does
                sink.accept_failed(exc)
                self.loop.remove_reader(self.sock.fileno())
                self.loop.call_later(1.0, self._resume)
                return
            if len(sink.conns) + sink.starting >= sink.max_connections:
                conn.close()
                sink.rejected()
                continue
            conn.setblocking(False)
            sink.starting += 1
            task = self.loop.create_task(self._start(conn))
            self.starting.add(task)
            task.add_done_callback(self.starting.discard)

    async def _start(self, conn: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(self.factory, conn)
        except OSError:  # the client reset it before its transport was made
            conn.close()
        finally:
            self.sink.starting -= 1

    def _resume(self) -> None:
        if not self.closed:
            self.loop.add_reader(self.sock.fileno(), self._accept)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.loop.remove_reader(self.sock.fileno())
            self.sock.close()
            for task in self.starting:
                task.cancel()


class _DnsUdp:
    """UDP without asyncio's datagram transport, which wakes the loop once per datagram:
    here one readiness callback drains up to ``BURST`` datagrams.

    The hot path: answers are cached by the query's bytes after its id (an answer depends
    on nothing else), with the query-specific part of the event line, so a repeated query
    costs a dict lookup, the id copied into the cached answer, and one formatted line. The
    answers of one store batch wait in one list, sent by one commit callback.
    """

    BURST = 256
    CACHE = 65_536

    def __init__(
        self,
        sink: Sinkhole,
        host: str,
        port: int,
        reuse_port: bool,
        sock: socket.socket | None = None,
    ) -> None:
        self.sink = sink
        self.sock = sock if sock is not None else udp_socket(host, port, reuse_port)
        self.local: tuple[str, int] = self.sock.getsockname()[:2]
        self.port = self.local[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        #: query bytes after the id -> (answer after the id, event line after src_port)
        self._cache: dict[bytes, tuple[bytes, str | None]] = {}
        self._cache_for: DnsHandler | None = None
        self._box: list[tuple[bytes, tuple[str, int]]] = []
        self._box_no = -1

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._readable)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()

    def _send_all(self, box: list[tuple[bytes, tuple[str, int]]], ok: bool) -> None:
        if not ok:
            return
        send = self.sock.sendto
        for wire, addr in box:
            with contextlib.suppress(OSError):  # full buffer or gone: UDP may drop
                send(wire, addr)

    def _miss(self, handler: DnsHandler, data: bytes) -> tuple[bytes | None, str | None]:
        """Answer through the handler; cache what the byte-level path answered."""
        slow = handler.counters.slow_path
        answer = handler.handle(data, 1232)
        wire = answer.wire
        if wire is None:
            return None, None
        rest = None
        if answer.match is not None:
            line = self.sink.dns_line("dns/udp", ("", 0), self.local, answer, 0)
            rest = line[line.index(b',"dst_ip"') :].decode()
        if handler.counters.slow_path == slow and (
            answer.match is not None or answer.rcode == REFUSED
        ):
            if len(self._cache) >= self.CACHE:
                self._cache.clear()
            self._cache[data[2:]] = (wire[2:], rest)
        return wire, rest

    def _readable(self) -> None:
        sink = self.sink
        handler = sink.handler
        if handler is None:
            return
        if handler is not self._cache_for:
            self._cache.clear()
            self._cache_for = handler
        counters = handler.counters
        cache = self._cache
        store = sink.store
        recv = self.sock.recvfrom
        send = self.sock.sendto
        ts = now_ms()
        for _ in range(self.BURST):
            try:
                data, addr = recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            hit = cache.get(data[2:])
            if hit is None:
                wire, rest = self._miss(handler, data)
                if wire is None:
                    continue
            else:
                counters.queries += 1
                wire = data[:2] + hit[0]
                rest = hit[1]
                if rest is not None:
                    counters.sinkholed += 1
                else:
                    counters.refused += 1
            if rest is None:
                with contextlib.suppress(OSError):
                    send(wire, addr)
                continue
            if store.overloaded:
                continue  # shed: no answer without its event on disk
            if store.batch_no != self._box_no:
                self._box = []
                self._box_no = store.batch_no
                store.on_commit(functools.partial(self._send_all, self._box))
            self._box.append((wire, addr))
            store.append(
                ts,
                f'{{"v":{SCHEMA_VERSION},"ts":{ts},"proto":"dns/udp","src_ip":"{addr[0]}",'
                f'"src_port":{addr[1]}{rest}'.encode(),
            )


class _Conn(asyncio.Protocol):
    """A TCP connection with a deadline, counted against ``max_connections``."""

    timeout: float = 10.0

    def __init__(self, sink: Sinkhole) -> None:
        self.sink = sink
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.pending = 0
        self.deadline = time.monotonic() + sink.config.request_timeout
        self.peer: tuple[str, int] = ("", 0)
        self.local: tuple[str, int] = ("", 0)
        self.closing = False
        self.paused = False
        self.eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if len(self.sink.conns) >= self.sink.max_connections:
            self.sink.rejected()
            transport.abort()  # type: ignore[attr-defined]
            self.transport = None
            return
        self.sink.conns.add(self)
        self.peer = transport.get_extra_info("peername")[:2]
        self.local = transport.get_extra_info("sockname")[:2]

    def connection_lost(self, exc: Exception | None) -> None:
        self.sink.conns.discard(self)
        self.transport = None

    def eof_received(self) -> bool:
        """A half-close (shutdown(SHUT_WR)) after a request: keep the transport open to
        write the answers still waiting on the store, then close."""
        self.eof = True
        return self.pending > 0

    def answered(self) -> None:
        """After an answer: close a half-closed connection once nothing is waiting."""
        if self.eof and self.pending == 0 and self.transport is not None:
            self.transport.close()

    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.paused:
            self.transport.resume_reading()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def timed_out(self) -> None:
        self.sink.http.timed_out += 1
        self.abort()

    def fail(self, response: bytes) -> None:
        self.closing = True
        self.buf.clear()
        if self.transport is not None:
            self.transport.write(response)
            self.transport.close()

    def _wait_more(self) -> None:
        if self.pending == 0:
            # Waiting on the store: bounded by the request timeout (see _sweep).
            self.deadline = max(self.deadline, time.monotonic() + self.sink.config.request_timeout)
        self.pending += 1
        if self.pending > 64 and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _waited(self) -> None:
        self.pending -= 1
        if self.paused and self.pending < 16 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()


class _DnsTcp(_Conn):
    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        self.buf += data
        handler = self.sink.handler
        while len(self.buf) >= 2 and handler is not None:
            size = (self.buf[0] << 8) | self.buf[1]
            if len(self.buf) < 2 + size:
                return
            query = bytes(self.buf[2 : 2 + size])
            del self.buf[: 2 + size]
            self.deadline = time.monotonic() + self.sink.config.request_timeout
            answer = handler.handle(query, 65535)
            if answer.wire is None:
                continue
            framed = len(answer.wire).to_bytes(2, "big") + answer.wire
            if answer.match is None:
                if self.transport is not None:
                    self.transport.write(framed)
                continue
            ts = now_ms()
            line = self.sink.dns_line("dns/tcp", self.peer, self.local, answer, ts)
            self._wait_more()

            def done(ok: bool, framed: bytes = framed) -> None:
                self._waited()
                if ok and self.transport is not None:
                    self.transport.write(framed)
                self.answered()

            if not self.sink.record_line(ts, line, done):
                self.pending -= 1
                self.abort()
                return


class _Http(_Conn):
    def __init__(self, sink: Sinkhole) -> None:
        super().__init__(sink)
        self.request: Request | None = None
        self.body_left = 0
        self.body_seen = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.transport is not None:
            self.sink.http.connections += 1

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if not self.buf and self.body_left == 0 and self.pending == 0:
            # First bytes of a new request: its whole head must arrive before this.
            self.deadline = time.monotonic() + self.sink.config.request_timeout
        self.buf += data
        self._process()

    def _process(self) -> None:
        cfg = self.sink.config
        buf = self.buf
        while not self.closing:
            if self.request is not None:
                take = min(self.body_left, len(buf))
                del buf[:take]
                self.body_left -= take
                self.body_seen += take
                if self.body_left:
                    return
                self._complete()
                continue
            # Blank lines before a request are allowed (RFC 9112 §2.2).
            while buf[:2] == b"\r\n":
                del buf[:2]
            end = buf.find(b"\r\n\r\n", 0, cfg.max_header + 4)
            sep = 4
            if end < 0:
                end = buf.find(b"\n\n", 0, cfg.max_header + 2)
                sep = 2
            if end < 0:
                if len(buf) > cfg.max_header:
                    self.sink.http.too_large += 1
                    self.fail(TOO_LARGE)
                return
            head = bytes(buf[:end])
            del buf[: end + sep]
            try:
                req = parse_head(head, cfg.max_body)
            except BadRequest:
                self.sink.http.malformed += 1
                self.fail(BAD_REQUEST)
                return
            if req.chunked:
                self.sink.http.unsupported += 1
                self.fail(LENGTH_REQUIRED)
                return
            self.request = req
            self.body_left = req.content_length
            self.body_seen = 0

    def _complete(self) -> None:
        req = self.request
        assert req is not None
        self.request = None
        sink = self.sink
        sink.http.requests += 1
        ab = req.conficker_ab
        doc: dict[str, object] = {
            "v": SCHEMA_VERSION,
            "ts": 0,
            "proto": "http",
            "src_ip": self.peer[0],
            "src_port": self.peer[1],
            "dst_ip": self.local[0],
            "dst_port": self.local[1],
            "request_line": req.request_line,
            "method": req.method,
            "path": req.target,
            "headers": [list(h) for h in req.headers],
            "host": req.host,
            "user_agent": req.user_agent,
            "body_len": self.body_seen,
            "conficker_ab": ab,
            "worker": sink.config.worker,
        }
        keep = req.keep_alive
        if not keep:
            self.closing = True
        self._wait_more()

        def done(ok: bool) -> None:
            self._waited()
            transport = self.transport
            if transport is None:
                return
            if not ok:
                self.fail(UNAVAILABLE)
                return
            sink.http.acknowledged += 1
            sink.http.conficker_ab += ab
            transport.write(OK_KEEP if keep else OK_CLOSE)
            if not keep:
                transport.close()
            elif self.pending == 0 and not self.buf:
                self.deadline = time.monotonic() + sink.config.idle_timeout
            self.answered()

        if not sink.record(doc, done):
            self.pending -= 1
            sink.http.shed += 1
            self.fail(UNAVAILABLE)


# -- running ---------------------------------------------------------------------------------


async def run(
    config: ServeConfig, ready: Callable[[dict[str, object]], None] | None = None
) -> None:
    """Serve until SIGTERM/SIGINT, then finish and sync what is pending."""
    sink = Sinkhole(config)
    await sink.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    # a --workers child held them blocked until now (see serve): one that came meanwhile
    # is delivered here, to the loop's handler, and stops the worker cleanly
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    info = {
        "pid": os.getpid(),
        "worker": config.worker,
        **sink.ports,
        "names": len(sink.handler.sinkset) if sink.handler else 0,
        # the cap in use (--max-connections, lowered to fit the open-files limit)
        "max_connections": sink.max_connections,
    }
    if ready is not None:
        ready(info)
    await stop.wait()
    await sink.stop()


def _die_with_parent() -> None:
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def serve(config: ServeConfig, ready: Callable[[dict[str, object]], None] | None = None) -> None:
    config.check()
    raise_nofile_limit()
    if config.workers == 1:
        asyncio.run(run(config, ready))
        return
    base = config.worker
    if config.dns_port is not None and config.udp_socket is None:
        # One UDP socket for all workers: whichever is free reads the next datagrams, so
        # the load balances itself (SO_REUSEPORT would pin each client address to one).
        try:
            config.udp_socket = udp_socket(config.listen, config.dns_port)
        except OSError as exc:
            raise listen_error(
                exc, config.listen, "--dns-port", config.dns_port, any_free=False
            ) from None
    # A worker that cannot start (a taken or privileged port, an unwritable store) says why
    # on this pipe and exits non-zero; the parent then stops the others and reports it.
    read_end, write_end = os.pipe()
    children: dict[int, str] = {}
    stopping = False
    stopped_at = 0.0

    def stop_all() -> None:
        nonlocal stopped_at
        stopped_at = stopped_at or time.monotonic()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        stop_all()

    # SIGTERM/SIGINT stay blocked while forking, so none lands between two forks, and in
    # each child until its event loop has its own handlers (run): the CLI's handler raises
    # SystemExit wherever the child happens to be, and one raised inside asyncio's or a
    # lock's bookkeeping left a worker hung or printed a traceback.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for i in range(config.workers):
            name = f"{base}-{i}"
            pid = os.fork()
            if pid == 0:
                os.close(read_end)
                _die_with_parent()
                config.worker = name
                _worker(config, ready, write_end)
            children[pid] = name
        os.close(write_end)
        os.set_blocking(read_end, False)
        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    failed: tuple[str, int] | None = None
    running = set(children)
    killed: set[int] = set()
    while running:
        try:
            pid, status = _wait_child(lambda: stopped_at)
        except InterruptedError:
            continue
        except ChildProcessError:
            break
        if pid == 0:  # stopped workers that outlived the grace period are killed
            for pid in running - killed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            continue
        if pid not in running:
            continue
        running.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        if code != 0 and not stopping and failed is None:
            failed = (children[pid], code)
            stopping = True
            stop_all()
    sys.stdout.flush()
    try:
        said = os.read(read_end, 65536).decode("utf-8", "replace")
    except BlockingIOError:
        said = ""
    finally:
        os.close(read_end)
    others = "the other workers were stopped"
    if killed:
        names = ", ".join(sorted(children[pid] for pid in killed))
        why = f"worker {failed[0]} failed; " if failed else ""
        raise WorkerFailed(
            f"{why}worker(s) {names} did not stop within {STOP_GRACE_S:.0f} s and were killed: "
            "events they had not synced are lost"
        )
    if failed is None:
        return
    name, code = failed
    # each line is "<worker>\t<message>": the failed worker's own
    lines = [ln.partition("\t") for ln in said.splitlines() if ln.strip()]
    message = next((text for who, _, text in lines if who == name), "")
    if code == 2 and message:
        raise InputError(f"{message} (worker {name}; {others})")
    how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
    raise WorkerFailed(f"worker {name} {how}{': ' + message if message else ''}; {others}")


_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}

#: how long stopped workers may take to sync their events before the parent kills them
STOP_GRACE_S = 60.0


def _wait_child(stopped_at: Callable[[], float]) -> tuple[int, int]:
    """The next worker to exit, as ``os.waitpid``; ``(0, 0)`` once the workers were told to
    stop (at ``stopped_at()``, 0 before) and :data:`STOP_GRACE_S` has passed with some
    still running. Polls: a blocking ``waitpid`` would not return when a signal handler
    starts the stop."""
    while True:
        pid, status = os.waitpid(-1, os.WNOHANG)
        since = stopped_at()
        if pid or (since and time.monotonic() - since > STOP_GRACE_S):
            return pid, status
        time.sleep(0.1)


class WorkerFailed(Exception):
    """A ``--workers`` child that died of something unexpected (the CLI: exit status 1)."""


def _worker(
    config: ServeConfig, ready: Callable[[dict[str, object]], None] | None, report: int
) -> None:
    """One forked worker: serve, and on failure write one line to ``report`` and exit 2 (a
    user's mistake, e.g. a taken port) or 1 (anything else). Never returns."""
    code = 0
    message = ""
    try:
        asyncio.run(run(config, ready))
    except DgawatchError as exc:
        code, message = 2, str(exc)
    except SystemExit as exc:  # (SIGTERM stays blocked until the loop's handler: see serve)
        code = 0 if exc.code in (0, None, 128 + signal.SIGTERM) else 1
    except KeyboardInterrupt:
        code = 0
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        code, message = 2, f"{exc.strerror or exc}{where}"
    except BaseException as exc:
        code, message = 1, f"unexpected {type(exc).__name__}: {exc}"
    finally:
        if message:
            with contextlib.suppress(OSError):
                line = f"{config.worker}\t{' '.join(message.split())}\n"
                os.write(report, line.encode("utf-8", "replace"))
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os._exit(code)
