"""Shiotob against the reference examples (baderj/domain_generation_algorithms, shiotob).

The example file is the reference script's output for the write-up's seed domain
``wtipubctwiekhir.net`` (its first line): the seed then 2,000 successors, in chain
order. The whole list is compared in order.
"""

from __future__ import annotations

import datetime as dt
import itertools

from dgawatch.families import get_family
from dgawatch.families.shiotob import generate, next_domain
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
