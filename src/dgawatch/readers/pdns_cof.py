"""Passive DNS in the common output format (draft-dulaunoy-dnsop-passive-dns-cof), one JSON
object per line: ``rrname``, ``rrtype``, ``rdata`` (text or list), ``time_first`` and
``time_last`` (epoch seconds, UTC), ``count``, optional ``sensor_id``.

Passive DNS aggregates away who asked: an event has an empty ``client``. A record becomes
an event at ``time_first`` and, when different, a second at ``time_last`` (so a hunt's
first/last seen span the record; ``count`` is not expanded into events). ``qtype`` =
``rrtype``, ``answers`` = ``rdata``, ``rcode`` null, ``sensor`` = ``sensor_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa

from dgawatch.readers import InputReport, Reader
from dgawatch.readers._common import BadLine, EventBuilder, iter_lines, seconds_to_ms


def _read(stream: BinaryIO, file: str, report: InputReport) -> Iterator[pa.RecordBatch]:
    b = EventBuilder(file, report)
    for n, text in iter_lines(stream, file, report):
        if not text.strip():
            continue
        try:
            obj: Any = json.loads(text)
        except ValueError:
            report.bad(file, n, "not a JSON object", text)
            continue
        except RecursionError:  # '[[[[...' : it cost the rest of the file and its batch
            report.bad(file, n, "JSON nested too deeply", text)
            continue
        if not isinstance(obj, dict):
            report.bad(file, n, "not a JSON object", text)
            continue
        rrname, first, last = obj.get("rrname"), obj.get("time_first"), obj.get("time_last")
        if not isinstance(rrname, str):
            report.bad(file, n, "record without rrname", text)
            continue
        if not isinstance(first, int | float) or isinstance(first, bool):
            report.bad(file, n, "record without a numeric time_first", text)
            continue
        if not isinstance(last, int | float) or isinstance(last, bool):
            last = first
        rdata = obj.get("rdata")
        answers = None
        if isinstance(rdata, list):
            answers = [str(r).rstrip(".") if isinstance(r, str) else str(r) for r in rdata]
        elif rdata is not None:
            answers = [str(rdata)]
        rrtype = obj.get("rrtype")
        qtype = str(rrtype) if rrtype is not None else None
        sensor = obj.get("sensor_id")
        sensor = str(sensor) if sensor is not None else None
        try:
            times = [seconds_to_ms(first)]
            if last != first:
                times.append(seconds_to_ms(last))
        except BadLine as exc:
            report.bad(file, n, exc.reason, text)
            continue
        for t in times:
            b.add(n, t, "", rrname, qtype, None, answers, sensor, text)
        if b.full:
            yield b.take()
    if len(b):
        yield b.take()


def _detect(head: bytes) -> bool:
    first = head.lstrip()[:4096]
    return first.startswith(b"{") and b'"rrname"' in first and b'"time_first"' in first


READERS = (Reader("pdns-cof", "passive DNS common output format (JSON lines)", 50, _detect, _read),)
