"""BIND 9 query log (``category queries``), the line the ARM documents as
``client @0x<id> <ip>#<port> (<name>): query: <name> <class> <type> <flags> (<dst>)``, and
its variants: without the ``@0x`` object id and the parenthesised name (BIND < 9.11), with
``view <v>:`` before ``query:``, with ``print-category``/``print-severity`` prefixes
(``queries: info:``), with an ECS suffix, behind a syslog prefix.

Time: ``print-time`` stamps (``06-Jul-2022 11:12:04.202``, ISO 8601) or a syslog stamp.
BIND writes local time without a zone: such times are taken as UTC (run the server in UTC or
use ``print-time iso8601-utc``); a line without any timestamp is reported. The query log has
no response, so ``rcode`` and ``answers`` are null. Sensor: the syslog host, if any.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

import pyarrow as pa

from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import BadLine, leading_time, norm_ip, read_text_lines

_QUERY = re.compile(
    r"client (?:@0x[0-9a-fA-F]+ )?(?P<ip>[0-9A-Fa-f:.]+(?:%\S+)?)#(?P<port>\d+)"
    r"(?: \((?P<name>[^)]*)\))?: (?:view (?P<view>[^:]*): )?query: "
    r"(?P<qname>\S+) (?P<qclass>\S+) (?P<qtype>\S+) (?P<flags>[-+]\S*) \((?P<dst>[^)]*)\)"
)


def _parse(text: str) -> tuple[int, str, str, str | None, None, None, str | None] | None:
    if "query: " not in text:
        return None
    m = _QUERY.search(text)
    if m is None:
        if " client " in text or text.startswith("client "):
            raise BadLine("unrecognised query log line")
        return None
    ts, host, _rest = leading_time(text)
    return ts, norm_ip(m["ip"]), m["qname"], m["qtype"], None, None, host


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    return read_text_lines(stream, file, report, _parse)


def _detect(head: bytes) -> bool:
    text = head[:8192].decode("utf-8", "replace")
    return any(_QUERY.search(line) for line in text.splitlines()[:20])


READERS = (Reader("bind", "BIND 9 query log (category queries)", 60, _detect, _read),)
