"""DarkCracks against lists produced by running the public reference (fixtures/darkcracks)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.darkcracks import generate, queried_name

FIXTURES = Path(__file__).parent / "fixtures" / "darkcracks"


def _fixture(name: str) -> list[str]:
    return (FIXTURES / name).read_text("ascii").split()


def _days(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


@pytest.mark.parametrize(
    ("name", "first", "n", "key"),
    [
        ("2024-09-01_n100.txt", dt.date(2024, 9, 1), 100, "Crackalackin'"),
        ("2026-01-01_n31.txt", dt.date(2026, 1, 1), 31, "Crackalackin'"),
        ("seed-OtherSeed_2024-09-01_n100.txt", dt.date(2024, 9, 1), 100, "OtherSeed"),
    ],
)
def test_reference_lists_day_by_day(name: str, first: dt.date, n: int, key: str) -> None:
    expected = _fixture(name)
    assert len(expected) == n
    assert [queried_name(d, key) for d in _days(first, n)] == expected
    assert [generate(d, key)[0] for d in _days(first, n)] == [e.lower() for e in expected]


def test_registry_variant() -> None:
    variant = get_family("darkcracks").variant("default")
    expected = [e.lower() for e in _fixture("2024-09-01_n100.txt")]
    days = _days(dt.date(2024, 9, 1), 100)
    assert [n for d in days for n in variant.domains(d)] == expected
    assert all(variant.signature.matches_label(e.split(".")[0]) for e in expected)  # type: ignore[union-attr]
    sept3 = variant.domains(dt.date(2024, 9, 3))
    assert variant.domains(dt.date(2024, 9, 4)) != sept3
    # only the year and the day of the month are seeded: the month does not matter
    assert variant.domains(dt.date(2024, 10, 3)) == sept3
