"""Unbound ``log-queries`` and ``log-replies`` lines (``logfile:`` or syslog):

    [1795778822] unbound[30186:0] info: 127.0.0.1 www.example.com. A IN
    [1795778822] unbound[30186:0] info: 127.0.0.1 www.example.com. A IN NOERROR 0.000000 1 49

Time: the ``[epoch]`` stamp (UTC), or a ``log-time-ascii``/syslog/ISO stamp (local time
without a zone, taken as UTC; syslog stamps have no year, see
:func:`dgawatch.readers._common.leading_time`). Other Unbound messages are skipped.

One event per query: a query line becomes an event; the next reply line for the same
client, name, type and class fills its ``rcode`` (Unbound logs no answers, so ``answers``
stays null). A reply line with no logged query (only ``log-replies`` on) is an event of its
own. Sensor: the syslog host, if any.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import (
    BadLine,
    EventBuilder,
    iter_lines,
    leading_time,
    norm_ip,
)

_EPOCH = re.compile(r"\[(\d{9,11})(?:\.(\d{1,6}))?\] ")
_LINE = re.compile(
    r"unbound(?:\[\d+:\d+\])?:? (?:\[\d+:\d+\] )?info: (?P<ip>[0-9A-Fa-f:.]+(?:%\S+)?)"
    r"(?:@\d+)? (?P<qname>\S+) (?P<qtype>\S+) (?P<qclass>\S+)"
    r"(?: (?P<rcode>[A-Z][A-Z0-9]*) \d+\.\d+ \d+ \d+)?\s*$"
)


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    b = EventBuilder(file, report)
    pending: dict[tuple[str, str, str, str], deque[int]] = {}
    for n, text in iter_lines(stream, file, report):
        if "info: " not in text:
            continue
        m = _LINE.search(text)
        if m is None:
            continue  # another Unbound message (start of service, ...)
        try:
            e = _EPOCH.match(text)
            if e:
                ts = int(e.group(1)) * 1000 + int((e.group(2) or "0").ljust(3, "0")[:3])
                host = None
            else:
                ts, host, _rest = leading_time(text, syslog_host=True)
            client = norm_ip(m["ip"])
        except BadLine as exc:
            report.bad(file, n, exc.reason, text)
            continue
        key = (client, m["qname"].lower(), m["qtype"], m["qclass"])
        rcode = m["rcode"]
        if rcode is not None:
            waiting = pending.get(key)
            if waiting:
                idx = b.row_of(waiting.popleft())
                if not waiting:
                    del pending[key]
                if idx is not None:
                    b.rcode[idx] = rcode
                continue
        row = b.add(n, ts, client, m["qname"], m["qtype"], rcode, None, host, text)
        if row >= 0 and rcode is None:
            pending.setdefault(key, deque()).append(b.handle(row))
        batch = b.take_if_full(pending)
        if batch is not None:
            yield batch
    if len(b):
        yield b.take()


def _detect(head: bytes) -> bool:
    text = head[:8192].decode("utf-8", "replace")
    return any(_LINE.search(line) for line in text.splitlines()[:30])


READERS = (Reader("unbound", "Unbound log-queries / log-replies lines", 70, _detect, _read),)
