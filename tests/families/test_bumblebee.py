"""BumbleBee against BADERJ:bumblebee/example_domains.txt.

The examples are the static list (magic ``TEST_SEE``, no time: second 32, month index 13,
year 1899) in generation order, compared as a list.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.bumblebee import _byte_tables, _lfsr32_slow, generate, seed
from shared_data import family_examples


def _expected() -> list[str]:
    return [d for d, _, _ in family_examples("bumblebee", "BADERJ:bumblebee/")]


def test_static_test_see_in_order() -> None:
    expected = _expected()
    assert len(expected) == 100
    assert generate(seed("TEST_SEE")) == expected


def test_lfsr_tables_match_the_clocked_register() -> None:
    t0, t1, t2, t3 = _byte_tables()
    for value in (0, 1, 0xDEADBEEF, 0xFFFFFFFF, 0x80000001, 0x12345678):
        fast = t0[value & 0xFF] ^ t1[(value >> 8) & 0xFF]
        fast ^= t2[(value >> 16) & 0xFF] ^ t3[value >> 24]
        assert fast == _lfsr32_slow(value)
    high = 0xCAFEBABE << 32
    assert _lfsr32_slow(high | 0x1234) == 0xCAFEBABE ^ _lfsr32_slow(0x1234)


def test_registry_variants() -> None:
    family = get_family("bumblebee")
    static = family.variant("test_see")
    names = static.domains(dt.date(2023, 10, 1))
    assert len(names) == static.domains_per_day
    assert names == _expected()
    timed = family.variant("test_see-time")
    day = dt.date(2023, 10, 5)
    month = timed.domains(day)
    assert len(month) == timed.domains_per_day
    assert month[:100] == generate(seed("TEST_SEE", 0, 9, 2023))
    assert month[-100:] == generate(seed("TEST_SEE", 59, 9, 2023))
