"""What every reader shares: the plausibility rules for an event, a row builder for readers
that parse one line or record at a time, a vectorised finisher for columnar readers, and
bounded line iteration.

Plausibility: a timestamp before 1990-01-01 or more than a day after the moment the read
started is absurd (a clock or parser error, or a hostile log) and its line is reported; a
query name goes through :func:`dgawatch.domain.normalise` and a line whose name fails it is
reported too.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import time
from collections.abc import Callable, Iterator, MutableMapping
from functools import lru_cache
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dgawatch.domain import normalise
from dgawatch.errors import InputError
from dgawatch.events import EVENT_SCHEMA
from dgawatch.readers import InputReport

#: Rows per batch a reader emits (read_events re-slices to the caller's batch size).
BATCH_ROWS = 65_536
#: 1990-01-01T00:00:00Z in milliseconds: nothing older is a plausible DNS log time.
MIN_TS_MS = 631_152_000_000
#: Longest line a text reader accepts; longer ones are reported and skipped (bounded memory).
MAX_LINE = 64 * 1024

_STRINGS = pa.list_(pa.string())


def max_ts_ms() -> int:
    """Latest plausible event time: one day after now."""
    return int(time.time() * 1000) + 86_400_000


class BadLine(Exception):
    """Raised by a line parser: the line is malformed for the given reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=1 << 17)
def norm_qname(name: str) -> str:
    return normalise(name)


@lru_cache(maxsize=1 << 16)
def norm_ip(text: str) -> str:
    """Canonical text form of an IP address (IPv6 compressed, zone index kept);
    raises BadLine when it is not one."""
    addr, pct, zone = text.partition("%")
    try:
        canon = str(ipaddress.ip_address(addr))
    except ValueError:
        raise BadLine(f"not an IP address: {text[:60]!r}") from None
    return canon + pct + zone


def iso_to_ms(text: str) -> int:
    """ISO 8601 time to epoch milliseconds; a time without zone is taken as UTC."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    try:
        d = dt.datetime.fromisoformat(t)
    except ValueError:
        raise BadLine(f"unparseable timestamp {text[:40]!r}") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return seconds_to_ms(d.timestamp())


def epoch_to_ms(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise BadLine(f"unparseable timestamp {text[:40]!r}") from None
    return seconds_to_ms(value)


#: Epoch seconds beyond this magnitude (year ~5138) are no time at all: a value like 1e308
#: would overflow the conversion to milliseconds.
MAX_ABS_SECONDS = 1e11
#: What :func:`seconds_column_to_ms` puts where a value is NaN, infinite or beyond
#: MAX_ABS_SECONDS; :func:`finish_columns` reports such rows as ``TS_NOT_FINITE``.
BAD_TS_MS = -(2**62)
TS_NOT_FINITE = "timestamp is not a finite time (NaN, infinity or out of range)"
#: ... and where a finite number is too large for epoch seconds: most often milliseconds
#: (1704067200000), micro- or nanoseconds, which "not a finite time" did not suggest.
BAD_TS_SCALE_MS = BAD_TS_MS + 1
#: Up to here a too large number may be a time in a finer unit (nanoseconds now: ~1.7e18).
MAX_SCALED = 1e20
TS_TOO_LARGE = (
    "timestamp too large for epoch seconds (in milliseconds or finer? give seconds or ISO 8601)"
)


def seconds_to_ms(value: float) -> int:
    """Epoch seconds to whole milliseconds, truncating like a packet time would be (the
    microsecond rounding first keeps x.487000 from becoming x.486). Raises BadLine for NaN,
    infinity or a magnitude beyond MAX_ABS_SECONDS."""
    if not -MAX_ABS_SECONDS <= value <= MAX_ABS_SECONDS:  # False for NaN too
        raise BadLine(TS_TOO_LARGE if abs(value) < MAX_SCALED else TS_NOT_FINITE)
    return round(value * 1_000_000) // 1000


def seconds_column_to_ms(arr: pa.Array) -> pa.Array:
    """Vectorised :func:`seconds_to_ms` (float seconds -> int64 ms, nulls kept); NaN,
    infinite and out-of-range values become BAD_TS_MS."""
    secs = arr.cast(pa.float64())
    magnitude = pc.abs(secs)
    ok = pc.less_equal(magnitude, MAX_ABS_SECONDS)  # False for NaN, null for null
    bad = pc.invert(ok)
    any_bad = pc.any(bad).as_py()
    if any_bad:
        secs = pc.if_else(bad, 0.0, secs)
    micro = pc.round(pc.multiply(secs, 1_000_000.0))
    ms = pc.floor(pc.divide(micro, 1000.0)).cast(pa.int64())
    if not any_bad:  # the usual chunk: nothing to mark
        return ms
    ms = pc.if_else(bad, pa.scalar(BAD_TS_MS, pa.int64()), ms)
    large = pc.and_(bad, pc.less(magnitude, MAX_SCALED))
    return pc.if_else(large, pa.scalar(BAD_TS_SCALE_MS, pa.int64()), ms)


def iter_lines(stream: BinaryIO, file: str, report: InputReport) -> Iterator[tuple[int, str]]:
    """(1-based line number, decoded line without line end) for each line; reports and skips
    lines longer than MAX_LINE and lines that are not UTF-8."""
    n = 0
    readline = stream.readline
    while True:
        raw = readline(MAX_LINE)
        if not raw:
            break
        n += 1
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            report.bad(file, n, f"line longer than {MAX_LINE} bytes", raw[:200])
            while True:  # skip the rest of the overlong line
                more = readline(MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.bad(file, n, "not UTF-8 text", raw)
            continue
        yield n, text.rstrip("\r\n")
    report.lines_read[file] += n


#: Queries still waiting for their response are forgotten beyond this many (a log of
#: queries whose responses never come must not grow memory without bound).
MAX_PENDING = 100_000


#: The root name: a resolver's priming query (``. IN NS``), common in every log. No list
#: can hold it, so it is no event, and no malformed line either (it was reported as an
#: "invalid query name" on every occurrence).
ROOT = "."


class EventBuilder:
    """Collects events one at a time and emits EVENT_SCHEMA batches. ``add`` checks the
    timestamp and normalises the query name, reporting the line when either is wrong.

    Readers that pair a response with its earlier query keep a :meth:`handle` of the query's
    row; :meth:`row_of` turns it back into a row of the current batch, or None once that
    row has been emitted (a response arriving after its query's batch left is dropped)."""

    def __init__(self, file: str, report: InputReport, batch_rows: int = BATCH_ROWS) -> None:
        self.file = file
        self.report = report
        self.batch_rows = batch_rows
        self.max_ts = max_ts_ms()
        self.emitted = 0  # rows handed out in earlier batches
        self._clear()

    def _clear(self) -> None:
        self.ts: list[int] = []
        self.client: list[str] = []
        self.qname: list[str] = []
        self.qtype: list[str | None] = []
        self.rcode: list[str | None] = []
        self.answers: list[list[str] | None] = []
        self.sensor: list[str | None] = []
        self.line: list[int] = []

    def __len__(self) -> int:
        return len(self.ts)

    def check_ts(self, line: int, ts_ms: int, excerpt: str | bytes) -> bool:
        if MIN_TS_MS <= ts_ms <= self.max_ts:
            return True
        self.report.bad(self.file, line, "timestamp before 1990 or in the future", excerpt)
        return False

    def add(
        self,
        line: int,
        ts_ms: int,
        client: str,
        qname: str,
        qtype: str | None,
        rcode: str | None,
        answers: list[str] | None,
        sensor: str | None,
        excerpt: str | bytes,
    ) -> int:
        """Row index of the added event, or -1 when it was reported as bad."""
        if not self.check_ts(line, ts_ms, excerpt):
            return -1
        if not (
            type(client) is str
            and type(qname) is str
            and (qtype is None or type(qtype) is str)
            and (rcode is None or type(rcode) is str)
            and (sensor is None or type(sensor) is str)
            and (answers is None or type(answers) is list)
        ):  # a reader's last line of defence against a hostile record (JSON numbers...)
            self.report.bad(self.file, line, "a field of the wrong type", excerpt)
            return -1
        try:
            name = norm_qname(qname)
        except InputError:
            if qname.strip() != ROOT:
                self.report.bad(self.file, line, "invalid query name", excerpt)
            return -1
        self.ts.append(ts_ms)
        self.client.append(client)
        self.qname.append(name)
        self.qtype.append(qtype)
        self.rcode.append(rcode)
        self.answers.append(answers)
        self.sensor.append(sensor)
        self.line.append(line)
        return len(self.ts) - 1

    @property
    def full(self) -> bool:
        return len(self.ts) >= self.batch_rows

    def handle(self, row: int) -> int:
        """A reference to ``row`` that stays valid across :meth:`take`."""
        return self.emitted + row

    def row_of(self, handle: int | None) -> int | None:
        """The current batch's row for ``handle``; None when absent or already emitted."""
        if handle is None or handle < self.emitted:
            return None
        return handle - self.emitted

    def take_if_full(self, pending: MutableMapping[Any, Any]) -> pa.RecordBatch | None:
        """The batch when it is full (else None); then also forgets the waiting queries in
        ``pending`` if more than :data:`MAX_PENDING` have piled up."""
        if not self.full:
            return None
        batch = self.take()
        if len(pending) > MAX_PENDING:
            pending.clear()
        return batch

    def take(self, keep: int = 0) -> pa.RecordBatch:
        """The collected rows as a batch, holding back the last ``keep`` rows."""
        n = len(self.ts) - keep
        batch = event_batch(self, n, self.file, self.sensor)
        for name in ("ts", "client", "qname", "qtype", "rcode", "answers", "sensor", "line"):
            lst = getattr(self, name)
            del lst[:n]
        self.emitted += n
        return batch


def event_batch(rows: Any, n: int, file: str, sensor: list[str | None] | None) -> pa.RecordBatch:
    """The first ``n`` of ``rows``' columns (``ts``, ``client``, ``qname``, ``qtype``,
    ``rcode``, ``answers``, ``line`` lists) as a batch of :data:`EVENT_SCHEMA`, all from
    ``file``; ``sensor`` None for a reader that knows no sensor."""
    cols = [
        pa.array(rows.ts[:n], pa.int64()).cast(EVENT_SCHEMA.field("ts").type),
        pa.array(rows.client[:n], pa.string()),
        pa.array(rows.qname[:n], pa.string()),
        pa.array(rows.qtype[:n], pa.string()),
        pa.array(rows.rcode[:n], pa.string()),
        pa.array(rows.answers[:n], _STRINGS),
        pa.nulls(n, pa.string()) if sensor is None else pa.array(sensor[:n], pa.string()),
        pa.repeat(pa.scalar(file, pa.string()), n),
        pa.array(rows.line[:n], pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(cols, schema=EVENT_SCHEMA)


LineParser = Callable[
    [str], "tuple[int, str, str, str | None, str | None, list[str] | None, str | None] | None"
]


def read_text_lines(
    stream: BinaryIO, file: str, report: InputReport, parse: LineParser
) -> Iterator[pa.RecordBatch]:
    """Drive a per-line parser: ``parse(text)`` returns (ts_ms, client, qname, qtype, rcode,
    answers, sensor), None for a line that is no query (other log messages), or raises
    BadLine."""
    b = EventBuilder(file, report)
    for n, text in iter_lines(stream, file, report):
        try:
            row = parse(text)
        except BadLine as exc:
            report.bad(file, n, exc.reason, text)
            continue
        if row is None:
            continue
        b.add(n, *row, excerpt=text)
        if b.full:
            yield b.take()
    if len(b):
        yield b.take()


def finish_columns(
    file: str,
    report: InputReport,
    *,
    ts_ms: pa.Array,
    client: pa.Array,
    qname: pa.Array,
    qtype: pa.Array | None,
    rcode: pa.Array | None,
    answers: pa.Array | None,
    sensor: pa.Array | None,
    lines: np.ndarray,
    excerpt: Callable[[int], str],
    skip_null_qname: bool = False,
    source_file: pa.Array | None = None,
) -> pa.RecordBatch:
    """Vectorised validation and normalisation of a columnar chunk: rows with an absurd or
    missing timestamp, a missing client or an invalid query name are reported (row ``i`` is
    described by ``excerpt(i)``) and dropped. Null query names are dropped silently when
    ``skip_null_qname`` (a Zeek record of a DNS message without a question)."""
    n = len(ts_ms)
    ts_ms = ts_ms.cast(pa.int64())
    ok_ts = pc.and_(
        pc.greater_equal(ts_ms, MIN_TS_MS), pc.less_equal(ts_ms, max_ts_ms())
    ).fill_null(False)
    raw_q = qname.cast(pa.string())
    q = pc.ascii_lower(pc.utf8_rtrim(pc.utf8_trim_whitespace(raw_q), characters="."))
    length = pc.utf8_length(q)
    simple = pc.and_(
        pc.and_(pc.string_is_ascii(q), pc.invert(pc.match_substring(q, ".."))),
        pc.and_(
            pc.and_(pc.greater(length, 0), pc.less_equal(length, 253)),
            pc.invert(pc.starts_with(q, ".")),
        ),
    )
    simple_np = simple.fill_null(False).to_numpy(zero_copy_only=False)
    null_q = pc.is_null(raw_q).to_numpy(zero_copy_only=False)
    good = ok_ts.to_numpy(zero_copy_only=False) & ~null_q
    client_null = pc.is_null(client).to_numpy(zero_copy_only=False)
    fixed_idx: list[int] = []
    fixed_val: list[str] = []
    for i in np.flatnonzero(~simple_np & ~null_q & good):
        text = raw_q[int(i)].as_py()
        try:
            fixed_val.append(norm_qname(text))
            fixed_idx.append(int(i))
        except InputError:
            good[i] = False
            if text.strip() != ROOT:
                report.bad(file, int(lines[i]), "invalid query name", excerpt(int(i)))
    if fixed_idx:
        mask = np.zeros(n, dtype=bool)
        mask[fixed_idx] = True
        q = pc.replace_with_mask(q, pa.array(mask), pa.array(fixed_val, pa.string()))
    ts_np = ok_ts.to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(~ts_np):
        if not null_q[i] or not skip_null_qname:
            value = ts_ms[int(i)].as_py()
            reason = (
                "missing timestamp"
                if value is None
                else TS_NOT_FINITE
                if value == BAD_TS_MS
                else TS_TOO_LARGE
                if value == BAD_TS_SCALE_MS
                else "timestamp before 1990 or in the future"
            )
            report.bad(file, int(lines[i]), reason, excerpt(int(i)))
    if not skip_null_qname:
        for i in np.flatnonzero(null_q & ts_np):
            report.bad(file, int(lines[i]), "missing query name", excerpt(int(i)))
    for i in np.flatnonzero(client_null & good):
        report.bad(file, int(lines[i]), "missing client address", excerpt(int(i)))
    good &= ~client_null
    keep = pa.array(good)
    m = int(good.sum())

    def col(a: pa.Array | None, typ: pa.DataType) -> pa.Array:
        if a is None:
            return pa.nulls(m, typ)
        return pc.filter(a, keep).cast(typ)

    cols = [
        pc.filter(ts_ms, keep).cast(pa.timestamp("ms")).cast(EVENT_SCHEMA.field("ts").type),
        col(client, pa.string()),
        pc.filter(q, keep),
        col(qtype, pa.string()),
        col(rcode, pa.string()),
        col(answers, _STRINGS),
        col(sensor, pa.string()),
        col(source_file, pa.string()) if source_file is not None else pa.repeat(file, m),
        pa.array(lines[good], pa.int64()),
    ]
    return pa.RecordBatch.from_arrays(cols, schema=EVENT_SCHEMA)


class LongLine:
    """Stands, in :func:`read_chunks`' output, for one line longer than MAX_LINE that was
    skipped without being held in memory; ``excerpt`` is its start."""

    __slots__ = ("excerpt",)

    def __init__(self, excerpt: bytes) -> None:
        self.excerpt = excerpt

    @property
    def reason(self) -> str:
        return f"line longer than {MAX_LINE} bytes"


def read_chunks(stream: BinaryIO, size: int = 8 << 20) -> Iterator[bytes | LongLine]:
    """Chunks of whole lines (the last may lack its line end), each line shorter than
    MAX_LINE; a longer line is skipped and a :class:`LongLine` takes its place, so memory
    stays bounded by ``size`` whatever the input, and line numbers stay countable."""
    carry = b""
    skipping = False  # inside an over-long line: drop bytes up to its line end
    while True:
        chunk = stream.read(size)
        if not chunk:
            if carry:
                yield carry
            return
        if skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                continue
            chunk = chunk[nl + 1 :]
            skipping = False
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        yield from _split_long(data, cut)
        carry = data[cut:]
        if len(carry) >= MAX_LINE:
            yield LongLine(carry[:200])
            carry = b""
            skipping = True


def _split_long(data: bytes, cut: int) -> Iterator[bytes | LongLine]:
    """``data[:cut]`` (whole lines) with every line of MAX_LINE bytes or more replaced by a
    LongLine. A window of MAX_LINE bytes without a line end marks one; otherwise the last
    line end in the window proves every line before it short (few calls per chunk)."""
    start = pos = 0
    rfind, find = data.rfind, data.find
    while pos < cut:
        nl = rfind(b"\n", pos, min(pos + MAX_LINE, cut))
        if nl >= 0:
            pos = nl + 1
            continue
        if pos > start:
            yield data[start:pos]
        end = find(b"\n", pos, cut) + 1
        yield LongLine(data[pos : pos + 200])
        start = pos = end
    if cut > start:
        yield data[start:cut]


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_BIND_TIME = re.compile(
    r"(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s+"
)
_ISO_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)\s+"
)
_SYSLOG_TIME = re.compile(r"([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?\s+")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_SYSLOG_HOST = re.compile(r"(\S+) (\S+?)(?:\[\d+\])?: ")


def _frac_ms(frac: str | None) -> int:
    return int((frac or "0").ljust(3, "0")[:3])


def leading_time(text: str, *, syslog_host: bool = True) -> tuple[int, str | None, str]:
    """(epoch ms, syslog host or None, rest of the line) for a line that starts with a
    timestamp: ``06-Jul-2022 11:12:04.202`` (BIND), ISO 8601, or syslog ``Jul  6 11:12:04
    host prog[pid]:`` (no year: the latest year that does not put it in the future).
    Times without a zone are taken as UTC. Raises BadLine when there is no timestamp."""
    m = _BIND_TIME.match(text)
    if m:
        day, mon, year, hh, mm, ss, frac = m.groups()
        month = _MONTHS.get(mon.lower())
        if month is None:
            raise BadLine(f"unknown month {mon!r}")
        try:
            d = dt.datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=dt.UTC)
        except ValueError:
            raise BadLine("impossible date") from None
        return int(d.timestamp()) * 1000 + _frac_ms(frac), None, text[m.end() :]
    m = _ISO_TIME.match(text)
    if m:
        iso = m.group(1).replace(",", ".")
        if len(iso) > 5 and iso[-5] in "+-" and iso[-3] != ":" and "T" in iso:
            iso = iso[:-2] + ":" + iso[-2:]
        iso = _LONG_FRACTION.sub(r"\1", iso)  # Python parses at most 6 fraction digits
        return iso_to_ms(iso), None, text[m.end() :]
    m = _SYSLOG_TIME.match(text)
    if m:
        mon, day, hh, mm, ss, frac = m.groups()
        month = _MONTHS.get(mon.lower())
        if month is None:
            raise BadLine(f"unknown month {mon!r}")
        now = dt.datetime.now(dt.UTC)
        stamp: dt.datetime | None = None
        for y in range(now.year, now.year - 8, -1):  # Feb 29: the latest leap year
            try:
                stamp = dt.datetime(y, month, int(day), int(hh), int(mm), int(ss), tzinfo=dt.UTC)
            except ValueError:
                continue
            if stamp <= now + dt.timedelta(days=1):
                break
        if stamp is None:
            raise BadLine("impossible date")
        rest = text[m.end() :]
        host = None
        if syslog_host:
            h = _SYSLOG_HOST.match(rest)
            if h:
                host, rest = h.group(1), rest[h.end() :]
        return int(stamp.timestamp()) * 1000 + _frac_ms(frac), host, rest
    raise BadLine("no timestamp at the start of the line")
