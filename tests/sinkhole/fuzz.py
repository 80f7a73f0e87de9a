"""Random and mutated DNS packets for the fuzz test and the benchmark (seeded)."""

from __future__ import annotations

import random

import dns.message


def seed_queries(names: list[str]) -> list[bytes]:
    """Well-formed queries of many shapes, the material the mutator starts from."""
    out = []
    for i, name in enumerate(names):
        for qtype in ("A", "AAAA", "SOA", "NS", "MX", "ANY", "TXT"):
            q = dns.message.make_query(
                f"www.{name}" if i % 2 else name, qtype, use_edns=0 if i % 3 else False
            )
            out.append(q.to_wire())
    out.append(dns.message.make_query("example.org", "A").to_wire())
    return out


def packets(seeds: list[bytes], count: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """``count`` packets: a third random bytes, two thirds mutated seeds (bit flips, byte
    overwrites, truncation, extension, header count and length-byte corruption)."""
    rng = random.Random(seed)
    randbytes = rng.randbytes
    for i in range(count):
        kind = i % 3
        if kind == 0:
            yield randbytes(rng.randrange(0, 80))
            continue
        p = bytearray(seeds[rng.randrange(len(seeds))])
        for _ in range(rng.randrange(1, 4)):
            op = rng.randrange(6)
            if op == 0 and p:
                j = rng.randrange(len(p))
                p[j] ^= 1 << rng.randrange(8)
            elif op == 1 and p:
                p[rng.randrange(len(p))] = rng.randrange(256)
            elif op == 2 and p:
                del p[rng.randrange(len(p)) :]
            elif op == 3:
                p += randbytes(rng.randrange(1, 16))
            elif op == 4 and len(p) >= 12:
                j = 4 + 2 * rng.randrange(4)
                p[j : j + 2] = rng.randrange(65536).to_bytes(2, "big")
            elif op == 5 and len(p) > 12:
                p[12] = rng.choice((0, 63, 64, 0xC0, 0xFF, rng.randrange(256)))
        yield bytes(p)
