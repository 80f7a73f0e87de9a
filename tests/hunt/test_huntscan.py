"""The compiled pieces of the local engine (``dgawatch._huntscan``) against plain Python
references, and the hunt's findings with the compiled Zeek scanner on and off."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dgawatch import _huntscan
from dgawatch.hunt import HuntOptions, hunt_paths, unknown
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


def test_explain_in_slices_is_explain(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long array is explained a slice at a time (memory): the slices' answers join up."""
    rng = random.Random(5)
    tlds = ["com", "co.uk", "s3.amazonaws.com", "local", "arpa", "ck", "xn--p1ai"]
    prefixes = ["www", "a", "_tcp", "b-1"]
    names = []
    for _ in range(5_000):
        labels = [rng.choice(prefixes) for _ in range(rng.randrange(3))]
        names.append(".".join([*labels, "x" * rng.randrange(1, 9), rng.choice(tlds)]))
    monkeypatch.setattr(unknown, "EXPLAIN_SLICE", 777)  # 7 slices, the last one short
    sites, reasons = explain_many(names)
    assert list(zip(sites, reasons, strict=True)) == [explain(n) for n in names]


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


def _segments_log(
    path: Path,
    blocks: int,
    odd_at: set[int],
    refuse_at: int | None = None,
    broken_separator_at: int | None = None,
) -> Path:
    """A Zeek log of ``blocks`` header blocks (each its own scanner segment); blocks in
    ``odd_at`` hold a line the scanner leaves to the general reader; ``refuse_at`` starts
    a conn.log there, ``broken_separator_at`` a header with a broken ``#separator``."""
    from tests.readers.test_zeek_lean import CLEAN, HEADER, ODD, line

    parts = []
    for b in range(blocks):
        if b == refuse_at:
            parts.append(HEADER.replace("#path\tdns", "#path\tconn"))
        elif b == broken_separator_at:
            parts.append(HEADER.replace("#separator \\x09", "#separator \\xZZ"))
        else:
            parts.append(HEADER)
        parts += [line(f"{1600000000 + 10 * b + i}.5", f"10.0.{b}.{i}", f"n{b}-{i}.example")
                  for i in range(5)]  # fmt: skip
        if b in odd_at:
            parts += [str(ODD["too few fields"]), str(ODD["crlf"]), CLEAN[0]]
    path.write_text("".join(parts))
    return path


def _lean(path: Path, strict: bool = False) -> tuple[list[dict], dict]:
    from dgawatch.readers import HUNT_FIELDS, InputReport, read_events

    report = InputReport(strict=strict)
    rows = []
    for batch in read_events([path], report=report, fields=HUNT_FIELDS):
        rows.extend(batch.select(list(HUNT_FIELDS)).to_pylist())
    return rows, report.to_dict()


def test_parallel_scan_reads_in_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments scanned on worker threads, some left to the general reader: the same rows
    in the same order, and the same report, as reading them one after another."""
    log = _segments_log(tmp_path / "dns.log", 23, odd_at={2, 3, 11, 22})
    scanned = []
    real = zeek._scan_raw
    monkeypatch.setattr(zeek, "_scan_raw", lambda *a: scanned.append(1) or real(*a))
    got = _lean(log)
    assert len(scanned) == 23  # every segment offered to the scanner (in the pool)
    monkeypatch.setattr(zeek, "SCAN", False)  # the general reader, segment after segment
    want = _lean(log)
    assert got == want
    rows, report = got
    assert [r["source_line"] for r in rows] == sorted(r["source_line"] for r in rows)
    # per odd block: the short line reported, the CRLF one normalised and read, one clean
    assert len(rows) == 23 * 5 + 4 * 2 and sum(m["count"] for m in report["malformed"]) == 4


def test_parallel_scan_raises_a_refusal_after_the_batches_before_it(tmp_path: Path) -> None:
    """A conn.log header mid-file refuses the file where it stands: the batches of the
    segments before it were read (the error comes after them, not before)."""
    from dgawatch.readers import HUNT_FIELDS, InputReport
    from dgawatch.readers import zeek as z

    log = _segments_log(tmp_path / "dns.log", 9, odd_at={1}, refuse_at=6)
    report = InputReport()
    rows = []
    with open(log, "rb") as fh, pytest.raises(Exception, match="conn"):
        for batch in z._read_tsv_lean(fh, str(log), report):
            rows.extend(batch.select(list(HUNT_FIELDS)).to_pylist())
    assert {r["client"].rsplit(".", 2)[1] for r in rows} == {str(b) for b in range(6)}


def test_strict_reads_in_turn_and_stops_at_the_first_bad_line(tmp_path: Path) -> None:
    from dgawatch.errors import InputError

    log = _segments_log(tmp_path / "dns.log", 12, odd_at={4, 9}, broken_separator_at=5)
    assert "#separator \\xZZ" in log.read_text()
    with pytest.raises(InputError) as first:
        _lean(log, strict=True)
    assert ":" in str(first.value)
    bad_line = int(str(first.value).split("dns.log:")[1].split(":")[0].split(" ")[0])
    # block 4's odd line: blocks 0-3 are 12 lines each (7 header lines, 5 queries), then
    # block 4's header and queries
    assert bad_line == 4 * 12 + 12 + 1
