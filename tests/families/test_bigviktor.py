"""BigViktor against 360netlab's reference (three months, first 500 names each) and the
published example names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.bigviktor import generate, words

FIXTURES = Path(__file__).parent / "fixtures" / "bigviktor"
MONTHS = ((2020, 7), (2021, 1), (2024, 3))


def test_three_months_match_the_reference() -> None:
    for year, month in MONTHS:
        expected = (FIXTURES / f"reference_{year}-{month:02d}_first500.txt").read_text().split()
        assert len(expected) == 500
        assert list(generate(year, month)[:500]) == expected


def test_published_examples_open_july_2020() -> None:
    examples = (FIXTURES / "published_examples.txt").read_text().split()
    assert list(generate(2020, 7)[:3]) == examples


def test_word_lists_are_the_malwares() -> None:
    sizes = {k: len(words(k)) for k in ("prefixes", "verbs", "adjectives", "nouns", "tlds")}
    assert sizes == {"prefixes": 40, "verbs": 100, "adjectives": 525, "nouns": 1522, "tlds": 20}


def test_registry_variant_is_monthly() -> None:
    variant = get_family("bigviktor").variant("default")
    july = variant.domains(dt.date(2020, 7, 1))
    assert len(july) == variant.domains_per_day == 1000
    assert july == variant.domains(dt.date(2020, 7, 31))
    assert variant.domains(dt.date(2020, 8, 1)) != july
