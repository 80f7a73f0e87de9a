"""Fosniw downloader rendezvous names.

Generator type: arithmetic (a counter): the sample tries one fixed host name pattern with
the numbers 0 to 100 appended to its base word, ``appx.koreasys<i>.com`` or
``app2.winsoft<i>.com``.
Seeding: none (not time-dependent); the pattern is the sample's configuration. Two patterns
are published, one variant each.
Names per list: 101. The malware queries the host ``appx.``/``app2.`` below the registered
domain; the forecast lists the registered domains (``koreasys<i>.com``), which is what a
defender blocks or sinkholes and what lookup matches a query for the host against
(:func:`queried_names` gives the full host names).
TLDs: com.
Active period: the earliest public evidence we found is the reimplementation of the
analysed samples, committed 2020-06-25 (the family is older, but we have no dated source);
no end date is known.

Classifier reseeding: no ``reseed`` hook: no seed, a fixed host pattern with a counter;
new base words would be inventions.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/fosniw
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from dgawatch.families.base import Family, Signature, Variant

COUNT = 101
#: preset -> (host label, base word of the registered domain)
PATTERNS: dict[str, tuple[str, str]] = {
    "koreasys": ("appx", "koreasys"),
    "winsoft": ("app2", "winsoft"),
}


def queried_names(preset: str) -> list[str]:
    """The host names the sample queries, in its order (counter 0..100)."""
    host, word = PATTERNS[preset]
    return [f"{host}.{word}{i}.com" for i in range(COUNT)]


@cache
def registered_names(preset: str) -> tuple[str, ...]:
    """The registered domains below which those hosts live, same order."""
    return tuple(name.partition(".")[2] for name in queried_names(preset))


def _variant(preset: str) -> Variant:
    host, word = PATTERNS[preset]
    return Variant(
        family="fosniw",
        name=preset,
        summary=f"Pattern {host}.{word}<0..100>.com (forecast: {word}<0..100>.com)",
        active_from=dt.date(2020, 6, 25),
        active_until=None,
        domains_per_day=COUNT,
        tlds=("com",),
        generator=lambda day: list(registered_names(preset)),
        period_days=0,
        parameters=(("pattern", f"{host}.{word}{{0..100}}.com"),),
        signature=Signature(
            "".join(sorted(set(word))) + "0123456789", len(word) + 1, len(word) + 3
        ),
        period_source=(
            "earliest public evidence found: reimplementation of the samples, "
            "baderj/domain_generation_algorithms commit 2fb4d1e, 2020-06-25"
        ),
    )


FAMILY = Family(
    name="fosniw",
    summary="Fosniw: a fixed host pattern with a counter 0-100 (koreasys / winsoft)",
    generator_type="arithmetic",
    time_seeded=False,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/fosniw",),
    variants=tuple(_variant(p) for p in PATTERNS),
)
