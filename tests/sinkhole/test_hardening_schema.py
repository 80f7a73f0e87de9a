"""One event schema for every writer: each line the listeners write is a schema-1 event
that round-trips through SinkholeEvent and reads back identically through DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import socket

import dns.message
import dns.query

from dgawatch.families import get_family
from dgawatch.sinkhole.events import COLUMNS, SCHEMA_VERSION, SinkholeEvent
from dgawatch.sinkhole.store import connect, list_files


def _key(e: SinkholeEvent) -> tuple[int, str]:
    return e.ts, e.qname or ""


def test_every_line_the_server_writes_round_trips(server_factory) -> None:  # type: ignore[no-untyped-def]
    srv = server_factory("--family", "conficker", "--variant", "b")
    name = get_family("conficker").variant("b").domains(dt.datetime.now(dt.UTC).date())[5]
    for qname in (f"www.{name}", f"x{{'<}}~.{name}", name.upper()):
        r = dns.query.udp(dns.message.make_query(qname, "A"), "127.0.0.1", 2, srv.dns_port)
        assert r.answer
    dns.query.tcp(dns.message.make_query(f"t.{name}", "TXT"), "127.0.0.1", 2, srv.dns_port)
    with socket.create_connection(("127.0.0.1", srv.http_port), timeout=5) as s:
        s.sendall(
            b'GET /a"b\\c\xe9 HTTP/1.0\r\nHost: 192.0.2.1\r\nUser-Agent: \xff"\\\x01\r\n'
            b"X-Empty:\r\n\r\n"
        )
        assert s.recv(100).startswith(b"HTTP/1.1 200")
    assert srv.stop() == 0
    lines = b"".join(p.read_bytes() for _d, _w, k, p in list_files(srv.directory)).splitlines()
    assert len(lines) == 5
    events = []
    for line in lines:
        doc = json.loads(line)
        assert set(doc) <= set(COLUMNS) and doc["v"] == SCHEMA_VERSION
        event = SinkholeEvent.from_line(line)
        assert event.to_dict() == {k: v for k, v in doc.items() if v is not None}
        assert SinkholeEvent.from_line(event.to_line()) == event
        events.append(event)
    con = connect(srv.directory)
    cols = ", ".join(k for k in COLUMNS if k != "v")
    rows = con.execute(f"SELECT {cols} FROM events ORDER BY ts, qname").fetchall()
    # what DuckDB reads back (a missing key is NULL there) is the event the line holds
    read = [
        SinkholeEvent.from_dict(
            {k: v for k, v in zip(COLUMNS, [SCHEMA_VERSION, *r], strict=True) if v is not None}
        )
        for r in rows
    ]
    assert sorted(read, key=_key) == sorted(events, key=_key)
    http = next(e for e in events if e.proto == "http")
    assert http.path == '/a"b\\c\xe9' and http.user_agent == '\xff"\\\x01'
    assert ("X-Empty", "") in http.headers
    assert {e.qname for e in events if e.proto == "dns/udp"} == {
        f"www.{name}",
        f"x{{'<}}~.{name}",
        name,
    }
