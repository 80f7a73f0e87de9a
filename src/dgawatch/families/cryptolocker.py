"""CryptoLocker ransomware rendezvous domains.

Generator type: arithmetic. Three 32-bit xorshift-style registers start from the UTC day,
month and year, each multiplied by 65537; name number ``i`` of a day uses the year plus
``i``. The label length is 12 to 15 (two bits from the day and year registers), each letter
is ``'a' + (d ^ m ^ y) % 25`` after stepping all three registers (``z`` never occurs), and
the TLD cycles through seven suffixes by ``i``.
Seeding: time-dependent (day, month and year of the date, taken as UTC here); a new list
every day.
Names per day: 1,000.
TLDs: com, net, biz, ru, org, co.uk, info (in that cyclic order).
Active period: the listed references do not date the malware (their earliest example day is
2014-10-07); ``active_from`` is 2013-09-01, the month CryptoLocker was first publicly
reported. Public feeds still forecast the DGA in 2017 (the 2017-04-13 feed list is one of
the examples), so no end date is set.

The registers of one name depend on the day and month only through a 15-step sequence that
is shared by every name of the day, and on the year only through ``year + i``; both are
computed once (the year part for all 1,000 names at a time with NumPy) and combined.

References:
- https://github.com/andrewaeva/DGA/blob/master/dga_algorithms/Cryptolocker.pl
- https://github.com/andrewaeva/DGA/blob/master/dga_wordlists/cryptolocker.txt
- Bambenek Consulting OSINT DGA feed, cryptolocker list of 2017-04-13 (../shared/data)
"""

from __future__ import annotations

import datetime as dt
import string
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com", "net", "biz", "ru", "org", "co.uk", "info")
COUNT = 1000
MAX_LENGTH = 15

_M32 = 0xFFFFFFFF
_U64 = npt.NDArray[np.uint64]


def _step_day(d: int) -> int:
    return ((((d << 13) ^ d) & _M32) >> 19) ^ (((d & 0xFFFFFFFE) << 12) & _M32)


def _step_month(m: int) -> int:
    return ((((m << 2) ^ m) & _M32) >> 25) ^ (((m & 0xFFFFFFF8) << 4) & _M32)


def _day_month_sequence(day: int, month: int) -> tuple[int, tuple[int, ...]]:
    """Bits 3-4 of the start day register and the 15 XORed day/month register states."""
    d = day * 65537
    m = month * 65537
    bits = (d >> 3) & 3
    seq = []
    for _ in range(MAX_LENGTH):
        d = _step_day(d)
        m = _step_month(m)
        seq.append(d ^ m)
    return bits, tuple(seq)


@lru_cache(maxsize=8)
def _year_block(year: int, nr: int) -> tuple[_U64, _U64]:
    """For names ``0..nr-1``: two length bits and the 15 year-register states of each."""
    mask = np.uint64(_M32)
    y = (np.arange(year, year + nr, dtype=np.uint64)) * np.uint64(65537)
    bits = ((y >> np.uint64(8)) ^ (y >> np.uint64(11))) & np.uint64(3)
    states = np.empty((nr, MAX_LENGTH), dtype=np.uint64)
    for k in range(MAX_LENGTH):
        # Same operations as the malware's, kept exact for start values above 32 bits.
        y = (
            (((y << np.uint64(3)) & mask) >> np.uint64(11))
            ^ (((y >> np.uint64(4)) << np.uint64(21)) & mask)
            ^ ((y >> np.uint64(11)) & mask)
        )
        states[:, k] = y
    bits.setflags(write=False)
    states.setflags(write=False)
    return bits, states


def generate(day: dt.date, nr: int = COUNT) -> list[str]:
    """The first ``nr`` names for ``day`` (the malware uses 1,000)."""
    if nr <= 0:
        return []
    day_bits, seq = _day_month_sequence(day.day, day.month)
    year_bits, states = _year_block(day.year, nr)
    letters = ((states ^ np.array(seq, dtype=np.uint64)) % np.uint64(25) + np.uint64(97)).astype(
        np.uint8
    )
    lengths = (12 + (year_bits ^ np.uint64(day_bits))).tolist()
    flat = letters.tobytes().decode("ascii")
    return [
        f"{flat[i * MAX_LENGTH : i * MAX_LENGTH + n]}.{TLDS[i % 7]}" for i, n in enumerate(lengths)
    ]


def _daily(day: dt.date) -> list[str]:
    return generate(day)


FAMILY = Family(
    name="cryptolocker",
    remediation=(
        "CryptoLocker (ransomware): encrypts files on local and mapped network drives; "
        "reinstall the host and restore the files from offline backups."
    ),
    summary="CryptoLocker ransomware: 1,000 names per day under seven TLDs",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://github.com/andrewaeva/DGA/blob/master/dga_algorithms/Cryptolocker.pl",
        "https://github.com/andrewaeva/DGA/blob/master/dga_wordlists/cryptolocker.txt",
        "Bambenek Consulting OSINT DGA feed (cryptolocker, 2017-04-13)",
    ),
    variants=(
        Variant(
            family="cryptolocker",
            name="default",
            summary="The only known variant (date-seeded, no sample-specific seed)",
            active_from=dt.date(2013, 9, 1),
            active_until=None,
            period_source=(
                "estimate: the month CryptoLocker was first publicly reported, September "
                "2013; the references do not date it (earliest example day 2014-10-07)"
            ),
            domains_per_day=COUNT,
            tlds=TLDS,
            # Letters 'a' + x % 25; 12 + a two-bit value of them.
            signature=Signature(string.ascii_lowercase[:25], 12, MAX_LENGTH),
            generator=_daily,
            period_days=1,
        ),
    ),
)
