"""Log readers: one module per input format, each turning its input into query-event batches
(:data:`dgawatch.events.EVENT_SCHEMA`). IntelMQ's lesson: one parser per feed, one schema
between stages.

Contract of a reader module: it defines ``READERS``, a tuple of :class:`Reader`; every
module of this package whose name does not start with ``_`` is discovered (adding a reader is
one module plus its test, as adding a family or an exporter). A reader ``detect``s its format
from the first bytes of a (decompressed) file and ``read``s a binary stream into record
batches, reporting every malformed line/record to the
:class:`InputReport` (file, line, reason, excerpt) instead of dropping it silently or
aborting; with ``strict`` the report raises on the first one.

Entry point: :func:`read_events` (format detection, gzip/zstd transparently, many files).
"""

from __future__ import annotations

import functools
import gzip
import io
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar

import pyarrow as pa

from dgawatch.errors import DgawatchError, InputError
from dgawatch.outfile import note_input

MAX_EXAMPLES_PER_REASON = 5
T = TypeVar("T")
#: The event fields a hunt reads (``read_events(..., fields=HUNT_FIELDS)``): readers with a
#: lean path (Zeek TSV) then parse only these.
HUNT_FIELDS = ("ts", "client", "qname", "rcode", "source_file", "source_line")


class FileRefused(InputError):
    """A whole file that is not input of the kind asked for (its format cannot be told, a
    Zeek log of another type, a table without the needed columns). Named on the command
    line it is an error; met while walking a directory it is skipped with a message, so
    that a conn.log beside the dns.log does not end the hunt."""

    def __init__(self, file: str, reason: str, message: str | None = None) -> None:
        super().__init__(message or f"{file}: {reason}")
        self.file = file
        self.reason = reason


#: ``repr`` of an undecodable byte kept by "surrogateescape" (``\\udcff``), not after an
#: escaped backslash: it is shown as the byte (``\\xff``).
_SURROGATE = re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


@dataclass(frozen=True)
class BadInput:
    file: str
    line: int
    reason: str
    #: The line's text; bytes that are not UTF-8 are kept as "surrogateescape" characters,
    #: so that they are escaped once where shown (:attr:`shown`, :attr:`text`).
    excerpt: str

    @property
    def shown(self) -> str:
        """The first 120 characters quoted as Python does, undecodable bytes as ``\\xff``."""
        return _SURROGATE.sub(r"\1\\x\2", repr(self.excerpt[:120]))

    @property
    def text(self) -> str:
        """The excerpt as plain text, undecodable bytes as ``\\xff`` (for JSON)."""
        try:
            raw = self.excerpt.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a lone surrogate that came as such (a JSON escape)
            raw = self.excerpt.encode("utf-8", "backslashreplace")
        return raw.decode("utf-8", "backslashreplace")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}: {self.shown}"


@dataclass
class InputReport:
    """Counts every malformed input line by (file, reason), keeping the first examples."""

    strict: bool = False
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[BadInput]] = field(default_factory=dict)
    lines_read: Counter[str] = field(default_factory=Counter)
    #: What a file's bad-input numbers count where not lines: "packet" for a capture.
    units: dict[str, str] = field(default_factory=dict)

    def unit(self, file: str) -> str:
        """ "line", or what a reader said it numbers in ``file`` ("packet", "frame")."""
        return self.units.get(file, "line")

    def bad(self, file: str, line: int, reason: str, excerpt: str | bytes = "") -> None:
        if isinstance(excerpt, bytes):
            excerpt = excerpt.decode("utf-8", "surrogateescape")
        item = BadInput(file, line, reason, excerpt.rstrip("\r\n"))
        if self.strict:
            raise InputError(f"malformed input (--strict): {item}")
        self._count(item)

    def skipped(self, file: str, reason: str) -> None:
        """A file left out that holds no records (a FIFO in a log directory): counted like a
        bad line, strict or not, so the summary shows it."""
        if not any(f == file for f, _ in self.counts):
            self.units.setdefault(file, "file")  # said per file, not as "1 line(s) ... line 0"
        self._count(BadInput(file, 0, reason, ""))

    def _count(self, item: BadInput) -> None:
        file, reason = item.file, item.reason
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
                    "examples": [{"line": b.line, "text": b.text} for b in self.examples[(f, r)]],
                }
                for (f, r), n in sorted(self.counts.items())
            ],
        }


@dataclass(frozen=True)
class Reader:
    name: str
    summary: str
    #: Auto-detection tries lower ranks first: binary formats with magic numbers, then
    #: tables and text formats with distinctive lines, CSV (the loosest test) last.
    rank: int
    #: True when the first bytes of a decompressed input look like this format.
    detect: Callable[[bytes], bool]
    #: ``read(stream, file_name, report)`` -> record batches of EVENT_SCHEMA.
    read: Callable[[BinaryIO, str, InputReport], Iterator[pa.RecordBatch]]
    #: Same contract, batches of the :data:`HUNT_FIELDS` columns only (same rows, same
    #: reports); None when the format has no cheaper way than ``read``.
    read_lean: Callable[[BinaryIO, str, InputReport], Iterator[pa.RecordBatch]] | None = None


# --- entry point ---------------------------------------------------------------------------

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_HEAD = 64 * 1024


@functools.cache
def readers() -> dict[str, Reader]:
    """Every reader of this package's modules by format name, in auto-detection order
    (rank, then name)."""
    from dgawatch.registry import modules

    found: dict[str, Reader] = {}
    for module in modules(__name__, __path__):
        for r in module.READERS:
            if r.name in found:
                raise RuntimeError(f"input format {r.name!r} registered twice")
            found[r.name] = r
    return {r.name: r for r in sorted(found.values(), key=lambda r: (r.rank, r.name))}


def reader_names() -> tuple[str, ...]:
    """The readers' format names, in auto-detection order."""
    return tuple(readers())


class _Decompressed(io.RawIOBase):
    """A gzip/zstd stream that first replays ``head`` (read for format detection) and ends,
    keeping the error, where the compressed data is truncated or corrupt: the reader then
    finishes what it has and :func:`read_events` reports the damage."""

    def __init__(self, inner: Any, zstd: bool = False) -> None:
        self._head = memoryview(b"")
        #: What :meth:`replay` was given: the first bytes, for format detection.
        self.replayed = b""
        self._inner = inner
        self.zstd = zstd
        self.error: BaseException | None = None

    def replay(self, head: bytes) -> None:
        self._head = memoryview(head)
        self.replayed = head

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


_UTF8_BOM = b"\xef\xbb\xbf"


def _open(raw: BinaryIO) -> tuple[BinaryIO, bytes, _Decompressed | None]:
    """The decompressed stream (gzip and zstd detected by magic bytes), its first bytes,
    and the decompressor (None for a plain file). Text as Windows tools write it reads as
    UTF-8 text: a UTF-8 byte-order mark is dropped (it hid the first line's timestamp and
    the format), UTF-16 with its mark is transcoded (PowerShell's ``Out-File``)."""
    stream, head, dec = _open_compressed(raw)
    if head.startswith(_UTF8_BOM):
        if dec is None:
            raw.seek(len(_UTF8_BOM))
        else:
            dec.replay(head[len(_UTF8_BOM) :])
        return stream, head[len(_UTF8_BOM) :], dec
    if _utf16_text(head):
        text = _Decompressed(_Utf16(stream))
        text.replay(_fill(text))
        return io.BufferedReader(text, buffer_size=1 << 20), text.replayed, dec
    return stream, head, dec


def _utf16_text(head: bytes) -> bool:
    """Whether ``head`` is UTF-16 text with its byte-order mark (not UTF-32's, ``ff fe 00
    00``): it decodes, and holds no control character but tab, CR and LF."""
    if head[:2] not in (b"\xff\xfe", b"\xfe\xff") or head.startswith(b"\xff\xfe\x00\x00"):
        return False
    try:
        text = head[: len(head) & ~1].decode("utf-16")
    except UnicodeDecodeError:
        text = head[: (len(head) & ~1) - 2].decode("utf-16", "replace")  # a cut pair at the end
    return bool(text) and not any(ord(c) < 32 and c not in "\t\r\n" for c in text)


class _Utf16:
    """UTF-16 (byte-order mark first) read as UTF-8: ``read(n)`` like a binary stream."""

    def __init__(self, inner: BinaryIO) -> None:
        import codecs

        self._inner = inner
        self._decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
        self._out = b""
        self._eof = False

    def read(self, n: int) -> bytes:
        while len(self._out) < n and not self._eof:
            chunk = self._inner.read(max(n, 1 << 16))
            self._eof = not chunk
            self._out += self._decoder.decode(chunk, final=self._eof).encode("utf-8")
        out, self._out = self._out[:n], self._out[n:]
        return out


def _fill(dec: _Decompressed) -> bytes:
    """The first :data:`_HEAD` bytes ``dec`` gives (fewer at its end)."""
    head = b""
    while len(head) < _HEAD:
        more = dec.read(min(8192, _HEAD - len(head)))
        if not more:
            break
        head += more
    return head


def _open_compressed(raw: BinaryIO) -> tuple[BinaryIO, bytes, _Decompressed | None]:
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
    dec = _Decompressed(inner, zstd=magic == _ZSTD_MAGIC)
    head = _fill(dec)
    dec.replay(head)
    stream: Any = io.BufferedReader(dec, buffer_size=1 << 20)
    return stream, head, dec


_ZSTD_SKIPPABLE = range(0x184D2A50, 0x184D2A60)


def _zstd_damage(raw: BinaryIO) -> str | None:
    """Why a zstd file is truncated or corrupt, or None. zstandard's stream reader ends
    quietly at a cut-off frame, so the frame structure (RFC 8878: frame header, block
    headers, checksum) is walked here, seeking over block contents: no decompression,
    a few calls per 128 KiB block."""
    raw.seek(0, os.SEEK_END)
    size = raw.tell()
    pos = 0
    while pos < size:
        raw.seek(pos)
        head = raw.read(18)  # magic, descriptor, window, dictionary id, content size
        if len(head) < 4:
            return f"cut off at byte {size} inside a frame header"
        magic = struct.unpack_from("<I", head)[0]
        if magic in _ZSTD_SKIPPABLE:
            if len(head) < 8:
                return f"cut off at byte {size} inside a skippable frame"
            pos += 8 + struct.unpack_from("<I", head, 4)[0]
            continue
        if head[:4] != _ZSTD_MAGIC:
            return f"no zstd frame at byte {pos}"
        if len(head) < 5:
            return f"cut off at byte {size} inside a frame header"
        fhd = head[4]
        single = fhd >> 5 & 1
        fcs = (1 if single else 0, 2, 4, 8)[fhd >> 6]
        hlen = 5 + (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + fcs
        pos += hlen
        while True:
            raw.seek(pos)
            bh = raw.read(3)
            if len(bh) < 3:
                return f"cut off at byte {size} inside a frame (before its last block)"
            v = int.from_bytes(bh, "little")
            btype, bsize = v >> 1 & 3, v >> 3
            if btype == 3:
                return f"corrupt block header at byte {pos}"
            pos += 3 + (1 if btype == 1 else bsize)
            if v & 1:
                break
        pos += 4 if fhd & 4 else 0  # content checksum
    if pos > size:
        return f"cut off at byte {size}, inside a frame ending at byte {pos}"
    return None


def _expand(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str], report: InputReport
) -> Iterator[tuple[str, str]]:
    """(file, the named directory it was found in or "") for every file named or under a
    named directory.
    Inside a directory, what is not a regular file (a FIFO would block the read forever, a
    device never end) is reported as skipped; a named one is an error."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    stdin_seen = False
    seen: dict[tuple[int, int], str] = {}  # (device, inode) of each regular file given

    def first_time(path: str) -> bool:
        """False for a file already given (``logs/ logs/dns.log``, a link to it): read
        twice, its queries counted twice, a finding's numbers doubled."""
        try:
            st = os.stat(path)
        except OSError:
            return True  # open() reports it
        if not stat.S_ISREG(st.st_mode):
            return True
        key = (st.st_dev, st.st_ino)
        if key not in seen:
            seen[key] = path
            return True
        if os.path.normpath(seen[key]) != os.path.normpath(path):  # a link: say so
            report.skipped(path, f"the same file as {seen[key]}, given before; read once")
        return False

    for p in paths:
        name = os.fspath(p)
        if name == STDIN:
            if stdin_seen:
                raise InputError("'-' (standard input) is given twice; name it once")
            stdin_seen = True
            yield name, ""
            continue
        if os.path.isdir(name):
            found = False
            for root, dirs, files in os.walk(name):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if not f.startswith("."):
                        path = os.path.join(root, f)
                        kind = _not_regular(path)
                        if kind:
                            report.skipped(path, f"{kind}, not a regular file; skipped")
                        else:
                            found = True
                            if first_time(path):
                                yield path, name
            if not found:
                raise InputError(
                    f"{name} holds no log files (hidden entries are skipped); give log files "
                    "or a directory of them"
                )
        else:
            kind = _not_regular(name)
            if kind and kind != "FIFO":  # a named pipe is read: <(zcat dns.log.gz), /dev/stdin
                raise InputError(f"{name} is a {kind}, not a regular file; give a log file")
            if first_time(name):
                yield name, ""


#: The path that means standard input (``zcat dns.log.gz | dgawatch hunt -``); reports
#: name it :data:`STDIN_NAME`. A file named ``-`` is ``./-``.
STDIN = "-"
STDIN_NAME = "<stdin>"


def stdin_file() -> BinaryIO:
    """Standard input, seekable (see :func:`_open_stdin`), for a reader of its own."""
    return _open_stdin()


def decoded_stream(raw: BinaryIO) -> tuple[BinaryIO, _Decompressed | None]:
    """``raw`` (at its start) as the readers read it: gzip/zstd decompressed, a UTF-8 mark
    dropped, UTF-16 transcoded; and the decompressor, whose ``error`` says a truncated or
    corrupt input once the stream is read (None for a plain file)."""
    stream, _head, dec = _open(raw)
    return stream, dec


def _open_stdin() -> BinaryIO:
    """Standard input as a seekable binary file (format detection and the zstd check seek):
    itself when redirected from a file, else copied to an anonymous temporary file."""
    if sys.stdin is None:
        raise InputError("'-' names standard input, but there is none; give a log file")
    return _seekable(os.fdopen(os.dup(sys.stdin.fileno()), "rb"))


def _open_pipe(name: str) -> BinaryIO:
    """A named pipe given on the command line (a shell's ``<(zcat dns.log.gz)``,
    ``/dev/stdin``), read whole: opened without waiting for a writer (none: it reads as
    empty, never a hang), then read blocking."""
    import fcntl

    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    return _seekable(os.fdopen(fd, "rb"))


def _seekable(stream: BinaryIO) -> BinaryIO:
    """``stream`` itself when it can seek, else its content in an anonymous temporary file
    (a pipe: standard input, a named pipe, a shell's ``<(...)``)."""
    if stream.seekable():
        return stream
    spool = tempfile.TemporaryFile(prefix="dgawatch-stdin-")  # noqa: SIM115 - returned
    try:
        with stream:
            shutil.copyfileobj(stream, spool, 1 << 20)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


def _not_regular(path: str) -> str | None:
    """What ``path`` is when it exists and is no regular file (FIFO, socket, device)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # open() reports it
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


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
    fields: Sequence[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Query-event batches (EVENT_SCHEMA, at most ``batch_size`` rows) from every file in
    ``paths`` (directories are walked, hidden entries skipped), in order. ``fields``: only
    these columns are needed (a subset of :data:`HUNT_FIELDS`: a reader with a lean path
    parses only those; the others' batches are projected).

    Each file's format is detected from its first bytes unless ``fmt`` names one of
    :func:`reader_names`; gzip and zstd files are decompressed transparently. A missing or
    unreadable file, or one whose format cannot be told, raises :class:`InputError` naming
    it; malformed lines go to ``report`` (which raises instead when strict). ``column_map``
    (event field -> column) applies to csv and parquet input.
    """
    if batch_size < 1:
        raise InputError(f"batch size must be positive, not {batch_size}")
    table = readers()
    if fmt != "auto" and fmt not in table:
        raise InputError(f"unknown input format {fmt!r}; choose from auto, {', '.join(table)}")

    if fields is not None and not set(fields) <= set(HUNT_FIELDS):
        raise ValueError(f"fields must be some of {HUNT_FIELDS}")

    def one(name: str, stream: BinaryIO, head: bytes) -> Iterator[pa.RecordBatch]:
        return _read_one(stream, head, name, fmt, table, report, batch_size, column_map, fields)

    yield from read_files(paths, one, report=report)


def read_files(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    read_one: Callable[[str, BinaryIO, bytes], Iterator[T]],
    *,
    report: InputReport,
) -> Iterator[T]:
    """What ``read_one(name, stream, head)`` yields for every file in ``paths``, with the
    guarantees of :func:`read_events` for any line-oriented input (hunt-flows' flow logs
    use it too): directories walked (hidden entries skipped), FIFOs/devices refused or
    skipped, gzip/zstd decompressed (``head``: the first decompressed bytes), truncated or
    corrupt compression reported, a :class:`FileRefused` inside a directory skipped with
    its reason, and a reader's unforeseen exception costing the rest of that file only. A
    named directory whose every file is skipped is an error naming the first and why
    (before, the hunt said "no findings", exit 0, of nothing read)."""
    skipped: dict[str, str] = {}  # directory -> its first skipped file and why, until one is read
    current = ""
    for name, in_dir in _expand(paths, report):
        if in_dir != current:
            _all_skipped(current, skipped)
            current = in_dir
            if in_dir:
                skipped[in_dir] = ""
        try:
            if name == STDIN:
                raw = _open_stdin()
                name = STDIN_NAME
            else:
                if not in_dir and _not_regular(name) == "FIFO":
                    raw = _open_pipe(name)
                else:
                    raw = open(name, "rb")  # noqa: SIM115 - closed after the generator ends
                note_input(name, raw.fileno())  # no --output may replace it
        except OSError as exc:
            if in_dir:
                why = f"cannot read it ({exc.strerror or exc})"
                report.skipped(name, f"{why}; skipped")
                _note_skip(skipped, in_dir, f"{name}: {why}")
                continue
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
        read = False  # whether read_one ran to the end
        got = 0  # what it yielded
        with raw:
            try:
                stream, head, dec = _open(raw)
            except (OSError, EOFError) as exc:
                raise InputError(f"cannot read {name}: {exc}") from None
            if head or dec is None:
                try:
                    for item in read_one(name, stream, head):
                        got += 1
                        yield item
                except FileRefused as exc:
                    if not in_dir:
                        raise
                    report.skipped(name, f"{exc.reason}; skipped")
                    _note_skip(skipped, in_dir, f"{name}: {exc.reason}")
                except (DgawatchError, MemoryError):
                    raise
                except Exception as exc:  # hostile input must not end the hunt
                    # Last line of defence: a reader that trips over a record it did not
                    # foresee loses the rest of this file, never the other files.
                    report.bad(
                        name,
                        0,
                        f"unreadable record ({type(exc).__name__}: {exc}); rest of file skipped",
                    )
                    skipped.pop(in_dir, None)  # (read up to there)
                else:
                    read = True
            damage = None
            if dec is not None and dec.error is not None:
                damage = str(dec.error)
            elif dec is not None and dec.zstd:
                damage = _zstd_damage(raw)
            if damage and not got and not report.lines_read.get(name):
                # not one line came out: the file could not be read (before, a hunt of it
                # alone said "no findings", exit 0, below a one-line damage report)
                why = f"truncated or corrupt compressed input, nothing readable ({damage})"
                if not in_dir:
                    raise InputError(f"cannot read {name}: {why}")
                report.skipped(name, f"{why}; skipped")
                _note_skip(skipped, in_dir, f"{name}: {why}")
                continue
            if read:
                skipped.pop(in_dir, None)
            if dec is not None and dec.error is not None:
                report.bad(name, 0, "truncated or corrupt compressed input", str(dec.error))
            elif damage:
                report.bad(name, 0, f"truncated or corrupt compressed input: {damage}")
    _all_skipped(current, skipped)


def _note_skip(skipped: dict[str, str], directory: str, what: str) -> None:
    """Keep the first skipped file of a directory none of whose files was read yet."""
    if directory in skipped and not skipped[directory]:
        skipped[directory] = what


def _all_skipped(directory: str, skipped: dict[str, str]) -> None:
    """Raise when every file of a named ``directory`` was skipped (none was read)."""
    if skipped.get(directory):
        raise InputError(
            f"{directory} holds no file that could be read as a log: each was skipped (the "
            f"first, {skipped[directory]}); give the log files, or a directory of them"
        )


def archive_kind(head: bytes) -> str | None:
    """What archive ``head`` (decompressed) starts, if any: people hand over a day's logs as
    ``logs.tar.gz`` or a zip."""
    if head[257:262] == b"ustar":
        return "a tar archive"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "a zip archive"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "a 7-Zip archive"
    if head.startswith(b"BZh") and head[3:4].isdigit():
        return "bzip2-compressed (gzip and zstd are read as they are)"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz-compressed (gzip and zstd are read as they are)"
    return None


def _read_one(
    stream: BinaryIO,
    head: bytes,
    name: str,
    fmt: str,
    table: dict[str, Reader],
    report: InputReport,
    batch_size: int,
    column_map: Mapping[str, str] | None,
    fields: Sequence[str] | None = None,
) -> Iterator[pa.RecordBatch]:
    archive = archive_kind(head)
    if archive:  # before detection: a tar of BIND logs read as one, its other files lost
        raise FileRefused(
            name,
            f"{archive}: unpack it first",
            f"{name} is {archive}; unpack it and give the log files (or their directory)",
        )
    if fmt == "auto":
        if not head:
            return
        found = next((r for r in table.values() if r.detect(head)), None)
        if found is None and column_map and "csv" in table:
            from dgawatch.readers.tabular import detects_with_columns

            found = table["csv"] if detects_with_columns(head, column_map) else None
        if found is None:
            raise FileRefused(
                name,
                "cannot tell its format (name it with --input-format)",
                f"cannot tell the format of {name}; name it with --input-format "
                f"({', '.join(table)})",
            )
        reader = found
    else:
        reader = table[fmt]
    batches: Iterator[pa.RecordBatch]
    if column_map and reader.name in ("csv", "parquet"):
        from dgawatch.readers import tabular

        read = tabular.read_csv if reader.name == "csv" else tabular.read_parquet
        batches = read(stream, name, report, column_map)
    elif fields is not None and reader.read_lean is not None:
        batches = reader.read_lean(stream, name, report)
    else:
        batches = reader.read(stream, name, report)
    if fields is not None:
        batches = (b.select(list(fields)) for b in batches)
    if fmt == "auto":
        yield from _rebatch(batches, batch_size)
        return
    rows = 0
    lines_before = report.lines_read[name]
    for batch in _rebatch(batches, batch_size):
        rows += batch.num_rows
        yield batch
    if not rows and report.lines_read[name] > lines_before and not reader.detect(head):
        # A forced format that no line of the file matches: say so, not "0 events".
        reason = f"no line reads as {reader.name} ({reader.summary})"
        raise FileRefused(
            name,
            reason,
            f"{name}: {reason}; is it another format? leave --input-format out to detect it",
        )
