"""CoreBot against BADERJ:corebot/example_domains.txt.

The examples were published on 2015-09-16 by the first reimplementation, which used seed
0x1DB98930 and the debugging build's fixed day 8 with the current month: they are the 40
names of September 2015, in generation order, compared as a list.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.corebot import generate
from shared_data import family_examples


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("corebot", "BADERJ:corebot/")]


def test_debug_build_september_2015_in_order() -> None:
    expected = _expected()
    assert len(expected) == 40
    assert generate(dt.date(2015, 9, 16), 0x1DB98930, fixed_day=8) == expected
    # The same list as the real day 8 with that seed.
    assert generate(dt.date(2015, 9, 8), 0x1DB98930) == expected


def test_registry_variants() -> None:
    family = get_family("corebot")
    debug = family.variant("1db98930-debug")
    names = debug.domains(dt.date(2015, 9, 16))
    assert len(names) == debug.domains_per_day
    assert names == _expected()
    release = family.variant("1dba8930")
    day = dt.date(2015, 10, 1)
    assert len(release.domains(day)) == release.domains_per_day
    assert release.domains(day) != release.domains(day + dt.timedelta(days=1))
