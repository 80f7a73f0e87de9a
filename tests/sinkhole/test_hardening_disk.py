"""A store that cannot write (full disk, I/O error): nothing is answered that is not stored,
the queue keeps moving, writing resumes by itself, and shutdown is bounded."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import resource
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from dgawatch.families import get_family
from dgawatch.sinkhole import store as store_mod
from dgawatch.sinkhole.store import EventStore, connect, count_events, list_files
from tests.sinkhole.test_store import T0, _event


class FailingStore(EventStore):
    """Writes fail with ENOSPC while ``full`` is set: a write error at the file layer."""

    full = False

    def _os_write(self, fd: int, data: memoryview) -> int:  # type: ignore[override]
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super()._os_write(fd, data)


def test_failed_writes_never_block_the_queue_and_writing_resumes(tmp_path: Path) -> None:
    states: list[str | None] = []
    results: dict[int, bool] = {}

    async def run() -> FailingStore:
        store = FailingStore(tmp_path, worker="w")
        store.open()
        store.on_state = states.append

        def done(i: int) -> Callable[[bool], None]:
            return lambda ok: results.__setitem__(i, ok)

        async def batch(first: int, n: int) -> None:
            for i in range(first, first + n):
                store.append(T0 + i, _event(i).to_line(), done(i))
            await asyncio.sleep(0.01)  # one batch each

        await batch(0, 5)
        await asyncio.wait_for(store.drain(), 5)
        store.full = True
        for b in range(8):  # more failed batches than max_inflight (4)
            await batch(100 + 10 * b, 10)
        assert await asyncio.wait_for(store.drain(), 5)  # before the fix: waited for ever
        assert store.error is not None and "No space" in store.error
        store.full = False
        for b in range(3):
            await batch(200 + 10 * b, 10)
        assert await asyncio.wait_for(store.drain(), 5)
        store.close()
        return store

    store = asyncio.run(run())
    ok = {i for i, v in results.items() if v}
    failed = {i for i, v in results.items() if not v}
    assert ok == set(range(5)) | set(range(200, 230))
    assert failed == set(range(100, 180))
    assert store.error is None and store.failed == 80 and store.acknowledged == 35
    assert states == [states[0], None] and "No space" in str(states[0])  # once each way
    # only acknowledged events are in the files, and no partial line
    assert count_events(tmp_path) == 35
    data = b"".join(p.read_bytes() for _d, _w, _k, p in list_files(tmp_path))
    assert data.count(b"\n") == 35 and data.endswith(b"\n")
    con = connect(tmp_path)
    paths = {r[0] for r in con.execute("SELECT path FROM events").fetchall()}
    assert paths == {f"/{i}" for i in ok}


def test_shutdown_is_bounded_when_the_disk_hangs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    release = threading.Event()
    real = store_mod._sync_all

    def hung(fds: list[int]) -> bool:
        release.wait(30)
        return real(fds)

    results: list[bool] = []

    async def run() -> tuple[bool, int]:
        store = EventStore(tmp_path, worker="w").open()
        monkeypatch.setattr(store_mod, "_sync_all", hung)
        for i in range(20):
            store.append(T0 + i, _event(i).to_line(), results.append)
            await asyncio.sleep(0)
        drained = await store.drain(timeout=0.3)
        lost = store.abandon()
        store.close()  # must not wait for the hung sync
        return drained, lost

    try:
        drained, lost = asyncio.run(run())
    finally:
        release.set()
    assert not drained and lost == 20
    assert results == [False] * 20  # nothing acknowledged, so nothing was answered


def _name() -> str:
    return get_family("conficker").variant("b").domains(dt.datetime.now(dt.UTC).date())[5]


def _ask(port: int, qnames: list[str], wait: float = 1.0) -> dict[str, int]:
    """Send every query at once; qname -> rcode of the answers that came back."""
    got: dict[str, int] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for q in qnames:
            s.sendto(dns.message.make_query(q, "A").to_wire(), ("127.0.0.1", port))
        s.settimeout(wait)
        try:
            while len(got) < len(qnames):
                r = dns.message.from_wire(s.recv(4096))
                got[r.question[0].name.to_text(omit_final_dot=True)] = r.rcode()
        except TimeoutError:
            pass
    return got


def _http(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /full HTTP/1.0\r\nHost: 192.0.2.1\r\n\r\n")
        return s.recv(4096)


def test_server_survives_a_full_disk(server_factory) -> None:  # type: ignore[no-untyped-def]
    """The disk fills (RLIMIT_FSIZE at the day file's size: every append fails with EFBIG),
    then takes writes again. Before the fix: 0 of 20 answered after recovery, SIGTERM
    ignored."""
    srv = server_factory("--family", "conficker", "--variant", "b", "--request-timeout", "2")
    name = _name()
    before = [f"b{i}.{name}" for i in range(100)]
    assert len(_ask(srv.dns_port, before)) == 100
    day_file = next(p for _d, _w, _k, p in list_files(srv.directory))
    pid = srv.proc.pid
    hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)[1]
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (day_file.stat().st_size, hard))
    full = [f"f{i}.{name}" for i in range(30)]
    answered_full = {}
    for k in range(0, 30, 3):  # ten separate batches
        answered_full.update(_ask(srv.dns_port, full[k : k + 3], wait=0.1))
    assert answered_full == {}  # nothing answered that is not stored
    other = _ask(srv.dns_port, ["example.org"])
    assert other == {"example.org": dns.rcode.REFUSED}  # what needs no store still works
    assert _http(srv.http_port).startswith(b"HTTP/1.1 503")
    time.sleep(1.2)  # the status file is rewritten every second
    st = srv.status()["store"]
    assert st["writable"] is False and "too large" in st["error"]
    assert st["failed"] >= 31 and st["pending"] == 0 and st["inflight"] == 0
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))  # space is back
    after = [f"a{i}.{name}" for i in range(20)]
    assert len(_ask(srv.dns_port, after)) == 20
    assert _http(srv.http_port).startswith(b"HTTP/1.1 200")
    assert srv.proc is not None and srv.proc.stderr is not None
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(15) == 0  # SIGTERM honoured
    log = srv.proc.stderr.read().decode()
    srv.stop()
    st = srv.status()["store"]
    assert st["writable"] is True and st["acknowledged"] == 121
    # said once when it broke and once when it recovered, not per packet
    assert log.count("cannot write events") == 1 and log.count("writable again") == 1, log
    assert count_events(srv.directory) == 121
    con = connect(srv.directory)
    stored = {
        r[0] for r in con.execute("SELECT qname FROM events WHERE qname IS NOT NULL").fetchall()
    }
    assert stored == set(before) | set(after)  # none of the unanswered ones


def test_waiting_connections_time_out_and_stop_is_bounded_on_a_hung_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fdatasync never returns: the HTTP client waiting on its acknowledgement is closed
    after the request timeout (before: held for ever), and stop() returns after the
    shutdown bound with the queued events failed (before: drain waited for ever)."""
    from dgawatch.sinkhole.server import ServeConfig, Sinkhole

    release = threading.Event()
    real = store_mod._sync_all

    def hung(fds: list[int]) -> bool:
        release.wait(30)
        return real(fds)

    config = ServeConfig(
        variants=[get_family("conficker").variant("b")],
        addresses=("192.0.2.1",),
        dns_port=None,
        http_ports=(0,),
        directory=tmp_path,
        status_interval=0,
        request_timeout=0.5,
        shutdown_timeout=0.5,
    )

    async def run() -> tuple[bytes, dict[str, object]]:
        sink = Sinkhole(config)
        await sink.start()
        monkeypatch.setattr(store_mod, "_sync_all", hung)
        port = sink.ports["http"][0]  # type: ignore[index]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /hung HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n")
        got = await asyncio.wait_for(reader.read(), 5)  # closed by the sweep, no answer
        writer.close()
        await asyncio.wait_for(sink.stop(), 10)  # bounded (0.5 s); before: never returned
        return got, sink.status()

    try:
        got, status = asyncio.run(run())
    finally:
        release.set()
    assert got == b""  # nothing answered: the event is not acknowledged
    assert status["http"]["timed_out"] == 1  # type: ignore[index]
    assert status["store"]["acknowledged"] == 0 and status["store"]["failed"] == 1  # type: ignore[index]
    assert "did not finish within 0.5 s; 1 queued events were not stored" in capsys.readouterr().err


def test_a_failed_fdatasync_is_not_acknowledged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EIO from fdatasync: that batch's events are failed (no answer), the error is shown
    once, and the next batch that syncs clears it."""
    real = store_mod._sync_all
    fail = [True]

    def flaky(fds: list[int]) -> bool:
        return False if fail[0] else real(fds)

    monkeypatch.setattr(store_mod, "_sync_all", flaky)
    results: list[tuple[int, bool]] = []
    states: list[str | None] = []

    async def run() -> EventStore:
        store = EventStore(tmp_path, worker="w").open()
        store.on_state = states.append
        for i in range(3):
            store.append(T0 + i, _event(i).to_line(), lambda ok, i=i: results.append((i, ok)))  # type: ignore[misc]
        assert await store.drain(5)
        fail[0] = False
        store.append(T0 + 3, _event(3).to_line(), lambda ok: results.append((3, ok)))
        assert await store.drain(5)
        store.close()
        return store

    store = asyncio.run(run())
    assert results == [(0, False), (1, False), (2, False), (3, True)]
    assert states == ["fdatasync failed", None] and store.failed == 3
    assert store.acknowledged == 1
