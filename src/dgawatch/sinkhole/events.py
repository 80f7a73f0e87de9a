"""The sinkhole event (design.md "Sinkhole event"), schema version 1.

One JSON object per line in the event store. Timestamps are UTC milliseconds since the
epoch; DuckDB turns them into ``TIMESTAMP`` with ``epoch_ms``. HTTP headers keep their
order and their bytes (decoded as Latin-1, so every byte round-trips).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

SCHEMA_VERSION = 1

#: ``dns/dnstap``: read from a production server's dnstap by ``sinkhole ingest``.
PROTOCOLS = ("dns/udp", "dns/tcp", "dns/dnstap", "http")

#: Column types of the store, for DuckDB's ``read_json(columns=...)`` (missing keys: NULL).
COLUMNS: dict[str, str] = {
    "v": "INTEGER",
    "ts": "BIGINT",
    "proto": "VARCHAR",
    "src_ip": "VARCHAR",
    "src_port": "INTEGER",
    "dst_ip": "VARCHAR",
    "dst_port": "INTEGER",
    "domain": "VARCHAR",
    "family": "VARCHAR",
    "variant": "VARCHAR",
    "day": "DATE",
    "also": "VARCHAR[]",
    "qname": "VARCHAR",
    "qtype": "VARCHAR",
    "rcode": "VARCHAR",
    "request_line": "VARCHAR",
    "method": "VARCHAR",
    "path": "VARCHAR",
    "headers": "VARCHAR[][]",
    "host": "VARCHAR",
    "user_agent": "VARCHAR",
    "body_len": "BIGINT",
    "conficker_ab": "BOOLEAN",
    "worker": "VARCHAR",
}


@dataclass(frozen=True)
class SinkholeEvent:
    ts: int  # UTC milliseconds since the epoch
    proto: str
    src_ip: str
    src_port: int | None
    dst_ip: str | None
    dst_port: int | None
    # DNS: the sinkholed name the query fell under, and its generator.
    domain: str | None = None
    family: str | None = None
    variant: str | None = None
    day: str | None = None
    #: Further "family/variant/day" lists the same name belongs to.
    also: tuple[str, ...] = ()
    qname: str | None = None
    qtype: str | None = None
    rcode: str | None = None
    # HTTP
    request_line: str | None = None
    method: str | None = None
    path: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())
    host: str | None = None
    user_agent: str | None = None
    body_len: int | None = None
    conficker_ab: bool | None = None
    worker: str | None = None

    @property
    def time(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.ts / 1000, dt.UTC)

    def to_dict(self) -> dict[str, object]:
        doc: dict[str, object] = {"v": SCHEMA_VERSION}
        for key in COLUMNS:
            if key == "v":
                continue
            value = getattr(self, key)
            if value is None or value == ():
                continue
            if key == "headers":
                value = [list(h) for h in value]
            elif key == "also":
                value = list(value)
            doc[key] = value
        return doc

    def to_line(self) -> bytes:
        return (json.dumps(self.to_dict(), separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_dict(cls, doc: dict[str, object]) -> SinkholeEvent:
        kwargs = {k: v for k, v in doc.items() if k in COLUMNS and k != "v"}
        if "headers" in kwargs and kwargs["headers"] is not None:
            kwargs["headers"] = tuple(tuple(h) for h in kwargs["headers"])  # type: ignore[attr-defined]
        if "also" in kwargs and kwargs["also"] is not None:
            kwargs["also"] = tuple(kwargs["also"])  # type: ignore[arg-type]
        day = kwargs.get("day")
        if isinstance(day, dt.date):
            kwargs["day"] = day.isoformat()
        return cls(**kwargs)  # type: ignore[arg-type]

    @classmethod
    def from_line(cls, line: bytes | str) -> SinkholeEvent:
        return cls.from_dict(json.loads(line))
