"""CCleaner against 360netlab's reference run for 36 months, and published example names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.ccleaner import generate

FIXTURES = Path(__file__).parent / "fixtures" / "ccleaner"


def test_thirty_six_months_match_the_reference() -> None:
    rows = [
        line.split("\t")
        for line in (FIXTURES / "reference_2017-01_2019-12.tsv").read_text().splitlines()
    ]
    assert len(rows) == 36
    got = [generate(int(month[:4]), int(month[5:])) for month, _ in rows]
    assert got == [domain for _, domain in rows]


def test_published_examples_are_names_of_2017() -> None:
    examples = (FIXTURES / "observed_examples.txt").read_text().split()
    year_2017 = {generate(2017, m) for m in range(1, 13)}
    assert len(examples) == 3 and set(examples) <= year_2017


def test_registry_variant_is_monthly() -> None:
    variant = get_family("ccleaner").variant("default")
    sep = variant.domains(dt.date(2017, 9, 18))
    assert sep == ["ab1145b758c30.com"] == variant.domains(dt.date(2017, 9, 1))
    assert variant.domains(dt.date(2017, 10, 1)) != sep
    assert variant.signature is not None
    assert variant.signature.matches_label(sep[0].split(".")[0])
