"""The compiled pieces of the local engine (``dgawatch._huntscan``) against plain Python
references, and the hunt's findings with the compiled Zeek scanner on and off."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dgawatch import _huntscan
from dgawatch.hunt import HuntOptions, hunt_paths
from dgawatch.hunt.local import _Hasher, _string_buffers
from dgawatch.hunt.unknown import _rules, explain, explain_many
from dgawatch.readers import zeek
from tests.hunt.netsim import simulate
from tests.hunt.scenario import build


def _names(rng: random.Random, n: int) -> list[str]:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"
    out = []
    for _ in range(n):
        labels = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            for _ in range(rng.randint(1, 5))
        ]
        out.append(".".join(labels))
    return out


def _hashes(names: list[str]) -> np.ndarray:
    off, data = _string_buffers(pa.array(names, pa.string()))
    return np.frombuffer(_huntscan.name_hashes(off, data)[0], np.uint64)


def test_name_hashes_are_the_list_cache_hashes() -> None:
    names = ["", "a", "www.example.com", "x" * 253, *_names(random.Random(1), 500)]
    assert np.array_equal(_hashes(names), _Hasher(pa.array(names)).whole())


def test_index_probe_equals_a_dictionary_of_names_and_suffixes() -> None:
    rng = random.Random(2)
    listed = _names(rng, 400)
    listed += listed[:50]  # the same name in two lists: two entries
    queries = [*_names(rng, 300), *listed[::3]]
    queries += ["www." + n for n in listed[::5]] + ["a.b." + n for n in listed[::7]]
    index = _huntscan.Index(_hashes(listed[:100]))
    index.add(_hashes(listed[100:]))  # numbered on from the first 100
    assert index.size() == len(listed)
    where: dict[str, list[int]] = {}
    for e, name in enumerate(listed):
        where.setdefault(name, []).append(e)
    for max_labels in (2, 3, 5):
        want = set()
        for row, q in enumerate(queries):
            labels = q.split(".")
            cands = [(q, 0)]
            for k in range(2, max_labels + 1):
                if len(labels) > k:
                    tail = ".".join(labels[-k:])
                    cands.append((tail, len(q) - len(tail)))
            want |= {(row, e, start) for tail, start in cands for e in where.get(tail, [])}
        off, data = _string_buffers(pa.array(queries, pa.string()))
        rows, entries, starts = (
            np.frombuffer(b, np.int32) for b in index.probe_names(off, data, max_labels)
        )
        assert set(zip(rows.tolist(), entries.tolist(), starts.tolist(), strict=True)) == want
        assert want


def test_explain_many_is_explain() -> None:
    """Over names built on every rule of the Public Suffix List (wildcards, exceptions,
    private section), with and without an allowlist."""
    rng = random.Random(3)
    icann, _ = _rules(True)
    private, _ = _rules(False)
    labels = ["www", "a", "_tcp", "xn--p1ai", "b-1", "0"]
    names = []
    for rule in sorted(icann | private):
        base = rule.lstrip("!").replace("*.", "w.")
        for k in range(3):
            names.append(".".join([*(rng.choice(labels) for _ in range(k)), base]))
        names += [rule[2:], "q." + rule[2:]] if rule.startswith("*.") else []
    names += ["a.b.in-addr.arpa", "x.y.local", "_dmarc.example.com", "one", "a.b", "a.b.c.lan"]
    for allow in (frozenset(), frozenset({"example.com", "b.c.lan", "ck", "w.bd"})):
        sites, reasons = explain_many(names, allow)
        assert list(zip(sites, reasons, strict=True)) == [explain(n, allow) for n in names]
    assert len(names) > 20_000


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert [f.__dict__ for f in a.findings] == [f.__dict__ for f in b.findings]
    # the first run fills the list cache, the second reads it
    cache = ("lists_generated", "lists_from_store", "lists_from_cache")
    assert {k: v for k, v in a.summary().items() if k not in cache} == {
        k: v for k, v in b.summary().items() if k not in cache
    }


def test_findings_with_and_without_the_scanner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Known families (the shared scenario, without its bad lines so the scanner reads it)
    and unknown DGAs (a simulated day): the same findings and summary either way."""
    scenario = build(tmp_path / "dns.log")
    text = scenario.path.read_text().splitlines(keepends=True)
    scenario.path.write_text("".join(text[:-2]))
    (tmp_path / "day").mkdir()
    day = simulate(tmp_path / "day" / "dns.log", 250, seed=5, infected=6)
    runs = []
    for scan in (True, False):
        monkeypatch.setattr(zeek, "SCAN", scan)
        runs.append(
            (
                hunt_paths([scenario.path], HuntOptions(unknown_dga=True)),
                hunt_paths([day.path], HuntOptions(unknown_dga=True)),
            )
        )
    for fast, general in zip(*runs, strict=True):
        _same(fast, general)
    known, unknown = runs[0]
    assert {(f.client, f.variant) for f in known.findings if f.confidence >= 0.5} >= {
        ("10.0.0.5", "c"),
        ("10.0.0.6", "c"),
        ("10.0.0.7", "b"),
    }
    assert {c for f in unknown.unknown_dga for c in f.clients} == set(day.infected)
