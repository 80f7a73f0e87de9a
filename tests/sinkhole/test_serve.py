"""The real listeners on loopback: answers, events, floods, slow clients, kill -9."""

import asyncio
import datetime as dt
import itertools
import json
import random
import socket
import subprocess
import threading
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from dgawatch.families import get_family
from dgawatch.sinkhole.server import raise_nofile_limit
from dgawatch.sinkhole.store import connect, count_events, read_ack
from tests.needs import missing
from tests.sinkhole.conftest import DGAWATCH


def _name(variant: str = "b") -> str:
    return get_family("conficker").variant(variant).domains(dt.datetime.now(dt.UTC).date())[5]


def _http(port: int, payload: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks)


def test_dns_and_http_end_to_end(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    srv = server_factory("--family", "conficker", "--variant", "b")
    name = _name()
    r = dns.query.udp(dns.message.make_query(f"www.{name}", "A"), "127.0.0.1", 2, srv.dns_port)
    assert [rr.to_text() for rr in r.answer[0]] == ["192.0.2.1"]
    r = dns.query.tcp(dns.message.make_query(name, "AAAA"), "127.0.0.1", 2, srv.dns_port)
    assert [rr.to_text() for rr in r.answer[0]] == ["2001:db8::53"]
    r = dns.query.udp(dns.message.make_query("example.org", "A"), "127.0.0.1", 2, srv.dns_port)
    assert r.rcode() == dns.rcode.REFUSED
    # garbage and half packets: counted, the server keeps answering
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _ in range(200):
            s.sendto(random.randbytes(random.randrange(40)), ("127.0.0.1", srv.dns_port))
    resp = _http(
        srv.http_port,
        b"GET /search?q=7&aq=7 HTTP/1.0\r\nHost: 192.0.2.1\r\n"
        b"User-Agent: t\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n",
    )
    assert resp.startswith(b"HTTP/1.1 200 OK")
    resp = _http(
        srv.http_port,
        b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd",
    )
    assert resp.startswith(b"HTTP/1.1 200 OK")
    assert _http(srv.http_port, b"BROKEN\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _http(srv.http_port, b"GET / HTTP/1.1\r\nX: " + b"a" * 9000).startswith(b"HTTP/1.1 431")
    r = dns.query.udp(dns.message.make_query(name, "SOA"), "127.0.0.1", 2, srv.dns_port)
    assert r.answer[0][0].serial > 0
    assert srv.stop() == 0
    st = json.loads((srv.directory / "status.0.json").read_text())
    assert st["dns"]["sinkholed"] == 3 and st["dns"]["queries"] >= 203
    assert st["http"]["malformed"] == 1 and st["http"]["too_large"] == 1
    assert st["http"]["conficker_ab"] == 1
    assert st["store"]["acknowledged"] == 5 == count_events(srv.directory)
    con = connect(srv.directory)
    rows = con.execute(
        "SELECT proto, body_len, headers FROM events ORDER BY ts, path NULLS LAST"
    ).fetchall()
    assert [r[0] for r in rows] == ["dns/udp", "dns/tcp", "http", "http", "dns/udp"]
    http = {r[1]: r[2] for r in rows if r[0] == "http"}
    assert set(http) == {0, 4}
    assert http[0][2] == ["X-Forwarded-For", "10.1.1.1"]
    # report and stats from the CLI over what was just recorded
    out = subprocess.run(
        [
            DGAWATCH,
            "sinkhole",
            "report",
            "--dir",
            str(srv.directory),
            "--cidr",
            "127.0.0.0/8",
            "--output",
            str(tmp_path / "rep"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    csv_path = Path(out.stdout.split()[0])
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("timestamp,protocol,src_ip,src_port,src_asn,src_geo")
    assert len(lines) == 3 and ",downadup,conficker,conficker-b," in lines[1]
    assert sum(",10.1.1.1," in ln for ln in lines) == 1  # X-Forwarded-For -> forwarded_by
    doc = json.loads(
        subprocess.run(
            [DGAWATCH, "sinkhole", "stats", "--dir", str(srv.directory), "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert doc["rows"][0]["addresses"] == 1 and "not machines" in doc["unit"]


async def _slow_clients(port: int, n: int) -> list[asyncio.StreamWriter]:
    writers = []
    for i in range(n):
        _r, w = await asyncio.open_connection("127.0.0.1", port)
        if i % 2:
            w.write(b"GET / HTTP/1.1\r\nHost: sl")  # slowloris: a head that never ends
        writers.append(w)
    return writers


def test_idle_and_slow_connections_are_bounded_and_timed_out(server_factory) -> None:  # type: ignore[no-untyped-def]
    raise_nofile_limit()
    srv = server_factory(
        "--family",
        "conficker",
        "--variant",
        "b",
        "--no-dns",
        "--max-connections",
        "1100",
        "--request-timeout",
        "2",
        "--idle-timeout",
        "1",
    )

    async def run() -> None:
        writers = await _slow_clients(srv.http_port, 1000)
        await asyncio.sleep(0.3)
        # other clients are still served while 1,000 connections hang
        t = time.monotonic()
        reply = await asyncio.to_thread(_http, srv.http_port, b"GET / HTTP/1.0\r\n\r\n")
        assert reply.startswith(b"HTTP/1.1 200") and time.monotonic() - t < 1.0
        # over the connection limit: closed at once
        more = await _slow_clients(srv.http_port, 150)
        await asyncio.sleep(3.5)
        closed = 0
        for w in writers + more:
            try:
                w.write(b"x")
                await w.drain()
                await asyncio.sleep(0)
            except (ConnectionError, OSError):
                closed += 1
            w.close()
        status = srv.status()
        assert status["http"]["rejected"] >= 40
        assert status["http"]["timed_out"] >= 1000
        assert status["open_connections"] <= 10

    asyncio.run(run())
    assert srv.stop() == 0


def _load(srv, trial: int, stop_at: float) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """Concurrent keep-alive HTTP clients and UDP DNS clients, each sending one request at a
    time with a unique key; returns (sent, acknowledged) keys."""
    name = _name("a")
    sent: set[str] = set()
    acked: set[str] = set()

    async def http_client(c: int) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.http_port)
            seq = 0
            while time.monotonic() < stop_at:
                key = f"/t{trial}/h{c}/{seq}"
                sent.add(key)
                writer.write(f"GET {key} HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                acked.add(key)
                seq += 1
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass

    def dns_client(c: int) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.3)
            seq = 0
            while time.monotonic() < stop_at:
                key = f"t{trial}-d{c}-{seq}.{name}"
                sent.add(key)
                s.sendto(dns.message.make_query(key, "A").to_wire(), ("127.0.0.1", srv.dns_port))
                try:
                    data = s.recv(4096)
                except (TimeoutError, OSError):
                    return
                if dns.message.from_wire(data).answer:
                    acked.add(key)
                seq += 1

    async def main() -> None:
        dns_threads = [asyncio.to_thread(dns_client, c) for c in range(2)]
        await asyncio.gather(*(http_client(c) for c in range(6)), *dns_threads)

    asyncio.run(main())
    return sent, acked


def _keys(directory: Path, trial: int) -> set[str]:
    con = connect(directory)
    try:
        return {
            r[0]
            for r in con.execute(
                "SELECT coalesce(path, qname) FROM events WHERE "
                f"path LIKE '/t{trial}/%' OR qname LIKE 't{trial}-%'"
            ).fetchall()
        }
    finally:
        con.close()


def _lines_on_disk(directory: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in directory.glob("events-*.jsonl"))


@pytest.mark.slow
def test_kill_9_acknowledged_equals_stored(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Acknowledged = recorded in the server's acknowledgement record (after fdatasync,
    before any answer). After each kill -9 and restart the store holds exactly that many
    events, and every answer a client saw is among them."""
    directory = tmp_path / "store"
    rng = random.Random(9)
    results = []
    srv = server_factory("--family", "conficker", "--variant", "a", directory=directory)
    for trial in range(20):
        kill_after = rng.uniform(0.15, 0.6)
        killer = threading.Timer(kill_after, srv.kill9)
        killer.start()
        sent, answered = _load(srv, trial, time.monotonic() + kill_after + 0.4)
        killer.join()
        record = read_ack(directory, "0")
        assert record is not None
        acknowledged = record.events  # the server's own count at the moment it died
        on_disk = _lines_on_disk(directory)  # may include written, never acknowledged
        assert on_disk >= acknowledged
        # restart: the new server rolls the files back to the record of the killed one
        srv = server_factory("--family", "conficker", "--variant", "a", directory=directory)
        assert _lines_on_disk(directory) == acknowledged
        assert srv.status()["store"]["rolled_back"] == on_disk - acknowledged
        assert count_events(directory) == acknowledged, f"trial {trial}"
        stored = _keys(directory, trial)
        lost = answered - stored
        assert not lost, f"trial {trial}: answered but not stored: {sorted(lost)[:5]}"
        assert stored <= sent
        results.append((acknowledged, on_disk - acknowledged, len(stored - answered)))
    print(
        "kill -9 trials (acknowledged = stored after restart, rolled back, "
        "acknowledged but answer not received):",
        results,
    )
    new = [b - a for (a, _r, _x), (b, _s, _y) in itertools.pairwise([(0, 0, 0), *results])]
    assert sum(new) > 2000 and all(n > 0 for n in new)
    assert sum(r for _a, r, _x in results) > 0  # the rollback was exercised
    srv.stop()
    raw = b"".join(p.read_bytes() for p in directory.glob("events-*.jsonl"))
    assert raw.count(b"\n") == count_events(directory) and raw.endswith(b"\n")


def test_zone_files_load_in_nsd(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            DGAWATCH,
            "sinkhole",
            "zone",
            "--family",
            "conficker",
            "--variant",
            "b",
            "--address",
            "192.0.2.1",
            "--output",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    files = [Path(p) for p in out.stdout.split()]
    conf = next(p for p in files if p.name.startswith("nsd"))
    assert conf.read_text().count("name: ") == 750 + 1  # 3 days x 250 names + the pattern
    checkconf = Path("/usr/sbin/nsd-checkconf")
    if not checkconf.exists():
        missing("nsd not installed")
    main = tmp_path / "main.conf"
    main.write_text(f'server:\n  zonesdir: "{tmp_path}"\ninclude: "{conf}"\n')
    subprocess.run([str(checkconf), str(main)], check=True)
    zonec = subprocess.run(
        ["/usr/sbin/nsd-checkzone", _name(), str(tmp_path / "sinkhole.zone")],
        capture_output=True,
        text=True,
    )
    assert zonec.returncode == 0, zonec.stderr


def test_udp_answer_cache_copies_ids_and_logs_every_query(server_factory) -> None:  # type: ignore[no-untyped-def]
    srv = server_factory("--family", "conficker", "--variant", "b")
    name = _name()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        for i in range(40):
            q = dns.message.make_query(name.upper() if i % 2 else name, "A")
            q.id = 1000 + i
            s.sendto(q.to_wire(), ("127.0.0.1", srv.dns_port))
            r = dns.message.from_wire(s.recv(4096))
            assert r.id == 1000 + i and r.question[0].name == q.question[0].name
            assert [rr.to_text() for rr in r.answer[0]] == ["192.0.2.1"]
        q = dns.message.make_query("example.org", "A")
        for i in range(3):
            q.id = i
            s.sendto(q.to_wire(), ("127.0.0.1", srv.dns_port))
            r = dns.message.from_wire(s.recv(4096))
            assert r.id == i and r.rcode() == dns.rcode.REFUSED
    assert srv.stop() == 0
    st = srv.status()
    assert st["dns"]["sinkholed"] == 40 and st["dns"]["refused"] == 3
    con = connect(srv.directory)
    rows = con.execute("SELECT qname, domain, src_ip, dst_port FROM events").fetchall()
    assert len(rows) == 40 == count_events(srv.directory)
    assert {r[1] for r in rows} == {name} == {r[0] for r in rows}  # qname lower-cased
    assert {r[3] for r in rows} == {srv.dns_port} and {r[2] for r in rows} == {"127.0.0.1"}
