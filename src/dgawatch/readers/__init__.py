"""Log readers: one module per input format, each turning its input into query-event batches
(:data:`dgawatch.events.EVENT_SCHEMA`). IntelMQ's lesson: one parser per feed, one schema
between stages.

Contract of a reader module: it defines ``READERS``, a tuple of :class:`Reader`. A reader
``detect``s its format from the first bytes of a (decompressed) file and ``read``s a binary
stream into record batches, reporting every malformed line/record to the
:class:`InputReport` (file, line, reason, excerpt) instead of dropping it silently or
aborting; with ``strict`` the report raises on the first one.

Entry point: :func:`read_events` (format detection, gzip/zstd transparently, many files).
"""

from __future__ import annotations

import gzip
import io
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyarrow as pa

from dgawatch.errors import InputError

MAX_EXAMPLES_PER_REASON = 5


@dataclass(frozen=True)
class BadInput:
    file: str
    line: int
    reason: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}: {self.excerpt[:120]!r}"


@dataclass
class InputReport:
    """Counts every malformed input line by (file, reason), keeping the first examples."""

    strict: bool = False
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[BadInput]] = field(default_factory=dict)
    lines_read: Counter[str] = field(default_factory=Counter)

    def bad(self, file: str, line: int, reason: str, excerpt: str | bytes = "") -> None:
        if isinstance(excerpt, bytes):
            excerpt = excerpt.decode("utf-8", "backslashreplace")
        item = BadInput(file, line, reason, excerpt.rstrip("\r\n"))
        if self.strict:
            raise InputError(f"malformed input (--strict): {item}")
        key = (file, reason)
        self.counts[key] += 1
        kept = self.examples.setdefault(key, [])
        if len(kept) < MAX_EXAMPLES_PER_REASON:
            kept.append(item)

    @property
    def total_bad(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "lines_read": dict(self.lines_read),
            "malformed": [
                {
                    "file": f,
                    "reason": r,
                    "count": n,
                    "examples": [
                        {"line": b.line, "text": b.excerpt} for b in self.examples[(f, r)]
                    ],
                }
                for (f, r), n in sorted(self.counts.items())
            ],
        }


@dataclass(frozen=True)
class Reader:
    name: str
    summary: str
    #: True when the first bytes of a decompressed input look like this format.
    detect: Callable[[bytes], bool]
    #: ``read(stream, file_name, report)`` -> record batches of EVENT_SCHEMA.
    read: Callable[[BinaryIO, str, InputReport], Iterator[pa.RecordBatch]]


# --- entry point ---------------------------------------------------------------------------

#: Format names accepted by :func:`read_events` (``fmt``), in auto-detection order.
READER_NAMES: tuple[str, ...] = (
    "pcap",
    "dnstap",
    "parquet",
    "zeek",
    "zeek-json",
    "pdns-cof",
    "bind",
    "unbound",
    "powerdns",
    "windows-dns",
    "csv",
)

_READER_MODULES = (
    "pcap",
    "dnstap",
    "tabular",
    "zeek",
    "pdns_cof",
    "bind",
    "unbound",
    "powerdns",
    "windows_dns",
)
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_HEAD = 64 * 1024


def readers() -> dict[str, Reader]:
    """Every reader by format name, in auto-detection order."""
    import importlib

    found: dict[str, Reader] = {}
    for mod in _READER_MODULES:
        for r in importlib.import_module(f"dgawatch.readers.{mod}").READERS:
            found[r.name] = r
    return {name: found[name] for name in READER_NAMES if name in found}


class _Decompressed(io.RawIOBase):
    """A gzip/zstd stream that first replays ``head`` (read for format detection) and ends,
    keeping the error, where the compressed data is truncated or corrupt: the reader then
    finishes what it has and :func:`read_events` reports the damage."""

    def __init__(self, inner: Any) -> None:
        self._head = memoryview(b"")
        self._inner = inner
        self.error: BaseException | None = None

    def replay(self, head: bytes) -> None:
        self._head = memoryview(head)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head.nbytes:
            n = min(len(b), self._head.nbytes)
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self.error is not None:
            return 0
        try:
            data = self._inner.read(len(b))
        except (EOFError, OSError, _zstd_error()) as exc:
            self.error = exc
            return 0
        b[: len(data)] = data
        return len(data)


def _zstd_error() -> type[Exception]:
    import zstandard

    return zstandard.ZstdError


def _open(raw: BinaryIO) -> tuple[BinaryIO, bytes, _Decompressed | None]:
    """The decompressed stream (gzip and zstd detected by magic bytes), its first bytes,
    and the decompressor (None for a plain file)."""
    magic = raw.read(4)
    raw.seek(0)
    inner: Any
    if magic.startswith(_GZIP_MAGIC):
        inner = gzip.GzipFile(fileobj=raw, mode="rb")
    elif magic == _ZSTD_MAGIC:
        import zstandard

        inner = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    else:
        head = raw.read(_HEAD)
        raw.seek(0)
        return raw, head, None
    dec = _Decompressed(inner)
    head = b""
    while len(head) < _HEAD:
        more = dec.read(min(8192, _HEAD - len(head)))
        if not more:
            break
        head += more
    dec.replay(head)
    stream: Any = io.BufferedReader(dec, buffer_size=1 << 20)
    return stream, head, dec


def _expand(paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> Iterator[str]:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    for p in paths:
        name = os.fspath(p)
        if os.path.isdir(name):
            for root, dirs, files in os.walk(name):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        yield os.path.join(root, f)
        else:
            yield name


def _rebatch(batches: Iterator[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Batches of at most ``size`` rows (large ones sliced without copying, empty ones
    dropped)."""
    for b in batches:
        for start in range(0, b.num_rows, size):
            yield b.slice(start, size)


def read_events(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    fmt: str = "auto",
    *,
    report: InputReport,
    batch_size: int = 65536,
    column_map: Mapping[str, str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Query-event batches (EVENT_SCHEMA, at most ``batch_size`` rows) from every file in
    ``paths`` (directories are walked, hidden entries skipped), in order.

    Each file's format is detected from its first bytes unless ``fmt`` names one of
    :data:`READER_NAMES`; gzip and zstd files are decompressed transparently. A missing or
    unreadable file, or one whose format cannot be told, raises :class:`InputError` naming
    it; malformed lines go to ``report`` (which raises instead when strict). ``column_map``
    (event field -> column) applies to csv and parquet input.
    """
    if batch_size < 1:
        raise InputError(f"batch size must be positive, not {batch_size}")
    table = readers()
    if fmt != "auto" and fmt not in table:
        raise InputError(f"unknown input format {fmt!r}; choose from auto, {', '.join(table)}")
    for name in _expand(paths):
        try:
            raw = open(name, "rb")  # noqa: SIM115 - closed below, after the generator ends
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
        with raw:
            try:
                stream, head, dec = _open(raw)
            except (OSError, EOFError) as exc:
                raise InputError(f"cannot read {name}: {exc}") from None
            if head or dec is None:
                yield from _read_one(stream, head, name, fmt, table, report, batch_size, column_map)
            if dec is not None and dec.error is not None:
                report.bad(name, 0, "truncated or corrupt compressed input", str(dec.error))


def _read_one(
    stream: BinaryIO,
    head: bytes,
    name: str,
    fmt: str,
    table: dict[str, Reader],
    report: InputReport,
    batch_size: int,
    column_map: Mapping[str, str] | None,
) -> Iterator[pa.RecordBatch]:
    if fmt == "auto":
        if not head:
            return
        found = next((r for r in table.values() if r.detect(head)), None)
        if found is None:
            raise InputError(
                f"cannot tell the format of {name}; name it with --format ({', '.join(table)})"
            )
        reader = found
    else:
        reader = table[fmt]
    batches: Iterator[pa.RecordBatch]
    if column_map and reader.name in ("csv", "parquet"):
        from dgawatch.readers import tabular

        read = tabular.read_csv if reader.name == "csv" else tabular.read_parquet
        batches = read(stream, name, report, column_map)
    else:
        batches = reader.read(stream, name, report)
    yield from _rebatch(batches, batch_size)
