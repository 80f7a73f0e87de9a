"""newGOZ against the public examples.

- BADERJ newgoz/example_domains.txt: the reference's full 1000-name list for 2015-08-31,
  compared as an exact list, in order.
- ANDREWAEVA new_goz.txt (observed names from the DDS list, shuffled, no order): 152 of its
  1666 names are names of the 2014-08-29 list; the other 1514 match no date of 2012-2018 with
  the published salt, and are not reproduced (see the report of this family).
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.newgoz import generate
from tests.shared_data import family_examples


def test_baderj_examples() -> None:
    expected = [d for d, _, _ in family_examples("newgoz", "BADERJ:newgoz/")]
    assert len(expected) == 1000
    day = dt.date(2015, 8, 31)
    variant = get_family("newgoz").variant("default")
    assert variant.domains(day) == expected
    assert variant.domains_blob(day) == ("\n".join(expected) + "\n").encode("ascii")
    assert generate(day, key=0x35190501, nr=10) == expected[:10]


def test_andrewaeva_names_of_2014_08_29() -> None:
    observed = [d for d, _, _ in family_examples("newgoz", "ANDREWAEVA:")]
    assert len(observed) == 1666
    day_list = set(generate(dt.date(2014, 8, 29)))
    assert sum(1 for n in observed if n in day_list) == 152


def test_registry() -> None:
    v = get_family("newgoz").variants[0]
    names = v.domains(dt.date(2016, 2, 29))
    assert len(names) == v.domains_per_day == 1000
    assert all(n.isascii() and n == n.lower() for n in names)
