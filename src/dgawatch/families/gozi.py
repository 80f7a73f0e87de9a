"""Gozi ISFB (a.k.a. Ursnif, Snifula, Papras) rendezvous domains, built from word lists.

Generator type: wordlist (names are concatenated words, or word halves, of a text embedded
in the sample: Luther's 95 theses, RFC 4343, a NASA press release, the GNU GPL).
Seeding: time-dependent. The seed is ``(flag << 16) + d - 306607824`` (32-bit) where
``d = (day - 2015-01-01) // div`` counts whole periods of ``div`` days since 2015-01-01, so a
list stays valid for ``div`` days (``period_days = div``, periods aligned on 2015-01-01).
The generator is the LCG ``r <- 1664525 r + 1013904223 mod 2**32``.

For each name: skip one draw, draw a target length ``12 + r % 12``; then, until the label is
at least that long, draw a word index ``r % len(words)`` and a coin ``r % 3`` (0 halves the
word: its first ``len // 2`` letters), appending the piece only while the label stays at
most 24 letters.

Names per period: 12. TLDs: ``.com`` (luther, rfc4343, nasa), ``.ru`` (gpl).
Presets (word list, div, TLD): luther (4, com), rfc4343 (3, com), nasa (5, com),
gpl (5, ru); ``flag`` is 1 in all published samples.

Active period: the GovCERT.ch write-up describes 2015-2016 samples; the day counter starts
at 2015-01-01, used as ``active_from`` (earliest date the reference implies).
``active_until`` is open. The ground-truth list is the luther preset for 2016-03-28..31
(period 113).

References:
- http://www.govcert.admin.ch/blog/18/gozi-isfb-when-a-bug-really-is-a-feature
- https://github.com/baderj/domain_generation_algorithms/tree/master/gozi
"""

from __future__ import annotations

import datetime as dt
import string
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

M32 = 0xFFFFFFFF
EPOCH = dt.date(2015, 1, 1)
NAMES_PER_PERIOD = 12

#: word list -> (div, tld)
PRESETS: dict[str, tuple[int, str]] = {
    "luther": (4, "com"),
    "rfc4343": (3, "com"),
    "nasa": (5, "com"),
    "gpl": (5, "ru"),
}


@cache
def words(wordlist: str) -> tuple[str, ...]:
    """The embedded word list ``wordlist`` (one of ``PRESETS``), in the sample's order."""
    text = resources.files("dgawatch.families").joinpath(f"data/gozi_{wordlist}.txt")
    return tuple(w for w in (line.strip() for line in text.read_text("ascii").splitlines()) if w)


def generate_from_words(
    period: int, word_list: tuple[str, ...], tld: str, flag: int = 1, nr: int = NAMES_PER_PERIOD
) -> list[str]:
    """``nr`` names for period number ``period`` (periods since 2015-01-01) and a word list."""
    r = ((flag << 16) + period - 306607824) & M32
    count = len(word_list)
    out: list[str] = []
    for _ in range(nr):
        r = (1664525 * r + 1013904223) & M32  # skipped draw
        r = (1664525 * r + 1013904223) & M32
        length = r % 12 + 12
        label = ""
        while len(label) < length:
            r = (1664525 * r + 1013904223) & M32
            word = word_list[r % count]
            size = len(word)
            r = (1664525 * r + 1013904223) & M32
            if r % 3 == 0:
                size >>= 1
            if len(label) + size <= 24:
                label += word[:size]
        out.append(f"{label}.{tld}")
    return out


def generate(
    day: dt.date, wordlist: str = "luther", flag: int = 1, nr: int = NAMES_PER_PERIOD
) -> list[str]:
    """The names of ``day`` for one published word-list preset."""
    div, tld = PRESETS[wordlist]
    period = (day - EPOCH).days // div
    return generate_from_words(period, words(wordlist), tld, flag, nr)


def _variant(wordlist: str) -> Variant:
    div, tld = PRESETS[wordlist]

    def generator(day: dt.date) -> list[str]:
        return generate(day, wordlist)

    return Variant(
        family="gozi",
        name=wordlist,
        summary=f"Gozi ISFB with the {wordlist} word list: 12 .{tld} names every {div} days",
        active_from=EPOCH,
        active_until=None,
        period_source=(
            "estimate: the epoch of the day counter, 2015-01-01; the GovCERT.ch write-up "
            "(gozi-isfb-when-a-bug-really-is-a-feature) describes 2015-2016 samples"
        ),
        domains_per_day=NAMES_PER_PERIOD,
        tlds=(tld,),
        # Lower-case words are added until 12..23 letters are reached, never past 24.
        signature=Signature(string.ascii_lowercase, 12, 24),
        generator=generator,
        period_days=div,
        parameters=(("wordlist", wordlist), ("div", str(div)), ("flag", "1"), ("tld", tld)),
    )


FAMILY = Family(
    name="gozi",
    aliases=("ursnif", "snifula", "papras", "isfb"),
    summary="Gozi ISFB: 12 names per period from words of an embedded text",
    generator_type="wordlist",
    time_seeded=True,
    references=(
        "http://www.govcert.admin.ch/blog/18/gozi-isfb-when-a-bug-really-is-a-feature",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/gozi",
    ),
    variants=tuple(_variant(w) for w in PRESETS),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 16-bit ``flag`` above the period counter (1 in every published
    sample) and which of the four bundled texts, plus the day. New texts cannot be invented,
    so these names add periods, not vocabulary.
    """

    def build() -> list[str]:
        wordlist = _reseed.pick(rng, sorted(PRESETS))
        div, tld = PRESETS[wordlist]
        flag = _reseed.integer(rng, 0, 1 << 16, (1,))
        period = (_reseed.day(rng, EPOCH) - EPOCH).days // div
        nr = min(per_build, NAMES_PER_PERIOD)
        return generate_from_words(period, words(wordlist), tld, flag, nr)

    return _reseed.collect(builds, build)
