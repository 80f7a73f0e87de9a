"""The byte-level DNS path answers exactly as the dnspython path (a differential test over
a seeded corpus aimed at where they parted: odd label bytes, meta query types, EDNS
options with wrong lengths or contents dnspython checks)."""

from __future__ import annotations

import datetime as dt
import random
import struct
from collections.abc import Iterator

import dns.message

from dgawatch.families import get_family
from dgawatch.sinkhole.dns import Answer, DnsHandler
from dgawatch.sinkhole.names import SinkholeSet
from tests.sinkhole.fuzz import packets, seed_queries

#: Bytes dnspython escapes in names, and some it does not.
ODD = b'"\\();@$. \t\x00\x01\x1f\x7f\xe9*-_'


def _queries(names: list[str], count: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(count):
        labels = [x.encode() for x in rng.choice([*names, "example.org"]).split(".")]
        r = rng.random()
        if r < 0.4:  # a label of odd bytes in front
            labels.insert(0, bytes(rng.choice(ODD) for _ in range(rng.randrange(1, 4))) + b"x")
        elif r < 0.6:  # an odd byte inside a label of the name itself
            j = rng.randrange(len(labels))
            label = bytearray(labels[j])
            label.insert(rng.randrange(len(label) + 1), rng.choice(ODD))
            labels[j] = bytes(label)
        qname = b"".join(bytes([len(x)]) + x for x in labels) + b"\0"
        qtype = rng.choice([1, 28, 6, 2, 255, 16, 15, 41, 128, 249, 250, 251, 252, 0, 65535])
        edns = rng.random() < 0.6
        head = struct.pack(
            "!HHHHHH",
            rng.randrange(65536),
            rng.choice([0x0100, 0x0000, 0x0110, 0x0140, 0x0300]),
            1,
            0,
            0,
            int(edns),
        )
        msg = head + qname + struct.pack("!HH", qtype, 1)
        if edns:
            opts = b""
            for _ in range(rng.randrange(0, 3)):
                code = rng.choice([3, 8, 10, 11, 12, 15, 18, 65001])
                data = rng.randbytes(rng.choice([0, 1, 2, 4, 8, 16, 20, 40, 41]))
                size = max(0, len(data) + rng.choice([0, 0, 0, 1, -1, 5]))
                opts += struct.pack("!HH", code, size) + data
            flags = (rng.choice([0, 0, 0, 1]) << 16) | rng.choice([0, 0x8000])
            payload = rng.choice([512, 1232, 4096, 100])
            msg += b"\0" + struct.pack("!HHIH", 41, payload, flags, len(opts)) + opts
        yield msg


def _view(a: Answer) -> object:
    """What a client and the event store see of an answer (RRs in an RRset unordered)."""
    event = (a.match.apex, a.qname) if a.match is not None else None
    if a.wire is None:
        return None, event
    try:
        m = dns.message.from_wire(a.wire)
    except Exception:
        return a.wire, event
    rrs = [sorted(line for r in sec for line in r.to_text().splitlines()) for sec in m.sections]
    return (m.id, m.flags, m.rcode(), m.edns, m.payload, m.ednsflags, rrs), event


def test_fast_path_agrees_with_dnspython_on_a_fuzz_corpus() -> None:
    sinkset = SinkholeSet.around([get_family("conficker").variant("b")], dt.date(2026, 11, 27))
    args = (sinkset, ("192.0.2.1", "192.0.2.2"), ("2001:db8::53",))
    fast, slow = DnsHandler(*args, serial=7), DnsHandler(*args, serial=7, fast=False)
    names = sinkset.names()[:30]
    corpus = [*_queries(names, 3000, seed=14), *packets(seed_queries(names), 1500, seed=5)]
    differ = [p for p in corpus if _view(fast.handle(p)) != _view(slow.handle(p))]
    assert differ == [], f"{len(differ)} differ, e.g. {differ[0].hex()}"
    # the fast path still takes the common shapes (the corpus is not all slow path)
    fast_taken = len(corpus) - fast.counters.slow_path
    assert fast_taken > 500 and fast.counters.sinkholed > 300
