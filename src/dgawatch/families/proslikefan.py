"""Proslikefan (JavaScript worm) rendezvous domains.

Generator type: hash (a 32-bit Java/JavaScript-style string hash, ``h = 31 h + c``).
Seeding: time-dependent (calendar date) plus a magic string; a new list every day.
For counter ``i`` (0-9) and each TLD of the sample, in order: the seed string is
``"<magic>.<month>.<day>.<year>.<tld>"`` (numbers without leading zeros) and
``r = |hash(seed string)| + i``; letters are added while the label is shorter than
``r % 7 + 6`` (``r`` the latest value, so 6-12 letters), each found by
``r = |hash(label so far + decimal r)|`` and taking letter ``r % 26``.
Names per day: 10 per TLD (100 for ``prospect``, 30 for ``ok``). Hash values are signed
32-bit; ``|-2**31|`` is 2**31, as in JavaScript's ``Math.abs``.

Presets:
- ``prospect``: magic "prospect", TLDs eu biz se info com net org ru in name (the sample of
  the Proslikefan write-up, June 2016).
- ``ok`` (alias ``unnamed_javascript_dga``): magic "OK", TLDs cc co eu, the "JavaScript based
  DGA" published in November 2015 that later turned out to be Proslikefan (the reference's
  ``unnamed_javascript_dga/README.txt``); the family answers to that name too.

Active period: earliest public evidence per preset, the write-up of its sample; open end.

References:
- https://johannesbader.ch/2016/06/proslikefan/
- https://johannesbader.ch/2015/11/a-javascript-based-dga/
- https://github.com/baderj/domain_generation_algorithms/tree/master/proslikefan
- https://github.com/baderj/domain_generation_algorithms/tree/master/unnamed_javascript_dga
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

PROSPECT_TLDS = ("eu", "biz", "se", "info", "com", "net", "org", "ru", "in", "name")
OK_TLDS = ("cc", "co", "eu")
ROUNDS = 10
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _abs_hash(text: str) -> int:
    """|h| of the signed 32-bit string hash h = 31 h + c."""
    h = 0
    for ch in text:
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return h if h < 0x80000000 else 0x100000000 - h


def generate(day: dt.date, magic: str, tlds: tuple[str, ...]) -> list[str]:
    """The day's names for a magic string and TLD list (rounds outer, TLDs inner)."""
    out: list[str] = []
    date_part = f"{day.month}.{day.day}.{day.year}"
    bases = [_abs_hash(f"{magic}.{date_part}.{tld}") for tld in tlds]
    for i in range(ROUNDS):
        for base, tld in zip(bases, tlds, strict=True):
            r = base + i
            label = ""
            label_hash = 0  # hash(label), extended letter by letter
            while len(label) < r % 7 + 6:
                h = label_hash
                for ch in str(r):  # hash(label + str(r)) continues hash(label)
                    h = (h * 31 + ord(ch)) & 0xFFFFFFFF
                r = h if h < 0x80000000 else 0x100000000 - h
                letter = _LETTERS[r % 26]
                label += letter
                label_hash = (label_hash * 31 + ord(letter)) & 0xFFFFFFFF
            out.append(f"{label}.{tld}")
    return out


def _variant(
    name: str,
    magic: str,
    tlds: tuple[str, ...],
    summary: str,
    active_from: dt.date,
    period_source: str,
    aliases: tuple[str, ...] = (),
) -> Variant:
    def daily(day: dt.date) -> list[str]:
        return generate(day, magic, tlds)

    return Variant(
        family="proslikefan",
        name=name,
        summary=summary,
        active_from=active_from,
        active_until=None,
        domains_per_day=ROUNDS * len(tlds),
        tlds=tlds,
        generator=daily,
        period_days=1,
        aliases=aliases,
        parameters=(("magic", magic), ("tlds", " ".join(tlds))),
        signature=Signature(alphabet=_LETTERS, min_len=6, max_len=12),
        period_source=period_source,
    )


FAMILY = Family(
    name="proslikefan",
    summary="Proslikefan JS worm: 6-12 letter names from a string hash of magic+date+TLD",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/2016/06/proslikefan/",
        "https://johannesbader.ch/2015/11/a-javascript-based-dga/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/proslikefan",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/unnamed_javascript_dga",
    ),
    variants=(
        _variant(
            "prospect",
            "prospect",
            PROSPECT_TLDS,
            "Magic 'prospect', 10 TLDs, 100 names/day",
            dt.date(2016, 6, 17),
            "write-up of the sample: johannesbader.ch/2016/06/proslikefan (reimplementation "
            "committed 2016-06-17); no end documented",
        ),
        _variant(
            "ok",
            "OK",
            OK_TLDS,
            "Magic 'OK', cc/co/eu, 30 names/day (the 'unnamed JavaScript DGA')",
            dt.date(2015, 11, 26),
            "write-up of the sample: johannesbader.ch/2015/11/a-javascript-based-dga "
            "(reimplementation committed 2015-11-26); no end documented",
            aliases=("unnamed_javascript_dga", "javascript"),
        ),
    ),
    aliases=("unnamed_javascript_dga",),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the magic string (2-10 letters of either case, like ``prospect`` and
    ``OK``; never a published one), the TLD list of a published sample (``prospect``'s 10
    or ``ok``'s 3) and the run day (from the earliest variant's first day to
    ``_reseed.LAST_DAY``); up to ``per_build`` of that day's 30-100 names, spread over them.
    """
    first = min(v.active_from for v in FAMILY.variants)
    letters = _reseed.LOWER + _reseed.LOWER.upper()
    published = {dict(v.parameters)["magic"] for v in FAMILY.variants}

    def build() -> list[str]:
        magic = _reseed.text(rng, letters, 2, 10, published)
        tlds = _reseed.pick(rng, (PROSPECT_TLDS, OK_TLDS))
        return _reseed.sample(rng, generate(_reseed.day(rng, first), magic, tlds), per_build)

    return _reseed.collect(builds, build)
