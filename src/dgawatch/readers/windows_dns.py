"""Windows DNS Server debug log (``dns.log``, "Log packets for debugging"), packet lines
laid out as its own "Message logging key" header describes: date, time, thread id,
``PACKET``, internal packet id, UDP/TCP, Snd/Rcv, remote IP, xid (hex), ``R`` for a
response (blank for a query), opcode (``Q`` = standard query), ``[flags-hex flag-letters
RCODE]``, question type, and the question name in length-prefixed form
(``(3)www(7)example(3)com(0)``).

Time: the server writes local time in the system's short date format without a zone,
taken as UTC: ``M/D/YYYY h:mm:ss AM/PM`` (US), 24-hour, ``D/M/YYYY``, ``D.M.YYYY`` and
``YYYY-MM-DD``. Whether a file's dates are month/day or day/month is decided for the whole
file, never line by line (before, a day/month file read days 1-12 as months): by its first
date that reads only one way (a number over 12 in the first or second place), found by a
scan of the file's dates before it is read (seekable input: a file, standard input) or
while it is read (compressed input: its rows are held until that date comes, up to
:data:`MAX_HELD` rows). A file with no such date is month/day (day/month with dots). A date
that reads only the other way after that is a one-line error naming the file and line (its
dates contradict each other). ``--input-format windows-dns-dmy`` / ``windows-dns-mdy`` say
the order instead.

One event per query received from a client (``Rcv``, no ``R``, opcode ``Q``; client = remote
IP); the server's response to it (``Snd``, ``R``, same remote IP and xid) fills ``rcode``.
Packets the server sends to or receives from other servers (its own recursion) and other
opcodes are skipped; header and detail lines are skipped. The debug log has no answer data
unless "details" is on, which is not read: ``answers`` is null.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

from dgawatch.errors import InputError
from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import BadLine, EventBuilder, iter_lines, norm_ip

_LINE = re.compile(
    r"^(?P<date>\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}) (?P<time>\d{1,2}:\d{2}:\d{2})"
    r"(?: (?P<ampm>[AaPp][Mm]))? +[0-9A-Fa-f]+ PACKET +[0-9A-Fa-f]+ (?P<proto>UDP|TCP) "
    r"(?P<dir>Rcv|Snd) (?P<ip>[0-9A-Fa-f:.]+) +(?P<xid>[0-9A-Fa-f]+) (?P<r>[R ]) "
    r"(?P<op>[A-Z?]) \[(?P<flags>[0-9A-Fa-f]+) +[A-Z ]*?(?P<rcode>[A-Z]+)\] "
    r"(?P<qtype>\S+) +(?P<qname>\S+)"
)
_LABEL = re.compile(r"\(\d+\)")
#: The date (first and second number, separator) at the start of a line, for the scan.
_DATE = re.compile(rb"(?m)^(\d{1,4})([/.-])(\d{1,2})[/.-]\d{1,4} \d{1,2}:\d\d:\d\d")

MDY, DMY = "mdy", "dmy"
_ORDER_WORDS = {MDY: "month/day", DMY: "day/month"}
#: Rows held (compressed input) while no date has told the order; then month/day is taken.
MAX_HELD = 1 << 20
#: Bytes read at a time by the scan of a file's dates.
_SCAN_CHUNK = 4 << 20


def _order_of(first: int, second: int) -> str | None:
    """The one order a date's first two numbers read in, or None (both, or neither)."""
    if first > 31:
        return None  # YYYY-MM-DD
    if first > 12 and 1 <= second <= 12:
        return DMY
    if second > 12 and 1 <= first <= 12:
        return MDY
    return None


def scan_order(stream: BinaryIO) -> tuple[str | None, bool]:
    """The order of the first date of ``stream`` that reads only one way (None: none does)
    and whether the dates seen have dots; the stream is left where it was. Stops at that
    date: a month/day file tells by the 13th of its first month."""
    start = stream.tell()
    dots, tail = False, b""
    try:
        while chunk := stream.read(_SCAN_CHUNK):
            cut = chunk.rfind(b"\n") + 1
            if not cut:
                tail += chunk
                continue
            text, tail = tail + chunk[:cut], chunk[cut:]
            for m in _DATE.finditer(text):
                dots = dots or m[2] == b"."
                order = _order_of(int(m[1]), int(m[3]))
                if order is not None:
                    return order, dots
        for m in _DATE.finditer(tail):
            order = _order_of(int(m[1]), int(m[3]))
            if order is not None:
                return order, dots or m[2] == b"."
        return None, dots
    finally:
        stream.seek(start)


@functools.lru_cache(maxsize=1024)
def _date_order(date: str) -> str | None:
    """:func:`_order_of` of a date as written (a log repeats each date on many lines)."""
    first, second = (int(x) for x in re.split(r"[/.-]", date)[:2])
    return _order_of(first, second)


@functools.lru_cache(maxsize=1024)
def _day_ms(date: str, order: str) -> int:
    """Milliseconds at 00:00 UTC of a date as written, in ``order`` (-1: no such day)."""
    parts = [int(p) for p in re.split(r"[/.-]", date)]
    if parts[0] > 31:
        y, mo, d = parts
    elif order == DMY:
        d, mo, y = parts
    else:
        mo, d, y = parts
    try:
        return (dt.date(y, mo, d) - _EPOCH).days * 86_400_000
    except ValueError:
        return -1


_EPOCH = dt.date(1970, 1, 1)


def _time(date: str, clock: str, ampm: str | None, order: str) -> int:
    day = _day_ms(date, order)
    hh, mm, ss = (int(p) for p in clock.split(":"))
    if ampm:
        hh = hh % 12 + (12 if ampm.upper() == "PM" else 0)
    if day < 0 or hh > 23 or mm > 59 or ss > 59:
        raise BadLine("impossible date")
    return day + ((hh * 60 + mm) * 60 + ss) * 1000


def _contradiction(file: str, n: int, date: str, order: str, given: bool) -> InputError:
    other = DMY if order == MDY else MDY
    head = f"{file}:{n}: date {date} reads only as {_ORDER_WORDS[other]}"
    if given:
        return InputError(
            f"{head}, not as {_ORDER_WORDS[order]} (--input-format windows-dns-{order}); "
            f"give --input-format windows-dns-{other}, or leave it out to let the file tell"
        )
    return InputError(
        f"{head}, but the file's earlier dates were read as {_ORDER_WORDS[order]}: its dates "
        f"contradict each other; split the file where the date format changes (or give "
        f"--input-format windows-dns-{other} or windows-dns-{order})"
    )


def name_from_log(text: str) -> str:
    """``(3)www(7)example(3)com(0)`` -> ``www.example.com``."""
    return _LABEL.sub(".", text).strip(".")


def _read(
    stream: BinaryIO, file: str, report: InputReport, order: str | None = None
) -> Iterator[pa.RecordBatch]:
    """``order``: MDY or DMY as given (``windows-dns-mdy``/``-dmy``), or None: the file's."""
    b = EventBuilder(file, report)
    pending: dict[tuple[str, str], int] = {}
    given = order is not None
    if order is None and stream.seekable():
        found, dots = scan_order(stream)
        order = found or (DMY if dots else MDY)
    #: while no date has told the order (input read once): held rows' (row, date parts)
    held: list[tuple[int, str, str, str | None]] | None = None if order else []
    tentative = order or MDY
    for n, text in iter_lines(stream, file, report):
        if " PACKET " not in text:
            continue
        m = _LINE.match(text)
        if m is None:
            report.bad(file, n, "unrecognised PACKET line", text)
            continue
        if m["op"] != "Q":
            continue
        is_response = m["r"] == "R"
        if is_response != (m["dir"] == "Snd"):
            continue  # the server's own queries to, and answers from, other servers
        date = m["date"]
        says = _date_order(date)
        if says is not None and says != tentative:
            if held is None:
                raise _contradiction(file, n, date, tentative, given)
            tentative = says  # the first date that tells, while rows are held: fix theirs
            for row, d, clock, ampm in held:
                b.ts[row] = _time(d, clock, ampm, tentative)
        elif held == [] and "." in date:
            tentative = DMY  # D.M.YYYY until a date says otherwise
        if says is not None and held is not None:
            held = None
        try:
            client = norm_ip(m["ip"])
            ts = _time(date, m["time"], m["ampm"], tentative)
        except BadLine as exc:
            report.bad(file, n, exc.reason, text)
            continue
        key = (client, m["xid"].lower())
        if is_response:
            r = b.row_of(pending.pop(key, None))
            if r is not None:
                b.rcode[r] = m["rcode"]
            continue
        row = b.add(n, ts, client, name_from_log(m["qname"]), m["qtype"], None, None, None, text)
        if row >= 0:
            pending[key] = b.handle(row)
            if held is not None:
                held.append((row, date, m["time"], m["ampm"]))
        if held is not None:
            if len(held) < MAX_HELD:
                continue  # no batch leaves before the order is known
            held = None  # month/day from here (a later day/month date is an error)
        batch = b.take_if_full(pending)
        if batch is not None:
            yield batch
    if len(b):
        yield b.take()


def _detect(head: bytes) -> bool:
    text = head[:16384].decode("utf-8", "replace")
    return "DNS Server log" in text or any(_LINE.match(x) for x in text.splitlines()[:40])


READERS = (
    Reader("windows-dns", "Windows DNS Server debug log", 90, _detect, _read),
    Reader(
        "windows-dns-dmy",
        "Windows DNS Server debug log, dates day/month",
        91,
        _detect,
        functools.partial(_read, order=DMY),
    ),
    Reader(
        "windows-dns-mdy",
        "Windows DNS Server debug log, dates month/day",
        92,
        _detect,
        functools.partial(_read, order=MDY),
    ),
)
