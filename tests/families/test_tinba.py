"""Tinba against the reference examples.

- ``BADERJ:tinba/example_domains.txt``: the initial domain ``blackfreeqazyio.cc`` then 100
  labels under com/net/in/ru (seed ``jc74FlUna852Ji9o``), 401 names in generation order;
  examples.csv.gz keeps 399 of them in that order (two names are absent from it).
- ``ANDREWAEVA:dga_wordlists/tinba.txt``: the chain of the first preset (seed
  ``oGkS3w3sGGOGG7oc``, initial ``ssrgwnrmgrxe.com``, .com) without the initial domain;
  examples.csv.gz keeps 10,000 of its first 10,002 names, in order.

So each block must be an ordered subsequence of our list for its parameters, starting
where the source starts.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.tinba import generate, next_label
from tests.shared_data import family_examples


def _is_ordered_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(name == candidate for candidate in it) for name in needles)


def test_baderj_examples_follow_the_second_preset() -> None:
    expected = [d for d, _, _ in family_examples("tinba", "BADERJ:tinba/")]
    assert len(expected) == 399
    got = generate("jc74FlUna852Ji9o", "blackfreeqazyio.cc", ("com", "net", "in", "ru"), 100)
    assert len(got) == 401
    assert got[0] == expected[0] and got[-1] == expected[-1]
    assert _is_ordered_subsequence(expected, got)


def test_andrewaeva_examples_follow_the_first_preset() -> None:
    expected = [d for d, _, _ in family_examples("tinba", "ANDREWAEVA:dga_wordlists/tinba")]
    assert len(expected) == 10_000
    got = generate("oGkS3w3sGGOGG7oc", "ssrgwnrmgrxe.com", ("com",), 10_002)[1:]
    assert got[0] == expected[0] and got[-1] == expected[-1]
    assert _is_ordered_subsequence(expected, got)
    # The first 464 are a contiguous run.
    assert got[:464] == expected[:464]


def test_label_depends_on_the_previous_name_only_through_13_characters() -> None:
    assert next_label("ssrgwnrmgrxe.com", "oGkS3w3sGGOGG7oc") == next_label(
        "ssrgwnrmgrxe.net", "oGkS3w3sGGOGG7oc"
    )


def test_registry() -> None:
    family = get_family("tinybanker")
    assert family.name == "tinba"
    day = dt.date(2017, 1, 1)
    for variant in family.variants:
        names = variant.domains(day)
        assert len(names) == variant.domains_per_day
        assert names[0] == dict(variant.parameters)["initial_domain"]
    assert len(family.variant("ogks3w3s").domains(day)) == 1001
    assert family.variant("jc74flun").domains(day)[:1] == ["blackfreeqazyio.cc"]
