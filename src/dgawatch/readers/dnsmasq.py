"""dnsmasq ``log-queries`` lines, and Pi-hole's (``pihole.log``: dnsmasq's own format), as
dnsmasq writes them to its ``log-facility`` file or to syslog:

    Dec  5 16:47:53 dnsmasq[1273]: query[A] www.lab from 127.0.0.5
    Dec  5 16:47:53 dnsmasq[1273]: forwarded www.lab to 127.0.0.1#55301
    Dec  5 16:47:53 dnsmasq[1273]: reply www.lab is 10.1.2.3
    Dec  5 16:47:53 dnsmasq[1273]: 2 127.0.0.6/47585 reply xkqjzwv.lab is NXDOMAIN

(the last with ``log-queries=extra``: a query's serial number and its client's address and
port before the message).

One event per ``query[TYPE] NAME from CLIENT`` line. The lines that answer it (``reply``,
``cached``, ``config``, a hosts file, Pi-hole's ``gravity blocked`` ...: ``<how> NAME is
VALUE``) fill its ``rcode`` and ``answers``: ``NXDOMAIN``, ``SERVFAIL`` and ``REFUSED`` are
the rcode; ``NODATA`` (``-IPv4``, ``-IPv6``) and ``<CNAME>`` are NOERROR without an answer;
anything else is NOERROR and one answer per line. With ``extra`` the serial number pairs an
answer with its query exactly, and a query asked while the same name and type were being
forwarded for another client (``<serial> <client> reply query is duplicate``: dnsmasq 2.90
logs it after the first client's reply) gets that query's answer, as its client does;
without it an answer goes to every query of that name still
waiting (dnsmasq forwards a name asked twice at once only once, and logs one reply), and
further answer lines of the same name to the same queries until the name is asked again. A
query whose answer never comes (still waiting at the end, or among more than
:data:`~dgawatch.readers._common.MAX_PENDING` waiting) keeps a null rcode, as in a query-only
log; a query in an earlier batch than its answer also stays unanswered (answers follow
within the same second, and batches are held back while their last queries wait: see
``_HOLD``).

Time: the syslog stamp at the start (no year: the latest year that does not put it in the
future, see :func:`dgawatch.readers._common.leading_time`), or an ISO 8601 stamp; local time
without a zone, taken as UTC. Sensor: the syslog host, if any. Other dnsmasq messages
(``forwarded``, ``validation``, DHCP, start-up) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import (
    MAX_PENDING,
    BadLine,
    EventBuilder,
    iter_lines,
    leading_time,
    norm_ip,
)

#: ``<serial> <address>/<port> `` of ``log-queries=extra``.
_EXTRA = r"(?:(?P<serial>\d+) [0-9A-Fa-f:.]+(?:%\S+)?/\d+ )?"
_QUERY = re.compile(
    r"(?:^|: )" + _EXTRA + r"query\[(?P<qtype>[^\]]+)\] (?P<qname>\S+) from "
    r"(?P<client>\S+)\s*$"
)
_ANSWER = re.compile(r"(?:^|: )" + _EXTRA + r"(?P<how>[^:]+?) (?P<qname>\S+) is (?P<value>.+?)\s*$")
#: ``host prog[pid]: `` after a stamp that :func:`leading_time` reads without a host.
_HOST = re.compile(r"(\S+) [\w./-]+\[\d+\]: ")
#: Messages shaped like an answer that are none (DNSSEC results, dnsmasq's own queries).
_NOT_ANSWERS = ("validation", "dnssec", "query[")
_RCODES = frozenset({"NXDOMAIN", "SERVFAIL", "REFUSED", "NOTIMP", "FORMERR"})
_NO_ANSWER = frozenset({"NODATA", "NODATA-IPv4", "NODATA-IPv6", "<CNAME>"})
#: At most this many rows of a full batch are held back while they wait for their answer.
_HOLD = 4096


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    b = EventBuilder(file, report)
    by_serial: dict[str, int] = {}  # extra: serial -> the query's handle
    last: dict[tuple[str, str | None], int] = {}  # extra: (name, type) -> last answered
    waiting: dict[str, list[int]] = {}  # plain: name -> handles of queries not answered
    answered: dict[str, list[int]] = {}  # plain: name -> the queries its last answer filled
    stamps: dict[
        str | None, tuple[int, str | None]
    ] = {}  # line head -> (time, host): one per second
    for n, text in iter_lines(stream, file, report):
        cut = text.find(": ")
        words = (text[cut + 2 :] if cut >= 0 else text).split(" ")
        serial = None
        if len(words) > 2 and words[0].isdigit() and "/" in words[1]:  # log-queries=extra
            serial, words = words[0], words[2:]
        if len(words) == 4 and words[0].startswith("query[") and words[2] == "from":
            head = text[:cut] if cut >= 0 else None  # (no "prog[pid]: ": not cached)
            if head not in stamps:
                try:
                    ts, host, rest = leading_time(text)
                except BadLine as exc:
                    report.bad(file, n, exc.reason, text)
                    continue
                if host is None and (h := _HOST.match(rest)):  # (an ISO stamp, then the host)
                    host = h.group(1)
                if len(stamps) > 1024:
                    stamps.clear()
                stamps[head] = (ts, host)
            ts, host = stamps.pop(head) if head is None else stamps[head]
            try:
                client = norm_ip(words[3])
            except BadLine as exc:
                report.bad(file, n, exc.reason, text)
                continue
            row = b.add(n, ts, client, words[1], words[0][6:-1], None, None, host, text)
            if row >= 0:
                if serial is not None:
                    by_serial[serial] = b.handle(row)
                else:
                    name = words[1].lower()
                    waiting.setdefault(name, []).append(b.handle(row))
                    answered.pop(name, None)
            if b.full:
                yield _take(b, by_serial, waiting, answered, last)
        elif len(words) >= 4 and words[-2] == "is" and not words[0].startswith(_NOT_ANSWERS):
            if serial is not None:
                handles = [by_serial[serial]] if serial in by_serial else None
                if handles and words[-3:] == ["query", "is", "duplicate"]:
                    _same_answer(b, handles[0], last)
                    continue
                if handles and (at := b.row_of(handles[0])) is not None:
                    last[(b.qname[at], b.qtype[at])] = handles[0]
            else:
                name = words[-3].lower()
                handles = waiting.pop(name, None) or answered.get(name)
                if handles is not None:
                    answered[name] = handles
            _answer(b, handles or (), words[-1])
    if len(b):
        yield b.take()


def _same_answer(b: EventBuilder, handle: int, last: dict[tuple[str, str | None], int]) -> None:
    """The duplicate query ``handle`` answered as the query of its name and type answered
    last (the one it joined), when that one is still in the batch."""
    row = b.row_of(handle)
    if row is None:
        return
    source = b.row_of(last.get((b.qname[row], b.qtype[row])))
    if source is not None:
        b.rcode[row] = b.rcode[source]
        got = b.answers[source]
        b.answers[row] = None if got is None else list(got)


def _answer(b: EventBuilder, handles: list[int] | tuple[()], value: str) -> None:
    for h in handles:
        row = b.row_of(h)
        if row is None:
            continue
        if value in _RCODES:
            b.rcode[row] = value
            continue
        if b.rcode[row] is None:
            b.rcode[row] = "NOERROR"
        if value not in _NO_ANSWER and b.rcode[row] == "NOERROR":
            got = b.answers[row]
            if got is None:
                b.answers[row] = [value]
            else:
                got.append(value)


def _take(
    b: EventBuilder,
    by_serial: dict[str, int],
    waiting: dict[str, list[int]],
    answered: dict[str, list[int]],
    last: dict[tuple[str, str | None], int],
) -> pa.RecordBatch:
    """The full batch, holding back its last rows from the first still waiting for an
    answer (at most ``_HOLD``); the pairing tables forget what left, and everything once they
    outgrow MAX_PENDING."""
    open_handles = [*by_serial.values(), *(h for hs in waiting.values() for h in hs)]
    first_open = min((h for h in open_handles if b.row_of(h) is not None), default=None)
    keep = 0 if first_open is None else min(_HOLD, len(b) - (first_open - b.emitted))
    batch = b.take(keep)
    for table in (by_serial, waiting, answered, last):
        if len(table) > MAX_PENDING:
            table.clear()
    for key in [k for k, h in last.items() if b.row_of(h) is None]:
        del last[key]
    for serial in [s for s, h in by_serial.items() if b.row_of(h) is None]:
        del by_serial[serial]
    for name in [k for k, hs in answered.items() if b.row_of(hs[-1]) is None]:
        del answered[name]
    for name in [k for k, hs in waiting.items() if b.row_of(hs[-1]) is None]:
        del waiting[name]
    return batch


def _detect(head: bytes) -> bool:
    text = head[:8192].decode("utf-8", "replace")
    return any(_QUERY.search(line) for line in text.splitlines()[:40])


READERS = (
    Reader("dnsmasq", "dnsmasq / Pi-hole log-queries lines (plain or extra)", 75, _detect, _read),
)
