"""How counts read in messages to people (stderr summaries, reports)."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` with its noun in the right number: '1 finding', '0 findings', '1,500 names'."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
