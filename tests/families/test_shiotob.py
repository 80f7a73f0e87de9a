"""Shiotob against the reference examples (baderj/domain_generation_algorithms, shiotob).

The example file is the reference script's output for the write-up's seed domain
``wtipubctwiekhir.net`` (its first line): the seed then 2,000 successors, in chain
order. The whole list is compared in order.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from dgawatch.families import get_family
from dgawatch.families.shiotob import generate, next_domain, v2_key
from tests.families._fixtures import reference_lines
from tests.shared_data import family_examples

SEED = "wtipubctwiekhir.net"


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("shiotob", "BADERJ:shiotob/")]


def test_examples_are_the_chain_from_the_write_up_seed() -> None:
    expected = _expected()
    assert len(expected) == 2001 and expected[0] == SEED
    assert generate(SEED, 2001) == expected


def test_each_example_follows_from_the_previous_one() -> None:
    expected = _expected()
    assert all(next_domain(a) == b for a, b in itertools.pairwise(expected))


def test_registry() -> None:
    family = get_family("urlzone")
    assert family.name == "shiotob"
    day = dt.date(2018, 1, 1)
    assert family.variant("wtipubctwiekhir").domains(day) == _expected()
    for variant in family.variants:
        names = variant.domains(day)
        assert len(names) == variant.domains_per_day == 2001
        assert names[0] == dict(variant.parameters)["seed_domain"]


@pytest.mark.parametrize("seed", ["wtipubctwiekhir.net", "4ypv1eehphg3a.com"])
def test_version_2_chain_against_360netlab(seed: str) -> None:
    expected = reference_lines("shiotob", f"v2_{seed}.txt.xz")
    assert len(expected) == 2001
    names = generate(seed, version=2)
    assert names == expected
    assert names[1:] != generate(seed)[1:]


def test_version_2_key_is_the_crc_of_the_embedded_key_blob() -> None:
    # urlzone_crc() of 360netlab's dga.py on the same blob (see fixtures/shiotob/PROVENANCE.md).
    assert v2_key() == 0xC6256EC4
