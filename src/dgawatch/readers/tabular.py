"""CSV and Parquet tables of queries, with a column mapping.

``column_map`` maps an EVENT_SCHEMA field to the table's column name, e.g.
``{"ts": "timestamp", "client": "src", "qname": "query"}``; a field left out is looked up
under its own name. ``ts``, ``client`` and ``qname`` are required (a table without them is
an :class:`InputError`); ``qtype``, ``rcode``, ``answers``, ``sensor``, ``source_file`` and
``source_line`` are used when present.

Timestamps: a number is epoch seconds (fractions allowed), text is ISO 8601 (a time without
a zone is taken as UTC), a Parquet timestamp column is converted (a zone-less one taken as
UTC). Answers: a list column, or text separated by ``,`` (CSV) with an empty cell meaning
no answers. ``source_line`` defaults to the CSV line (header = line 1, assuming no quoted
line breaks) or the 1-based Parquet row.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.errors import InputError
from dgawatch.readers import FileRefused, InputReport, Reader
from dgawatch.readers._common import (
    BATCH_ROWS,
    MAX_LINE,
    BadLine,
    LongLine,
    epoch_to_ms,
    finish_columns,
    iso_to_ms,
    read_chunks,
    seconds_column_to_ms,
)

_FIELDS = (
    "ts",
    "client",
    "qname",
    "qtype",
    "rcode",
    "answers",
    "sensor",
    "source_file",
    "source_line",
)
_REQUIRED = ("ts", "client", "qname")
_STRINGS = pa.list_(pa.string())


#: Column names recognised without a mapping (case-insensitive, first present wins), after
#: the field's own name. Documented in the README ("Hunt"); ``--column`` overrides.
ALIASES: dict[str, tuple[str, ...]] = {
    "ts": ("timestamp", "time", "datetime", "@timestamp", "event_time", "query_time", "epoch"),
    "client": (
        "client_ip",
        "src_ip",
        "source_ip",
        "srcip",
        "src",
        "client_address",
        "id.orig_h",
        "ip",
    ),
    "qname": ("query", "query_name", "domain", "dns_query", "question", "fqdn", "rrname"),
    "qtype": ("query_type", "qtype_name", "record_type", "rrtype"),
    "rcode": ("response_code", "rcode_name", "reply_code"),
    "answers": ("answer", "rdata", "response"),
    "sensor": ("sensor_id", "sensor_name"),
}


def parse_column_map(text: str) -> dict[str, str]:
    """``ts=timestamp,client=src,qname=query`` -> a column map (the ``--column`` option)."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        field_, eq, column = part.partition("=")
        field_, column = field_.strip(), column.strip()
        if not eq or not column:
            raise InputError(f"--column {part!r}: write FIELD=COLUMN, e.g. ts=timestamp")
        if field_ not in _FIELDS:
            raise InputError(f"--column {field_!r}: not an event field ({', '.join(_FIELDS)})")
        if field_ in out and out[field_] != column:
            raise InputError(
                f"--column names {field_} twice ({out[field_]!r} and {column!r}); give it once"
            )
        out[field_] = column
    return out


def _mapping(column_map: Mapping[str, str] | None) -> dict[str, str]:
    column_map = dict(column_map or {})
    unknown = set(column_map) - set(_FIELDS)
    if unknown:
        raise InputError(
            f"column map names unknown event fields {sorted(unknown)}; known: {', '.join(_FIELDS)}"
        )
    return dict(column_map)


def _resolve(names: list[str], given: dict[str, str]) -> dict[str, str]:
    """field -> column: the mapping given, else the field's own name, else an alias."""
    lower = {n.lower(): n for n in reversed(names)}
    out: dict[str, str] = {}
    for f in _FIELDS:
        if f in given:  # as written, else a column differing only in case (WHEN for when)
            out[f] = given[f] if given[f] in names else lower.get(given[f].lower(), given[f])
            continue
        for candidate in (f, *ALIASES.get(f, ())):
            if candidate.lower() in lower:
                out[f] = lower[candidate.lower()]
                break
    return out


def _check_columns(names: list[str], given: dict[str, str], file: str) -> dict[str, str]:
    mapping = _resolve(names, given)
    missing = [
        f"{f} (column {given[f]!r})" if f in given else f
        for f in _REQUIRED
        if mapping.get(f) not in names
    ]
    if missing:
        raise FileRefused(
            file,
            f"no column for {', '.join(missing)}; columns are {names[:20]}"
            " (name them with --column, e.g. --column ts=timestamp,client=src,qname=query)",
        )
    return {f: c for f, c in mapping.items() if c in names}


def _ts_ms(arr: pa.Array, file: str, report: InputReport, lines: np.ndarray) -> pa.Array:
    """Epoch milliseconds (int64, null where unparseable and reported)."""
    t = arr.type
    if pa.types.is_timestamp(t):
        return arr.cast(pa.timestamp("ms", tz=t.tz)).cast(pa.int64())
    if pa.types.is_date(t):
        return arr.cast(pa.timestamp("ms")).cast(pa.int64())
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return seconds_column_to_ms(arr)
    texts = arr.cast(pa.string())
    try:
        return seconds_column_to_ms(texts.cast(pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    out: list[int | None] = []
    for i, v in enumerate(texts.to_pylist()):
        if v is None:
            out.append(None)
            continue
        try:
            out.append(iso_to_ms(v) if any(c in v for c in "-:T") else epoch_to_ms(v))
        except BadLine as exc:
            report.bad(file, int(lines[i]), exc.reason, v)
            out.append(-1)  # reported here; finish_columns drops it as out of range quietly
    return pa.array(out, pa.int64())


def _answers(arr: pa.Array) -> pa.Array:
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        return arr.cast(_STRINGS)
    texts = arr.cast(pa.string())
    stripped = pc.utf8_trim_whitespace(texts)
    split = pc.split_pattern(stripped, ",")
    return pc.if_else(pc.equal(stripped, ""), pa.scalar([], _STRINGS), split)


def _finish(
    batch: pa.RecordBatch,
    cols: dict[str, str],
    file: str,
    report: InputReport,
    lines: np.ndarray,
) -> pa.RecordBatch:
    def get(f: str) -> pa.Array | None:
        return batch.column(cols[f]) if f in cols else None

    ts_raw = get("ts")
    assert ts_raw is not None
    ts = _ts_ms(ts_raw, file, report, lines)
    pre_bad = pc.equal(ts, -1).fill_null(False).to_numpy(zero_copy_only=False)
    if pre_bad.any():  # already reported: drop before the range check reports them again
        keep = pa.array(~pre_bad)
        batch = batch.filter(keep)
        ts = pc.filter(ts, keep)
        lines = lines[~pre_bad]
    if "source_line" in cols:
        src = batch.column(cols["source_line"]).cast(pa.int64()).fill_null(0)
        lines = src.to_numpy(zero_copy_only=False)
    answers = get("answers")
    names = batch.schema.names

    def excerpt(i: int) -> str:
        values = (batch.column(n)[i].as_py() for n in names)
        return ",".join("" if v is None else str(v) for v in values)[:200]  # not 'None'

    def text(a: pa.Array | None) -> pa.Array | None:
        return None if a is None else a.cast(pa.string())

    client = text(get("client"))
    assert client is not None
    qname = text(get("qname"))
    assert qname is not None
    return finish_columns(
        file,
        report,
        ts_ms=ts,
        client=client,
        qname=qname,
        qtype=text(get("qtype")),
        rcode=text(get("rcode")),
        answers=None if answers is None else _answers(answers),
        sensor=text(get("sensor")),
        lines=np.asarray(lines, dtype=np.int64),
        excerpt=excerpt,
        source_file=text(get("source_file")),
    )


def read_csv(
    stream: BinaryIO, file: str, report: InputReport, column_map: Mapping[str, str] | None = None
) -> Iterator[pa.RecordBatch]:
    import pyarrow.csv as pv  # here, not at the top: reader detection imports this module

    mapping = _mapping(column_map)
    bad_rows: list[tuple[int | None, str]] = []

    def on_invalid(row: Any) -> str:
        bad_rows.append((row.number, row.text))
        return "skip"

    header = stream.readline(MAX_LINE)
    if len(header) == MAX_LINE and not header.endswith(b"\n"):
        report.bad(file, 1, f"CSV header longer than {MAX_LINE} bytes; file skipped", header[:200])
        return
    try:
        text = header.decode("utf-8-sig").rstrip("\r\n")
        delimiter = _delimiter(text)
        names = next(csv.reader([text], delimiter=delimiter))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        raise InputError(f"{file}: no CSV header line") from None
    names = [n.strip() for n in names]
    cols = _check_columns(names, mapping, file)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        used = [n for n in dups if n in cols.values()]
        if used:  # which of the two is the query name? Refuse to guess.
            report.bad(file, 1, f"duplicate CSV column {used[0]!r}; file skipped", header)
            report.lines_read[file] += 1
            return
        seen: dict[str, int] = {}
        for i, n in enumerate(names):  # unused duplicates: renamed apart, never read
            seen[n] = seen.get(n, 0) + 1
            if seen[n] > 1:
                names[i] = f"{n}\x00{seen[n]}"
    bounded = _BoundedLines(stream)
    try:
        reader = pv.open_csv(
            io.BufferedReader(bounded, 1 << 20),
            read_options=pv.ReadOptions(column_names=names, use_threads=False, block_size=8 << 20),
            parse_options=pv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
            convert_options=pv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except StopIteration:  # header only
        report.lines_read[file] += 1
        return
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):  # a header and no row (blank lines at most)
            report.lines_read[file] += 1
            return
        report.bad(file, 2, f"unreadable CSV data: {exc}", "")
        return
    row = 1  # the header line
    skipped: list[int] = []
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            report.bad(file, row + 1, f"unreadable CSV block: {exc}", "")
            break
        for number, text in bad_rows:
            line = number + 1 if number is not None else row + 1
            if text.startswith(_BAD_MARK) and bounded.bad:
                report.bad(file, line, *bounded.bad.popleft())
            else:
                report.bad(file, line, "wrong number of CSV fields", text)
            skipped.append(line)
        bad_rows.clear()
        # Physical line numbers: consecutive after the header, skipping reported rows.
        lines: list[int] = []
        nxt = row + 1
        skip = set(skipped)
        while len(lines) < batch.num_rows:
            if nxt not in skip:
                lines.append(nxt)
            nxt += 1
        row = nxt - 1
        skipped = [s for s in skipped if s > row]
        out = _finish(batch, cols, file, report, np.array(lines, dtype=np.int64))
        if out.num_rows:
            yield out
    report.lines_read[file] += row


#: Stands in Arrow's input for a line it must not see (longer than MAX_LINE, or not UTF-8,
#: which Arrow's row handler cannot even show): one field, so never a valid row.
_BAD_MARK = "\x00dgawatch: bad line"


class _BoundedLines(io.RawIOBase):
    """``stream`` with every line longer than MAX_LINE or not UTF-8 replaced by a
    ``_BAD_MARK`` line (Arrow's CSV reader would otherwise hold a long line whole, and fail
    on the rest of the file for either); ``bad`` keeps (reason, excerpt) of each, in order."""

    def __init__(self, stream: BinaryIO) -> None:
        self._chunks = read_chunks(stream, 1 << 20)
        self._buf = memoryview(b"")
        self.bad: deque[tuple[str, bytes]] = deque()

    def readable(self) -> bool:
        return True

    def _clean(self, chunk: bytes) -> bytes:
        if chunk.isascii():
            return chunk
        try:
            chunk.decode("utf-8")
            return chunk
        except UnicodeDecodeError:
            pass
        lines = chunk.split(b"\n")
        for i, line in enumerate(lines):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                self.bad.append(("not UTF-8 text", line[:200]))
                lines[i] = _BAD_MARK.encode()
        return b"\n".join(lines)

    def readinto(self, b: Any) -> int:
        while not self._buf.nbytes:
            item = next(self._chunks, None)
            if item is None:
                return 0
            if isinstance(item, LongLine):
                self.bad.append((item.reason, item.excerpt))
                item = _BAD_MARK.encode() + b"\n"
            else:
                item = self._clean(item)
            self._buf = memoryview(item)
        n = min(len(b), self._buf.nbytes)
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _read_csv_default(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    return read_csv(stream, file, report)


def read_parquet(
    stream: BinaryIO, file: str, report: InputReport, column_map: Mapping[str, str] | None = None
) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    mapping = _mapping(column_map)
    source: Any = stream
    if not stream.seekable():
        source = pa.BufferReader(stream.read())
    try:
        pf = pq.ParquetFile(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{file}: not a readable Parquet file: {exc}") from None
    cols = _check_columns(pf.schema_arrow.names, mapping, file)
    schema = pf.schema_arrow
    for f, column in cols.items():
        typ = schema.field(column).type
        if f != "answers" and pa.types.is_nested(typ):  # a cast error lost the whole file
            raise FileRefused(
                file,
                f"column {column!r} ({f}) is {typ}, not a value",
                f"{file}: column {column!r} for {f} is {typ}, not one value a row; "
                "name another with --column",
            )
    row = 0
    try:
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=sorted(set(cols.values()))):
            lines = np.arange(row + 1, row + 1 + batch.num_rows, dtype=np.int64)
            row += batch.num_rows
            out = _finish(batch, cols, file, report, lines)
            if out.num_rows:
                yield out
    except (pa.ArrowInvalid, OSError) as exc:
        report.bad(file, row + 1, f"unreadable Parquet data: {exc}", "")
    report.lines_read[file] += row


def _read_parquet_default(
    stream: BinaryIO, file: str, report: InputReport
) -> Iterator[pa.RecordBatch]:
    return read_parquet(stream, file, report)


#: Field separators a CSV header may use: a comma, and what spreadsheets in comma-decimal
#: locales (';'), TSV exports ('\t') and some SIEMs ('|') write.
DELIMITERS = (",", ";", "\t", "|")


def _delimiter(header: str) -> str:
    """The separator of a header line: the one whose fields name a time, a client and a query
    column, else the one that splits it most (a comma when none does)."""
    best, most = ",", 1
    for d in DELIMITERS:
        names = [c.strip().strip('"') for c in header.split(d)]
        if len(names) >= 3 and all(f in _resolve(names, {}) for f in _REQUIRED):
            return d
        if len(names) > most:
            best, most = d, len(names)
    return best


def _detect_csv(head: bytes, column_map: Mapping[str, str] | None = None) -> bool:
    """A header naming a time, a client and a query column (own names or ALIASES, or the
    ``--column`` map's), separated by one of DELIMITERS."""
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r")
    given = dict(column_map or {})
    for d in DELIMITERS:
        names = [c.strip().strip('"') for c in first.split(d)]
        if len(names) < 3:
            continue
        found = _resolve(names, given)
        if all(found.get(f) in names for f in _REQUIRED):
            return True
    return False


def detects_with_columns(head: bytes, column_map: Mapping[str, str]) -> bool:
    """Whether ``head`` is a CSV header once ``--column`` names its columns (auto-detection
    knows only the fields' own names and ALIASES: ``--column ts=when,...`` alone gave
    "cannot tell the format"). A header holding some mapped column counts too: the table
    the map is meant for, so that the reader names what is missing."""
    if _detect_csv(head, column_map):
        return True
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r")
    wanted = {c.lower() for c in column_map.values()}
    names = {c.strip().strip('"').lower() for c in first.split(_delimiter(first))}
    return len(names) > 1 and bool(wanted & names)


def _detect_parquet(head: bytes) -> bool:
    return head.startswith(b"PAR1")


READERS = (
    Reader(
        "csv",
        "CSV table with a header (columns mapped to event fields)",
        1000,
        _detect_csv,
        _read_csv_default,
    ),
    Reader(
        "parquet",
        "Parquet table (columns mapped to event fields)",
        30,
        _detect_parquet,
        _read_parquet_default,
    ),
)
