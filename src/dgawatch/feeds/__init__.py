"""Feeds people already consume: dgawatch's forecasts written in their formats, and their
files read back and cross-checked against dgawatch's generators.

One module per feed format, each with its writer and its reader (a pair, tested round-trip):

- :mod:`dgawatch.feeds.dgarchive`: DGArchive's ``/today`` JSON document;
- :mod:`dgawatch.feeds.bambenek`: Bambenek Consulting's DGA feed (CSV);
- :mod:`dgawatch.feeds.netlab`: 360 Netlab's DGA feed (TSV).

:mod:`dgawatch.feeds.check` explains each name of a feed file with dgawatch's lists, and
:mod:`dgawatch.feeds.cli` is the ``dgawatch feed`` command. The readers turn every line into
one :class:`FeedEntry`; a malformed line goes to a :class:`dgawatch.readers.InputReport`
(counted with its file and line, or an error with ``--strict``), as the log readers do.
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from dgawatch.days import today
from dgawatch.errors import InputError

if TYPE_CHECKING:  # pyarrow: loaded by the commands that read feeds
    from dgawatch.readers import InputReport

#: Days either side of ``--date`` a published feed covers (yesterday, today, tomorrow).
WINDOW = (-1, 0, 1)


def window(day: dt.date | None = None) -> list[dt.date]:
    """Yesterday, today and tomorrow of ``day`` (default: today, UTC)."""
    day = day or today()
    return [day + dt.timedelta(days=d) for d in WINDOW]


@dataclass(frozen=True)
class FeedEntry:
    """One name of a feed file: where it was read, the family as the feed spells it, and the
    days on which the feed says the name is in use (``first..last``, inclusive, UTC)."""

    file: str
    line: int
    domain: str
    family: str
    first: dt.date
    last: dt.date

    def days(self, most: int) -> list[dt.date]:
        """The stated days; for a longer validity (Netlab gives a static list's names years),
        its first and last day and the days between on a grid of ``2^j`` days counted from
        day 1 (at most ``most`` in all), so that entries of a feed share their sampled days."""
        span = (self.last - self.first).days
        if span < most:
            return [self.first + dt.timedelta(days=i) for i in range(span + 1)]
        step = 1
        while span // step > most - 3:
            step *= 2
        lo, hi = self.first.toordinal(), self.last.toordinal()
        grid = range(lo + (-lo) % step, hi + 1, step)
        return sorted({self.first, self.last, *(dt.date.fromordinal(o) for o in grid)})

    def states(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


#: ``feed check -``: standard input, kept (spooled) for the second pass over it.
_stdin: BinaryIO | None = None


@contextmanager
def open_feed(path: Path) -> Iterator[BinaryIO]:
    """The file (``-``: standard input) as the log readers see theirs: gzip or zstd
    decompressed, a UTF-8 byte-order mark dropped, UTF-16 transcoded; one-line errors, a
    truncated compressed file among them. Opened twice by ``feed check`` (format, then
    records): standard input is spooled once."""
    global _stdin
    from dgawatch.readers import STDIN, decoded_stream, stdin_file

    if str(path) == STDIN:
        if _stdin is None:
            _stdin = stdin_file()
        _stdin.seek(0)
        raw, own = _stdin, False
    else:
        if path.is_dir():
            raise InputError(f"{path}: is a directory; give a feed file")
        try:
            raw, own = path.open("rb"), True
        except FileNotFoundError:
            raise InputError(f"{path}: no such file") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    try:
        try:
            stream, dec = decoded_stream(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: cannot read it ({exc})") from None
        yield stream
        if dec is not None and dec.error is not None:
            why = f"truncated or corrupt compressed input ({dec.error})"
            raise InputError(f"{path}: cannot read it: {why}")
    finally:
        if own:
            raw.close()


def text_lines(fh: BinaryIO, file: str) -> Iterator[tuple[int, str | None, bytes]]:
    """(line number, text or None when not UTF-8, raw bytes) of each line."""
    try:
        for number, raw in enumerate(fh, 1):
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n"), raw
            except UnicodeDecodeError:
                yield number, None, raw
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{file}: cannot read it ({exc})") from None


def records(fh: BinaryIO, file: str, report: InputReport) -> Iterator[tuple[int, str]]:
    """(line number, text) of each line a feed reader parses: every line is counted in
    ``report``, a line that is not UTF-8 is reported bad, blank and ``#`` lines are skipped.
    The preamble both feed formats' readers share."""
    for number, text, raw in text_lines(fh, file):
        report.lines_read[file] += 1
        if text is None:
            report.bad(file, number, "not UTF-8 text", raw)
        elif text.strip() and not text.lstrip().startswith("#"):
            yield number, text


def today_document(day: dt.date | None = None, variants: object = None) -> dict[str, list[str]]:
    """DGArchive's ``/today`` document for ``day`` (default today): the selected variants'
    names of day-1..day+1 (see :mod:`dgawatch.feeds.dgarchive`); ``variants`` None = all.
    What the portal's ``/api/today`` answers."""
    from dgawatch.families import all_variants
    from dgawatch.feeds.dgarchive import document

    chosen = list(all_variants()) if variants is None else list(variants)  # type: ignore[call-overload]
    return document(chosen, window(day))
