"""DMSniff against BADERJ:dmsniff/domains_al.txt and domains_sn.txt.

The published lists hold the 50 names of each sample in generation order, but the
ground-truth file keeps each name once (first occurrence), so the comparison is between
the examples and the generated list with repeats removed, order kept.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family
from dgawatch.families.dmsniff import PRESETS, generate
from shared_data import family_examples


@pytest.mark.parametrize("prefix", ["al", "sn"])
def test_prefix_list_in_order(prefix: str) -> None:
    expected = [d for d, _, _ in family_examples("dmsniff", f"BADERJ:dmsniff/domains_{prefix}")]
    assert len(expected) == 35
    names = generate(prefix, PRESETS[prefix])
    assert len(names) == 50
    assert list(dict.fromkeys(names)) == expected


@pytest.mark.parametrize("prefix", ["al", "sn"])
def test_registry_preset(prefix: str) -> None:
    variant = get_family("dmsniff").variant(prefix)
    names = variant.domains(dt.date(2023, 7, 1))
    assert len(names) == variant.domains_per_day
    assert names == generate(prefix, PRESETS[prefix])
