"""Just enough of the DNS wire format (RFC 1035 §4) for query events, fast: the header, the
first question and the answer section of a response, read in place from a larger buffer
(a pcap chunk) without copying the message. Record data other than A, AAAA and names is
rendered by dnspython.

Text forms: names without the final dot; a label holding bytes outside letters, digits,
``-``, ``_`` and ``*`` is rendered the dnspython way (``\\DDD`` escapes) so that it fails
normalisation visibly instead of being mangled.
"""

from __future__ import annotations

import re
import socket
import struct
from functools import cache

# dnspython is imported where it is used (type and rcode names, odd names, record data):
# reader detection imports this module for every hunt, and a Zeek log never needs it.

_U16 = struct.Struct(">H")
_RR = struct.Struct(">HHIH")
_ODD = re.compile(rb"[^A-Za-z0-9_\-*.]")
_NAME_TYPES = frozenset((2, 5, 12, 39))  # NS, CNAME, PTR, DNAME


class WireError(ValueError):
    """The message is truncated or malformed."""


@cache
def type_text(t: int) -> str:
    import dns.rdatatype

    return dns.rdatatype.to_text(t)  # type: ignore[arg-type]


@cache
def rcode_text(r: int) -> str:
    import dns.rcode

    return dns.rcode.to_text(r)  # type: ignore[arg-type]


def _text(labels: list[bytes]) -> str:
    raw = b".".join(labels)
    if _ODD.search(raw) is None and raw.count(b".") == len(labels) - 1:
        return raw.decode("ascii")
    import dns.name

    return dns.name.Name(labels).to_text(omit_final_dot=True)


def plain_name(buf: bytes, pos: int, end: int) -> tuple[str, int] | None:
    """The common case, fast: a name written out in full (no compression pointer) of
    letters, digits, ``-``, ``_`` and ``*``, lower-cased, and the position after it; None
    for anything else (the caller then takes :func:`name_at` and the full normalisation,
    which give the same text for the names this accepts)."""
    start = pos
    labels: list[bytes] = []
    while pos < end:
        n = buf[pos]
        if n == 0:
            if not labels or pos + 1 - start > 255:
                return None
            raw = b".".join(labels)
            if _ODD.search(raw) is not None or raw.count(b".") != len(labels) - 1:
                return None
            return raw.decode("ascii").lower(), pos + 1
        if n > 63:
            return None
        labels.append(buf[pos + 1 : pos + 1 + n])
        pos += 1 + n
    return None


def name_at(buf: bytes, msg: int, pos: int, end: int) -> tuple[str, int]:
    """The name at absolute ``pos`` of the message starting at absolute ``msg`` (pointers
    are offsets from ``msg``)."""
    labels: list[bytes] = []
    ret = -1
    hops = 0
    size = 1  # wire length of the name (RFC 1035 §2.3.4: at most 255 bytes)
    while True:
        if pos >= end:
            raise WireError("name runs past the message")
        n = buf[pos]
        if n == 0:
            pos += 1
            break
        if n >= 0xC0:
            if pos + 1 >= end:
                raise WireError("truncated compression pointer")
            if ret < 0:
                ret = pos + 2
            hops += 1
            if hops > 64:
                raise WireError("compression loop")
            pos = msg + (((n & 0x3F) << 8) | buf[pos + 1])
            continue
        if n > 63:
            raise WireError("bad label length")
        nxt = pos + 1 + n
        if nxt > end:
            raise WireError("label runs past the message")
        labels.append(buf[pos + 1 : nxt])
        size += n + 1
        if size > 255:
            raise WireError("name longer than 255 bytes")
        pos = nxt
    if not labels:
        return "", (ret if ret >= 0 else pos)
    return _text(labels), (ret if ret >= 0 else pos)


def skip_name(buf: bytes, pos: int, end: int) -> int:
    while True:
        if pos >= end:
            raise WireError("name runs past the message")
        n = buf[pos]
        if n == 0:
            return pos + 1
        if n >= 0xC0:
            return pos + 2
        if n > 63:
            raise WireError("bad label length")
        pos += 1 + n


def answers(buf: bytes, msg: int, pos: int, end: int, count: int) -> list[str]:
    """Text of the ``count`` answer records starting at ``pos``."""
    out: list[str] = []
    for _ in range(count):
        pos = skip_name(buf, pos, end)
        if pos + 10 > end:
            raise WireError("truncated resource record")
        rtype, rclass, _ttl, rdlen = _RR.unpack_from(buf, pos)
        pos += 10
        rend = pos + rdlen
        if rend > end:
            raise WireError("record data runs past the message")
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntop(socket.AF_INET, buf[pos:rend]))
        elif rtype == 28 and rdlen == 16:
            out.append(socket.inet_ntop(socket.AF_INET6, buf[pos:rend]))
        elif rtype in _NAME_TYPES:
            out.append(name_at(buf, msg, pos, rend)[0] if rdlen else "")
        elif rtype != 41:  # OPT belongs in additional data; ignore if misplaced
            out.append(_rdata_text(buf, msg, end, pos, rdlen, rtype, rclass))
        pos = rend
    return out


def _rdata_text(
    buf: bytes, msg: int, end: int, pos: int, rdlen: int, rtype: int, rclass: int
) -> str:
    import dns.exception
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype

    wire = buf[msg:end]
    try:
        rd = dns.rdata.from_wire(
            dns.rdataclass.RdataClass.make(rclass),
            dns.rdatatype.RdataType.make(rtype),
            wire,
            pos - msg,
            rdlen,
        )
        return rd.to_text()
    except (dns.exception.DNSException, ValueError) as exc:
        raise WireError(f"bad {type_text(rtype)} record data") from exc
