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
    cut = report.examples[(str(p), "truncated packet record at end of file")][0]
    assert cut.excerpt == "10 of 100 packet bytes"  # in words, not raw bytes


def test_cut_file_header_and_record_header_said_in_words(tmp_path) -> None:
    p = tmp_path / "cut.pcap"
    g.write_pcap(str(p), _capture()[:1])
    whole = p.read_bytes()
    p.write_bytes(whole[:20])
    _, report = read(p)
    [(key, (item,))] = report.examples.items()
    assert key[1] == "truncated pcap file header" and item.excerpt == "20 of 24 bytes"
    p.write_bytes(whole + whole[24:30])
    _, report = read(p)
    [(key, (item,))] = report.examples.items()
    assert key[1] == "truncated packet record at end of file"
    assert item.excerpt == "6 of the record header's 16 bytes"


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


def test_overlong_name_with_odd_byte_is_a_bad_record(tmp_path) -> None:
    """A 300-byte name holding a space (dnspython refuses to render it): one bad record
    naming the packet, the other packets still read (issue 14 item 9)."""
    labels = [b"a b" + b"x" * 57] * 5  # 5 * 61 bytes on the wire: over 255
    frame = g.link(g.udp("10.0.0.9", 1, "10.0.0.1", 53, g.raw_query(labels, 3)), g.ETHERNET)
    p = tmp_path / "long.pcap"
    g.write_pcap(str(p), [*_capture()[:2], g.Packet(T0 + 5, frame)])
    rows, report = read(p)
    assert [r["qname"] for r in rows] == ["www.example.com"]
    assert bad(report) == [(3, "malformed DNS message: name longer than 255 bytes")]


def test_short_pcapng_block_at_end_is_a_bad_record(tmp_path) -> None:
    """A 12-byte (bodiless) Enhanced Packet Block after the last packet: reported with its
    byte offset, the packets before it kept (issue 14 item 9)."""
    p = tmp_path / "x.pcapng"
    g.write_pcapng(str(p), _capture())
    size = p.stat().st_size
    with open(p, "ab") as f:
        f.write(struct.pack("<III", 6, 12, 12))
    rows, report = read(p, "pcap")
    assert _tuples(rows) == EXPECTED
    assert bad(report) == [(7, f"pcapng block too short for its type 6 at byte {size}")]


def test_half_open_tcp_flows_are_bounded(tmp_path) -> None:
    """Many TCP connections that each announce a large message and never finish it: the
    reassembly table keeps at most MAX_TCP_BYTES buffered (oldest streams dropped and
    reported), and a complete query on a later connection is still read."""
    import tracemalloc

    from dgawatch.readers import pcap

    frames = []
    chunk = b"\0" * 1400
    flows = 2 * pcap.MAX_TCP_BYTES // (20 * 1400) + 1  # twice the budget in half-open flows
    for f in range(flows):
        client = f"10.1.{f // 250}.{f % 250 + 1}"
        seq = 1000
        frames.append(g.tcp(client, 40000, "10.0.0.1", 53, seq, struct.pack("!H", 60000)))
        seq += 2
        for _ in range(20):
            frames.append(g.tcp(client, 40000, "10.0.0.1", 53, seq, chunk))
            seq += len(chunk)
    wire = g.query("late.example", "A", 5).to_wire()
    frames.append(g.tcp("10.2.0.1", 40001, "10.0.0.1", 53, 1, struct.pack("!H", len(wire)) + wire))
    p = tmp_path / "tcp.pcap"
    g.write_pcap(
        str(p), [g.Packet(T0 + i * 1e-3, g.link(x, g.ETHERNET)) for i, x in enumerate(frames)]
    )
    tracemalloc.start()
    try:
        rows, report = read(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r["qname"] for r in rows] == ["late.example"]
    reasons = {reason for _line, reason in bad(report)}
    assert reasons == {"TCP stream dropped: reassembly buffer limit reached"}
    assert report.total_bad >= flows // 2
    # the whole file sits in one read chunk; what is buffered on top stays under the bound
    assert peak < 2 * p.stat().st_size + pcap.MAX_TCP_BYTES + (4 << 20)


def test_unanswered_queries_do_not_pile_up(tmp_path, monkeypatch) -> None:
    """Queries never answered are forgotten once their batch is out: the pairing table the
    handler uses stays bounded (it used to be rebuilt as a new dict the handler never saw)."""
    from dgawatch.readers import pcap

    monkeypatch.setattr(pcap, "BATCH_ROWS", 50)
    monkeypatch.setattr(pcap, "CHUNK", 4096)
    frames = [
        g.exchange(T0 + i, "10.0.0.5", 1000 + i, "10.0.0.1", f"n{i}.example", "A", i)[0]
        for i in range(1200)
    ]
    p = tmp_path / "q.pcap"
    g.write_pcap(str(p), frames)
    seen: list[int] = []
    orig = pcap._Events.take

    def take(self, final=False):
        batch = orig(self, final)
        cell = self.dns.__code__.co_freevars.index("pending")
        seen.append(len(self.dns.__closure__[cell].cell_contents))
        return batch

    monkeypatch.setattr(pcap._Events, "take", take)
    rows, _ = read(p)
    assert len(rows) == 1200
    assert len(seen) > 10 and max(seen) <= 4 * 50 + 100
