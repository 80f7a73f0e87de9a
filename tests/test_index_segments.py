"""The all-time index is built in segments of bounded size (``index.MAX_SEGMENT_NAMES``):
before session 8 a contiguous range of days was one segment, sorted whole (Conficker C
from 2009 on: 340 M names, ~10 GB, and ``store build --all-time`` was killed). The answers
are those of generating the lists (expected values from the variant's own generator, the
ground truth of this test's synthetic variant)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from dgawatch import index as index_module
from dgawatch.families.base import Variant
from dgawatch.index import INDEX_DIR, AllTimeIndex, lookup_all

FIRST, LAST = dt.date(2020, 1, 1), dt.date(2020, 1, 20)


def _names(day: dt.date) -> list[str]:
    """Three names a day, the same list on days 5-8 (one run), one name on two days."""
    key = min(max(day.day, 5), 8) if 5 <= day.day <= 8 else day.day
    return [f"d{key}a.com", f"d{key}b.com", "shared.com" if key in (2, 3) else f"d{key}c.com"]


def _variant() -> Variant:
    return Variant("test", "seg", "test", FIRST, LAST, 3, ("com",), generator=_names)


def test_segments_are_bounded_and_answer_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = _variant()
    queries = ["d1a.com", "d6b.com", "shared.com", "d20c.com", "none.com"]
    whole = AllTimeIndex(tmp_path / "whole" / INDEX_DIR)
    whole.build([v])
    assert len(whole.segments(v)) == 1
    monkeypatch.setattr(index_module, "MAX_SEGMENT_NAMES", 7)  # cut after 3 lists
    cut = AllTimeIndex(tmp_path / "cut" / INDEX_DIR)
    cut.build([v])
    segments = sorted(cut.segments(v), key=lambda s: s.first)
    assert len(segments) > 3  # fails before: one segment whatever its size
    assert segments[0].first == FIRST and segments[-1].last == LAST
    for a, b in itertools.pairwise(segments):
        assert b.first == a.last + dt.timedelta(days=1)  # contiguous, no day twice
    found = lookup_all(queries, [v], index=cut, generate_missing=False)
    assert found.days_generated == 0
    expected = {
        q: sorted((d, i) for d in _days() for i, n in enumerate(_names(d)) if n == q)
        for q in queries
    }
    for q in queries:
        got = sorted(
            (h.first_day + dt.timedelta(days=k), h.index)
            for h in found.hits.get(q, [])
            for k in range((h.last_day - h.first_day).days + 1)
        )
        assert got == expected[q], q
    assert found.hits.keys() == lookup_all(queries, [v], index=whole).hits.keys()


def _days() -> list[dt.date]:
    return [FIRST + dt.timedelta(days=k) for k in range((LAST - FIRST).days + 1)]
