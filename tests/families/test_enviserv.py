"""Enviserv against 360netlab's reference (all 500 names) and the sandbox names of issue #53."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.enviserv import generate

FIXTURES = Path(__file__).parent / "fixtures" / "enviserv"


def test_all_500_names_match_the_reference() -> None:
    expected = (FIXTURES / "reference_papa_koli_500.txt").read_text().split()
    assert len(expected) == 500
    assert generate() == expected


def test_sandbox_queries_of_2019_08_06_open_the_list() -> None:
    observed = (FIXTURES / "observed_2019-08-06.txt").read_text().split()
    assert generate()[: len(observed)] == observed


def test_other_seed_other_names() -> None:
    assert set(generate("papa_kolj", 20)).isdisjoint(generate(nr=20))


def test_registry_variant_is_the_same_every_day() -> None:
    variant = get_family("enviserv").variant("default")
    names = variant.domains(dt.date(2019, 8, 6))
    assert names == generate() == variant.domains(dt.date(2024, 2, 29))
    assert variant.period_days == 0 and len(set(names)) == variant.domains_per_day
