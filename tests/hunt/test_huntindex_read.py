"""The hunt's Zeek reader reads a plain file without copying it (each read ends at its
last line end, the next starts there): the batches and the report are those of the
general chunker (``read_chunks``) on every layout that matters at a read's edge: lines cut
by it, a header in the middle, lines of MAX_LINE bytes or more, a last line without its
line end, a file that ends exactly at a read's end, and compressed input."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pytest

from dgawatch.readers import HUNT_FIELDS, InputReport, read_events, zeek
from dgawatch.readers._common import MAX_LINE, read_chunks
from tests.hunt.logs import ZEEK_HEADER, Query, utc, zeek_line


def log_text(lines: int, long_at: tuple[int, ...] = (), tail: bool = True) -> str:
    out = [ZEEK_HEADER]
    for i in range(lines):
        if i in long_at:
            out.append("1.0\t" + "x" * (MAX_LINE + 10) + "\n")
        if i == lines // 2:
            out.append("#close\t2014-11-16-00-00-01\n" + ZEEK_HEADER)  # a header midway
        q = Query(utc(2014, 11, 16, i % 24, i % 60), f"10.0.{i % 7}.{i % 250 + 1}", f"n{i}.ex.com")
        out.append(zeek_line(i, q))
    text = "".join(out)
    return text if tail else text.rstrip("\n")


def read(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    report = InputReport()
    batches = list(read_events([path], "zeek", report=report, fields=HUNT_FIELDS))
    rows = pa.Table.from_batches(batches).to_pylist() if batches else []
    return rows, report.to_dict()


def general(stream: BinaryIO) -> Iterator[bytes | Any]:
    return read_chunks(stream, zeek.CHUNK_BYTES)


@pytest.mark.parametrize("chunk", [97, 4096, 1 << 16, 1 << 20])
@pytest.mark.parametrize(
    "layout",
    [
        {"lines": 3000},
        {"lines": 3000, "tail": False},
        {"lines": 3000, "long_at": (5, 2000)},
        {"lines": 400, "long_at": (399,), "tail": False},
    ],
)
def test_reads_as_the_general_chunker_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, layout: dict[str, Any]
) -> None:
    path = tmp_path / "dns.log"
    path.write_text(log_text(**layout))
    monkeypatch.setattr(zeek, "CHUNK_BYTES", chunk)
    fast = read(path)
    monkeypatch.setattr(zeek, "_chunks", general)
    slow = read(path)
    assert fast == slow
    assert len(fast[0]) == layout["lines"]
    if layout.get("long_at"):
        assert fast[1]["malformed"]


def test_a_clean_file_is_read_without_the_general_chunker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dns.log"
    text = log_text(2000)
    path.write_text(text)
    monkeypatch.setattr(zeek, "CHUNK_BYTES", 4096)

    def refuse(*_args: Any) -> None:
        raise AssertionError("read_chunks used on a plain clean file")

    monkeypatch.setattr(zeek, "read_chunks", refuse)
    rows, report = read(path)
    assert len(rows) == 2000 and not report["malformed"]
    assert rows[-1]["source_line"] == text.count("\n")


def test_a_file_ending_at_a_read_end_and_a_gzip_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = log_text(1000)
    plain = tmp_path / "dns.log"
    plain.write_text(text)
    monkeypatch.setattr(zeek, "CHUNK_BYTES", len(text.encode()) // 4)
    packed = tmp_path / "dns.log.gz"
    packed.write_bytes(gzip.compress(text.encode()))
    fast, zipped = read(plain), read(packed)
    monkeypatch.setattr(zeek, "_chunks", general)
    assert fast == read(plain)
    assert [r["qname"] for r in zipped[0]] == [r["qname"] for r in fast[0]]
