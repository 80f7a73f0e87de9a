"""Nymaim, second DGA (April 2018 onwards): two English words and one of 74 TLDs.

Generator type: wordlist, driven by a chain of MD5 hex digests. The sample's seed string is
hashed once; for a day it hashes ``<that hex digest><yy><d>``, where ``yy`` is the year mod
100 and ``d`` a zero-based day of the year, without padding. Each draw reads the first
eight hex digits of the current digest as a number and then replaces the digest with the
MD5 of its own hex text from the eighth digit on. A name takes four draws: first word
(2,450 entries), separator (``-`` or nothing), second word (4,387 entries), TLD (a 74-entry
list in which com and net appear several times, so they are drawn more often).
Seeding: time-dependent. On each day the sample walks back over the last eleven days,
``d`` = today's day of the year, then one less, ... down to ten less, 64 names each; the
year stays the current one, so early in January ``d`` goes negative (``yy-3``), exactly as
the reference writes it. A name thus recurs on eleven consecutive days.
Names per day: 704 (11 x 64). The sample also tries hard-coded names of the same shape
first; they are not published and not listed here.
Word lists and TLDs are data files (``data/nymaim2_*.txt``, with provenance).
Active period: "this month a new version of Nymaim appeared" in the write-up of April 2018
(its example names are those of 2018-04-27), so 2018-04-01; no end date is known.

References:
- https://bin.re/blog/the-new-domain-generation-algorithm-of-nymaim/
- https://github.com/baderj/domain_generation_algorithms/tree/master/nymaim2
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SEED = "3138C81ED54AD5F8E905555A6623C9C9"
DAYS_BACK = 10
NAMES_PER_DAY_BLOCK = 64
DOMAINS_PER_DAY = (DAYS_BACK + 1) * NAMES_PER_DAY_BLOCK
SEPARATORS = ("-", "")


@cache
def words(kind: str) -> tuple[str, ...]:
    """The sample's list ``firstword``, ``secondword`` or ``tld`` (in order, duplicates kept)."""
    text = resources.files("dgawatch.families").joinpath(f"data/nymaim2_{kind}.txt")
    lines = (line.strip() for line in text.read_text("ascii").splitlines())
    return tuple(w for w in lines if w and not w.startswith("#"))


def _md5hex(text: str) -> str:
    return hashlib.md5(text.encode("ascii")).hexdigest()


@lru_cache(maxsize=64)
def _block(seed: str, yy: int, yday: int) -> tuple[str, ...]:
    """The 64 names of one (year, day-of-year) seed; ``yday`` may be negative."""
    first, second, tlds = words("firstword"), words("secondword"), words("tld")
    digest = _md5hex(f"{_md5hex(seed)}{yy}{yday}")

    def draw() -> int:
        nonlocal digest
        value = int(digest[:8], 16)
        digest = _md5hex(digest[7:])
        return value

    out = []
    for _ in range(NAMES_PER_DAY_BLOCK):
        a = first[draw() % len(first)]
        sep = SEPARATORS[draw() % len(SEPARATORS)]
        b = second[draw() % len(second)]
        out.append(f"{a}{sep}{b}.{tlds[draw() % len(tlds)]}")
    return tuple(out)


def generate(day: dt.date, seed: str = SEED) -> list[str]:
    """The 704 names tried on ``day``: today's 64, then those of each of the ten days before."""
    yy = day.year % 100
    yday = day.timetuple().tm_yday - 1
    out: list[str] = []
    for back in range(DAYS_BACK + 1):
        out += _block(seed, yy, yday - back)
    return out


FAMILY = Family(
    name="nymaim2",
    summary="Nymaim second DGA (2018-): 704 word-pair names a day over an eleven-day window",
    generator_type="wordlist",
    time_seeded=True,
    references=(
        "https://bin.re/blog/the-new-domain-generation-algorithm-of-nymaim/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/nymaim2",
    ),
    variants=(
        Variant(
            family="nymaim2",
            name="default",
            summary="The analysed April 2018 sample: 11 days x 64 names, 74 TLDs",
            active_from=dt.date(2018, 4, 1),
            active_until=None,
            domains_per_day=DOMAINS_PER_DAY,
            tlds=tuple(dict.fromkeys(words("tld"))),
            generator=generate,
            period_days=1,
            parameters=(("seed", SEED), ("days_back", str(DAYS_BACK))),
            signature=Signature("abcdefghijklmnopqrstuvwxyz-", 8, 34),
            period_source=(
                "write-up 'The new Domain Generation Algorithm of Nymaim' (bin.re, April 2018): "
                "'this month a new version of Nymaim appeared'"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the seed string (32 upper-case hex digits, like the published one; not
    it) and the run day (from the variant's first day to ``_reseed.LAST_DAY``); the first
    ``per_build`` of that day's 704 names (today's 64 first, then the days before).
    """
    first = FAMILY.variants[0].active_from
    hex_upper = "0123456789ABCDEF"

    def build() -> list[str]:
        seed = _reseed.text(rng, hex_upper, 32, 32, (SEED,))
        return generate(_reseed.day(rng, first), seed)[:per_build]

    return _reseed.collect(builds, build)
