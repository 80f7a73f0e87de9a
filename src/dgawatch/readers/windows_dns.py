"""Windows DNS Server debug log (``dns.log``, "Log packets for debugging"), packet lines
laid out as its own "Message logging key" header describes: date, time, thread id,
``PACKET``, internal packet id, UDP/TCP, Snd/Rcv, remote IP, xid (hex), ``R`` for a
response (blank for a query), opcode (``Q`` = standard query), ``[flags-hex flag-letters
RCODE]``, question type, and the question name in length-prefixed form
(``(3)www(7)example(3)com(0)``).

Time: the server writes local time in the system's short date format without a zone;
``M/D/YYYY h:mm:ss AM/PM`` (US), 24-hour, ``D/M/YYYY`` (when the first number is over 12)
and ``YYYY-MM-DD`` are read, and taken as UTC.

One event per query received from a client (``Rcv``, no ``R``, opcode ``Q``; client = remote
IP); the server's response to it (``Snd``, ``R``, same remote IP and xid) fills ``rcode``.
Packets the server sends to or receives from other servers (its own recursion) and other
opcodes are skipped; header and detail lines are skipped. The debug log has no answer data
unless "details" is on, which is not read: ``answers`` is null.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

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


def _time(date: str, clock: str, ampm: str | None) -> int:
    parts = [int(p) for p in re.split(r"[/.-]", date)]
    if parts[0] > 31:
        y, mo, d = parts
    elif parts[0] > 12:
        d, mo, y = parts
    else:
        mo, d, y = parts
    hh, mm, ss = (int(p) for p in clock.split(":"))
    if ampm:
        hh = hh % 12 + (12 if ampm.upper() == "PM" else 0)
    try:
        t = dt.datetime(y, mo, d, hh, mm, ss, tzinfo=dt.UTC)
    except ValueError:
        raise BadLine("impossible date") from None
    return int(t.timestamp()) * 1000


def name_from_log(text: str) -> str:
    """``(3)www(7)example(3)com(0)`` -> ``www.example.com``."""
    return _LABEL.sub(".", text).strip(".")


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    b = EventBuilder(file, report)
    pending: dict[tuple[str, str], int] = {}
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
        try:
            client = norm_ip(m["ip"])
            ts = _time(m["date"], m["time"], m["ampm"])
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
        batch = b.take_if_full(pending)
        if batch is not None:
            yield batch
    if len(b):
        yield b.take()


def _detect(head: bytes) -> bool:
    text = head[:16384].decode("utf-8", "replace")
    return "DNS Server log" in text or any(_LINE.match(x) for x in text.splitlines()[:40])


READERS = (Reader("windows-dns", "Windows DNS Server debug log", _detect, _read),)
