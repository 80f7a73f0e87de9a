"""The normalised DNS query event (design.md "Query event") every log reader emits.

Readers produce Arrow record batches of :data:`EVENT_SCHEMA` (columnar: millions of lines
per second need it); :class:`QueryEvent` is the same record as a small immutable value for
code that handles a few events (evidence, tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

#: Schema version 1 of a query event batch.
EVENT_SCHEMA = pa.schema(
    [
        pa.field("ts", pa.timestamp("ms", tz="UTC"), nullable=False),  # query time, UTC
        pa.field("client", pa.string(), nullable=False),  # client IP address (text form)
        pa.field("qname", pa.string(), nullable=False),  # lower-case, no trailing dot, IDNA
        pa.field("qtype", pa.string()),  # "A", "AAAA", "TXT", ... or None when unknown
        pa.field("rcode", pa.string()),  # "NOERROR", "NXDOMAIN", ... or None (query only)
        pa.field("answers", pa.list_(pa.string())),  # answer data as text, if logged
        pa.field("sensor", pa.string()),  # resolver / sensor name, if known
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),  # 1-based line / packet / record
    ],
    metadata={"dgawatch.schema": "query-event/1"},
)


@dataclass(frozen=True)
class QueryEvent:
    ts: dt.datetime
    client: str
    qname: str
    qtype: str | None
    rcode: str | None
    answers: tuple[str, ...]
    sensor: str | None
    source_file: str
    source_line: int

    @classmethod
    def from_row(cls, row: dict[str, object]) -> QueryEvent:
        answers = row.get("answers") or ()
        return cls(
            ts=row["ts"],  # type: ignore[arg-type]
            client=str(row["client"]),
            qname=str(row["qname"]),
            qtype=row.get("qtype"),  # type: ignore[arg-type]
            rcode=row.get("rcode"),  # type: ignore[arg-type]
            answers=tuple(answers),  # type: ignore[arg-type]
            sensor=row.get("sensor"),  # type: ignore[arg-type]
            source_file=str(row["source_file"]),
            source_line=int(row["source_line"]),  # type: ignore[call-overload]
        )

    def to_row(self) -> dict[str, object]:
        return {
            "ts": self.ts,
            "client": self.client,
            "qname": self.qname,
            "qtype": self.qtype,
            "rcode": self.rcode,
            "answers": list(self.answers),
            "sensor": self.sensor,
            "source_file": self.source_file,
            "source_line": self.source_line,
        }

    @property
    def where(self) -> str:
        return f"{self.source_file}:{self.source_line}"


def batch_from_events(events: list[QueryEvent]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([e.to_row() for e in events], schema=EVENT_SCHEMA)
