"""Zeek ``dns.log``: the tab-separated ASCII log (``zeek``) and its JSON variant
(``zeek-json``).

TSV: the ``#separator``, ``#set_separator``, ``#empty_field``, ``#unset_field`` and
``#fields`` header lines are honoured and may change mid-file (concatenated logs); an unset
field (``-``) is a null, an empty set (``(empty)``) an empty answer list. Data is parsed in
multi-megabyte chunks by Arrow's CSV reader (no per-line Python); a chunk with any
malformed line is re-read line by line so that each bad line is reported on its own.

Fields used: ``ts`` (epoch seconds, UTC by definition), ``id.orig_h`` (client), ``query``,
``qtype_name`` (else ``qtype``), ``rcode_name`` (null when Zeek saw no reply), ``answers``,
and ``_node_name`` / ``sensorname`` as sensor where present. A record without a query name
(a DNS message with no question) is no query event and is skipped without a report. A log
with no ``query`` field (``conn.log``...) is reported once and skipped.

Hunting (``read_events(..., fields=HUNT_FIELDS)``), a data segment is read by the compiled
scanner :func:`dgawatch._huntscan.scan_tsv` into the four columns a hunt uses; a segment
holding anything the scanner leaves to this module's judgement (a bad line, a name to
normalise, see the scanner's docstring) is read as above instead, so both give the same rows
and the same reports (``tests/readers/test_zeek_lean.py``).

JSON: one object per line, flat (``"id.orig_h"``) or nested (``"id": {"orig_h"}``) keys;
``ts`` as epoch seconds or ISO 8601 (``LogAscii::json_timestamps``), a zone-less ISO time
taken as UTC.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from dgawatch.events import EVENT_SCHEMA
from dgawatch.readers import HUNT_FIELDS, FileRefused, InputReport, Reader
from dgawatch.readers._common import (
    MAX_LINE,
    MIN_TS_MS,
    BadLine,
    LongLine,
    epoch_to_ms,
    finish_columns,
    iso_to_ms,
    max_ts_ms,
    read_chunks,
    read_text_lines,
    seconds_column_to_ms,
    seconds_to_ms,
)

if TYPE_CHECKING:
    from typing_extensions import Buffer

_STRINGS = pa.list_(pa.string())
_SENSOR_FIELDS = ("_node_name", "sensorname", "_system_name")


_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})")


def _unescape(value: str) -> str:
    """Zeek header values escape bytes as ``\\xNN``; raises BadLine for a broken escape."""
    if "\\x" not in value:
        return value
    out = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    if "\\x" in _ESCAPE.sub("", value):
        raise BadLine(f"broken \\x escape in {value[:40]!r}")
    return out


class _TsvState:
    def __init__(self) -> None:
        self.sep = "\t"
        self.set_sep = ","
        self.empty = "(empty)"
        self.unset = "-"
        self.fields: list[str] | None = None
        self.path = ""
        self.skip_reported = False


def _header(state: _TsvState, text: str, file: str, line: int, report: InputReport) -> None:
    key, _, value = text.partition(" " if text.startswith("#separator") else state.sep)
    if key in ("#separator", "#set_separator"):
        try:
            sep = _unescape(value.strip() if key == "#separator" else value)
        except BadLine as exc:
            report.bad(file, line, f"{exc.reason}; keeping {key} {_show(state, key)}", text)
            return
        if not sep or "\n" in sep:
            report.bad(file, line, f"unusable {key}; keeping {_show(state, key)}", text)
        elif key == "#separator":
            state.sep = sep
        else:
            state.set_sep = sep
    elif key == "#empty_field":
        state.empty = value
    elif key == "#unset_field":
        state.unset = value
    elif key == "#path":
        state.path = value
        _refuse_other_log(file, value.strip())
    elif key == "#fields":
        state.fields = value.split(state.sep)
        state.skip_reported = False
        if "query" not in state.fields:
            report.bad(file, line, "Zeek log without a query field (not dns.log); skipped", text)
            state.skip_reported = True


def _show(state: _TsvState, key: str) -> str:
    return repr(state.sep if key == "#separator" else state.set_sep)


def _read_tsv(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    # Two chunks in flight: Arrow parses one on a worker thread while the next is split.
    with ThreadPoolExecutor(max_workers=2) as pool:
        inflight: deque[Future[pa.RecordBatch | None]] = deque()
        for job in _jobs(stream, file, report):
            inflight.append(pool.submit(_segment, *job, file, report))
            while len(inflight) > 2 or (inflight and inflight[0].done()):
                batch = inflight.popleft().result()
                if batch is not None and batch.num_rows:
                    yield batch
        while inflight:
            batch = inflight.popleft().result()
            if batch is not None and batch.num_rows:
                yield batch


#: False reads every segment the general way (tests compare the two).
SCAN = True
_TS_TYPE = pa.timestamp("ms", tz="UTC")
#: The lean batches' schema: EVENT_SCHEMA's fields (nullability and metadata included),
#: so that scanned and generally read batches of one hunt concatenate.
_LEAN_SCHEMA = pa.schema(
    [EVENT_SCHEMA.field(f) for f in HUNT_FIELDS], metadata=EVENT_SCHEMA.metadata
)


def _read_tsv_lean(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    """:data:`HUNT_FIELDS` batches: the compiled scanner where it can, else :func:`_segment`.
    The scanner (GIL released, no side effects) runs on two worker threads, a few segments
    ahead, so that both cores scan while the caller matches; everything that reports
    (:func:`_jobs`, :func:`_segment`) stays on the caller's thread, in file order, and an
    error of :func:`_jobs` is raised after the batches before it, as when read in turn.
    ``--strict`` reads in turn: its first error is the first in the file."""
    jobs = _jobs(stream, file, report)
    if report.strict or not SCAN or SCAN_THREADS < 2:
        for job in jobs:
            batch = _scan(job[0], job[1], job[2], file) if SCAN else None
            yield from _lean_batch(job, batch, file, report)
        return
    with ThreadPoolExecutor(max_workers=SCAN_THREADS, thread_name_prefix="dgawatch-scan") as pool:
        inflight: deque[tuple[_Job, Future[_Scanned | None]]] = deque()
        failure: Exception | None = None
        while True:
            try:
                job = next(jobs)
            except StopIteration:
                break
            except Exception as exc:  # raised in its turn, after the batches before it
                failure = exc
                break
            inflight.append((job, pool.submit(_scan_raw, job[0], job[1], job[2])))
            while len(inflight) >= SCAN_THREADS:
                done, future = inflight.popleft()
                yield from _lean_batch(done, _scanned(future.result(), file), file, report)
        while inflight:
            done, future = inflight.popleft()
            yield from _lean_batch(done, _scanned(future.result(), file), file, report)
        if failure is not None:
            raise failure


#: Threads scanning Zeek TSV segments for a hunt (:func:`_read_tsv_lean`).
SCAN_THREADS = 2

_Job = tuple["_TsvState", "bytes | memoryview", int, int]


def _lean_batch(
    job: _Job, batch: pa.RecordBatch | None, file: str, report: InputReport
) -> Iterator[pa.RecordBatch]:
    """The scanned batch of a job, else the segment read the general way (reporting)."""
    if batch is None:
        state, seg, first_line, count = job
        full = _segment(state, seg, first_line, count, file, report)
        batch = None if full is None else full.select(list(HUNT_FIELDS))
    if batch is not None and batch.num_rows:
        yield batch


def _scan(
    state: _TsvState, seg: bytes | memoryview, first_line: int, file: str
) -> pa.RecordBatch | None:
    return _scanned(_scan_raw(state, seg, first_line), file)


_Scanned = tuple[int, Any, Any, Any, Any, Any, Any, Any, Any, Any]


def _scan_raw(state: _TsvState, seg: bytes | memoryview, first_line: int) -> _Scanned | None:
    """The compiled scanner's buffers of a segment (None: not for it). No Python object
    but its result is made here: the scan threads run this, the batch is built by the
    reading thread (Arrow's allocations, freed there too, stay in one malloc arena)."""
    fields = state.fields
    if (
        fields is None
        or len(state.sep) != 1
        or not state.sep.isascii()
        or not {"ts", "id.orig_h", "query"} <= set(fields)
    ):
        return None
    from dgawatch import _huntscan

    return _huntscan.scan_tsv(
        seg,
        ord(state.sep),
        len(fields),
        fields.index("ts"),
        fields.index("id.orig_h"),
        fields.index("query"),
        fields.index("rcode_name") if "rcode_name" in fields else -1,
        state.unset.encode("utf-8"),
        MIN_TS_MS,
        max_ts_ms(),
        first_line,
    )


def _scanned(out: _Scanned | None, file: str) -> pa.RecordBatch | None:
    """The lean batch of :func:`_scan_raw`'s buffers."""
    if out is None:
        return None
    n, ts, line, coff, cdat, qoff, qdat, roff, rdat, rvalid = out
    buf = pa.py_buffer

    def strings(offsets: Buffer, data: Buffer, valid: Buffer | None = None) -> pa.Array:
        return pa.Array.from_buffers(
            pa.string(), n, [buf(valid) if valid is not None else None, buf(offsets), buf(data)]
        )

    return pa.RecordBatch.from_arrays(
        [
            pa.Array.from_buffers(_TS_TYPE, n, [None, buf(ts)]),
            strings(coff, cdat),
            strings(qoff, qdat),
            strings(roff, rdat, rvalid),
            pa.repeat(pa.scalar(file, pa.string()), n),
            pa.Array.from_buffers(pa.int64(), n, [None, buf(line)]),
        ],
        schema=_LEAN_SCHEMA,
    )


#: Bytes read at a time (as :func:`read_chunks` reads them).
CHUNK_BYTES = 8 << 20


class _Part:
    """The first ``end`` bytes of ``data`` (whole lines): a chunk not copied out of what
    was read."""

    __slots__ = ("data", "end")

    def __init__(self, data: bytes, end: int) -> None:
        self.data = data
        self.end = end


def _chunks(stream: BinaryIO) -> Iterator[bytes | _Part | LongLine]:
    """:func:`read_chunks`' chunks, without its two copies of every byte on a plain file
    (their 8 MB allocations and copies cost 0.5 CPU-s of a 5 M-line hunt, on the thread
    that feeds the matcher): each read ends at its last line end and the next read starts
    there again (a seek back by less than a line). From the first chunk that holds a line
    of MAX_LINE bytes or more, or on any other stream (compressed, UTF-16), the rest is
    :func:`read_chunks`' (which starts afresh at a line start: the same chunks)."""
    raw = getattr(stream, "raw", None)
    if not (isinstance(stream, io.BufferedReader) and isinstance(raw, io.FileIO)):
        yield from read_chunks(stream, CHUNK_BYTES)
        return
    while True:
        start = stream.tell()
        data = stream.read(CHUNK_BYTES)
        if not data:
            return
        # (a short read is the end of the file: its last line may lack a line end)
        end = len(data) if len(data) < CHUNK_BYTES else data.rfind(b"\n") + 1
        cut = data.rfind(b"\n", 0, end) + 1
        if end == 0 or end - cut >= MAX_LINE or _long_line(data, cut):
            stream.seek(start)
            yield from read_chunks(stream, CHUNK_BYTES)
            return
        if end < len(data):
            stream.seek(start + end)
            yield _Part(data, end)
        else:
            yield data


def _long_line(data: bytes, cut: int) -> bool:
    """Whether ``data[:cut]`` holds a line of MAX_LINE bytes or more (as
    :func:`read_chunks` finds them: a window of MAX_LINE bytes without a line end)."""
    pos = 0
    rfind = data.rfind
    while pos < cut:
        nl = rfind(b"\n", pos, min(pos + MAX_LINE, cut))
        if nl < 0:
            return True
        pos = nl + 1
    return False


def _jobs(
    stream: BinaryIO, file: str, report: InputReport
) -> Iterator[tuple[_TsvState, bytes | memoryview, int, int]]:
    """(header state, data segment, its first line number, its line count) in file order;
    header lines are applied on the way. A segment may be a view of the bytes read."""
    from dgawatch._huntscan import count_lines  # (bytes.count holds the GIL)

    state = _TsvState()
    line0 = 0  # lines before the current chunk
    for part in _chunks(stream):
        if isinstance(part, LongLine):
            line0 += 1
            report.bad(file, line0, part.reason, part.excerpt)
            continue
        chunk, n = (part.data, part.end) if isinstance(part, _Part) else (part, len(part))
        pos = 0
        line = line0
        while pos < n:
            if chunk.startswith(b"#", pos, n):
                end = chunk.find(b"\n", pos, n)
                end = n if end < 0 else end + 1
                line += 1
                raw = chunk[pos:end]
                try:
                    text = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError:
                    report.bad(file, line, "not UTF-8 text", raw)
                else:
                    state = copy.copy(state)
                    _header(state, text, file, line, report)
                pos = end
                continue
            end = _next_header(chunk, pos, n)
            seg = chunk if pos == 0 and end == len(chunk) else memoryview(chunk)[pos:end]
            if state.fields is None and line == 0:
                # Data on line 1: no Zeek header at all (a CSV, another log), not one bad line
                reason = "not a Zeek log (no #fields header before its first line)"
                raise FileRefused(
                    file,
                    reason,
                    f"{file}: {reason}; is it another format? leave --input-format out to "
                    "detect it",
                )
            count = count_lines(seg) + (0 if chunk[end - 1] == 10 else 1)
            yield state, seg, line + 1, count
            line += count
            pos = end
        line0 = line
    report.lines_read[file] += line0


def _next_header(chunk: bytes, pos: int, limit: int | None = None) -> int:
    """Start of the next line beginning with ``#`` after ``pos`` (or ``limit``, the end)."""
    find = chunk.find
    n = len(chunk) if limit is None else limit
    while True:
        h = find(b"#", pos, n)
        if h < 0:
            return n
        if chunk[h - 1] == 10:  # b"\n"
            return h
        pos = h + 1


def _segment(
    state: _TsvState,
    seg: bytes | memoryview,
    first_line: int,
    count: int,
    file: str,
    report: InputReport,
) -> pa.RecordBatch | None:
    if isinstance(seg, memoryview):
        seg = bytes(seg)  # (the general reader splits and decodes it)
    fields = state.fields
    if fields is None:
        report.bad(file, first_line, "data before the #fields header", seg.split(b"\n", 1)[0])
        return None
    if "query" not in fields:
        return None
    qtype_f = "qtype_name" if "qtype_name" in fields else ("qtype" if "qtype" in fields else None)
    sensor_f = next((f for f in _SENSOR_FIELDS if f in fields), None)
    wanted = ["ts", "id.orig_h", "query", qtype_f, "rcode_name", "answers", sensor_f]
    present = [f for f in wanted if f is not None and f in fields]
    table = None
    if len(state.sep) == 1 and _utf8(seg):  # Arrow prints a traceback for a bad row
        table = _fast(state, seg, fields, present)
        if table is not None and table.num_rows != count:  # blank lines: numbering is off
            table = None
    lines_of: list[int] | np.ndarray
    if table is None:
        table, lines_of = _slow(state, seg, first_line, fields, present, file, report)
    else:
        lines_of = np.arange(first_line, first_line + table.num_rows, dtype=np.int64)
    cols = {name: table.column(name).combine_chunks() for name in table.column_names}
    ts = cols.get("ts")
    if ts is None:
        report.bad(file, first_line, "Zeek log without a ts field", seg[:200])
        return None
    ts_ms = seconds_column_to_ms(ts)
    answers = cols.get("answers")
    if answers is not None:
        split = pc.split_pattern(answers, state.set_sep)
        empty = pc.equal(answers, state.empty)
        answers = pc.if_else(empty, pa.scalar([], _STRINGS), split)
    seg_lines: list[bytes] | None = None

    def excerpt(i: int) -> str:
        nonlocal seg_lines
        if seg_lines is None:
            seg_lines = seg.split(b"\n")
        return seg_lines[int(lines_of[i]) - first_line].decode("utf-8", "surrogateescape")

    client = cols.get("id.orig_h")
    if client is None:
        client = pa.nulls(table.num_rows, pa.string())
    return finish_columns(
        file,
        report,
        ts_ms=ts_ms,
        client=client,
        qname=cols["query"],
        qtype=cols.get(qtype_f) if qtype_f else None,
        rcode=cols.get("rcode_name"),
        answers=answers,
        sensor=cols.get(sensor_f) if sensor_f else None,
        lines=np.asarray(lines_of, dtype=np.int64),
        excerpt=excerpt,
        skip_null_qname=True,
    )


def _utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _types(present: list[str]) -> dict[str, pa.DataType]:
    return {f: (pa.float64() if f == "ts" else pa.string()) for f in present}


def _fast(state: _TsvState, seg: bytes, fields: list[str], present: list[str]) -> pa.Table | None:
    invalid = False

    def on_invalid(_row: Any) -> str:
        nonlocal invalid
        invalid = True
        return "skip"

    try:
        table = pv.read_csv(
            pa.BufferReader(seg),
            read_options=pv.ReadOptions(
                column_names=fields, block_size=16 << 20, use_threads=False
            ),
            parse_options=pv.ParseOptions(
                delimiter=state.sep,
                quote_char=False,
                escape_char=False,
                double_quote=False,
                ignore_empty_lines=True,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pv.ConvertOptions(
                include_columns=present,
                column_types=_types(present),
                null_values=[state.unset],
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return None if invalid else table


def _slow(
    state: _TsvState,
    seg: bytes,
    first_line: int,
    fields: list[str],
    present: list[str],
    file: str,
    report: InputReport,
) -> tuple[pa.Table, list[int]]:
    idx = [fields.index(f) for f in present]
    cols: list[list[Any]] = [[] for _ in present]
    lines: list[int] = []
    raw_lines = seg.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    for k, raw in enumerate(raw_lines):
        n = first_line + k
        raw = raw.rstrip(b"\r")
        if not raw:
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.bad(file, n, "not UTF-8 text", raw)
            continue
        parts = text.split(state.sep)
        if len(parts) != len(fields):
            report.bad(file, n, f"{len(parts)} fields where the header has {len(fields)}", text)
            continue
        row: list[Any] = []
        try:
            for f, i in zip(present, idx, strict=True):
                v = parts[i]
                if v == state.unset:
                    row.append(None)
                elif f == "ts":
                    row.append(epoch_to_ms(v) / 1000.0)
                else:
                    row.append(v)
        except BadLine as exc:
            report.bad(file, n, exc.reason, text)
            continue
        for c, v in zip(cols, row, strict=True):
            c.append(v)
        lines.append(n)
    types = _types(present)
    table = pa.table({f: pa.array(c, types[f]) for f, c in zip(present, cols, strict=True)})
    return table, lines


def _get(obj: dict[str, Any], dotted: str) -> Any:
    if dotted in obj:
        return obj[dotted]
    cur: Any = obj
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _parse_json(text: str) -> tuple[Any, ...] | None:
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except ValueError:
        raise BadLine("not a JSON object") from None
    except RecursionError:  # '[[[[...': it cost the rest of the file and its batch
        raise BadLine("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    query = obj.get("query")
    if query is None:
        path = obj.get("_path")
        if isinstance(path, str):
            _refuse_other_log("", path)
        return None
    if not isinstance(query, str):
        raise BadLine("query is not a string")
    ts = obj.get("ts")
    if isinstance(ts, bool) or ts is None:
        raise BadLine("missing timestamp")
    ts_ms = seconds_to_ms(ts) if isinstance(ts, int | float) else iso_to_ms(str(ts))
    client = _get(obj, "id.orig_h")
    if not isinstance(client, str):
        raise BadLine("missing client address")
    qtype = obj.get("qtype_name")
    if qtype is None and obj.get("qtype") is not None:
        qtype = str(obj["qtype"])
    if qtype is not None and not isinstance(qtype, str):
        raise BadLine("qtype_name is not a string")
    rcode = obj.get("rcode_name")
    if rcode is not None and not isinstance(rcode, str):
        raise BadLine("rcode_name is not a string")
    answers = obj.get("answers")
    if answers is not None:
        if not isinstance(answers, list):
            raise BadLine("answers is not a list")
        answers = [str(a) for a in answers]
    sensor = next((obj[f] for f in _SENSOR_FIELDS if isinstance(obj.get(f), str)), None)
    return ts_ms, client, query, qtype, rcode, answers, sensor


def _read_json(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    try:
        yield from read_text_lines(stream, file, report, _parse_json)
    except FileRefused as exc:
        if exc.file:
            raise
        raise FileRefused(file, exc.reason, f"{file} {exc.reason}") from None


def _refuse_other_log(file: str, log_type: str) -> None:
    """A Zeek log whose header (or ``_path``) names another type is refused (not read as
    an empty DNS log); the caller names the file when ``file`` is empty."""
    if log_type and log_type != "dns":
        hint = " (conn.log goes to 'dgawatch hunt-flows')" if log_type == "conn" else ""
        reason = f"is a Zeek {log_type}.log, not dns.log{hint}"
        raise FileRefused(file, reason, f"{file} {reason}")


def _detect_tsv(head: bytes) -> bool:
    return head.startswith(b"#separator") or (
        head.startswith(b"#") and b"\n#fields" in head[:8192] and b"query" in head[:8192]
    )


def _detect_json(head: bytes) -> bool:
    first = head.lstrip()[:4096]
    return (
        first.startswith(b"{")
        and b'"query"' in first
        and (b'"id.orig_h"' in first or b'"uid"' in first or b'"orig_h"' in first)
    )


READERS = (
    Reader(
        "zeek",
        "Zeek dns.log, tab-separated with #fields header",
        40,
        _detect_tsv,
        _read_tsv,
        _read_tsv_lean,
    ),
    Reader("zeek-json", "Zeek dns.log as JSON lines", 41, _detect_json, _read_json),
)
