"""PadCrypt ransomware DGA (versions 2.2.86.1 and 2.2.97.0 of March 2016, 11.37.0.0 of 2017).

Generator type: hash (SHA-256 of the date and the name's index).
Seeding: time-dependent; the hashed string is ``"<day>-<month>-<year><sep><index>"`` (no
zero padding), so a new list every UTC day.
Names per day: 24 (2.2.86.1, separator ``:``) or 72 (2.2.97.0, separator ``|``).
Labels: 16 characters, hex digits 3-18 of the hash with decimal digits mapped to letters
(``0123456789`` -> ``abcdnfolmk``); the TLD is picked by the hash's last hex digit from
11 TLDs (digits 11-15 fall back to the first, com).

Version 11.37.0.0 (360netlab, May 2017) hashes ``"<day>-<month>-<year>|<index>38"`` (the
2.2.97.0 string with ``38`` appended), 72 names a day, and picks from 12 TLDs: com co.uk
de org net tk info online ga co cc website (digits 12-15 fall back to com). Its
``active_from`` is 2017-05-17, the day 360netlab's sandbox recorded a sample querying this
list (github.com/360netlab/DGA issue #34, filed 2017-05-18 with the names; reimplemented
in commit c37aa11): the earliest public evidence.

Active period: PadCrypt (2.2.86.1) was first reported by BleepingComputer in late
February 2016; the exact day is not given, so ``active_from`` is 2016-02-01 as an early
bound. 2.2.97.0's DGA was tweeted by BleepingComputer on 2016-03-04. The reference
examples are 2.2.86.1's names for 2016-03-06, the day of the write-up.

References:
- https://johannesbader.ch/2016/03/the-dga-of-padcrypt/
- https://github.com/baderj/domain_generation_algorithms/tree/master/padcrypt
- http://www.bleepingcomputer.com/news/security/padcrypt-the-first-ransomware-with-live-support-chat-and-an-uninstaller/
- http://www.bleepingcomputer.com/news/security/the-padcrypt-ransomware-is-still-alive-and-kicking/
- https://github.com/360netlab/DGA/tree/master/code/padcrypt (11.37.0.0; issue #34)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import partial

from dgawatch.families.base import Family, Signature, Variant

TLDS = ("com", "co.uk", "de", "org", "net", "eu", "info", "online", "co", "cc", "website")
#: Maps hex digits to label characters: decimal digits become letters, a-f stay.
_DIGIT_MAP = str.maketrans("0123456789", "abcdnfolmk")
TLDS_11 = ("com", "co.uk", "de", "org", "net", "tk", "info", "online", "ga", "co", "cc", "website")
#: version -> (separator, names per day, suffix after the index, TLDs)
VERSIONS: dict[str, tuple[str, int, str, tuple[str, ...]]] = {
    "2.2.86.1": (":", 24, "", TLDS),
    "2.2.97.0": ("|", 72, "", TLDS),
    "11.37.0.0": ("|", 72, "38", TLDS_11),
}


def generate(
    day: dt.date,
    separator: str = ":",
    nr: int = 24,
    suffix: str = "",
    tlds: tuple[str, ...] = TLDS,
) -> list[str]:
    """The ``nr`` names for ``day`` with the given index separator, suffix and TLDs."""
    prefix = f"{day.day}-{day.month}-{day.year}{separator}"
    names: list[str] = []
    for i in range(nr):
        digest = hashlib.sha256(f"{prefix}{i}{suffix}".encode("ascii")).hexdigest()
        label = digest[3:19].translate(_DIGIT_MAP)
        tld_index = int(digest[-1], 16)
        tld = tlds[tld_index] if tld_index < len(tlds) else tlds[0]
        names.append(f"{label}.{tld}")
    return names


def _variant(version: str, active_from: dt.date, period_source: str) -> Variant:
    separator, nr, suffix, tlds = VERSIONS[version]
    params = [("separator", separator), ("nr", str(nr))]
    if suffix:
        params.append(("suffix", suffix))
    return Variant(
        family="padcrypt",
        name=version,
        summary=f"PadCrypt {version}: {nr} names per UTC day",
        active_from=active_from,
        active_until=None,
        domains_per_day=nr,
        tlds=tlds,
        generator=partial(generate, separator=separator, nr=nr, suffix=suffix, tlds=tlds),
        period_days=1,
        parameters=tuple(params),
        # 16 hex digits with 0-9 mapped to letters: a-f plus k, l, m, n, o.
        signature=Signature("abcdefklmno", 16, 16),
        period_source=period_source,
    )


FAMILY = Family(
    name="padcrypt",
    summary="PadCrypt ransomware (2016-2017): SHA-256 of the date, 24 or 72 names/day",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2016/03/the-dga-of-padcrypt/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/padcrypt",
        "http://www.bleepingcomputer.com/news/security/padcrypt-the-first-ransomware-with-live-support-chat-and-an-uninstaller/",
        "http://www.bleepingcomputer.com/news/security/the-padcrypt-ransomware-is-still-alive-and-kicking/",
        "https://twitter.com/BleepinComputer/status/705813885673201665",
    ),
    variants=(
        _variant("2.2.86.1", dt.date(2016, 2, 1), "estimate: BleepingComputer, late Feb 2016"),
        _variant("2.2.97.0", dt.date(2016, 3, 4), "BleepingComputer tweet, 2016-03-04"),
        _variant("11.37.0.0", dt.date(2017, 5, 17), "360netlab/DGA issue #34 sandbox run"),
    ),
)
