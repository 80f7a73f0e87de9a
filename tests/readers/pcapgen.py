"""Packet captures for tests and benchmarks: DNS messages made with dnspython, wrapped in
UDP/TCP, IPv4/IPv6 and a link layer by hand, written as pcap or pcapng by a small writer
(formats: tcpdump's pcap-savefile(5) and the pcapng draft)."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import dns.message
import dns.rcode
import dns.rrset

ETHERNET, RAW, SLL, SLL2, NULL, LOOP = 1, 101, 113, 276, 0, 108


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(src: str, sport: int, dst: str, dport: int, payload: bytes) -> bytes:
    """An IP packet (v4 or v6 from the address form) carrying a UDP datagram."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return ip(src, dst, 17, seg)


def tcp(
    src: str, sport: int, dst: str, dport: int, seq: int, payload: bytes, flags: int = 0x18
) -> bytes:
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
    return ip(src, dst, 6, seg)


def ip(src: str, dst: str, proto: int, payload: bytes) -> bytes:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        hdr = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, s.packed, d.packed
        )
        hdr = hdr[:10] + struct.pack("!H", _checksum(hdr)) + hdr[12:]
        return hdr + payload
    return (
        struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64, s.packed, d.packed) + payload
    )


def link(packet: bytes, linktype: int, vlans: int = 0) -> bytes:
    """A frame of ``linktype`` around an IP packet (Ethernet: with ``vlans`` 802.1Q/802.1ad
    tags; BSD loopback: the family in host order, little endian here)."""
    et = 0x0800 if packet[0] >> 4 == 4 else 0x86DD
    if linktype == ETHERNET:
        tags = b"".join(
            struct.pack("!HH", 0x88A8 if i < vlans - 1 else 0x8100, 100 + i) for i in range(vlans)
        )
        return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + tags + struct.pack("!H", et) + packet
    if linktype in (NULL, LOOP):
        return struct.pack("<I", 2 if et == 0x0800 else 10) + packet
    if linktype == SLL:
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", et) + packet
    if linktype == SLL2:
        return struct.pack("!HHIHBB8s", et, 0, 1, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + packet
    return packet


def query(name: str, rdtype: str = "A", qid: int = 1) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype)
    q.id = qid
    return q


def response(q: dns.message.Message, *answers: str, rcode: str = "NOERROR") -> bytes:
    """Wire form of a response to ``q`` with answers like ``"A 1.2.3.4"``."""
    r = dns.message.make_response(q)
    r.set_rcode(dns.rcode.from_text(rcode))
    qname = q.question[0].name
    for text in answers:
        rdtype, data = text.split(" ", 1)
        r.answer.append(dns.rrset.from_text(qname, 300, "IN", rdtype, data))
    return r.to_wire()


@dataclass
class Packet:
    ts: float  # epoch seconds
    data: bytes  # link-layer frame


def write_pcap(
    path: str,
    packets: Iterable[Packet],
    linktype: int = ETHERNET,
    nano: bool = False,
    big_endian: bool = False,
) -> None:
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype))
        for p in packets:
            sec = int(p.ts)
            frac = round((p.ts - sec) * (1e9 if nano else 1e6))
            f.write(struct.pack(e + "IIII", sec, frac, len(p.data), len(p.data)) + p.data)


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def write_pcapng(
    path: str, packets: Iterable[Packet], linktype: int = ETHERNET, tsresol: int = 6
) -> None:
    """One section, one interface with ``if_tsresol`` = 10^-tsresol s, Enhanced Packet
    Blocks."""
    with open(path, "wb") as f:
        f.write(_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        opts = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
        f.write(_block(1, struct.pack("<HHI", linktype, 0, 262144) + opts))
        for p in packets:
            units = round(p.ts * 10**tsresol)
            body = (
                struct.pack("<IIIII", 0, units >> 32, units & 0xFFFFFFFF, len(p.data), len(p.data))
                + p.data
            )
            f.write(_block(6, body))


def exchange(
    ts: float,
    client: str,
    cport: int,
    server: str,
    name: str,
    rdtype: str,
    qid: int,
    *answers: str,
    rcode: str = "NOERROR",
    rtt: float = 0.01,
    linktype: int = ETHERNET,
) -> list[Packet]:
    """A UDP query and its response as two link-layer frames."""
    q = query(name, rdtype, qid)
    return [
        Packet(ts, link(udp(client, cport, server, 53, q.to_wire()), linktype)),
        Packet(
            ts + rtt,
            link(udp(server, 53, client, cport, response(q, *answers, rcode=rcode)), linktype),
        ),
    ]


def raw_query(labels: list[bytes], qid: int = 1, rdtype: int = 1) -> bytes:
    """A query's wire form with any labels, also ones dnspython refuses to build (a name
    over 255 bytes, odd bytes)."""
    name = b"".join(bytes([len(label)]) + label for label in labels) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", rdtype, 1)
