"""Chinad against BADERJ:chinad/example_domains.txt.

The example list is the 256 names of 2017-01-13 (the day the reimplementation was published
and run with its default date, "now") in counter order; the lists are compared whole.
360netlab's published list of 2016-10-24 and baderj's reference run for that day
(``fixtures/chinad``) check the earlier start of the active period (issue 18, defect 2).
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.chinad import generate
from dgawatch.index import lookup_all
from shared_data import family_examples
from tests.families._fixtures import reference_lines

EXAMPLE_DAY = dt.date(2017, 1, 13)


def test_example_day_in_order() -> None:
    expected = [d for d, _, _ in family_examples("chinad", "BADERJ:chinad/")]
    assert len(expected) == 256
    assert generate(EXAMPLE_DAY) == expected


def test_counter_wraps_like_a_byte() -> None:
    names = generate(EXAMPLE_DAY, nr=1000)
    assert names[256:512] == names[:256]


def test_registry_variant() -> None:
    variant = get_family("chinad").variant("default")
    names = variant.domains(EXAMPLE_DAY)
    assert len(names) == variant.domains_per_day
    assert names == [d for d, _, _ in family_examples("chinad")]
    assert variant.domains(EXAMPLE_DAY + dt.timedelta(days=1)) != names


NETLAB_DAY = dt.date(2016, 10, 24)


def test_netlab_published_day_is_the_reference_list() -> None:
    published = reference_lines("chinad", "360netlab_examples_2016-10-24.txt")
    reference = reference_lines("chinad", "baderj_2016-10-24.txt")
    assert len(published) == 1000 and published[:256] == reference
    assert published == reference * 3 + reference[:232]  # 1,000 draws of a byte counter
    assert generate(NETLAB_DAY) == reference


def test_lookup_over_the_active_period_finds_the_published_names() -> None:
    variant = get_family("chinad").variant("default")
    assert variant.is_active(NETLAB_DAY)
    published = sorted(set(reference_lines("chinad", "360netlab_examples_2016-10-24.txt")))
    result = lookup_all(published, [variant], until=NETLAB_DAY + dt.timedelta(days=2))
    assert set(result.hits) == set(published)
    for query, hits in result.hits.items():
        assert any(h.first_day <= NETLAB_DAY <= h.last_day for h in hits), query
