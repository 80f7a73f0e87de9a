"""CryptoLocker against both example sources.

- ``BAMBENEK:data/dga-cryptolocke-1000.txt``: the feed's 1,000 names for 2017-04-13 (the
  date the rows carry), in generation order: compared as a list with the variant's day.
- ``ANDREWAEVA:dga_wordlists/cryptolocker.txt``: the first 10,000 names printed by the
  Perl reimplementation for day 7, month 10, year 2014, which keeps counting past the
  malware's 1,000 names; compared as a list with ``generate(2014-10-07, nr=10000)``.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.cryptolocker import generate
from shared_data import family_examples


def test_bambenek_feed_2017_04_13_in_order() -> None:
    rows = family_examples("cryptolocker", "BAMBENEK:")
    assert {date for _, date, _ in rows} == {"2017-04-13"}
    expected = [d for d, _, _ in rows]
    assert len(expected) == 1000
    variant = get_family("cryptolocker").variant("default")
    names = variant.domains(dt.date(2017, 4, 13))
    assert len(names) == variant.domains_per_day
    assert names == expected


def test_andrewaeva_list_2014_10_07_in_order() -> None:
    expected = [d for d, _, _ in family_examples("cryptolocker", "ANDREWAEVA:")]
    assert len(expected) == 10000
    assert generate(dt.date(2014, 10, 7), nr=10000) == expected


def test_days_differ() -> None:
    day = dt.date(2014, 1, 1)
    assert generate(day) != generate(day + dt.timedelta(days=1))
    assert generate(day, nr=5) == generate(day)[:5]
