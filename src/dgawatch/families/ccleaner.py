"""CCleaner (Floxif backdoor in the 2017 CCleaner builds): one .com name per month.

Generator type: arithmetic. The Microsoft C runtime's ``rand()`` (linear congruential,
``state = state * 0x343FD + 0x269EC3`` mod 2**32, output ``(state >> 16) & 0x7FFF``) is
seeded with ``year * 10000 + month``; of three outputs ``r1, r2, r3`` the label is ``ab``
followed by ``r2 * r3`` and ``r1`` in lower-case hexadecimal without padding.
Seeding: time-dependent (calendar month of the UTC date); one name per month, the same
every day of it.
Names per day: 1. TLD: ``com``.

Active period: from 2017-08-15, the release of the backdoored CCleaner 5.33.6162 (Piriform's
security notification and Cisco Talos' report, both 2017-09-18; 360 CERT's warning linked
from the reference). No end: unpatched installations may still run the payload.

Classifier reseeding: no ``reseed`` hook: seeded by the date alone (``rand()`` seeded
with year and month; no per-build input).

References:
- https://github.com/360netlab/DGA/tree/master/code/ccleaner
- https://cert.360.cn/warning/detail?id=0dc8a230ad210be8a8b872a73b18d220
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com",)


def _msvcrt_rand(state: int) -> tuple[int, int]:
    """One step of the C runtime's generator: (output, next state)."""
    state = (state * 0x343FD + 0x269EC3) & 0xFFFFFFFF
    return (state >> 16) & 0x7FFF, state


@cache
def generate(year: int, month: int) -> str:
    """The month's name."""
    state = year * 10000 + month
    r1, state = _msvcrt_rand(state)
    r2, state = _msvcrt_rand(state)
    r3, _ = _msvcrt_rand(state)
    return f"ab{r2 * r3:x}{r1:x}.com"


def _monthly(day: dt.date) -> list[str]:
    return [generate(day.year, day.month)]


FAMILY = Family(
    name="ccleaner",
    summary="CCleaner 5.33 supply-chain backdoor (2017): one hexadecimal .com name per month",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://github.com/360netlab/DGA/tree/master/code/ccleaner",
        "https://cert.360.cn/warning/detail?id=0dc8a230ad210be8a8b872a73b18d220",
    ),
    variants=(
        Variant(
            family="ccleaner",
            name="default",
            summary="The backdoored CCleaner 5.33.6162 / CCleaner Cloud 1.07.3191 (month-seeded)",
            active_from=dt.date(2017, 8, 15),
            active_until=None,
            domains_per_day=1,
            tlds=TLDS,
            generator=_monthly,
            period_days=1,
            parameters=(("seed", "msvcrt srand(year*10000 + month)"),),
            # "ab" + 1-8 hex digits of r2*r3 + 1-4 hex digits of r1
            signature=Signature("0123456789abcdef", 4, 14),
            period_source=(
                "release of the backdoored CCleaner 5.33.6162, 2017-08-15 (Piriform "
                "notification and Cisco Talos report, 2017-09-18; 360 CERT warning)"
            ),
        ),
    ),
)
