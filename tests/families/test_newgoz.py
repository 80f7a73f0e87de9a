"""newGOZ against the public examples.

- BADERJ newgoz/example_domains.txt: the reference's full 1000-name list for 2015-08-31,
  compared as an exact list, in order.
- ANDREWAEVA new_goz.txt: the ``newgoz`` rows of the DDS training set (a shuffled random
  sample, so no generation order). All 1666 are names of 2014-08-29: 152 from the
  1000-name list with salt 0x35190501 (variant ``default``) and 1514 from the 10,000-name
  list with salt 0x52e645 (variant ``52e645``).
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.newgoz import generate
from tests.shared_data import family_examples

DDS_DAY = dt.date(2014, 8, 29)


def test_baderj_examples() -> None:
    expected = [d for d, _, _ in family_examples("newgoz", "BADERJ:newgoz/")]
    assert len(expected) == 1000
    day = dt.date(2015, 8, 31)
    variant = get_family("newgoz").variant("default")
    assert variant.domains(day) == expected
    assert variant.domains_blob(day) == ("\n".join(expected) + "\n").encode("ascii")
    assert generate(day, key=0x35190501, nr=10) == expected[:10]


def test_andrewaeva_examples_all_of_2014_08_29() -> None:
    observed = [d for d, _, _ in family_examples("newgoz", "ANDREWAEVA:")]
    assert len(observed) == len(set(observed)) == 1666
    family = get_family("newgoz")
    first = family.variant("default").domains(DDS_DAY)
    second = family.variant("52e645").domains(DDS_DAY)
    assert len(first) == 1000 and len(second) == 10_000
    assert not set(first) & set(second)
    in_first = [n for n in observed if n in set(first)]
    in_second = [n for n in observed if n in set(second)]
    assert (len(in_first), len(in_second)) == (152, 1514)
    assert len(in_first) + len(in_second) == len(observed)  # every name reproduced
    blob = family.variant("52e645").domains_blob(DDS_DAY)
    assert blob == ("\n".join(second) + "\n").encode("ascii")
    assert generate(DDS_DAY, key=0x52E645, nr=10) == second[:10]


def test_registry() -> None:
    family = get_family("newgoz")
    assert [v.name for v in family.variants] == ["default", "52e645"]
    for v in family.variants:
        names = v.domains(dt.date(2016, 2, 29))
        assert len(names) == v.domains_per_day
        assert all(n.isascii() and n == n.lower() for n in names)
    assert family.variants[0].domains_per_day == 1000
    assert family.variants[1].domains_per_day == 10_000
