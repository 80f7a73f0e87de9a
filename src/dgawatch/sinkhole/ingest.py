"""``dgawatch sinkhole ingest``: a production authoritative server's dnstap (NSD or Knot
serving the zones of ``dgawatch sinkhole zone``) into the sinkhole event store.

Each query the server logged (dnstap ``AUTH_QUERY``, or ``CLIENT_QUERY`` from a resolver
setup; a response whose query was not logged stands for it) becomes one DNS event
(``proto`` = ``dns/dnstap``) when its name falls under a name of the sinkholed set of the
query's UTC day (that day's forecast ± ``radius`` days, the set the server was given), with
the same attribution the built-in listener records: ``domain`` (the sinkholed name),
``family``, ``variant``, ``day`` and ``also``. Queries for other names are counted, not
stored. dnstap carries no sinkhole address or port in what the reader keeps, so ``dst_*`` and
``src_port`` are empty; ``rcode`` is the logged response's. Malformed frames and messages are
counted in the report (fatal only with ``strict``). Events are stored durably (each chunk
written and ``fdatasync``-ed) under their own writer name, ``ingest`` by default; give each
concurrent ingest its own ``--worker``. Ingesting the same file twice stores its events
twice: so every file is checked to be dnstap (its first bytes, decompressed) before
anything is stored, and a file that is not, named or found in a directory, refuses the
whole ingest (:func:`check_dnstap`) rather than leaving it half done.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from dgawatch.errors import InputError
from dgawatch.families.base import Variant
from dgawatch.readers import InputReport, read_events, read_files, readers
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.names import Match, SinkholeSet, window
from dgawatch.sinkhole.store import EventStore

PROTO = "dns/dnstap"
#: Files named in the refusal of a directory holding some that are not dnstap.
NAMED_IN_REFUSAL = 3


@dataclass
class IngestResult:
    read: int = 0  # query events the reader produced
    stored: int = 0  # sinkholed: stored as events
    not_sinkholed: int = 0
    days: list[str] = field(default_factory=list)
    report: InputReport = field(default_factory=InputReport)

    def to_dict(self) -> dict[str, object]:
        return {
            "read": self.read,
            "stored": self.stored,
            "not_sinkholed": self.not_sinkholed,
            "malformed": self.report.total_bad,
            "days": self.days,
            "report": self.report.to_dict(),
        }


class Attributor:
    """The sinkholed set of each UTC day the events fall on (built once per day)."""

    def __init__(
        self,
        variants: Sequence[Variant],
        *,
        radius: int = 1,
        max_names_per_day: int | None = None,
    ) -> None:
        self.variants = variants
        self.radius = radius
        self.max_names_per_day = max_names_per_day
        self._sets: dict[dt.date, SinkholeSet] = {}

    def match(self, day: dt.date, qname: str) -> Match | None:
        sinkset = self._sets.get(day)
        if sinkset is None:
            sinkset = SinkholeSet(
                self.variants,
                window(day, self.radius),
                max_names_per_day=self.max_names_per_day,
            )
            self._sets[day] = sinkset
        return sinkset.match(qname.rstrip(".").lower())

    @property
    def days(self) -> list[dt.date]:
        return sorted(self._sets)


def _event(row: dict[str, object], match: Match, worker: str) -> SinkholeEvent:
    ts = row["ts"]
    assert isinstance(ts, dt.datetime)
    first = match.attributions[0]
    return SinkholeEvent(
        ts=int(ts.timestamp() * 1000),
        proto=PROTO,
        src_ip=str(row["client"]),
        src_port=None,
        dst_ip=None,
        dst_port=None,
        domain=match.apex,
        family=first.family,
        variant=first.variant,
        day=first.day.isoformat(),
        also=tuple(f"{a.family}/{a.variant}/{a.day}" for a in match.attributions[1:]),
        qname=str(row["qname"]),
        qtype=row["qtype"] if isinstance(row["qtype"], str) else None,
        rcode=row["rcode"] if isinstance(row["rcode"], str) else None,
        worker=worker,
    )


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    variants: Sequence[Variant],
    directory: Path,
    *,
    worker: str = "ingest",
    radius: int = 1,
    max_names_per_day: int | None = None,
    strict: bool = False,
    fmt: str = "dnstap",
) -> IngestResult:
    """Read dnstap files and store the sinkholed queries as DNS events (all of the files,
    or none: see :func:`check_dnstap`)."""
    result = IngestResult(report=InputReport(strict=strict))
    files: list[str | os.PathLike[str]] = list(paths)
    if fmt == "dnstap":
        files = list(check_dnstap(files, result.report))
    attributor = Attributor(variants, radius=radius, max_names_per_day=max_names_per_day)
    with EventStore(directory, worker=worker) as store:
        for batch in read_events(files, fmt=fmt, report=result.report):
            events = []
            for row in batch.to_pylist():
                result.read += 1
                ts = row["ts"]
                assert isinstance(ts, dt.datetime)
                match = attributor.match(ts.astimezone(dt.UTC).date(), str(row["qname"]))
                if match is None:
                    result.not_sinkholed += 1
                    continue
                events.append(_event(row, match, worker))
            result.stored += store.write_now(events)
    result.days = [d.isoformat() for d in attributor.days]
    return result


def check_dnstap(paths: Sequence[str | os.PathLike[str]], report: InputReport) -> list[str]:
    """The files to ingest, named or under a named directory: the dnstap ones (Frame
    Streams of content type ``protobuf:dnstap.Dnstap``, gzip or zstd compressed or not).
    An empty file (a server's log not written yet) holds no events: it goes to ``report``
    as skipped, as do what a directory walk skips (hidden, not regular, unreadable). Any
    other file refuses the whole ingest (one-line :class:`InputError`, before anything is
    stored): skipping it would drop the events of a dnstap this check cannot read (another
    compression, a file cut before its header), and stopping at it would leave the files
    before it stored, their events stored twice by the rerun after the fix."""
    detect = readers()["dnstap"].detect

    def kind(name: str, stream: BinaryIO, head: bytes) -> Iterator[tuple[str, str]]:
        yield name, "dnstap" if detect(head) else "empty" if not head else "other"

    files = list(read_files(paths, kind, report=report))
    wrong = [name for name, what in files if what == "other"]
    if not wrong:
        for name, what in files:
            if what == "empty":
                report.skipped(name, "empty file (nothing logged yet); skipped")
        return [name for name, what in files if what == "dnstap"]
    shown = ", ".join(wrong[:NAMED_IN_REFUSAL])
    more = len(wrong) - NAMED_IN_REFUSAL
    more_text = f" and {more:,} more" if more > 0 else ""
    raise InputError(
        f"{len(wrong):,} of the files to ingest {'is' if len(wrong) == 1 else 'are'} not "
        f"dnstap (Frame Streams of protobuf:dnstap.Dnstap): {shown}{more_text}; nothing was "
        f"ingested: move {'it' if len(wrong) == 1 else 'them'} out or name only the dnstap "
        "files, and rerun"
    )
