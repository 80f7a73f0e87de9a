"""Log readers: one module per input format, each turning its input into query-event batches
(:data:`dgawatch.events.EVENT_SCHEMA`). IntelMQ's lesson: one parser per feed, one schema
between stages.

Contract of a reader module: it defines ``READERS``, a tuple of :class:`Reader`. A reader
``detect``s its format from the first bytes of a (decompressed) file and ``read``s a binary
stream into record batches, reporting every malformed line/record to the
:class:`InputReport` (file, line, reason, excerpt) instead of dropping it silently or
aborting; with ``strict`` the report raises on the first one.

Entry point: :func:`read_events` (format detection, gzip/zstd transparently, many files).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import pyarrow as pa

from dgawatch.errors import InputError

MAX_EXAMPLES_PER_REASON = 5


@dataclass(frozen=True)
class BadInput:
    file: str
    line: int
    reason: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}: {self.excerpt[:120]!r}"


@dataclass
class InputReport:
    """Counts every malformed input line by (file, reason), keeping the first examples."""

    strict: bool = False
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str], list[BadInput]] = field(default_factory=dict)
    lines_read: Counter[str] = field(default_factory=Counter)

    def bad(self, file: str, line: int, reason: str, excerpt: str | bytes = "") -> None:
        if isinstance(excerpt, bytes):
            excerpt = excerpt.decode("utf-8", "backslashreplace")
        item = BadInput(file, line, reason, excerpt.rstrip("\r\n"))
        if self.strict:
            raise InputError(f"malformed input (--strict): {item}")
        key = (file, reason)
        self.counts[key] += 1
        kept = self.examples.setdefault(key, [])
        if len(kept) < MAX_EXAMPLES_PER_REASON:
            kept.append(item)

    @property
    def total_bad(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "lines_read": dict(self.lines_read),
            "malformed": [
                {
                    "file": f,
                    "reason": r,
                    "count": n,
                    "examples": [
                        {"line": b.line, "text": b.excerpt} for b in self.examples[(f, r)]
                    ],
                }
                for (f, r), n in sorted(self.counts.items())
            ],
        }


@dataclass(frozen=True)
class Reader:
    name: str
    summary: str
    #: True when the first bytes of a decompressed input look like this format.
    detect: Callable[[bytes], bool]
    #: ``read(stream, file_name, report)`` -> record batches of EVENT_SCHEMA.
    read: Callable[[BinaryIO, str, InputReport], Iterator[pa.RecordBatch]]
