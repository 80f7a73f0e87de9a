"""PowerDNS Recursor query logging (``quiet=no``), in both of its text forms:

structured (``structured-logging=yes``, logfmt key="value" pairs, 4.6 and later)::

    msg="Question" subsystem="syncres" ... ts="1795778861.864" ... qname="www.example.com"
        qtype="A" remote="127.0.0.1:33089"
    msg="Answer" ... qname="www.example.com" qtype="A" rcode="3" ... remote="127.0.0.1:33089"

and the older free text::

    3 [1/1] question for 'www.example.com|A' from 127.0.0.1:51540
    3 [1/1] answer to question 'www.example.com|A': 0 answers, ..., rcode=3

Time: the structured ``ts`` field (epoch seconds, UTC), else a leading timestamp
(``log-timestamp``, journal/syslog: local time without a zone or year, taken as UTC, see
:func:`dgawatch.readers._common.leading_time`). One event per question; the matching answer
line (same client and name/type, or same thread and task id for the old form) fills
``rcode``; the log has no answer data, so ``answers`` is null. Other messages are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import BinaryIO

import pyarrow as pa

from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import (
    BadLine,
    EventBuilder,
    epoch_to_ms,
    iter_lines,
    leading_time,
    norm_ip,
)

_KV = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
_OLD_Q = re.compile(
    r"(\d+) \[(\d+)/\d+\] (?:norecurse )?question for '([^'|]*)\|([^']*)' from (\S+)"
)
_OLD_A = re.compile(r"(\d+) \[(\d+)/\d+\] answer to question '([^'|]*)\|([^']*)'.*rcode=(\d+)")


def _client(remote: str) -> str:
    """``1.2.3.4:53``, ``[2001:db8::1]:53`` or a bare address -> the address."""
    if remote.startswith("["):
        return norm_ip(remote[1 : remote.find("]")])
    if remote.count(":") == 1:
        remote = remote.rsplit(":", 1)[0]
    return norm_ip(remote)


@cache
def _rcode(value: str) -> str:
    import dns.rcode  # here: reader detection imports this module for every hunt

    try:
        return dns.rcode.to_text(dns.rcode.Rcode.make(int(value)))
    except ValueError:
        return value.upper()


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    b = EventBuilder(file, report)
    pending: dict[tuple[str, ...], int] = {}
    for n, text in iter_lines(stream, file, report):
        try:
            if 'msg="Question"' in text or 'msg="Answer"' in text:
                kv = dict(_KV.findall(text))
                qname, qtype = kv.get("qname"), kv.get("qtype")
                remote = kv.get("remote") or kv.get("from") or kv.get("source")
                if qname is None or remote is None:
                    raise BadLine("query log entry without qname or remote")
                client = _client(remote)
                key: tuple[str, ...] = (client, qname.lower(), qtype or "")
                if kv.get("msg") == "Answer":
                    r = b.row_of(pending.pop(key, None))
                    if r is not None and "rcode" in kv:
                        b.rcode[r] = _rcode(kv["rcode"])
                    continue
                ts = epoch_to_ms(kv["ts"]) if "ts" in kv else leading_time(text)[0]
                host = None
            elif "question" in text:
                m = _OLD_Q.search(text)
                if m is None:
                    a = _OLD_A.search(text)
                    if a:
                        r = b.row_of(pending.pop((a[1], a[2], a[3].lower(), a[4]), None))
                        if r is not None:
                            b.rcode[r] = _rcode(a[5])
                    continue
                ts, host, _ = leading_time(text)
                client = _client(m[5])
                qname, qtype = m[3], m[4]
                key = (m[1], m[2], qname.lower(), qtype)
            else:
                continue
        except BadLine as exc:
            report.bad(file, n, exc.reason, text)
            continue
        row = b.add(n, ts, client, qname, qtype or None, None, None, host, text)
        if row >= 0:
            pending[key] = b.handle(row)
        batch = b.take_if_full(pending)
        if batch is not None:
            yield batch
    if len(b):
        yield b.take()


def _detect(head: bytes) -> bool:
    text = head[:16384].decode("utf-8", "replace")
    return (
        ('msg="Question"' in text and 'subsystem="syncres"' in text)
        or bool(_OLD_Q.search(text))
        or ("PowerDNS Recursor" in text and 'msg="' in text)
    )


READERS = (Reader("powerdns", "PowerDNS Recursor query log (quiet=no)", 80, _detect, _read),)
