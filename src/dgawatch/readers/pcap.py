"""Packet captures: pcap (microsecond and nanosecond, either byte order) and pcapng
(Enhanced and obsolete Packet Blocks, per-interface link type and time resolution), format
name ``pcap`` for both.

Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked v1 and v2, raw IP, BSD
loopback. Network: IPv4 (non-first fragments skipped, fragments are not reassembled) and
IPv6 (hop-by-hop, routing, destination-options and fragment headers followed). Transport:
UDP and TCP on port 53, TCP streams reassembled in order per connection (two-byte length
prefix, RFC 1035 §4.2.2). Only standard queries (opcode QUERY) with a question count.

One event per query: a query packet becomes an event (client = its source address, time =
packet time, UTC by definition of the capture format); the matching response (same client
address and port, server address and message id) fills ``rcode`` and ``answers``. A
response whose query was not captured becomes an event of its own (client = its
destination, time = the response's). ``source_line`` is the 1-based packet number in the
file (for TCP, the packet completing the message). Answers are only attached while the
query's batch is still open (a response more than a batch of events later is not paired).

Speed: the records are read in place from multi-megabyte chunks by the compiled walker
:mod:`dgawatch._pcapscan`, which writes the events of ordinary UDP packets into the same
column lists and pairing table as the Python handlers below and hands every other packet
(TCP, anything truncated, malformed or unusual) to them before changing any state; without
the compiled module (not built) the Python handlers read everything, with the same output
and reports. dnspython is only used for record data other than A/AAAA/names (see
:mod:`dgawatch.readers._dnswire`).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import pyarrow as pa

from dgawatch.errors import InputError
from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import BATCH_ROWS, MIN_TS_MS, event_batch, max_ts_ms, norm_qname
from dgawatch.readers._dnswire import (
    WireError,
    answers,
    name_at,
    plain_name,
    rcode_text,
    skip_name,
    type_text,
)

try:
    from dgawatch import _pcapscan
except ImportError:  # not compiled: the Python handlers read every packet
    _pcapscan = None  # type: ignore[assignment]

CHUNK = 16 << 20
#: Largest plausible captured packet; a bigger record length means a corrupt file.
MAX_PACKET = 1 << 20
#: A response this long (ms) after the last event is not held back for pairing.
PAIR_WINDOW_MS = 5_000
#: TCP reassembly bounds: connections followed at once, and bytes of unfinished messages
#: held over all of them (a DNS message is at most 65,537 bytes with its length prefix).
#: Past either, the oldest connection's partial data is dropped and reported.
MAX_TCP_FLOWS = 4096
MAX_TCP_BYTES = 16 << 20
_TOO_MANY_FLOWS = "TCP stream dropped: too many open connections"
_TOO_MANY_BYTES = "TCP stream dropped: reassembly buffer limit reached"

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_HHHH = struct.Struct(">HHHH")
_HH = struct.Struct(">HH")
_RR = struct.Struct(">HHIH")  # type, class, TTL, data length
_IP4 = struct.Struct(">BBHHHBBH4s4s")
#: Ethernet type, then IPv4 version/IHL, total length, fragment, protocol, addresses, then
#: the UDP ports, in one unpack (valid when the IPv4 header has no options).
_ETH_IP4_UDP = struct.Struct(">12xHBxHxxHxBxx4s4sHH")

# link types (https://www.tcpdump.org/linktypes.html)
_NULL, _ETHERNET, _RAW, _RAW_OLD1, _RAW_OLD2, _LOOP = 0, 1, 101, 12, 14, 108
_SLL, _SLL2, _IPV4, _IPV6 = 113, 276, 228, 229
LINK_TYPES = frozenset(
    (_NULL, _ETHERNET, _RAW, _RAW_OLD1, _RAW_OLD2, _LOOP, _SLL, _SLL2, _IPV4, _IPV6)
)


class _Events:
    """Column lists of the events of one file, with query/response pairing."""

    def __init__(self, file: str, report: InputReport) -> None:
        self.file = file
        self.report = report
        self.max_ts = max_ts_ms()
        self.ts: list[int] = []
        self.client: list[str] = []
        self.qname: list[str] = []
        self.qtype: list[str] = []
        self.rcode: list[str | None] = []
        self.answers: list[list[str] | None] = []
        self.line: list[int] = []
        #: the row lists, in the order the compiled walker takes them
        self.columns: tuple[list[Any], ...] = (
            self.ts,
            self.client,
            self.qname,
            self.qtype,
            self.rcode,
            self.answers,
            self.line,
        )
        self.base = 0  # global index of row 0 of the lists
        #: unanswered queries: client address + server address + client port and message
        #: id (2 bytes each, big endian) -> global row (the compiled walker builds the same)
        self.pending: dict[bytes, int] = {}
        self.addr: dict[bytes, str] = {}
        self.flows: dict[tuple[bytes, int, bytes, int], tuple[list[int], bytearray]] = {}
        self.tcp_bytes = 0  # held in the streams of ``flows``
        self.handle, self.dns = self._make_handler()
        #: the compiled walker (None when not built): it calls ``handle`` for the packets
        #: it leaves to Python
        self.scanner = None
        if _pcapscan is not None:
            self.scanner = _pcapscan.Scanner(
                *self.columns,
                self.pending,
                {},
                type_text,
                tuple(rcode_text(r) for r in range(16)),
                self.handle,
                MIN_TS_MS,
                self.max_ts,
            )

    def bad(self, no: int, reason: str, buf: bytes, start: int, end: int) -> None:
        self.report.bad(self.file, no, reason, buf[start : min(end, start + 48)].hex())

    def take(self, final: bool = False) -> pa.RecordBatch:
        n = len(self.ts)
        if not final and n:
            # hold back the newest events so that their responses can still be paired
            limit = self.ts[-1] - PAIR_WINDOW_MS
            k = n
            while k > n // 2 and self.ts[k - 1] >= limit:
                k -= 1
            n = k
        batch = event_batch(self, n, self.file, None)
        for column in self.columns:
            del column[:n]
        self.base += n
        if self.scanner is not None:
            self.scanner.base = self.base
        if len(self.pending) > 4 * BATCH_ROWS:
            # in place: the handler holds this dict (queries never answered are dropped)
            base = self.base
            for key in [k for k, v in self.pending.items() if v < base]:
                del self.pending[key]
        return batch

    def _make_handler(
        self,
    ) -> tuple[
        Callable[[bytes, int, int, int, int, int], None],
        Callable[[bytes, int, int, bytes, int, bytes, int, int], None],
    ]:
        """(packet handler, DNS message handler)."""
        ts_l, client_l, qname_l, qtype_l = self.ts, self.client, self.qname, self.qtype
        rcode_l, ans_l, line_l = self.rcode, self.answers, self.line
        pending = self.pending
        addr = self.addr
        u16 = _U16.unpack_from
        hhhh = _HHHH.unpack_from
        max_ts = self.max_ts
        bad = self.bad
        ntop = socket.inet_ntop
        hh = _HH.unpack_from
        hh_pack = _HH.pack
        plain = plain_name
        rcodes = tuple(rcode_text(r) for r in range(16))
        rr = _RR.unpack_from

        def text(raw: bytes) -> str:
            t = addr.get(raw)
            if t is None:
                t = ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
                addr[raw] = t
            return t

        qcache: dict[bytes, str] = {}  # wire question name -> name (plain names only)
        tcache: dict[int, str] = {}

        def question(buf: bytes, m: int, q0: int, mend: int, no: int) -> tuple[str, int]:
            """(normalised name or "" when reported, position after the name): the general
            path, for names :func:`plain_name` leaves out. Not cached: a name read here may
            hold a pointer (its bytes alone do not fix its text), and an invalid one is
            reported at each packet that holds it."""
            try:
                qname, pos = name_at(buf, m, q0, mend)
            except WireError as exc:
                bad(no, f"malformed DNS message: {exc}", buf, m, mend)
                return "", -1
            if not qname:  # the root (a priming query, '. NS'): no event, nothing wrong
                return "", pos
            try:
                name = norm_qname(qname)
            except InputError:
                bad(no, f"invalid query name {qname[:80]!r}", buf, m, mend)
                name = ""
            return name, pos

        def dns(
            buf: bytes, m: int, mend: int, src: bytes, cport: int, dst: bytes, ts: int, no: int
        ) -> None:
            if mend - m < 12:
                bad(no, "truncated DNS header", buf, m, mend)
                return
            mid, flags, qd, an = hhhh(buf, m)
            if flags & 0x7800 or not qd:  # not a standard query, or no question
                return
            q0 = m + 12
            if flags & 0x8000:  # response
                g = pending.pop(dst + src + hh_pack(cport, mid), None)
                if g is not None:  # its query is an event: only rcode and answers are new
                    try:
                        pos = skip_name(buf, q0, mend) + 4
                        if pos > mend:
                            raise WireError("truncated question")
                        ans: list[str] | None
                        if not an:
                            ans = []
                        elif an == 1 and pos + 16 <= mend and buf[pos] == 0xC0:
                            # one record named by a pointer: an A record is read in place
                            rtype, _rc, _ttl, rdlen = rr(buf, pos + 2)
                            if rtype == 1 and rdlen == 4 and pos + 16 <= mend:
                                raw = buf[pos + 12 : pos + 16]
                                ans = [addr.get(raw) or text(raw)]
                            else:
                                ans = answers(buf, m, pos, mend, an)
                        else:
                            ans = answers(buf, m, pos, mend, an)
                    except WireError as exc:
                        bad(no, f"malformed DNS response: {exc}", buf, m, mend)
                        ans = None
                    idx = g - self.base
                    if idx >= 0:
                        rcode_l[idx] = rcodes[flags & 15]
                        ans_l[idx] = ans
                    return  # (a query already emitted keeps its empty response fields)
            z = buf.find(b"\0", q0, mend)
            name = qcache.get(buf[q0 : z + 1]) if z >= 0 else None
            if name is not None:
                pos = z + 1
            elif (fast := plain(buf, q0, mend)) is not None:
                name, pos = fast  # written out in full, no zero inside: cacheable
                if len(qcache) > 200_000:
                    qcache.clear()
                qcache[buf[q0:pos]] = name
            else:
                name, pos = question(buf, m, q0, mend, no)
                if pos < 0:
                    return
            if pos + 4 > mend:
                bad(no, "malformed DNS message: truncated question", buf, m, mend)
                return
            if flags & 0x8000:  # a response whose query was not captured
                try:
                    ans = answers(buf, m, pos + 4, mend, an) if an else []
                except WireError as exc:
                    bad(no, f"malformed DNS response: {exc}", buf, m, mend)
                    ans = None
                if not name:
                    return
                client = addr.get(dst) or text(dst)
                rcode: str | None = rcodes[flags & 15]
            else:
                if not name:
                    return
                client = addr.get(src) or text(src)
                rcode = None
                ans = None
                pending[src + dst + hh_pack(cport, mid)] = self.base + len(ts_l)
            t = (buf[pos] << 8) | buf[pos + 1]
            qtype = tcache.get(t)
            if qtype is None:
                qtype = tcache[t] = type_text(t)
            ts_l.append(ts)
            client_l.append(client)
            qname_l.append(name)
            qtype_l.append(qtype)
            rcode_l.append(rcode)
            ans_l.append(ans)
            line_l.append(no)

        flows = self.flows

        def drop_oldest(no: int, reason: str) -> None:
            key = next(iter(flows))
            self.tcp_bytes -= len(flows.pop(key)[1])
            self.report.bad(self.file, no, reason, "")

        def tcp(buf: bytes, p: int, end: int, src: bytes, dst: bytes, ts: int, no: int) -> None:
            if p + 20 > end:
                bad(no, "truncated TCP header", buf, p, end)
                return
            sport, dport = hh(buf, p)
            if sport != 53 and dport != 53:
                return
            seq = _U32.unpack_from(buf, p + 4)[0]
            off = (buf[p + 12] >> 4) * 4
            tflags = buf[p + 13]
            data = buf[p + off : end]
            seg_len = len(data)
            key = (src, sport, dst, dport)
            flow = flows.get(key)
            if tflags & 0x07:  # FIN, SYN or RST: a connection starts or ends
                if flow is not None:
                    self.tcp_bytes -= len(flows.pop(key)[1])
                flow = None
                if tflags & 0x02:
                    seq += 1
            if not data:
                if tflags & 0x02:
                    if len(flows) >= MAX_TCP_FLOWS:
                        drop_oldest(no, _TOO_MANY_FLOWS)
                    flows[key] = ([seq], bytearray())
                return
            if flow is None:
                if len(flows) >= MAX_TCP_FLOWS:
                    drop_oldest(no, _TOO_MANY_FLOWS)
                flow = flows[key] = ([seq], bytearray())
            nxt_box, stream = flow
            nxt = nxt_box[0]
            if seq != nxt:
                if (nxt - seq) % (1 << 32) < len(data):  # overlaps what we have
                    data = data[(nxt - seq) % (1 << 32) :]
                elif (nxt - seq) % (1 << 32) < (1 << 31):  # old retransmission
                    return
                else:  # a gap: lost segment, start afresh
                    self.tcp_bytes -= len(stream)
                    stream.clear()
            before = len(stream)
            stream += data
            nxt_box[0] = (seq + seg_len) % (1 << 32)
            while len(stream) >= 2:
                size = (stream[0] << 8) | stream[1]
                if len(stream) < 2 + size:
                    break
                msg = bytes(stream[2 : 2 + size])
                del stream[: 2 + size]
                dns(msg, 0, size, src, sport if sport != 53 else dport, dst, ts, no)
            self.tcp_bytes += len(stream) - before
            if stream:  # bytes held: this stream is now the newest, the first to keep
                flows[key] = flows.pop(key)
            while self.tcp_bytes > MAX_TCP_BYTES and len(flows) > 1:
                drop_oldest(no, _TOO_MANY_BYTES)

        ip4 = _IP4.unpack_from
        fast4 = _ETH_IP4_UDP.unpack_from
        min_ts = MIN_TS_MS

        def packet(buf: bytes, p: int, end: int, ts: int, no: int, link: int) -> None:
            if ts < min_ts or ts > max_ts:
                bad(no, "timestamp before 1990 or in the future", buf, p, end)
                return
            if link == 1 and end - p >= 42:  # the common case: Ethernet, IPv4, UDP
                et, vihl, total, frag, proto, src, dst, sport, dport = fast4(buf, p)
                if et == 0x0800 and vihl == 0x45 and proto == 17:
                    if frag & 0x1FFF:  # not the first fragment
                        return
                    if p + 14 + total < end and total >= 28:
                        end = p + 14 + total  # drop Ethernet padding
                    if sport == 53:
                        dns(buf, p + 42, end, src, dport, dst, ts, no)
                    elif dport == 53:
                        dns(buf, p + 42, end, src, sport, dst, ts, no)
                    return
            if link == 1:
                if p + 14 > end:
                    return
                et = (buf[p + 12] << 8) | buf[p + 13]
                p += 14
                while et == 0x8100 or et == 0x88A8:
                    if p + 4 > end:
                        return
                    et = (buf[p + 2] << 8) | buf[p + 3]
                    p += 4
            elif link == 113:
                if p + 16 > end:
                    return
                et = (buf[p + 14] << 8) | buf[p + 15]
                p += 16
            elif link == 276:
                if p + 20 > end:
                    return
                et = (buf[p] << 8) | buf[p + 1]
                p += 20
            elif link == 0 or link == 108:
                if p + 4 > end:
                    return
                fam = buf[p] | buf[p + 3]  # either byte order: the family fits in one byte
                et = 0x0800 if fam == 2 else 0x86DD
                p += 4
            else:  # raw IP
                if p >= end:
                    return
                et = 0x0800 if buf[p] >> 4 == 4 else 0x86DD
            if et == 0x0800:
                if p + 20 > end:
                    return
                vihl, _tos, total, _id, frag, _ttl, proto, _sum, src, dst = ip4(buf, p)
                if frag & 0x1FFF:  # not the first fragment
                    return
                if p + total < end and total >= 20:
                    end = p + total  # drop Ethernet padding
                p += (vihl & 15) * 4
            elif et == 0x86DD:
                if p + 40 > end:
                    return
                proto = buf[p + 6]
                src = buf[p + 8 : p + 24]
                dst = buf[p + 24 : p + 40]
                plen = u16(buf, p + 4)[0]
                if plen and p + 40 + plen < end:
                    end = p + 40 + plen
                p += 40
                while proto in (0, 43, 60, 44, 51):
                    if p + 8 > end:
                        return
                    if proto == 44:
                        if u16(buf, p + 2)[0] & 0xFFF8:
                            return  # not the first fragment
                        proto, p = buf[p], p + 8
                    elif proto == 51:
                        proto, p = buf[p], p + (buf[p + 1] + 2) * 4
                    else:
                        proto, p = buf[p], p + (buf[p + 1] + 1) * 8
            else:
                return
            if proto == 17:
                if p + 8 > end:
                    bad(no, "truncated UDP header", buf, p, end)
                    return
                sport, dport = hh(buf, p)
                if sport == 53:
                    dns(buf, p + 8, end, src, dport, dst, ts, no)
                elif dport == 53:
                    dns(buf, p + 8, end, src, sport, dst, ts, no)
            elif proto == 6:
                tcp(buf, p, end, src, dst, ts, no)

        return packet, dns


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    report.units[file] = "packet"  # bad input is numbered by packet (block), not line
    head = stream.read(24)
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        yield from _read_pcapng(head, stream, file, report)
        return
    if len(head) < 24:
        report.bad(file, 0, "truncated pcap file header", f"{len(head)} of 24 bytes")
        return
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise InputError(f"{file}: not a pcap or pcapng file")
    div = 1_000_000 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1000
    link = struct.unpack(endian + "I", head[20:24])[0] & 0x0FFFFFFF
    if link not in LINK_TYPES:
        report.bad(file, 0, f"unsupported link type {link}", head.hex())
        return
    ev = _Events(file, report)
    if ev.scanner is not None:
        yield from _read_compiled(ev, stream, file, report, endian == ">", div, link)
        return
    packet, dns = ev.handle, ev.dns
    ethernet = link == _ETHERNET
    fast4 = _ETH_IP4_UDP.unpack_from
    min_ts, max_ts = MIN_TS_MS, ev.max_ts
    rec = struct.Struct(endian + "IIII").unpack_from
    buf = b""
    off = 0
    no = 0
    while True:
        data = stream.read(CHUNK)
        buf = buf[off:] + data
        off = 0
        n = len(buf)
        while off + 16 <= n:
            sec, frac, incl, _orig = rec(buf, off)
            end = off + 16 + incl
            if end > n:
                if incl > MAX_PACKET:
                    report.bad(file, no + 1, f"corrupt packet record (length {incl})", "")
                    report.lines_read[file] += no
                    yield from _drain(ev)
                    return
                break
            no += 1
            ts = sec * 1000 + frac // div
            p = off + 16
            off = end
            if ethernet and incl >= 42 and min_ts <= ts <= max_ts:  # the common case, inline
                et, vihl, total, frag, proto, src, dst, sport, dport = fast4(buf, p)
                if (
                    et == 0x0800
                    and vihl == 0x45
                    and proto == 17
                    and not frag & 0x1FFF
                    and total >= 28
                ):
                    if total < incl - 14:
                        end = p + 14 + total  # drop Ethernet padding
                    if sport == 53:
                        dns(buf, p + 42, end, src, dport, dst, ts, no)
                    elif dport == 53:
                        dns(buf, p + 42, end, src, sport, dst, ts, no)
                    continue
            packet(buf, p, end, ts, no, link)
        while len(ev.ts) >= BATCH_ROWS:
            yield ev.take()
        if not data:
            break
    if off < len(buf):
        report.bad(
            file, no + 1, "truncated packet record at end of file", _cut(buf, off, endian == ">")
        )
    report.lines_read[file] += no
    yield from _drain(ev)


def _read_compiled(
    ev: _Events, stream: BinaryIO, file: str, report: InputReport, big: bool, div: int, link: int
) -> Iterator[pa.RecordBatch]:
    """The record loop of :func:`_read`, run by the compiled walker chunk by chunk."""
    scan = ev.scanner.scan_pcap  # type: ignore[union-attr]
    buf = b""
    off = 0
    no = 0
    while True:
        data = stream.read(CHUNK)
        buf = buf[off:] + data
        off, no, corrupt = scan(buf, 0, big, div, no, link, MAX_PACKET)
        if corrupt:
            report.bad(file, no + 1, f"corrupt packet record (length {_incl(buf, off, big)})", "")
            report.lines_read[file] += no
            yield from _drain(ev)
            return
        while len(ev.ts) >= BATCH_ROWS:
            yield ev.take()
        if not data:
            break
    if off < len(buf):
        report.bad(file, no + 1, "truncated packet record at end of file", _cut(buf, off, big))
    report.lines_read[file] += no
    yield from _drain(ev)


def _cut(buf: bytes, off: int, big: bool) -> str:
    """What is left of a record cut by the end of the file, in words (a capture copied
    while tcpdump was still writing it), not its raw bytes."""
    left = len(buf) - off
    if left < 16:
        return f"{left} of the record header's 16 bytes"
    return f"{left - 16} of {_incl(buf, off, big)} packet bytes"


def _incl(buf: bytes, off: int, big: bool) -> int:
    return struct.unpack_from(">I" if big else "<I", buf, off + 8)[0]


def _drain(ev: _Events) -> Iterator[pa.RecordBatch]:
    if ev.ts:
        yield ev.take(final=True)


def _read_pcapng(
    first: bytes, stream: BinaryIO, file: str, report: InputReport
) -> Iterator[pa.RecordBatch]:
    ev = _Events(file, report)
    packet = ev.handle if ev.scanner is None else ev.scanner.packet
    scan = None if ev.scanner is None else ev.scanner.scan_pcapng
    buf = first
    off = 0
    no = 0
    endian = "<"
    ifaces: list[tuple[int, int, int]] = []  # (link type, units per second numerator, divisor)
    eof = False
    consumed = 0  # file offset of buf[0]
    while True:
        if not eof:
            data = stream.read(CHUNK)
            eof = not data
            consumed += off
            buf = buf[off:] + data
            off = 0
        n = len(buf)
        while off + 12 <= n:
            if scan is not None:  # the packet blocks up to the next block of another kind
                off, no = scan(buf, off, endian == ">", no, ifaces, MAX_PACKET)
                if off + 12 > n:
                    break
            btype = struct.unpack_from(endian + "I", buf, off)[0]
            if btype == 0x0A0D0D0A:
                bom = buf[off + 8 : off + 12]
                if bom == b"\x4d\x3c\x2b\x1a":
                    endian = "<"
                elif bom == b"\x1a\x2b\x3c\x4d":
                    endian = ">"
                else:
                    raise InputError(f"{file}: corrupt pcapng section header")
                ifaces = []
            blen = struct.unpack_from(endian + "I", buf, off + 4)[0]
            if blen < 12 or blen % 4 or blen > MAX_PACKET + 64:
                report.bad(file, no + 1, f"corrupt pcapng block (length {blen})", "")
                report.lines_read[file] += no
                yield from _drain(ev)
                return
            if off + blen > n:
                break
            if blen < _MIN_BLOCK.get(btype, 12):
                report.bad(
                    file,
                    no + 1,
                    f"pcapng block too short for its type {btype} at byte {consumed + off}",
                    buf[off : off + blen],
                )
                off += blen
                continue
            body = off + 8
            bend = off + blen - 4
            if btype == 1:  # interface description
                link = struct.unpack_from(endian + "H", buf, body)[0]
                ifaces.append((link, *_tsresol(buf, body + 8, bend, endian)))
            elif btype in (6, 2):  # enhanced / obsolete packet block
                no += 1
                if btype == 6:
                    iface, hi, lo, incl = struct.unpack_from(endian + "IIII", buf, body)
                else:
                    iface, _drops, hi, lo, incl = struct.unpack_from(endian + "HHIII", buf, body)
                start = body + 20
                if iface >= len(ifaces) or start + incl > bend:
                    report.bad(file, no, "packet block with unknown interface or bad length", "")
                else:
                    link, num, div = ifaces[iface]
                    if link in LINK_TYPES:
                        ts = ((hi << 32) | lo) * num // div
                        packet(buf, start, start + incl, ts, no, link)
            elif btype == 3:  # simple packet block: no timestamp, no event
                no += 1
                report.bad(file, no, "simple packet block has no timestamp", "")
            off += blen
        while len(ev.ts) >= BATCH_ROWS:
            yield ev.take()
        if eof:
            break
    if off < len(buf):
        report.bad(file, no + 1, "truncated pcapng block at end of file",
                   f"{len(buf) - off} bytes left")  # fmt: skip
    report.lines_read[file] += no
    yield from _drain(ev)


#: Smallest total length of the pcapng blocks read here (section header, interface
#: description, enhanced and obsolete packet blocks): header, fixed fields, trailer.
_MIN_BLOCK = {0x0A0D0D0A: 28, 1: 20, 6: 32, 2: 32}


def _tsresol(buf: bytes, pos: int, end: int, endian: str) -> tuple[int, int]:
    """(numerator, divisor) turning timestamp units into milliseconds (if_tsresol)."""
    while pos + 4 <= end:
        code, length = struct.unpack_from(endian + "HH", buf, pos)
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = buf[pos + 4]
            if v & 0x80:
                return 1000, 1 << (v & 0x7F)
            return 1000, 10**v
        pos += 4 + ((length + 3) & ~3)
    return 1000, 1_000_000


def _detect(head: bytes) -> bool:
    return head[:4] in (
        b"\xd4\xc3\xb2\xa1",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\xa1\xb2\x3c\x4d",
        b"\x0a\x0d\x0d\x0a",
    )


READERS = (Reader("pcap", "pcap / pcapng packet capture (UDP and TCP DNS)", 10, _detect, _read),)
