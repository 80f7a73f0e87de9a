"""Step 1 of the unknown-DGA stage reads the names' bytes once (``_Labels``: label counts,
``.arpa`` ends, ``_`` labels, no string scans): the same answers as :func:`explain`, name
by name, where a name's neighbours in the array could be mistaken for its own bytes."""

from __future__ import annotations

import itertools
import random

import pyarrow as pa

from dgawatch.hunt.unknown import _explain_slice, explain

EDGES = [
    "",
    ".",
    "_",
    "a.",
    "a._",
    "._a",
    "_a.com",
    "a._b.com",
    "a.b_c.com",
    "a_.b.com",
    "a.b.c._",
    "arpa",
    ".arpa",
    "x.arpa",
    "1.0.0.10.in-addr.arpa",
    "arpa.com",
    "notarpa",
    "x.notarpa",
    "a..b.com",
    "www.example.co.uk",
    "q.s3.amazonaws.com",
]


def _explained(names: list[str], offset: int = 0) -> list[tuple[str | None, str | None]]:
    q = pa.array(["pad.com"] * offset + names, pa.string()).slice(offset)
    sites, reasons = _explain_slice(q, frozenset())
    return list(zip(sites.to_pylist(), reasons.to_pylist(), strict=True))


def test_edge_names_next_to_each_other_are_explain() -> None:
    """Every ordered pair of edge names, side by side (a name ending in a dot before one
    starting with ``_``: the dot's next byte is the next name's), in a sliced array."""
    names = [n for pair in itertools.product(EDGES, repeat=2) for n in pair]
    for offset in (0, 3):
        assert _explained(names, offset) == [explain(n) for n in names]


def test_random_names_with_underscores_and_arpa_are_explain() -> None:
    rng = random.Random(11)
    parts = ["_", "a", "_b", "b_", "arpa", "com", "co.uk", "", "x9", "in-addr"]
    names = [".".join(rng.choice(parts) for _ in range(rng.randint(1, 5))) for _ in range(3000)]
    assert _explained(names, 1) == [explain(n) for n in names]
