"""SharkBot (Android banking trojan) rendezvous domains.

Generator type: hash. Seeding: time-dependent, the week number (ISO 8601 week, as the
reference computes it; the Java sample uses its locale's ``WEEK_OF_YEAR``, so a device
with a US locale may switch a day earlier) and, in some versions, the calendar year (not the
ISO year: on 2024-12-30, ISO week 1, the year is 2024).
One name per TLD, in the version's TLD order, per week:

- ``v2.8``: label = first 16 hex digits of MD5(``<.tld><week><year>``).
- ``v2.1``: label = first 16 hex digits of MD5(``<.tld><week>``) (the year the sample
  appends after the digest never reaches the label, so lists repeat every year).
- ``v1.63``: label = first 19 characters, lower-cased, of Base64(``<week + year>`` followed
  by ``pojBI9LHGFdfgegjjsJ99hvVGHVOjhksdf``); the same label under every TLD.
- ``v0.0``: as v1.63 with ``<week>`` alone (repeats every year).

Names per week: 7. TLDs: v0.0/v1.63 top xyz cc info com ru net; v2.1/v2.8 xyz live com
store info top net. A new list every Monday (and on 1 January for v1.63/v2.8):
``period_days`` is 7.

Active period: SharkBot was first reported by Cleafy, who discovered it at the end of
October 2021: ``active_from`` 2021-10-01 (estimate, month of discovery) for v0.0, v1.63
and v2.1, whose own first dates are not published; v2.8's DGA was published on
2022-05-14 (reference commit 1964e64). No end is documented.

References:
- Cleafy Labs, "SharkBot: a new generation of Android Trojan is targeting banks in
  Europe", 2021
- https://github.com/baderj/domain_generation_algorithms/tree/master/sharkbot
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

TLDS_OLD = ("top", "xyz", "cc", "info", "com", "ru", "net")
TLDS_NEW = ("xyz", "live", "com", "store", "info", "top", "net")
_SALT = "pojBI9LHGFdfgegjjsJ99hvVGHVOjhksdf"
VERSIONS = ("0.0", "1.63", "2.1", "2.8")
_HEX = "0123456789abcdef"
_B64_LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"  # "+" and "/" never occur (see tests)


def _b64_label(text: str) -> str:
    return base64.b64encode(text.encode("ascii"))[:19].decode("ascii").lower()


def generate(day: dt.date, version: str, salt: str = _SALT) -> list[str]:
    """The 7 names of ``version`` for the week holding ``day`` (``salt``: v0.0/v1.63)."""
    week = day.isocalendar()[1]
    year = day.year
    if version == "2.8":
        return [
            hashlib.md5(f".{t}{week}{year}".encode("ascii")).hexdigest()[:16] + f".{t}"
            for t in TLDS_NEW
        ]
    if version == "2.1":
        return [
            hashlib.md5(f".{t}{week}".encode("ascii")).hexdigest()[:16] + f".{t}" for t in TLDS_NEW
        ]
    if version == "1.63":
        label = _b64_label(f"{week + year}{salt}")
    elif version == "0.0":
        label = _b64_label(f"{week}{salt}")
    else:
        raise ValueError(f"unknown sharkbot version {version!r} (known: {VERSIONS})")
    return [f"{label}.{t}" for t in TLDS_OLD]


def _variant(version: str, summary: str, active_from: dt.date, period_source: str) -> Variant:
    hex_label = version in ("2.1", "2.8")

    def weekly(day: dt.date) -> list[str]:
        return generate(day, version)

    return Variant(
        family="sharkbot",
        name=f"v{version}",
        summary=summary,
        active_from=active_from,
        active_until=None,
        domains_per_day=7,
        tlds=TLDS_NEW if hex_label else TLDS_OLD,
        generator=weekly,
        period_days=7,
        parameters=(("version", version),) if hex_label else (("salt", _SALT),),
        signature=Signature(alphabet=_HEX, min_len=16, max_len=16)
        if hex_label
        else Signature(alphabet=_B64_LOWER, min_len=19, max_len=19),
        period_source=period_source,
    )


_CLEAFY = (
    "estimate: SharkBot first reported by Cleafy, discovered end of October 2021; this "
    "version's own first date not published; no end documented"
)

FAMILY = Family(
    name="sharkbot",
    summary="SharkBot (Android): 7 names a week from MD5 or Base64 of week (+year)",
    generator_type="hash",
    time_seeded=True,
    references=(
        "Cleafy Labs, 'SharkBot: a new generation of Android Trojan is targeting banks in "
        "Europe', 2021",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/sharkbot",
    ),
    variants=(
        _variant(
            "0.0", "Base64 of week + salt, 19 chars, old TLD set", dt.date(2021, 10, 1), _CLEAFY
        ),
        _variant(
            "1.63",
            "Base64 of week+year + salt, 19 chars, old TLD set",
            dt.date(2021, 10, 1),
            _CLEAFY,
        ),
        _variant("2.1", "MD5 of TLD + week, 16 hex digits", dt.date(2021, 10, 1), _CLEAFY),
        _variant(
            "2.8",
            "MD5 of TLD + week + year, 16 hex digits",
            dt.date(2022, 5, 14),
            "DGA of version 2.8 first published 2022-05-14 (baderj commit 1964e64); "
            "no end documented",
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the salt of the Base64 versions v0.0 and v1.63 (34 letters of either
    case and digits, like the published one; not it), one of those two versions, and the
    run day (from 2021-10-01 to ``_reseed.LAST_DAY``); the week's 7 names (one label), up to
    ``per_build``. v2.1 and v2.8 hash only the TLD, week and year: no seed to draw.
    """
    first = FAMILY.variant("v0.0").active_from

    def build() -> list[str]:
        salt = _reseed.text(rng, _reseed.ALNUM, 34, 34, (_SALT,))
        version = _reseed.pick(rng, ("0.0", "1.63"))
        return generate(_reseed.day(rng, first), version, salt)[:per_build]

    return _reseed.collect(builds, build)
