"""One bad record never aborts a read (issue 14, item 9): each hostile record an outside
tester used is a fixture here, read through the public entry point next to good records,
and must come back as a counted bad record with its file, line and reason while the good
records around it survive; with ``strict`` the same record stops the read with one
InputError naming file:line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import zstandard

from dgawatch.errors import InputError
from dgawatch.readers import InputReport
from dgawatch.readers._common import MAX_LINE, TS_NOT_FINITE, LongLine, read_chunks

from .helpers import bad, read

T0 = 1_700_000_000  # 2023-11-14, a plausible log time

# --- one line per format, with the timestamp (and the query name) as a slot --------------


def _zeek_json(ts: str, q: str = "a.example.com", **extra: object) -> str:
    obj: dict[str, object] = {"ts": 0, "uid": "C1", "id.orig_h": "10.0.0.1", "query": q}
    obj.update({"qtype_name": "A", "rcode_name": "NOERROR"}, **extra)
    return json.dumps(obj).replace('"ts": 0', f'"ts": {ts}')


def _cof(ts: str, q: str = "a.example.com") -> str:
    return (
        f'{{"rrname": "{q}", "rrtype": "A", "rdata": "192.0.2.1", '
        f'"time_first": {ts}, "time_last": {ts}, "count": 1}}'
    )


def _powerdns(ts: str, q: str = "a.example.com") -> str:
    return (
        f'msg="Question" subsystem="syncres" level="0" prio="Info" tid="1" ts="{ts}" '
        f'mtid="1" proto="udp" qclass="IN" qname="{q}" qtype="A" remote="10.0.0.1:33089"'
    )


def _csv(ts: str, q: str = "a.example.com") -> str:
    return f"{ts},10.0.0.1,{q}"


ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tdns\n#fields\tts\tuid\tid.orig_h\tquery\tqtype_name\trcode_name\tanswers\n"
    "#types\ttime\tstring\taddr\tstring\tstring\tstring\tvector[string]\n"
)


def _zeek(ts: str, q: str = "a.example.com") -> str:
    return f"{ts}\tC1\t10.0.0.1\t{q}\tA\tNOERROR\t192.0.2.1"


#: format -> (file name, header text, line maker, JSON spelling of the bad numbers)
FORMATS = {
    "zeek-json": ("dns.json", "", _zeek_json, True),
    "pdns-cof": ("pdns.json", "", _cof, True),
    "powerdns": ("recursor.log", "", _powerdns, False),
    "csv": ("queries.csv", "ts,client,qname\n", _csv, False),
    "zeek": ("dns.log", ZEEK_HEADER, _zeek, False),
}


def _write(tmp_path: Path, fmt: str, middle: str) -> tuple[Path, int]:
    """A file of ``fmt``: a good line, ``middle``, a good line; and middle's line number."""
    name, header, line, _ = FORMATS[fmt]
    path = tmp_path / name
    first = header.count("\n") + 1
    path.write_text(header + line(str(T0)) + "\n" + middle + "\n" + line(str(T0 + 2)) + "\n")
    return path, first + 1


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("value", ["1e308", "-1e308", "NaN", "Infinity", "-Infinity"])
def test_a_non_finite_timestamp_is_one_bad_record(tmp_path: Path, fmt: str, value: str) -> None:
    name, _, line, json_like = FORMATS[fmt]
    if not json_like:
        value = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}.get(value, value)
    path, bad_line = _write(tmp_path, fmt, line(value))
    rows, report = read(path, fmt)
    assert [r["source_line"] for r in rows] == [bad_line - 1, bad_line + 1]
    assert bad(report) == [(bad_line, TS_NOT_FINITE)]
    with pytest.raises(InputError, match=rf"{name}:{bad_line}: timestamp is not a finite"):
        read(path, fmt, report=InputReport(strict=True))


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"qtype_name": 28}, "qtype_name is not a string"),
        ({"qtype_name": ["A"]}, "qtype_name is not a string"),
        ({"rcode_name": {"x": 1}}, "rcode_name is not a string"),
        ({"rcode_name": 3}, "rcode_name is not a string"),
    ],
)
def test_zeek_json_field_of_the_wrong_type(tmp_path: Path, extra: dict, reason: str) -> None:
    path, bad_line = _write(tmp_path, "zeek-json", _zeek_json(str(T0 + 1), **extra))
    rows, report = read(path)
    assert len(rows) == 2
    assert bad(report) == [(bad_line, reason)]


@pytest.mark.parametrize(
    ("header_line", "line_no", "reason"),
    [
        ("#separator \\x", 1, "broken \\x escape in '\\\\x'; keeping #separator '\\t'"),
        ("#separator \\xZZ", 1, "broken \\x escape in '\\\\xZZ'; keeping #separator '\\t'"),
        ("#separator ", 1, "unusable #separator; keeping '\\t'"),
        ("#separator", 1, "unusable #separator; keeping '\\t'"),
        ("#set_separator\t", 2, "unusable #set_separator; keeping ','"),
        ("#set_separator\t\\x", 2, "broken \\x escape in '\\\\x'; keeping #set_separator ','"),
    ],
)
def test_zeek_unusable_separator_header(
    tmp_path: Path, header_line: str, line_no: int, reason: str
) -> None:
    lines = ZEEK_HEADER.splitlines()
    lines[line_no - 1] = header_line
    path = tmp_path / "dns.log"
    path.write_text("\n".join(lines) + "\n" + _zeek(str(T0)) + "\n")
    rows, report = read(path, "zeek")
    assert [(r["qname"], r["answers"]) for r in rows] == [("a.example.com", ["192.0.2.1"])]
    assert bad(report) == [(line_no, reason)]


def test_duplicate_csv_column_that_is_read_skips_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(f"ts,client,qname,qname\n{T0},10.0.0.1,a.example.com,b.example.com\n")
    rows, report = read(path, "csv")
    assert rows == []
    assert bad(report) == [(1, "duplicate CSV column 'qname'; file skipped")]


def test_duplicate_csv_column_that_is_not_read_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(f"ts,client,qname,x,x\n{T0},10.0.0.1,a.example.com,1,2\n")
    rows, report = read(path, "csv")
    assert [r["qname"] for r in rows] == ["a.example.com"]
    assert report.total_bad == 0


def test_fifo_in_a_directory_is_skipped_not_waited_on(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    os.mkfifo(logs / "a-pipe")
    (logs / "b.json").write_text(_zeek_json(str(T0)) + "\n")
    result: list[tuple[list[dict[str, Any]], InputReport]] = []
    worker = threading.Thread(target=lambda: result.append(read(logs)), daemon=True)
    worker.start()
    worker.join(60)
    assert result, "reading a directory holding a FIFO did not finish (blocked on the FIFO)"
    rows, report = result[0]
    assert len(rows) == 1
    assert [(k[0], k[1]) for k in report.counts] == [
        (str(logs / "a-pipe"), "FIFO, not a regular file; skipped")
    ]


def test_a_named_fifo_is_read_never_waited_on(tmp_path: Path) -> None:
    """Named on the command line a pipe is read (``hunt <(zcat dns.log.gz)``, tested in
    tests/test_stranger_s7.py); one with no writer reads as empty at once instead of
    blocking (it was refused before session 7)."""
    os.mkfifo(tmp_path / "p")
    result: list[tuple[list[dict[str, Any]], InputReport]] = []
    worker = threading.Thread(target=lambda: result.append(read(tmp_path / "p")), daemon=True)
    worker.start()
    worker.join(60)
    assert result, "reading a FIFO without a writer blocked"
    assert result[0][0] == [] and result[0][1].total_bad == 0


def _lines(n: int) -> bytes:
    return b"".join(_zeek_json(str(T0 + i)).encode() + b"\n" for i in range(n))


@pytest.mark.parametrize("kind", ["zstd", "gzip"])
def test_truncated_compressed_file_is_reported_as_truncated(tmp_path: Path, kind: str) -> None:
    data = _lines(5000)
    packed = zstandard.ZstdCompressor().compress(data) if kind == "zstd" else gzip.compress(data)
    path = tmp_path / f"dns.json.{'zst' if kind == 'zstd' else 'gz'}"
    path.write_bytes(packed[: len(packed) // 2])
    rows, report = read(path)
    assert 0 < len(rows) < 5000
    reasons = [k[1] for k in report.counts]
    assert any(r.startswith("truncated or corrupt compressed input") for r in reasons), reasons


def test_complete_zstd_files_are_not_called_truncated(tmp_path: Path) -> None:
    """Several frames, with and without checksum and content size, a skippable frame, and
    the zstd command's own output: all whole, none reported."""
    data = _lines(3000)
    parts = [
        zstandard.ZstdCompressor(write_checksum=True).compress(data[:100_000]),
        b"\x50\x2a\x4d\x18" + (5).to_bytes(4, "little") + b"skip!",
        zstandard.ZstdCompressor(write_content_size=False).compress(data[100_000:]),
    ]
    path = tmp_path / "multi.json.zst"
    path.write_bytes(b"".join(parts))
    rows, report = read(path)
    assert (len(rows), report.total_bad) == (3000, 0)
    plain = tmp_path / "cli.json"
    plain.write_bytes(data)
    if subprocess.run(["zstd", "-q", "-19", str(plain)], check=False).returncode == 0:
        rows, report = read(tmp_path / "cli.json.zst")
        assert (len(rows), report.total_bad) == (3000, 0)


@pytest.mark.parametrize("fmt", ["zeek", "csv", "zeek-json", "pdns-cof", "powerdns"])
def test_over_long_line_is_one_bad_record(tmp_path: Path, fmt: str) -> None:
    long_name = "x" * (3 * MAX_LINE) + ".example.com"
    path, bad_line = _write(tmp_path, fmt, FORMATS[fmt][2](str(T0 + 1), long_name))
    rows, report = read(path, fmt)
    assert [r["source_line"] for r in rows] == [bad_line - 1, bad_line + 1]
    assert bad(report) == [(bad_line, f"line longer than {MAX_LINE} bytes")]


def test_non_utf8_csv_line_does_not_lose_the_rest_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_bytes(
        b"ts,client,qname\n"
        + f"{T0},10.0.0.1,a.example.com\n".encode()
        + f"{T0},10.0.0.1,b\xff.example.com\n".encode("latin-1")
        + f"{T0},10.0.0.1,c.example.com\n".encode()
    )
    rows, report = read(path, "csv")
    assert [r["qname"] for r in rows] == ["a.example.com", "c.example.com"]
    assert bad(report) == [(3, "not UTF-8 text")]


def test_read_chunks_holds_no_line_of_max_line_bytes() -> None:
    """Memory per record is bounded: a line far longer than a chunk is never assembled."""
    import io

    size = 4 * MAX_LINE
    data = b"short\n" + b"y" * (5 * size) + b"\n" + b"z" * MAX_LINE + b"\nend\n"
    out = list(read_chunks(io.BytesIO(data), size))
    assert [x.reason if isinstance(x, LongLine) else x for x in out if x] == [
        b"short\n",
        f"line longer than {MAX_LINE} bytes",
        f"line longer than {MAX_LINE} bytes",
        b"end\n",
    ]


def test_hunt_over_a_directory_of_hostile_files(tmp_path: Path) -> None:
    """The CLI: every hostile file of a directory counted, the good records of all of them
    hunted, exit 0, no traceback; --strict stops at the first with one line, exit 2."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for fmt in sorted(FORMATS):
        d = logs / fmt
        d.mkdir()
        _write(d, fmt, FORMATS[fmt][2]("1e308" if FORMATS[fmt][3] else "inf"))
    os.mkfifo(logs / "zz-pipe")
    cmd = [sys.executable, "-c", "from dgawatch.cli import main; main()"]
    cmd += ["hunt", str(logs), "--no-unknown-dga", "--json"]
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home"))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count(TS_NOT_FINITE) == len(FORMATS)
    assert "FIFO, not a regular file; skipped" in done.stderr
    strict = subprocess.run(
        [*cmd, "--strict"], capture_output=True, text=True, timeout=120, env=env
    )
    assert strict.returncode == 2
    assert "Traceback" not in strict.stderr
    assert len(strict.stderr.strip().splitlines()) == 1
    assert "queries.csv:3: timestamp is not a finite time" in strict.stderr
