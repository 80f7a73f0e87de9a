"""Counts in messages read as English: '1 finding', '2 findings'."""

from __future__ import annotations

from dgawatch.words import counted


def test_singular_plural_and_irregular() -> None:
    assert counted(1, "finding") == "1 finding"
    assert counted(0, "finding") == "0 findings"
    assert counted(1500, "name") == "1,500 names"
    assert counted(1, "query", "queries") == "1 query"
    assert counted(2, "query", "queries") == "2 queries"
