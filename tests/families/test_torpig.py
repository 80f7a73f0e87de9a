"""Torpig against both reference transcriptions (fixtures/torpig/PROVENANCE.md)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from dgawatch.families import get_family

FIXTURES = Path(__file__).parent / "fixtures" / "torpig"
HOSTNAME = re.compile(r"^[a-z0-9]+\.[a-z]+$")


def _rows(name: str) -> dict[dt.date, list[str]]:
    lines = (FIXTURES / name).read_text().splitlines()
    return {dt.date.fromisoformat(f[0]): f[1:] for f in (line.split() for line in lines)}


def test_both_references_day_by_day() -> None:
    py3 = _rows("dgacollection_py3.txt")
    py2 = _rows("originals_py2_ported.txt")
    assert len(py3) == len(py2) == 31 + 29 + 31
    variant = get_family("torpig").variant("daily")
    for day, names in py3.items():
        (label,) = py2[day]
        letter_reading = [f"{label}.{t}" for t in ("com", "net", "biz")]
        got = variant.domains(day)
        if day.day <= 28:
            assert names == letter_reading
            assert got == names
        else:
            valid = [n for n in names if HOSTNAME.match(n)]
            assert (valid == []) == (day.day == 29)
            assert got == valid + letter_reading
    assert variant.domains(dt.date(2024, 3, 1)) != variant.domains(dt.date(2024, 3, 2))
