"""Ngioweb against lists produced by running the public reference (fixtures/ngioweb)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.families.ngioweb import generate, words

FIXTURES = Path(__file__).parent / "fixtures" / "ngioweb"
SEEDS = ["5397FB1", "56EDC15", "01275c63", "04bc65bc", "00375d5a"]


def _fixture(seed: str) -> list[str]:
    names = (FIXTURES / f"seed-{seed}.txt").read_text("ascii").split()
    assert len(names) == 1024
    return names


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_list_and_registry_variant(seed: str) -> None:
    expected = _fixture(seed)
    assert generate(int(seed, 16)) == expected
    variant = get_family("ngioweb").variant(f"{int(seed, 16):08x}")
    day = max(variant.active_from, dt.date(2024, 1, 1))
    assert variant.domains(day) == expected
    assert variant.domains(day + dt.timedelta(days=90)) == expected  # not time-seeded
    assert all(variant.signature.matches_label(n.split(".")[0]) for n in expected)  # type: ignore[union-attr]


def test_word_lists_are_the_samples() -> None:
    assert (len(words("prefixes")), len(words("vowel_suffixes"))) == (30, 35)
    assert len(words("consonant_suffixes")) == 16


def test_seeds_differ() -> None:
    assert generate(0x5397FB1, 50) != generate(0x56EDC15, 50)
