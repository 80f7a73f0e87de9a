"""The unnamed downloader against the reference's output
(fixtures/unnamed_downloader/PROVENANCE.md)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.families.unnamed_downloader import permutations_in_order

FIXTURES = Path(__file__).parent / "fixtures" / "unnamed_downloader"


def test_reference_without_its_repeats() -> None:
    reference = (FIXTURES / "reference_run.txt").read_text().split()
    assert len(reference) == 120
    expected = list(dict.fromkeys(reference))
    variant = get_family("unnamed_downloader").variant("ddktn")
    names = variant.domains(dt.date(2016, 9, 1))
    assert names == expected and len(names) == variant.domains_per_day == 60
    assert set(reference) == set(names)
    assert variant.domains(dt.date(2024, 1, 1)) == names  # not time-seeded


def test_permutation_walk_on_other_seeds() -> None:
    for seed in ("abc", "aabb", "zyxwvu"):
        distinct = sorted({"".join(p) for p in itertools.permutations(seed)})
        assert permutations_in_order(seed) == distinct
    assert len(permutations_in_order("abcdef")) == math.factorial(6)
