"""dnstap files: Frame Streams (the ``fstrm`` container: a START control frame with content
type ``protobuf:dnstap.Dnstap``, length-prefixed data frames, a STOP frame) holding dnstap
protobuf messages (``dnstap.proto``), decoded here by a minimal protobuf reader of the few
fields needed; the DNS messages inside are read by :mod:`dgawatch.readers._dnswire`.

Events come from messages about clients of the logging server: ``CLIENT_*`` (resolver),
``AUTH_*`` (authoritative), ``STUB_*`` and ``TOOL_*``; ``RESOLVER_*``/``FORWARDER_*`` (the
server's own upstream queries) and ``UPDATE_*`` are skipped. One event per query: a
``*_QUERY`` message is an event (client = query_address, time = query_time, UTC epoch by
definition); the ``*_RESPONSE`` with the same client address, port and message id fills
``rcode`` and ``answers``; a response whose query was not logged is an event of its own.
Sensor: the dnstap ``identity``. ``source_line``: the 1-based data frame number.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

from dgawatch.errors import InputError
from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import ROOT, EventBuilder
from dgawatch.readers._dnswire import WireError, answers, name_at, rcode_text, type_text

CONTENT_TYPE = b"protobuf:dnstap.Dnstap"
MAX_FRAME = 1 << 20
#: Control frames hold a type and a few content-type strings (fstrm allows 512 bytes).
MAX_CONTROL = 512
_CONTROL_START, _CONTROL_STOP = 2, 3
#: dnstap Message.Type values kept as events: (is_query, kind)
_KEEP = {1: True, 2: False, 5: True, 6: False, 9: True, 10: False, 11: True, 12: False}
_U32 = struct.Struct(">I")


class _Bad(Exception):
    pass


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise _Bad("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def fields(buf: bytes, pos: int = 0, end: int | None = None) -> dict[int, int | bytes]:
    """The scalar and length-delimited fields of one protobuf message (last one wins)."""
    end = len(buf) if end is None else end
    out: dict[int, int | bytes] = {}
    while pos < end:
        key, pos = _varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        if wire == 0:
            out[number], pos = _varint(buf, pos, end)
        elif wire == 2:
            n, pos = _varint(buf, pos, end)
            if pos + n > end:
                raise _Bad("truncated field")
            out[number] = buf[pos : pos + n]
            pos += n
        elif wire == 5:
            if pos + 4 > end:
                raise _Bad("truncated field")
            out[number] = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        elif wire == 1:
            if pos + 8 > end:
                raise _Bad("truncated field")
            out[number] = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        else:
            raise _Bad(f"unsupported protobuf wire type {wire}")
    return out


def _frames(stream: BinaryIO, file: str, report: InputReport) -> Iterator[tuple[int, bytes]]:
    """(1-based data frame number, payload) of each data frame."""
    head = stream.read(8)
    if len(head) < 8 or head[:4] != b"\0\0\0\0":
        raise InputError(f"{file}: not a Frame Streams (dnstap) file")
    clen = _U32.unpack_from(head, 4)[0]
    control = stream.read(min(clen, MAX_CONTROL))
    if len(control) < 4 or _U32.unpack_from(control)[0] != _CONTROL_START:
        raise InputError(f"{file}: Frame Streams file without a START frame")
    if CONTENT_TYPE not in control:
        raise InputError(f"{file}: Frame Streams content type is not {CONTENT_TYPE.decode()}")
    no = 0
    while True:
        lb = stream.read(4)
        if not lb:
            report.bad(file, no + 1, "Frame Streams file without a STOP frame", "")
            return
        if len(lb) < 4:
            report.bad(file, no + 1, "truncated frame length", lb)
            return
        n = _U32.unpack(lb)[0]
        if n == 0:  # control frame
            cl = stream.read(4)
            if len(cl) < 4:
                report.bad(file, no + 1, "truncated control frame", cl)
                return
            clen = _U32.unpack(cl)[0]
            if clen > MAX_CONTROL:
                report.bad(file, no + 1, f"corrupt control frame length {clen}", cl)
                return
            ctl = stream.read(clen)
            if len(ctl) >= 4 and _U32.unpack_from(ctl)[0] == _CONTROL_STOP:
                return
            continue
        if n > MAX_FRAME:
            report.bad(file, no + 1, f"corrupt frame length {n}", lb)
            return
        data = stream.read(n)
        no += 1
        if len(data) < n:
            report.bad(file, no, "truncated data frame", data[:48].hex())
            return
        yield no, data


def _ip(raw: object) -> str | None:
    if isinstance(raw, bytes) and len(raw) in (4, 16):
        return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
    return None


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    report.units[file] = "frame"  # bad input is numbered by Frame Streams frame, not line
    b = EventBuilder(file, report)
    pending: dict[tuple[str, int, int], int] = {}
    last = 0
    for no, frame in _frames(stream, file, report):
        last = no
        try:
            top = fields(frame)
            msg_raw = top.get(14)
            if not isinstance(msg_raw, bytes):
                continue  # not a MESSAGE dnstap
            m = fields(msg_raw)
        except _Bad as exc:
            report.bad(file, no, f"malformed dnstap protobuf: {exc}", frame[:48].hex())
            continue
        mtype = m.get(1)
        is_query = _KEEP.get(mtype) if isinstance(mtype, int) else None
        if is_query is None:
            continue
        identity = top.get(1)
        sensor = identity.decode("utf-8", "replace") if isinstance(identity, bytes) else None
        client = _ip(m.get(4))
        port = m.get(6)
        wire = m.get(10 if is_query else 14)
        sec = m.get(8 if is_query else 12)
        nsec = m.get(9 if is_query else 13)
        if not isinstance(sec, int):  # a response may carry only the query time
            sec, nsec = m.get(8), m.get(9)
        if client is None or not isinstance(wire, bytes) or not isinstance(sec, int):
            report.bad(
                file,
                no,
                "dnstap message without client address, time or DNS message",
                frame[:48].hex(),
            )
            continue
        ts = sec * 1000 + (nsec if isinstance(nsec, int) else 0) // 1_000_000
        try:
            if len(wire) < 12:
                raise WireError("truncated DNS header")
            mid, flags, qd, an = struct.unpack_from(">HHHH", wire)
            if not qd or flags & 0x7800:
                continue
            qname, pos = name_at(wire, 0, 12, len(wire))
            if pos + 4 > len(wire):
                raise WireError("truncated question")
            qtype = type_text(struct.unpack_from(">H", wire, pos)[0])
            ans = None if is_query else answers(wire, 0, pos + 4, len(wire), an)
        except WireError as exc:
            report.bad(file, no, f"malformed DNS message: {exc}", wire[:48].hex())
            continue
        key = (client, port if isinstance(port, int) else -1, mid)
        rcode = None if is_query else rcode_text(flags & 15)
        if not is_query:
            g = pending.pop(key, None)
            if g is not None:
                r = b.row_of(g)
                if r is not None:
                    b.rcode[r] = rcode
                    b.answers[r] = ans
                continue
        # name_at gives "" for the root (a priming query), which the builder skips quietly
        row = b.add(no, ts, client, qname or ROOT, qtype, rcode, ans, sensor, frame[:48].hex())
        if row >= 0 and is_query:
            pending[key] = b.handle(row)
        batch = b.take_if_full(pending)
        if batch is not None:
            yield batch
    report.lines_read[file] += last
    if len(b):
        yield b.take()


def _detect(head: bytes) -> bool:
    return head[:4] == b"\0\0\0\0" and CONTENT_TYPE in head[:64]


READERS = (Reader("dnstap", "dnstap (Frame Streams file)", 20, _detect, _read),)
