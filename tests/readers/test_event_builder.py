"""Pairing a response with its query across batch boundaries (EventBuilder handles)."""

from __future__ import annotations

from dgawatch.readers import InputReport
from dgawatch.readers._common import MAX_PENDING, EventBuilder

TS = 1_600_000_000_000  # 2020-09-13, inside the accepted span


def _add(b: EventBuilder, line: int) -> int:
    return b.add(line, TS, "192.0.2.1", f"n{line}.example", "A", None, None, None, "x")


def test_handle_follows_the_row_until_its_batch_is_emitted() -> None:
    b = EventBuilder("f", InputReport(), batch_rows=2)
    first = b.handle(_add(b, 1))
    assert b.row_of(first) == 0
    second = b.handle(_add(b, 2))
    batch = b.take_if_full({})
    assert batch is not None and batch.num_rows == 2
    third = b.handle(_add(b, 3))
    assert (first, second, third) == (0, 1, 2)
    assert b.row_of(first) is None and b.row_of(second) is None  # already emitted
    assert b.row_of(third) == 0
    assert b.row_of(None) is None


def test_take_if_full_only_when_full_and_bounds_pending() -> None:
    b = EventBuilder("f", InputReport(), batch_rows=2)
    _add(b, 1)
    pending = {i: i for i in range(MAX_PENDING + 1)}
    assert b.take_if_full(pending) is None
    assert len(pending) == MAX_PENDING + 1  # untouched until a batch leaves
    _add(b, 2)
    assert b.take_if_full(pending) is not None
    assert pending == {}
