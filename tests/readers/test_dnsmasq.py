"""The dnsmasq / Pi-hole reader against logs a real dnsmasq writes on loopback: every query a
client sent is one event with the rcode and answers the client received, in dnsmasq's plain
``log-queries`` and in ``log-queries=extra``."""

from __future__ import annotations

import datetime as dt
import grp
import os
import pwd
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from dgawatch.hunt import HuntOptions, hunt_paths
from tests.export.dns_servers import LOOPBACK, Server, free_port, need, running
from tests.hunt import netsim
from tests.readers.helpers import bad, read, utc

#: (client address, name, type), sent in this order; "pair" names are sent by two clients
#: at once (dnsmasq forwards the name once and logs one reply for both).
QUERIES = [
    ("127.0.0.5", "www.lab", "A"),
    ("127.0.0.6", "xkqjzwvbq.lab", "A"),
    ("127.0.0.5", "multi.lab", "A"),
    ("127.0.0.7", "blocked.ads", "A"),
    ("127.0.0.7", "www.lab", "AAAA"),
    ("127.0.0.8", "Nothere.LAB", "TXT"),
    ("127.0.0.9", "alias.lab", "A"),
    ("127.0.0.5", "www.lab", "A"),
]
PAIR = [("127.0.0.11", "pair.lab", "A"), ("127.0.0.12", "pair.lab", "A")]


def _dnsmasq(workdir: Path, name: str, port: int, *extra: str) -> Server:
    user = pwd.getpwuid(os.getuid())
    argv = [
        "dnsmasq",
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        f"--user={user.pw_name}",
        f"--group={grp.getgrgid(user.pw_gid).gr_name}",
        f"--pid-file={workdir}/{name}.pid",
        f"--listen-address={LOOPBACK}",
        "--bind-interfaces",
        f"--port={port}",
        *extra,
    ]
    return Server(name, argv, workdir, port)


def _ask(port: int, queries: list[tuple[str, str, str]]) -> list[tuple]:
    """Send all of ``queries`` (each from its own source address), then read every response:
    (client, name, type, rcode, sorted answers) as the clients saw them."""
    socks = []
    for src, name, rdtype in queries:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.settimeout(5)
        q = dns.message.make_query(name, rdtype)
        q.flags |= dns.flags.RD
        s.sendto(q.to_wire(), (LOOPBACK, port))
        socks.append((s, src, name, rdtype))
    seen = []
    for s, src, name, rdtype in socks:
        with s:
            r = dns.message.from_wire(s.recv(4096))
        addrs = sorted(rd.to_text() for rr in r.answer for rd in rr if rr.rdtype in (1, 28))
        seen.append((src, name.lower(), rdtype, dns.rcode.to_text(r.rcode()), addrs or None))
    return seen


def _as_seen(rows: list[dict], start: int) -> list[tuple]:
    """The events read from lines after ``start``, shaped as :func:`_ask` gives what the
    clients saw."""
    return [
        (r["client"], r["qname"], r["qtype"], r["rcode"], sorted(r["answers"] or []) or None)
        for r in rows
        if r["source_line"] > start
    ]


@pytest.mark.parametrize("mode", ["extra", "plain"])
def test_real_dnsmasq_log(tmp_path: Path, mode: str) -> None:
    need("dnsmasq")
    up_port, port = free_port(), free_port()
    upstream = _dnsmasq(
        tmp_path,
        "upstream",
        up_port,
        "--local=/lab/",  # every other name under lab: NXDOMAIN
        "--address=/www.lab/10.1.2.3",
        "--host-record=multi.lab,10.0.0.1",
        "--host-record=multi.lab,10.0.0.2",
        "--host-record=pair.lab,10.0.0.9",
        "--cname=alias.lab,www.lab",
    )
    log = tmp_path / "dnsmasq-queries.log"
    front = _dnsmasq(
        tmp_path,
        "front",
        port,
        f"--server={LOOPBACK}#{up_port}",
        "--address=/blocked.ads/0.0.0.0",  # as Pi-hole blocks
        f"--log-facility={log}",
        "--log-queries=extra" if mode == "extra" else "--log-queries",
    )
    with running(upstream), running(front):
        front.wait_ready("www.lab", lambda m: m.rcode() == 0)
        start = len(log.read_text().splitlines())
        expected = _ask(port, QUERIES[:4]) + _ask(port, QUERIES[4:]) + _ask(port, PAIR)
        time.sleep(0.2)
    lines = log.read_text().splitlines()
    assert any("exiting" in line for line in lines[start:])  # the log is complete
    rows, report = read(log)  # auto-detected
    assert report.total_bad == 0
    got = _as_seen(rows, start)
    assert sorted(got) == sorted(expected)
    assert ("127.0.0.6", "xkqjzwvbq.lab", "A", "NXDOMAIN", None) in got
    assert ("127.0.0.5", "multi.lab", "A", "NOERROR", ["10.0.0.1", "10.0.0.2"]) in got
    assert ("127.0.0.12", "pair.lab", "A", "NOERROR", ["10.0.0.9"]) in got
    today = dt.datetime.now(dt.UTC)
    assert all(abs(r["ts"] - today) < dt.timedelta(days=1) for r in rows)


@contextmanager
def _slow_upstream(delay: float) -> Iterator[int]:
    """A loopback DNS server that answers every A query with 10.0.0.9 after ``delay``
    seconds (each on a thread of its own): time for other clients' queries of the same name
    to reach dnsmasq while it forwards the first. Yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def answer(wire: bytes, addr: tuple[str, int]) -> None:
        time.sleep(delay)
        q = dns.message.from_wire(wire)
        r = dns.message.make_response(q)
        r.answer.append(dns.rrset.from_text(q.question[0].name, 60, "IN", "A", "10.0.0.9"))
        sock.sendto(r.to_wire(), addr)

    def serve() -> None:
        while not stop.is_set():
            try:
                wire, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            threading.Thread(target=answer, args=(wire, addr), daemon=True).start()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        server.join(timeout=5)
        sock.close()


@pytest.mark.parametrize("mode", ["extra", "plain"])
def test_queries_asked_while_the_name_is_forwarded(tmp_path: Path, mode: str) -> None:
    """Three clients ask one name while dnsmasq forwards it (a slow upstream): dnsmasq sends
    upstream once and answers all three; with ``extra`` it logs the two late ones as ``reply
    query is duplicate``, after the first's reply. Every client's event has the answer its
    client received (the CI run of session 11 met this by chance and read "duplicate" as an
    address)."""
    need("dnsmasq")
    port = free_port()
    log = tmp_path / "dnsmasq-queries.log"
    trio = [("127.0.0.21", "trio.lab", "A"), ("127.0.0.22", "trio.lab", "A")]
    trio.append(("127.0.0.23", "trio.lab", "A"))
    with _slow_upstream(0.5) as up_port:
        front = _dnsmasq(
            tmp_path,
            "front",
            port,
            f"--server={LOOPBACK}#{up_port}",
            "--no-negcache",
            "--cache-size=0",  # every query goes upstream
            "--address=/ready.lab/10.9.9.9",  # but the readiness probe's (its wait is 0.5 s)
            f"--log-facility={log}",
            "--log-queries=extra" if mode == "extra" else "--log-queries",
        )
        with running(front):
            front.wait_ready("ready.lab", lambda m: m.rcode() == 0)
            start = len(log.read_text().splitlines())
            expected = _ask(port, trio)
            time.sleep(0.2)
    lines = log.read_text().splitlines()[start:]
    assert any("exiting" in line for line in lines)
    assert sum("forwarded trio.lab" in line for line in lines) == 1  # one upstream query
    dups = sum(line.endswith("reply query is duplicate") for line in lines)
    assert dups == (2 if mode == "extra" else 0)  # fails if dnsmasq stopped merging them
    rows, report = read(log)
    assert report.total_bad == 0
    got = _as_seen(rows, start)
    assert sorted(got) == sorted(expected)
    assert [g[3:] for g in got] == [("NOERROR", ["10.0.0.9"])] * 3


def test_syslog_host_iso_time_and_bad_lines(tmp_path: Path) -> None:
    p = tmp_path / "pihole.log"
    p.write_text(
        "2026-11-30T08:00:01 gw1 dnsmasq[820]: query[A] ads.tracker.example from 192.168.1.20\n"
        "2026-11-30T08:00:01 gw1 dnsmasq[820]: gravity blocked ads.tracker.example is 0.0.0.0\n"
        "2026-11-30T08:00:02 gw1 dnsmasq[820]: query[AAAA] qwzxkvbn.com from fe80::1%eth0\n"
        "2026-11-30T08:00:02 gw1 dnsmasq[820]: forwarded qwzxkvbn.com to 9.9.9.9\n"
        "2026-11-30T08:00:02 gw1 dnsmasq[820]: validation qwzxkvbn.com is INSECURE\n"
        "2026-11-30T08:00:02 gw1 dnsmasq[820]: reply qwzxkvbn.com is NXDOMAIN\n"
        "2026-11-30T08:00:03 gw1 dnsmasq[820]: query[A] a.example from not-an-address\n"
        "query[A] b.example from 10.0.0.1\n"
        "2026-11-30T08:00:04 gw1 dnsmasq[820]: query[A] never.example from 192.168.1.21\n"
    )
    rows, report = read(p, "dnsmasq")
    assert [
        (r["sensor"], r["client"], r["qname"], r["qtype"], r["rcode"], r["answers"]) for r in rows
    ] == [
        ("gw1", "192.168.1.20", "ads.tracker.example", "A", "NOERROR", ["0.0.0.0"]),
        ("gw1", "fe80::1%eth0", "qwzxkvbn.com", "AAAA", "NXDOMAIN", None),
        ("gw1", "192.168.1.21", "never.example", "A", None, None),  # no answer logged
    ]
    assert rows[0]["ts"] == utc(2026, 11, 30, 8, 0, 1)
    assert bad(report) == [
        (7, "not an IP address: 'not-an-address'"),
        (8, "no timestamp at the start of the line"),
    ]


def test_hunt_reads_a_network_day_as_from_zeek(tmp_path: Path) -> None:
    """The simulated office day as Zeek's dns.log and as dnsmasq's log (same queries,
    rcodes and answers): the hunt finds the same unknown-DGA hosts in both."""
    zeek = tmp_path / "dns.log"
    truth = netsim.simulate(zeek, clients=300, seed=4)
    dm = tmp_path / "dnsmasq.log"
    with open(zeek) as src, open(dm, "w") as dst:
        for serial, line in enumerate(x for x in src if not x.startswith("#")):
            f = line.rstrip("\n").split("\t")
            t = dt.datetime.fromtimestamp(float(f[0]), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
            head = f"{t} dnsmasq[7]: {serial} {f[2]}/{f[3]} "
            dst.write(f"{head}query[{f[13]}] {f[9]} from {f[2]}\n")
            answers = [a for a in f[21].split(",") if a not in ("-", "")]
            for value in answers or (["NXDOMAIN"] if f[15] == "NXDOMAIN" else ["NODATA"]):
                dst.write(f"{head}reply {f[9]} is {value}\n")
    options = HuntOptions(unknown_dga=True)
    found = [
        sorted((tuple(u.clients), u.distinct_names) for u in hunt_paths([p], options).unknown_dga)
        for p in (zeek, dm)
    ]
    assert found[0] == found[1]
    hosts = {c for clients, _ in found[1] for c in clients}
    assert hosts and hosts <= set(truth.infected)
