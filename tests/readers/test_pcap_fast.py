"""The compiled packet walker (dgawatch._pcapscan) against the Python handlers it stands in
for: the same captures, including hostile ones and thousands of random mutations, must give
the same events and the same bad-record reports either way (a differential test), and no
input may crash it."""

from __future__ import annotations

import random
import struct
from pathlib import Path
from typing import Any

import pytest

from dgawatch.errors import InputError
from dgawatch.readers import InputReport, pcap
from tests.readers import pcapgen as g
from tests.readers.helpers import read

T0 = 1_700_000_000
C4, S4, C6, S6 = "10.0.0.5", "10.0.0.1", "2001:db8::5", "2001:db8::1"


def _reply(q: bytes, flags: int, body: bytes, an: int) -> bytes:
    """A hand-made response to the wire query ``q``: its header with ``flags`` and ``an``
    answers, its question, then ``body`` (answer records as given)."""
    qid, _f, qd, _an, ns, ar = struct.unpack("!HHHHHH", q[:12])
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar) + q[12:] + body


def _frames() -> list[bytes]:
    """IP packets covering every branch of the walker and of its hand-over to Python."""
    out: list[bytes] = []

    def pair(name: str, rdtype: str, qid: int, *answers: str, c: str = C4, s: str = S4, **kw):
        q = g.query(name, rdtype, qid)
        out.append(g.udp(c, 40000 + qid, s, 53, q.to_wire()))
        out.append(g.udp(s, 53, c, 40000 + qid, g.response(q, *answers, **kw)))

    pair("www.example.com", "A", 1, "A 192.0.2.1", "A 198.51.100.255")
    pair("v6.example.net", "AAAA", 2, "AAAA 2001:db8::10", "AAAA ::ffff:1.2.3.4", c=C6, s=S6)
    pair("kxcvbnmqwerty.info", "A", 3, rcode="NXDOMAIN")
    pair("alias.example.org", "A", 4, "CNAME target.example.org.", "A 192.0.2.7")
    pair("Mixed-Case_x*.Example.COM", "NS", 5, "NS ns1.example.com.", "PTR x.in-addr.arpa.")
    pair("txt.example", "TXT", 6, 'TXT "v=spf1 -all"')
    pair("mx.example", "MX", 7, "MX 10 mail.example.")
    pair("refused.example", "A", 8, rcode="REFUSED")
    # a response whose query is not in the capture, and a query never answered
    q = g.query("orphan.example", "A", 9)
    out.append(g.udp(S4, 53, C4, 40009, g.response(q, "A 192.0.2.9")))
    out.append(g.udp(C4, 40010, S4, 53, g.query("lonely.example", "A", 10).to_wire()))
    # names the walker leaves to Python: odd bytes, the root, over 255 bytes, a pointer
    out.append(g.udp(C4, 40011, S4, 53, g.raw_query([b"a b", b"example"], 11)))
    out.append(g.udp(C4, 40012, S4, 53, g.raw_query([], 12)))
    out.append(g.udp(C4, 40013, S4, 53, g.raw_query([b"x" * 63] * 4 + [b"y" * 10], 13)))
    out.append(g.udp(C4, 40014, S4, 53, g.raw_query([b"caf\xc3\xa9", b"example"], 14)))
    # record data names of 255 and 256 bytes; a pointer or label cut by the data length
    big = b"".join(b"\x3f" + b"a" * 63 for _ in range(3))
    cname = b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c"
    for qid, data, rdlen in (
        (29, big + b"\x3d" + b"b" * 61 + b"\0", None),
        (30, big + b"\x3e" + b"b" * 62 + b"\0", None),
        (31, b"\xc0\x0c\0", 1),
        (32, b"\x03abc\0", 4),
        (33, b"\x03abc\0", 5),
    ):
        wire = g.query(f"n{qid}.example", "CNAME", qid).to_wire()
        rec = cname + struct.pack("!H", len(data) if rdlen is None else rdlen) + data
        out.append(g.udp(C4, 40000 + qid, S4, 53, wire))
        out.append(g.udp(S4, 53, C4, 40000 + qid, _reply(wire, 0x8180, rec, 1)))
    ptr_q = struct.pack("!HHHHHH", 15, 0x0100, 1, 0, 0, 0) + b"\x03abc\xc0\x00" + b"\0\x01\0\x01"
    out.append(g.udp(C4, 40015, S4, 53, ptr_q))
    # answers: a CNAME whose name points at itself, a pointer past the record, a bad label
    base = g.query("loop.example", "A", 16).to_wire()
    out.append(g.udp(C4, 40016, S4, 53, base))
    loop = b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x02"
    loop += struct.pack("!H", 0xC000 | (len(base) + 12))  # the record's data points at itself
    out.append(g.udp(S4, 53, C4, 40016, _reply(base, 0x8180, loop, 1)))
    # a chain of 65 pointers (the record's first, then 64 back to a label): one too many
    base = g.query("chain.example", "A", 28).to_wire()
    out.append(g.udp(C4, 40028, S4, 53, base))
    r = len(base) + 12  # where the record's data starts
    ptrs = [r + 2] + [r + 5 + 2 * k for k in range(63)]  # targets of the 64 back pointers
    chain = struct.pack("!H", 0xC000 | (r + 5 + 2 * 63)) + b"\x01x\x00"
    chain += b"".join(struct.pack("!H", 0xC000 | t) for t in ptrs)
    body = b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c"
    body += struct.pack("!H", len(chain)) + chain
    out.append(g.udp(S4, 53, C4, 40028, _reply(base, 0x8180, body, 1)))
    base = g.query("far.example", "A", 17).to_wire()
    far = b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x01\x2c\x00\x02\xc0\xff"
    out.append(g.udp(S4, 53, C4, 40017, _reply(base, 0x8180, far, 1)))
    base = g.query("label.example", "A", 18).to_wire()
    badlabel = b"\x45abc\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\x01\x02\x03\x04"
    out.append(g.udp(S4, 53, C4, 40018, _reply(base, 0x8180, badlabel, 1)))
    base = g.query("short.example", "A", 19).to_wire()
    out.append(g.udp(C4, 40019, S4, 53, base))
    out.append(g.udp(S4, 53, C4, 40019, _reply(base, 0x8180, b"\xc0\x0c\x00\x01", 1)))
    out.append(g.udp(S4, 53, C4, 40019, _reply(base, 0x8180, b"", 2)))  # (no longer paired)
    out.append(g.udp(C4, 40020, S4, 53, b"\0\x14\x01\x00\0"))  # truncated DNS header
    notify = g.query("notify.example", "A", 21).to_wire()
    out.append(g.udp(C4, 40021, S4, 53, notify[:2] + b"\x20\0" + notify[4:]))  # opcode 4
    # transport and network variants: TCP, IPv4 options, fragments, IPv6 extension headers
    wire = g.query("tcp.example", "A", 22).to_wire()
    out.append(g.tcp(C4, 40022, S4, 53, 1, struct.pack("!H", len(wire)) + wire))
    plain = g.udp(C4, 40023, S4, 53, g.query("opts.example", "A", 23).to_wire())
    head = bytearray(plain[:20])
    head[0] = 0x46  # 24-byte header: four bytes of options (NOP, NOP, NOP, end)
    head[2:4] = struct.pack("!H", len(plain) + 4)
    out.append(bytes(head) + b"\x01\x01\x01\x00" + plain[20:])
    frag = bytearray(g.udp(C4, 40024, S4, 53, g.query("frag.example", "A", 24).to_wire()))
    frag[6:8] = struct.pack("!H", 0x2000 | 3)
    out.append(bytes(frag))
    frag[6:8] = struct.pack("!H", 0x1000)  # the highest offset bit alone
    out.append(bytes(frag))
    v6 = g.udp(C6, 40025, S6, 53, g.query("hbh.example", "A", 25).to_wire())
    plen = struct.pack("!H", len(v6) - 40 + 8)  # a hop-by-hop options header in front
    out.append(v6[:4] + plen + b"\x00" + v6[7:40] + b"\x11\x00" + b"\0" * 6 + v6[40:])
    out.append(g.udp(C4, 40026, S4, 5353, g.query("mdns.example", "A", 26).to_wire()))
    out.append(g.udp(C4, 40027, S4, 53, b""))
    return out


def _capture(path: Path, linktype: int = g.ETHERNET, vlans: int = 0, fmt: str = "pcap") -> None:
    frames = [g.link(f, linktype, vlans) for f in _frames()]
    packets = [g.Packet(T0 + i * 0.01, f) for i, f in enumerate(frames)]
    packets.append(g.Packet(4_000_000_000, frames[0]))  # in the future
    if fmt == "pcap":
        g.write_pcap(str(path), packets, linktype=linktype)
    else:
        g.write_pcapng(str(path), packets, linktype=linktype)


def _read_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """(rows, report) read with the compiled walker and with the Python handlers only."""
    assert pcap._pcapscan is not None, "dgawatch._pcapscan is not built (pip install -e .)"
    fast = read(path, "pcap")
    with monkeypatch.context() as m:
        m.setattr(pcap, "_pcapscan", None)
        slow = read(path, "pcap")
    return fast, slow


def _same(fast: Any, slow: Any) -> None:
    (rows_f, rep_f), (rows_s, rep_s) = fast, slow
    assert rows_f == rows_s
    assert rep_f.counts == rep_s.counts
    assert rep_f.examples == rep_s.examples
    assert rep_f.lines_read == rep_s.lines_read


@pytest.mark.parametrize(
    ("linktype", "vlans"),
    [(g.ETHERNET, 0), (g.ETHERNET, 2), (g.RAW, 0), (g.SLL, 0), (g.SLL2, 0), (g.LOOP, 0)],
)
@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_walker_matches_python_handlers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linktype: int, vlans: int, fmt: str
) -> None:
    path = tmp_path / f"x.{fmt}"
    _capture(path, linktype, vlans, fmt)
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    rows, report = fast
    names = [r["qname"] for r in rows]
    # what this capture must give (the branches above were taken, not skipped)
    assert names[:3] == ["www.example.com", "v6.example.net", "kxcvbnmqwerty.info"]
    assert "mixed-case_x*.example.com" in names and "tcp.example" in names
    assert "opts.example" in names and "hbh.example" in names and "a\\032b.example" in names
    assert "frag.example" not in names and "mdns.example" not in names
    first = rows[0]
    assert (first["rcode"], first["answers"]) == ("NOERROR", ["192.0.2.1", "198.51.100.255"])
    assert rows[1]["answers"] == ["2001:db8::10", "::ffff:1.2.3.4"]
    assert rows[3]["answers"] == ["target.example.org", "192.0.2.7"]
    reasons = {k[1] for k in report.counts}
    assert {
        "malformed DNS response: compression loop",
        "malformed DNS response: name runs past the message",
        "malformed DNS response: bad label length",
        "malformed DNS message: name longer than 255 bytes",
        "truncated DNS header",
        "timestamp before 1990 or in the future",
    } <= reasons


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if not data:
            break
        if op < 0.55:  # one byte changed, most often in the DNS message
            lo = max(0, len(data) - 80) if rng.random() < 0.8 else 0
            data[rng.randrange(lo, len(data))] = rng.choice(
                (0, 0xC0, 0x3F, 0xFF, rng.randrange(256))
            )
        elif op < 0.7:  # cut short
            del data[rng.randrange(len(data)) :]
        elif op < 0.8:  # bytes appended
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
        elif op < 0.9:  # a compression pointer somewhere in the message
            i = rng.randrange(max(0, len(data) - 60), len(data))
            data[i : i + 2] = bytes((0xC0 | rng.randrange(4), rng.randrange(256)))
        else:  # an answer count or length field changed
            i = rng.randrange(len(data))
            data[i : i + 2] = struct.pack("!H", rng.choice((0, 1, 2, 255, 65535)))
    return bytes(data)


@pytest.mark.parametrize(("seed", "linktype"), [(1, g.ETHERNET), (2, g.ETHERNET), (3, g.SLL2)])
def test_mutated_packets_read_the_same_and_never_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, linktype: int
) -> None:
    """3 x 2,500 randomly damaged frames of the capture above (Ethernet with and without
    tags, Linux cooked v2), in one file each: same events, same reports, and no record
    ends the read early ("unreadable record")."""
    rng = random.Random(seed)
    frames = _frames()
    packets = []
    for i in range(2500):
        frame = g.link(rng.choice(frames), linktype, rng.choice((0, 0, 1)))
        packets.append(g.Packet(T0 + i * 0.001, _mutate(rng, frame)))
    path = tmp_path / "fuzz.pcap"
    g.write_pcap(str(path), packets, linktype=linktype)
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    rows, report = fast
    assert report.lines_read[str(path)] == 2500
    assert not [k for k in report.counts if k[1].startswith("unreadable record")]
    assert 200 < len(rows) < 2500 and report.total_bad > 100


def test_every_truncation_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame above cut at every length from its UDP header on (each bound of the
    walker is met exactly): same events and reports both ways."""
    packets = []
    for frame in _frames():
        full = g.link(frame, g.ETHERNET)
        for cut in range(14 + 28, len(full)):
            packets.append(g.Packet(T0 + len(packets) * 0.001, full[:cut]))
        packets.append(g.Packet(T0 + len(packets) * 0.001, full))
    path = tmp_path / "cuts.pcap"
    g.write_pcap(str(path), packets)
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    assert fast[1].total_bad > len(_frames())


def test_mutated_file_headers_and_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Damage in the pcap record headers themselves (lengths, times), 300 files: same
    result both ways, never a crash."""
    good = tmp_path / "good.pcap"
    _capture(good)
    data = good.read_bytes()
    rng = random.Random(7)
    for k in range(300):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(24, len(buf) - 4)
            buf[i : i + 4] = struct.pack(
                "<I", rng.choice((0, 1, 41, 1 << 20, 1 << 31, rng.randrange(1 << 32)))
            )
        if rng.random() < 0.3:
            buf = buf[: rng.randrange(24, len(buf))]
        path = tmp_path / f"m{k}.pcap"
        path.write_bytes(bytes(buf))
        fast, slow = _read_both(path, monkeypatch)
        _same(fast, slow)
        assert not [c for c in fast[1].counts if c[1].startswith("unreadable record")]


def test_corrupt_record_length_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.pcap"
    _capture(path)
    with open(path, "ab") as f:
        f.write(struct.pack("<IIII", T0, 0, 1 << 31, 1 << 31) + b"\0" * 40)
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    n = len(_frames()) + 1
    assert [(b.line, b.reason) for ex in fast[1].examples.values() for b in ex][-1] == (
        n + 1,
        "corrupt packet record (length 2147483648)",
    )


def test_pcapng_time_beyond_64_bits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An Enhanced Packet Block whose time in nanoseconds overflows a C integer once in
    milliseconds is handed to Python, which reports it as out of range."""
    path = tmp_path / "t.pcapng"
    frames = [g.link(f, g.ETHERNET) for f in _frames()[:2]]
    g.write_pcapng(str(path), [g.Packet(T0, frames[0]), g.Packet(1.8e19, frames[1])], tsresol=0)
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    assert [(b.line, b.reason) for ex in fast[1].examples.values() for b in ex] == [
        (2, "timestamp before 1990 or in the future")
    ]


def test_batches_and_pairing_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small chunks and batches: responses paired with queries of earlier chunks, rows
    handed out in several batches, the same either way."""
    monkeypatch.setattr(pcap, "CHUNK", 700)
    monkeypatch.setattr(pcap, "BATCH_ROWS", 7)
    packets = []
    for i in range(120):
        packets += g.exchange(T0 + i, C4, 1000 + i, S4, f"n{i}.example", "A", i, f"A 192.0.2.{i}")
    path = tmp_path / "chunks.pcap"
    g.write_pcap(str(path), packets)
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    assert [r["answers"] for r in fast[0]] == [[f"192.0.2.{i}"] for i in range(120)]


def test_report_of_each_bad_name_is_counted(tmp_path: Path) -> None:
    """Every packet with the same invalid query name is one bad record (the name cache
    used to remember the first one's failure and drop the later ones silently)."""
    # 2 labels of 60 odd bytes: 123 bytes on the wire, 481 characters once escaped (over 253).
    # (The root name was the case here; a priming query is no bad record any more.)
    frame = g.link(g.udp(C4, 1, S4, 53, g.raw_query([b"\xff" * 60] * 2, 3)), g.ETHERNET)
    path = tmp_path / "long.pcap"
    g.write_pcap(str(path), [g.Packet(T0 + i, frame) for i in range(3)])
    _rows, report = read(path)
    assert report.total_bad == 3
    [reason] = {k[1] for k in report.counts}
    assert reason.startswith("invalid query name '\\\\255\\\\255"), reason


def test_compiled_module_is_used() -> None:
    ev = pcap._Events("x", InputReport())
    assert ev.scanner is not None


def _ng_block(e: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack(e + "II", btype, n) + body + struct.pack(e + "I", n)


def _ng_capture() -> bytes:
    """Two pcapng sections (little, then big endian) with interfaces of several link types
    and time resolutions (one unknown link type, one divisor too large for C), Enhanced,
    obsolete and simple packet blocks, a custom block, and blocks with bad fields."""
    frames = _frames()
    out = []
    for e in ("<", ">"):
        bom = struct.pack(e + "I", 0x1A2B3C4D)
        out.append(_ng_block(e, 0x0A0D0D0A, bom + struct.pack(e + "HHq", 1, 0, -1)))
        for lt, res in ((g.ETHERNET, 6), (g.RAW, 9), (999, 6), (g.SLL, 0x80 | 20), (g.RAW, 255)):
            opt = struct.pack(e + "HHB3x", 9, 1, res) + struct.pack(e + "HH", 0, 0)
            out.append(_ng_block(e, 1, struct.pack(e + "HHI", lt, 0, 262144) + opt))
        for i, f in enumerate(frames):
            iface = i % 5
            lt = (g.ETHERNET, g.RAW, g.ETHERNET, g.SLL, g.RAW)[iface]
            data = g.link(f, lt)
            units = {0: (T0 + i) * 10**6, 1: (T0 + i) * 10**9, 3: (T0 + i) << 20}.get(iface, T0)
            hi, lo = units >> 32, units & 0xFFFFFFFF
            if i % 7 == 3:  # an obsolete packet block
                body = struct.pack(e + "HHIIII", iface, 3, hi, lo, len(data), len(data))
                out.append(_ng_block(e, 2, body + data))
            else:
                body = struct.pack(e + "IIIII", iface, hi, lo, len(data), len(data))
                out.append(_ng_block(e, 6, body + data))
        data = g.link(frames[0], g.ETHERNET)
        out.append(_ng_block(e, 3, struct.pack(e + "I", len(data)) + data))  # simple block
        out.append(_ng_block(e, 0x0BAD, b"custom"))
        body = struct.pack(e + "IIIII", 9, 0, T0, len(data), len(data))  # no interface 9
        out.append(_ng_block(e, 6, body + data))
        for iface, extra in ((5, 0), (0, 40), (0, 1)):  # no such interface; data too long
            data = g.link(frames[0], g.ETHERNET)
            data += b"\0" * (-len(data) % 4)
            body = struct.pack(e + "IIIII", iface, 0, T0, len(data) + extra, len(data))
            out.append(_ng_block(e, 6, body + data))
        out.append(struct.pack(e + "III", 6, 12, 12))  # too short for its type
    return b"".join(out)


def test_pcapng_blocks_read_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.pcapng"
    path.write_bytes(_ng_capture())
    fast, slow = _read_both(path, monkeypatch)
    _same(fast, slow)
    rows, report = fast
    assert len(rows) > 30 and report.total_bad > 10
    reasons = {k[1] for k in report.counts}
    assert "simple packet block has no timestamp" in reasons
    assert "packet block with unknown interface or bad length" in reasons


def test_mutated_pcapng_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Block types, lengths, interface numbers and times damaged, 300 files: same result
    both ways, never a crash."""
    data = _ng_capture()
    rng = random.Random(11)
    for k in range(300):
        buf = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(0, len(buf) - 4) & ~3
            value = rng.choice((0, 1, 2, 3, 6, 12, 32, 1 << 20, 1 << 31, rng.randrange(1 << 32)))
            buf[i : i + 4] = struct.pack(rng.choice("<>") + "I", value)
        if rng.random() < 0.2:
            buf = buf[: rng.randrange(12, len(buf))]
        path = tmp_path / f"m{k}.pcapng"
        path.write_bytes(bytes(buf))
        got = [_attempt(path, monkeypatch, compiled) for compiled in (True, False)]
        if isinstance(got[0], str) or isinstance(got[1], str):  # a bad section header
            assert got[0] == got[1]
            continue
        _same(got[0], got[1])
        assert not [c for c in got[0][1].counts if c[1].startswith("unreadable record")]


def _attempt(path: Path, monkeypatch: pytest.MonkeyPatch, compiled: bool) -> Any:
    """read(path) with or without the walker, or the message of the InputError it raised."""
    with monkeypatch.context() as m:
        if not compiled:
            m.setattr(pcap, "_pcapscan", None)
        try:
            return read(path, "pcap")
        except InputError as exc:
            return str(exc)


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_strict_stops_at_the_same_packet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """With --strict the first bad record ends the read with one InputError, raised from
    the Python handler through the walker: the same message either way, GC back on."""
    import gc

    path = tmp_path / f"s.{fmt}"
    _capture(path, fmt=fmt)
    messages = []
    for compiled in (True, False):
        with monkeypatch.context() as m:
            if not compiled:
                m.setattr(pcap, "_pcapscan", None)
            with pytest.raises(InputError) as err:
                read(path, "pcap", report=InputReport(strict=True))
        messages.append(str(err.value))
        assert gc.isenabled()
    assert messages[0] == messages[1]
    assert "(--strict)" in messages[0] and f"s.{fmt}:" in messages[0]
