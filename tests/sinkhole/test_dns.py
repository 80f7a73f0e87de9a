import datetime as dt
import multiprocessing

import dns.flags
import dns.message
import dns.rcode
import pytest

from dgawatch.families import get_family
from dgawatch.sinkhole.dns import DnsHandler
from dgawatch.sinkhole.names import SinkholeSet
from tests.sinkhole.fuzz import packets, seed_queries

DAY = dt.date(2026, 11, 27)


def _set() -> SinkholeSet:
    return SinkholeSet.around([get_family("conficker").variant("b")], DAY)


def _handlers() -> tuple[DnsHandler, DnsHandler]:
    s = _set()
    args = (s, ("192.0.2.1", "192.0.2.2"), ("2001:db8::53",))
    return DnsHandler(*args, serial=7), DnsHandler(*args, serial=7, fast=False)


def test_set_covers_three_days_and_subdomains() -> None:
    s = _set()
    b = get_family("conficker").variant("b")
    assert s.days == (DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1))
    name = b.domains(DAY + dt.timedelta(days=1))[3]
    m = s.match(f"a.b.www.{name}")
    assert m is not None and m.apex == name
    assert any(a.day == DAY + dt.timedelta(days=1) for a in m.attributions)
    assert s.match(name.split(".")[-1]) is None
    assert s.match("example.org") is None


@pytest.mark.parametrize("qtype", ["A", "AAAA", "SOA", "NS", "MX", "ANY", "TXT"])
@pytest.mark.parametrize("edns", [False, True])
@pytest.mark.parametrize("prefix", ["", "www.", "ns1."])
def test_fast_path_equals_dnspython(qtype: str, edns: bool, prefix: str) -> None:
    fast, slow = _handlers()
    name = _set().names()[11]
    q = dns.message.make_query(prefix + name.upper(), qtype, use_edns=0 if edns else False)
    q.flags |= dns.flags.CD
    a, b = fast.handle(q.to_wire()), slow.handle(q.to_wire())
    assert fast.counters.slow_path == 0 and slow.counters.slow_path == 1
    ma, mb = dns.message.from_wire(a.wire), dns.message.from_wire(b.wire)
    assert ma == mb and ma.flags == mb.flags and ma.edns == mb.edns
    assert ma.rcode() == dns.rcode.NOERROR and ma.flags & dns.flags.AA
    assert a.match is not None and a.match.apex == name
    if qtype in ("A", "AAAA", "ANY") or (not prefix and qtype in ("SOA", "NS")):
        assert ma.answer and not ma.authority
    else:
        assert not ma.answer and ma.authority[0].rdtype == dns.rdatatype.SOA  # NODATA


def test_outside_the_set_is_refused_or_nxdomain() -> None:
    fast, slow = _handlers()
    q = dns.message.make_query("example.org", "A").to_wire()
    for h in (fast, slow):
        r = dns.message.from_wire(h.handle(q).wire)
        assert r.rcode() == dns.rcode.REFUSED and not r.flags & dns.flags.AA
    nx = DnsHandler(_set(), ("192.0.2.1",), unknown_rcode=3)
    assert dns.message.from_wire(nx.handle(q).wire).rcode() == dns.rcode.NXDOMAIN


def test_odd_queries_answered_by_rfc() -> None:
    fast, _ = _handlers()
    name = _set().names()[0]
    resp = dns.message.make_response(dns.message.make_query(name, "A")).to_wire()
    assert fast.handle(resp).wire is None  # never answer a response
    assert fast.handle(b"\x01\x02").wire is None
    notify = dns.message.make_query(name, "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    r = dns.message.from_wire(fast.handle(notify.to_wire()).wire)
    assert r.rcode() == dns.rcode.NOTIMP
    badvers = dns.message.make_query(name, "A", use_edns=1)
    r = dns.message.from_wire(fast.handle(badvers.to_wire()).wire)
    assert r.rcode() == dns.rcode.BADVERS
    twoq = bytearray(dns.message.make_query(name, "A").to_wire())
    twoq[5] = 2
    r = dns.message.from_wire(fast.handle(bytes(twoq)).wire)
    assert r.rcode() == dns.rcode.FORMERR
    assert fast.counters.queries == 5


def _fuzz_chunk(args: tuple[int, int]) -> dict[str, int]:
    seed, count = args
    fast, _ = _handlers()
    seeds = seed_queries(_set().names()[:30])
    for p in packets(seeds, count, seed):
        answer = fast.handle(p)
        if answer.wire is not None:
            # Whatever we send must be a well-formed response to that query.
            assert answer.wire[:2] == p[:2] and answer.wire[2] & 0x80
    return fast.counters.to_dict()


def _fuzz(total: int) -> dict[str, int]:
    chunks = [(seed, total // 4) for seed in range(4)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(min(4, max(1, multiprocessing.cpu_count()))) as pool:
        results = pool.map(_fuzz_chunk, chunks)
    return {k: sum(r[k] for r in results) for k in results[0]}


def test_fuzz_small() -> None:
    c = _fuzz(20_000)
    assert c["queries"] == 20_000
    assert c["malformed"] > 1000 and c["sinkholed"] > 100


@pytest.mark.slow
def test_fuzz_one_million_packets() -> None:
    c = _fuzz(1_000_000)
    assert c["queries"] == 1_000_000
    # Every packet is accounted for: answered for a sinkholed name, refused, or counted bad.
    print("fuzz counters", c)
    assert c["malformed"] + c["ignored"] + c["formerr"] > 300_000
