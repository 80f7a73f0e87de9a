"""The authoritative DNS side of the sinkhole, as a pure function from a query's bytes to
the answer's bytes (plus what the event store needs), so it can be fuzzed without sockets.

Every sinkholed name (and every name below it) answers A/AAAA with the sinkhole
address(es); at the sinkholed name itself SOA and NS answer too (each sinkholed name is its
own zone apex, served by ``ns1.<name>``, which is itself sinkholed); other types get NODATA
with the SOA. Names outside the set are REFUSED (we are not authoritative for them), or
NXDOMAIN if configured.

Parsing and building follow dnspython. The common shape of a query (one question, class IN,
no or one plain EDNS OPT record) is handled by a short byte-level path whose answers are
tested to equal dnspython's; everything else goes through ``dns.message.from_wire`` and
``make_response``. Input that dnspython rejects is counted and, where a header can be read,
answered FORMERR; nothing raises.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from dgawatch.sinkhole.names import Match, SinkholeSet
from dgawatch.sinkhole.plan import AddressPlan

NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5
T_A, T_NS, T_SOA, T_AAAA, T_OPT, T_ANY = 1, 2, 6, 28, 41, 255
#: Our EDNS UDP payload size (the DNS flag day 2020 recommendation).
UDP_PAYLOAD = 1232
RCODE_TEXT = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
_H_ONE_Q = b"\x00\x01\x00\x00\x00\x00\x00\x00"
_H_ONE_Q_OPT = b"\x00\x01\x00\x00\x00\x00\x00\x01"
_OPT_RR = b"\x00\x00\x29" + struct.pack("!HIH", UDP_PAYLOAD, 0, 0)
_SOA_TIMERS = (3600, 600, 86400)  # refresh, retry, expire
#: Bytes of a name the fast path takes: printable ASCII but those dnspython escapes.
_PLAIN_NAME = bytes(b for b in range(0x21, 0x7F) if b not in b'"();\\@$')
#: EDNS options dnspython parses (and may reject); the others it keeps as opaque bytes.
_PARSED_OPTIONS = frozenset(int(t) for t in getattr(dns.edns, "_type_to_class", {})) | {
    3,
    8,
    10,
    15,
}
_COOKIE = 10


def _plain_options(wire: bytes, pos: int, end: int) -> bool:
    """True when the OPT record's options are well framed and none of them is one that
    dnspython parses, except a COOKIE of a valid length (RFC 7873: 8, or 16 to 40)."""
    while pos < end:
        if pos + 4 > end:
            return False
        code = (wire[pos] << 8) | wire[pos + 1]
        size = (wire[pos + 2] << 8) | wire[pos + 3]
        pos += 4 + size
        if pos > end:
            return False
        if code in _PARSED_OPTIONS and not (code == _COOKIE and (size == 8 or 16 <= size <= 40)):
            return False
    return True


@dataclass
class DnsCounters:
    queries: int = 0
    sinkholed: int = 0  # answered for a sinkholed name (an event)
    refused: int = 0
    malformed: int = 0  # dnspython could not parse it
    formerr: int = 0  # parsed, but not a query we can answer (FORMERR / NOTIMP)
    ignored: int = 0  # responses or garbage without a header: no answer at all
    slow_path: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Answer:
    """What :meth:`DnsHandler.handle` decided: the bytes to send (None: send nothing),
    and for sinkholed names the match that makes it an event."""

    wire: bytes | None
    match: Match | None = None
    qname: str | None = None
    qtype: int = 0
    rcode: int = 0


@dataclass
class DnsHandler:
    sinkset: SinkholeSet
    addresses: tuple[str, ...] = ()
    addresses6: tuple[str, ...] = ()
    ttl: int = 300
    serial: int = 1
    unknown_rcode: int = REFUSED
    counters: DnsCounters = field(default_factory=DnsCounters)
    fast: bool = True
    #: Which address answers which variant and half of the held names (None: all of them).
    plan: AddressPlan | None = None

    def __post_init__(self) -> None:
        self._a = tuple(ipaddress.IPv4Address(a).packed for a in self.addresses)
        self._aaaa = tuple(ipaddress.IPv6Address(a).packed for a in self.addresses6)
        self._ttl = struct.pack("!I", self.ttl)
        self._packed: dict[tuple[str, ...], tuple[bytes, ...]] = {}

    def _planned(self, match: Match) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The (IPv4, IPv6) addresses the address plan answers for this name."""
        if self.plan is None:
            return self.addresses, self.addresses6
        return self.plan.answer(match.family, match.variant, self.sinkset.half(match.apex))

    def _pack(self, addrs: tuple[str, ...]) -> tuple[bytes, ...]:
        found = self._packed.get(addrs)
        if found is None:
            found = self._packed[addrs] = tuple(ipaddress.ip_address(a).packed for a in addrs)
        return found

    # -- entry point ---------------------------------------------------------------------

    def handle(self, wire: bytes, max_size: int = 512) -> Answer:
        """Answer one query; never raises."""
        self.counters.queries += 1
        if self.fast:
            answer = self._fast(wire)
            if answer is not None:
                return answer
        self.counters.slow_path += 1
        try:
            return self._slow(wire, max_size)
        except Exception:  # belt and braces: a bug here must cost one answer, not the server
            self.counters.malformed += 1
            return Answer(None)

    # -- decisions shared by both paths ---------------------------------------------------

    def _records(self, qname: str, qtype: int, match: Match) -> tuple[str, int]:
        """('answer'|'nodata', rtype) for a sinkholed name."""
        at_apex = qname == match.apex
        if qtype == T_A and self._a:
            return "answer", T_A
        if qtype == T_AAAA and self._aaaa:
            return "answer", T_AAAA
        if qtype == T_ANY and (self._a or self._aaaa):
            return "answer", T_ANY
        if at_apex and qtype in (T_SOA, T_NS):
            return "answer", qtype
        return "nodata", 0

    # -- the byte-level path --------------------------------------------------------------

    def _fast(self, wire: bytes) -> Answer | None:
        n = len(wire)
        if n < 17 or n > 512:
            return None
        flags = (wire[2] << 8) | wire[3]
        if flags & 0xF800:  # a response, or an opcode other than QUERY
            return None
        counts = wire[4:12]
        if counts == _H_ONE_Q:
            edns = False
        elif counts == _H_ONE_Q_OPT:
            edns = True
        else:
            return None
        pos = 12
        labels = []
        while True:
            ln = wire[pos]
            if ln == 0:
                pos += 1
                break
            if ln > 63 or pos + 1 + ln >= n:
                return None
            labels.append(wire[pos + 1 : pos + 1 + ln])
            pos += 1 + ln
        if pos - 12 > 255 or pos + 4 > n:
            return None
        qtype = (wire[pos] << 8) | wire[pos + 1]
        qclass = (wire[pos + 2] << 8) | wire[pos + 3]
        qend = pos + 4
        if qclass != 1 or qtype == T_OPT or 128 <= qtype < T_ANY:
            return None  # meta types (AXFR, IXFR, TSIG, ...): dnspython decides
        if edns:
            # Exactly one OPT RR owned by the root, version 0, nothing after its options.
            if qend + 11 > n or wire[qend] != 0 or wire[qend + 1 : qend + 3] != b"\x00\x29":
                return None
            if wire[qend + 6] != 0:  # EDNS version: BADVERS via dnspython
                return None
            rdlen = (wire[qend + 9] << 8) | wire[qend + 10]
            if qend + 11 + rdlen != n or (rdlen and not _plain_options(wire, qend + 11, n)):
                return None
        elif qend != n:
            return None
        raw = b".".join(labels)
        if len(labels) != raw.count(b".") + 1 or raw.translate(None, _PLAIN_NAME) or not labels:
            # A dot inside a label, a byte dnspython escapes in text (space, control,
            # non-ASCII, any of "().;\@$), or the root: dnspython decides.
            return None
        qname = raw.decode("ascii").lower()
        question = wire[12:qend]
        rd_cd = flags & 0x0110
        opt = _OPT_RR if edns else b""
        ar = 1 if edns else 0
        match = self.sinkset.match(qname)
        if match is None:
            self.counters.refused += self.unknown_rcode == REFUSED
            rcode = self.unknown_rcode
            head = wire[:2] + struct.pack("!HHHHH", 0x8000 | rd_cd | rcode, 1, 0, 0, ar)
            return Answer(head + question + opt, None, qname, qtype, rcode)
        self.counters.sinkholed += 1
        kind, rtype = self._records(qname, qtype, match)
        apex_ptr = struct.pack("!H", 0xC000 | (12 + len(qname) - len(match.apex)))
        answers: list[bytes] = []
        authority: list[bytes] = []
        if kind == "answer":
            v4, v6 = self._planned(match)
            if rtype in (T_A, T_ANY):
                for a in self._pack(v4):
                    answers.append(b"\xc0\x0c\x00\x01\x00\x01" + self._ttl + b"\x00\x04" + a)
            if rtype in (T_AAAA, T_ANY):
                for a in self._pack(v6):
                    answers.append(b"\xc0\x0c\x00\x1c\x00\x01" + self._ttl + b"\x00\x10" + a)
            if rtype == T_SOA:
                answers.append(b"\xc0\x0c" + self._soa_rr(apex_ptr))
            if rtype == T_NS:
                rdata = b"\x03ns1" + apex_ptr
                answers.append(
                    b"\xc0\x0c\x00\x02\x00\x01" + self._ttl + struct.pack("!H", len(rdata)) + rdata
                )
        else:
            authority.append(apex_ptr + self._soa_rr(apex_ptr))
        head = wire[:2] + struct.pack("!HHHHH", 0x8400 | rd_cd, 1, len(answers), len(authority), ar)
        out = head + question + b"".join(answers) + b"".join(authority) + opt
        return Answer(out, match, qname, qtype, NOERROR)

    def _soa_rr(self, apex_ptr: bytes) -> bytes:
        rdata = (
            b"\x03ns1"
            + apex_ptr
            + b"\x0ahostmaster"
            + apex_ptr
            + struct.pack("!IIIII", self.serial & 0xFFFFFFFF, *_SOA_TIMERS, self.ttl)
        )
        return b"\x00\x06\x00\x01" + self._ttl + struct.pack("!H", len(rdata)) + rdata

    # -- the dnspython path ---------------------------------------------------------------

    def _slow(self, wire: bytes, max_size: int) -> Answer:
        # Header-level refusals first: cheap, and what a flood of garbage mostly is.
        if len(wire) < 12 or wire[2] & 0x80:
            self.counters.ignored += 1  # no header, or a response: never answer those
            return Answer(None)
        if wire[2] & 0x78:
            self.counters.formerr += 1
            return self._header_only(wire, NOTIMP, malformed=False)
        if wire[4:6] != b"\x00\x01":
            self.counters.formerr += 1
            return self._header_only(wire, FORMERR, malformed=False)
        try:
            query = dns.message.from_wire(wire)
        except dns.message.BadEDNS:
            return self._header_only(wire, FORMERR, malformed=True)
        except Exception:
            return self._header_only(wire, FORMERR, malformed=True)
        if query.flags & dns.flags.QR:
            self.counters.ignored += 1
            return Answer(None)
        response = dns.message.make_response(query, our_payload=UDP_PAYLOAD)
        response.flags &= ~dns.flags.AA
        response.flags |= query.flags & dns.flags.CD  # RFC 6840 §5.9: copy CD
        if query.edns > 0:
            response.use_edns(0, 0, UDP_PAYLOAD)
            response.set_rcode(dns.rcode.BADVERS)
            return self._done(response, max_size, None, None, 0)
        if query.opcode() != dns.opcode.QUERY:
            self.counters.formerr += 1
            response.set_rcode(dns.rcode.NOTIMP)
            return self._done(response, max_size, None, None, 0)
        if len(query.question) != 1:
            self.counters.formerr += 1
            response.set_rcode(dns.rcode.FORMERR)
            return self._done(response, max_size, None, None, 0)
        q = query.question[0]
        qtype = int(q.rdtype)
        try:
            qname = q.name.to_text(omit_final_dot=True).lower()
        except Exception:
            qname = ""
        match = (
            self.sinkset.match(qname)
            if q.rdclass == dns.rdataclass.IN and qname and "\\" not in qname
            else None
        )
        if match is None:
            self.counters.refused += self.unknown_rcode == REFUSED
            response.set_rcode(dns.rcode.Rcode(self.unknown_rcode))
            return self._done(response, max_size, None, qname, qtype)
        self.counters.sinkholed += 1
        response.flags |= dns.flags.AA
        apex = dns.name.from_text(match.apex)
        kind, rtype = self._records(qname, qtype, match)
        if kind == "answer":
            v4, v6 = self._planned(match)
            if rtype in (T_A, T_ANY) and v4:
                response.answer.append(
                    dns.rrset.from_text_list(q.name, self.ttl, "IN", "A", list(v4))
                )
            if rtype in (T_AAAA, T_ANY) and v6:
                response.answer.append(
                    dns.rrset.from_text_list(q.name, self.ttl, "IN", "AAAA", list(v6))
                )
            if rtype == T_SOA:
                response.answer.append(self._soa_rrset(q.name, apex))
            if rtype == T_NS:
                response.answer.append(
                    dns.rrset.from_text(q.name, self.ttl, "IN", "NS", f"ns1.{apex}")
                )
        else:
            response.authority.append(self._soa_rrset(apex, apex))
        return self._done(response, max_size, match, qname, qtype)

    def _soa_rrset(self, owner: dns.name.Name, apex: dns.name.Name) -> dns.rrset.RRset:
        refresh, retry, expire = _SOA_TIMERS
        text = (
            f"ns1.{apex} hostmaster.{apex} {self.serial & 0xFFFFFFFF} "
            f"{refresh} {retry} {expire} {self.ttl}"
        )
        return dns.rrset.from_text(owner, self.ttl, "IN", "SOA", text)

    def _done(
        self,
        response: dns.message.Message,
        max_size: int,
        match: Match | None,
        qname: str | None,
        qtype: int,
    ) -> Answer:
        size = max(512, min(max_size, response.request_payload or 512))
        wire = response.to_wire(max_size=size)
        return Answer(wire, match, qname, qtype, response.rcode())

    def _header_only(self, wire: bytes, rcode: int, *, malformed: bool) -> Answer:
        if malformed:
            self.counters.malformed += 1
        if len(wire) < 12 or wire[2] & 0x80:
            self.counters.ignored += 1
            return Answer(None)  # no header, or a response: never answer those
        opcode_bits = wire[2] & 0x78
        flags = 0x8000 | (opcode_bits << 8) | ((wire[2] & 0x01) << 8) | rcode
        return Answer(wire[:2] + struct.pack("!HHHHH", flags, 0, 0, 0, 0), None, None, 0, rcode)


_QTYPE_TEXT = {
    t: dns.rdatatype.to_text(dns.rdatatype.RdataType(t))
    for t in (1, 2, 5, 6, 12, 15, 16, 28, 33, 65, 255)
}


def qtype_text(qtype: int) -> str:
    known = _QTYPE_TEXT.get(qtype)
    if known is not None:
        return known
    try:
        return dns.rdatatype.to_text(qtype)  # type: ignore[arg-type]
    except Exception:
        return f"TYPE{qtype}"


def edns_payload(wire: bytes) -> int:
    """The requester's UDP payload size, for sizing a UDP answer (512 without EDNS)."""
    return 512 if len(wire) < 12 or wire[11] == 0 else 4096


__all__ = ["Answer", "DnsCounters", "DnsHandler", "dns", "qtype_text"]
_ = dns.edns
