"""XshellGhost (ShadowPad in NetSarang's Xshell/Xmanager builds): one .com name per month.

Generator type: arithmetic. The month's seed is the 32-bit value
``0x90422A3A * year - 0x39D06F76 * month - 0x67B7FC6F``; the label is ``seed % 6 + 10``
letters long, each letter ``seed % 26`` (``a``-``z``) followed by the step
``seed = 29 * seed + 19`` (mod 2**32).
Seeding: time-dependent (calendar month of the UTC date); one name per month, the same
every day of it.
Names per day: 1. TLD: ``com``.

Reference bug: 360netlab's reimplementation (``code/xshellghost/dga.py``) multiplies the
*month* by 0x90422A3A and the *year* by 0x39D06F76. That produces neither the name the
sandboxed sample queried in August 2017 (``nylalobghyhirgh.com``, 360netlab issue #38;
Fox-IT's ShadowPad DNS decoder dates a query under it 2017-08-17) nor the output its
own issue gives for 2017-12-10 (``tczafklirkl.com``). With the two factors swapped, as
above, both match; this module follows the observed names and its test runs the reference
with year and month exchanged (tests/families/fixtures/xshellghost/PROVENANCE.md).

Active period: from 2017-07-18, the day the backdoored Xshell 5.0.1322 / Xmanager builds
were published (NetSarang's security advisory and Kaspersky's ShadowPad report of
2017-08-15); the earliest observation in the references is the August 2017 name of
360netlab issue #38 (2017-08-14). No end: installations of those builds may still run.

Classifier reseeding: no ``reseed`` hook: seeded by the date alone (the three factors
are the algorithm's, the same in the one backdoored build family).

References:
- https://github.com/360netlab/DGA/tree/master/code/xshellghost
- https://github.com/360netlab/DGA/issues/38
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com",)
_MASK = 0xFFFFFFFF
YEAR_FACTOR = 0x90422A3A
MONTH_FACTOR = 0x39D06F76
OFFSET = 0x67B7FC6F


@cache
def generate(year: int, month: int) -> str:
    """The month's name."""
    seed = (YEAR_FACTOR * year - MONTH_FACTOR * month - OFFSET) & _MASK
    letters = []
    for _ in range(seed % 6 + 10):
        letters.append(chr(ord("a") + seed % 26))
        seed = (29 * seed + 19) & _MASK
    return "".join(letters) + ".com"


def _monthly(day: dt.date) -> list[str]:
    return [generate(day.year, day.month)]


FAMILY = Family(
    name="xshellghost",
    summary="XshellGhost/ShadowPad (NetSarang supply chain, 2017): one .com name per month",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://github.com/360netlab/DGA/tree/master/code/xshellghost",
        "https://github.com/360netlab/DGA/issues/38",
    ),
    variants=(
        Variant(
            family="xshellghost",
            name="default",
            summary="The backdoored nssock2.dll of Xshell 5.0.1322 (month-seeded)",
            active_from=dt.date(2017, 7, 18),
            active_until=None,
            domains_per_day=1,
            tlds=TLDS,
            generator=_monthly,
            period_days=1,
            parameters=(
                ("seed", "0x90422A3A*year - 0x39D06F76*month - 0x67B7FC6F (mod 2**32)"),
                ("length", "seed % 6 + 10"),
            ),
            signature=Signature("abcdefghijklmnopqrstuvwxyz", 10, 15),
            period_source=(
                "release of the backdoored Xshell 5.0.1322 build, 2017-07-18 (NetSarang "
                "advisory; Kaspersky ShadowPad report 2017-08-15); first observed name: "
                "360netlab/DGA issue #38, 2017-08-14"
            ),
        ),
    ),
)
