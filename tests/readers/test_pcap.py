import struct

import pytest

from tests.readers import pcapgen as g
from tests.readers.helpers import FIXTURES, bad, read, utc

T0 = 1_700_000_000  # 2023-11-14T22:13:20Z


def _capture() -> list[g.Packet]:
    pk = g.exchange(
        T0 + 0.123456,
        "10.0.0.5",
        40000,
        "10.0.0.1",
        "WWW.Example.com",
        "A",
        7,
        "A 192.0.2.1",
        "A 192.0.2.2",
    )
    pk += g.exchange(
        T0 + 1.5,
        "2001:db8::5",
        40001,
        "2001:db8::1",
        "kxcvbnmqwerty.info",
        "AAAA",
        8,
        rcode="NXDOMAIN",
    )
    # a response whose query was not captured, then a query never answered
    pk += g.exchange(
        T0 + 2.5,
        "10.0.0.6",
        40002,
        "10.0.0.1",
        "c.example",
        "TXT",
        9,
        'TXT "hello"',
        "CNAME x.example.",
        rtt=0.25,
    )[1:]
    pk += g.exchange(T0 + 3.5, "10.0.0.7", 40003, "10.0.0.1", "d.example", "MX", 10)[:1]
    return pk


EXPECTED = [
    (
        utc(2023, 11, 14, 22, 13, 20, 123000),
        "10.0.0.5",
        "www.example.com",
        "A",
        "NOERROR",
        ["192.0.2.1", "192.0.2.2"],
        1,
    ),
    (
        utc(2023, 11, 14, 22, 13, 21, 500000),
        "2001:db8::5",
        "kxcvbnmqwerty.info",
        "AAAA",
        "NXDOMAIN",
        [],
        3,
    ),
    (
        utc(2023, 11, 14, 22, 13, 22, 750000),
        "10.0.0.6",
        "c.example",
        "TXT",
        "NOERROR",
        ['"hello"', "x.example"],
        5,
    ),
    (utc(2023, 11, 14, 22, 13, 23, 500000), "10.0.0.7", "d.example", "MX", None, None, 6),
]


def _tuples(rows):
    return [
        (r["ts"], r["client"], r["qname"], r["qtype"], r["rcode"], r["answers"], r["source_line"])
        for r in rows
    ]


@pytest.mark.parametrize("linktype", [g.ETHERNET, g.RAW, g.SLL, g.SLL2])
@pytest.mark.parametrize("nano,big", [(False, False), (True, True)])
def test_pcap_link_types(tmp_path, linktype, nano, big) -> None:
    pk = [g.Packet(p.ts, g.link(p.data[14:], linktype)) for p in _capture()]
    p = tmp_path / "x.pcap"
    g.write_pcap(str(p), pk, linktype=linktype, nano=nano, big_endian=big)
    rows, report = read(p)
    assert _tuples(rows) == EXPECTED and report.total_bad == 0


@pytest.mark.parametrize("tsresol", [6, 9])
def test_pcapng(tmp_path, tsresol) -> None:
    p = tmp_path / "x.pcapng"
    g.write_pcapng(str(p), _capture(), tsresol=tsresol)
    rows, _ = read(p, "pcap")
    assert _tuples(rows) == EXPECTED


def test_tcp_split_across_segments(tmp_path) -> None:
    q = g.query("tcp.example", "A", 99)
    wire = q.to_wire()
    msg = struct.pack("!H", len(wire)) + wire
    resp = g.response(q, "A 192.0.2.9")
    rmsg = struct.pack("!H", len(resp)) + resp
    c, s = "10.0.0.8", "10.0.0.1"
    frames = [
        g.tcp(c, 50000, s, 53, 1000, b"", flags=0x02),
        g.tcp(c, 50000, s, 53, 1001, msg[:5]),
        g.tcp(c, 50000, s, 53, 1006, msg[5:]),
        g.tcp(s, 53, c, 50000, 7000, rmsg),
    ]
    p = tmp_path / "tcp.pcap"
    g.write_pcap(
        str(p), [g.Packet(T0 + i * 0.01, g.link(f, g.ETHERNET)) for i, f in enumerate(frames)]
    )
    rows, _ = read(p)
    assert [(r["qname"], r["rcode"], r["answers"], r["source_line"]) for r in rows] == [
        ("tcp.example", "NOERROR", ["192.0.2.9"], 3)
    ]


def test_bad_packets_reported(tmp_path) -> None:
    pk = _capture()[:2]
    q = g.query("ok.example").to_wire()
    broken = g.link(g.udp("10.0.0.9", 1, "10.0.0.1", 53, q[:15]), g.ETHERNET)
    future = g.Packet(4_000_000_000, pk[0].data)
    p = tmp_path / "bad.pcap"
    g.write_pcap(str(p), [*pk, g.Packet(T0 + 5, broken), future])
    with open(p, "ab") as f:
        f.write(struct.pack("<IIII", T0, 0, 100, 100) + b"\0" * 10)  # cut short
    rows, report = read(p)
    assert len(rows) == 1
    assert bad(report) == [
        (3, "malformed DNS message: name runs past the message"),
        (4, "timestamp before 1990 or in the future"),
        (5, "truncated packet record at end of file"),
    ]


def test_real_unbound_capture() -> None:
    """tcpdump on lo while Unbound answered dnspython (fixtures/capture_unbound.py)."""
    rows, report = read(FIXTURES / "unbound.pcap")
    assert report.total_bad == 0
    assert [
        (r["client"], r["qname"], r["qtype"], r["rcode"], r["answers"], r["source_line"])
        for r in rows
    ] == [
        ("127.0.0.1", "www.example.com", "A", "NOERROR", ["192.0.2.10"], 1),
        ("127.0.0.1", "www.example.com", "AAAA", "NOERROR", ["2001:db8::10"], 3),
        ("127.0.0.1", "mail.example.com", "TXT", "NOERROR", ['"\\"v=spf1" "-all\\""'], 8),
        ("127.0.0.1", "xn--bcher-kva.example", "A", "NOERROR", ["192.0.2.20"], 15),
        ("127.0.0.1", "kxcvbnmqwerty.info", "A", "NXDOMAIN", [], 17),
        ("127.0.0.1", "nothing.example.com", "A", "NXDOMAIN", [], 19),
    ]
    assert rows[0]["ts"] == utc(2026, 11, 27, 11, 27, 2, 236000)
