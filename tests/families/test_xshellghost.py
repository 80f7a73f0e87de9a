"""XshellGhost against 360netlab's reference (run with year and month exchanged, see
fixtures/xshellghost/PROVENANCE.md) and the names issue #38 published."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.xshellghost import generate

FIXTURES = Path(__file__).parent / "fixtures" / "xshellghost"


def _rows(name: str) -> list[tuple[int, int, str]]:
    rows = []
    for line in (FIXTURES / name).read_text().splitlines():
        month, domain = line.split("\t")
        year, mon = month.split("-")
        rows.append((int(year), int(mon), domain))
    return rows


def test_thirty_months_match_the_reference() -> None:
    rows = _rows("reference_2017-07_2019-12.tsv")
    assert len(rows) == 30
    assert [generate(y, m) for y, m, _ in rows] == [d for _, _, d in rows]


def test_published_names_of_issue_38() -> None:
    for year, month, domain in _rows("observed.tsv"):
        assert generate(year, month) == domain


def test_registry_variant_is_monthly() -> None:
    variant = get_family("xshellghost").variant("default")
    aug = variant.domains(dt.date(2017, 8, 14))
    assert aug == ["nylalobghyhirgh.com"] == variant.domains(dt.date(2017, 8, 31))
    assert variant.domains(dt.date(2017, 9, 1)) != aug
    assert variant.signature is not None
    assert variant.signature.matches_label(aug[0].split(".")[0])
