"""Nymaim downloader/ransomware-dropper DGA (first generation, 2013-2015).

Generator type: arithmetic (a xorshift128-style generator whose four state words are the
date-derived seed plus four ASCII constants, "REVA", "IHOL", "YUH ", "MAV ").
Seeding: time-dependent; the seed mixes year, month, day of month and day of week, so a
new list every UTC day.
Names per day: 128 in the analysed sample (the count is a parameter of the sample).
Labels: 6-11 letters; the TLD follows from the second-to-last letter (com, org, biz, net,
info).

The seed only sees ``month + day`` and the weekday, so identical lists recur on different
dates (the reference example list is the one for 2019-07-19, the day it was regenerated,
and equally for 2018-02-24 and 2019-11-15).

Active period: Nymaim was first reported in 2013 (ESET, "Nymaim obfuscation chronicles");
the exact start is not published, so ``active_from`` is 2013-01-01 as an early bound.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/nymaim
- ESET WeLiveSecurity, "Nymaim - obfuscation chronicles", August 2013
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families.base import Family, Signature, Variant

_MASK = 0xFFFFFFFF
#: Added to the date seed to form the four initial state words.
_STATE_CONSTANTS = (0x52455641, 0x49484F4C, 0x59554820, 0x4D415620)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
DOMAINS_PER_DAY = 128
TLDS = ("com", "org", "biz", "net", "info")


def _tld_for(letter_index: int) -> str:
    """The TLD is chosen by ranges of the second-to-last letter's alphabet index."""
    if letter_index < 9:
        return "com"
    if letter_index < 13:
        return "org"
    if letter_index < 17:
        return "biz"
    if letter_index < 21:
        return "net"
    return "info"


def _initial_state(day: dt.date) -> list[int]:
    sunday_based_weekday = day.isoweekday() % 7
    base = day.year + ((day.month + day.day) << 16) + sunday_based_weekday
    state = [base + c for c in _STATE_CONSTANTS]
    # The sample zeroes the second word on overflow instead of wrapping it.
    state[1] = state[1] if state[1] <= _MASK else 0
    return [w & _MASK for w in state]


def generate(day: dt.date, nr: int = DOMAINS_PER_DAY) -> list[str]:
    """The first ``nr`` names Nymaim generates on ``day``."""
    a, b, c, d = _initial_state(day)

    def draw(modulus: int) -> int:
        nonlocal a, b, c, d
        x = ((a << 11) ^ a) & _MASK
        new_d = d ^ (d >> 19) ^ x ^ (x >> 8)
        out = ((c + new_d) & _MASK) // 100 % modulus
        a, b, c, d = (a + b) & _MASK, (b + c) & _MASK, (c + d) & _MASK, new_d
        return out

    names: list[str] = []
    for _ in range(nr):
        length = draw(6) + 6
        idx = [draw(26) for _ in range(length)]
        label = "".join(_LETTERS[i] for i in idx)
        names.append(f"{label}.{_tld_for(idx[-2])}")
    return names


FAMILY = Family(
    name="nymaim",
    summary="Nymaim (2013-): 128 names/day, letters, com/org/biz/net/info by label letter",
    generator_type="arithmetic",
    time_seeded=True,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/nymaim",),
    variants=(
        Variant(
            family="nymaim",
            name="default",
            summary="Nymaim v1 DGA, 128 names per UTC day",
            active_from=dt.date(2013, 1, 1),
            active_until=None,
            period_source=(
                "estimate: early bound; Nymaim first reported in 2013 (ESET WeLiveSecurity, "
                '"Nymaim - obfuscation chronicles", August 2013), exact start not published'
            ),
            domains_per_day=DOMAINS_PER_DAY,
            tlds=TLDS,
            signature=Signature(_LETTERS, 6, 11),  # draw(6) + 6 letters
            generator=generate,
            period_days=1,
            parameters=(("nr", str(DOMAINS_PER_DAY)),),
        ),
    ),
)
