"""Verblecon against the reference's output (fixtures/verblecon/PROVENANCE.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.families import get_family

FIXTURES = Path(__file__).parent / "fixtures" / "verblecon"


def test_reference_runs() -> None:
    rows = [line.split() for line in (FIXTURES / "reference_runs.txt").read_text().splitlines()]
    assert len(rows) == 4
    variant = get_family("verblecon").variant("default")
    for date, name in rows:
        day = dt.date.fromisoformat(date)
        assert variant.domains(day) == [name]
        assert variant.domains_blob(day) == f"{name}\n".encode()
        assert variant.domains(day + dt.timedelta(days=1)) != [name]
