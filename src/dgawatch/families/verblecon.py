"""Verblecon (loader) rendezvous domain: one MD5 name under .tk per day.

Generator type: hash. Seeding: time-dependent (calendar date) plus a seed string of the
sample ("verble"); the label is the 32 hex digits of MD5(``YYYY-MM-DD`` + seed).
Names per day: 1. TLD: tk.

Active period: Verblecon was first reported by Symantec's Threat Hunter Team in January 2022
("Verblecon: Sophisticated New Loader Used in Low-level Attacks"); ``active_from`` is
2022-01-01 (estimate: the month of that report; the samples were active before). No end is
documented.

References:
- Symantec Threat Hunter Team, "Verblecon: Sophisticated New Loader Used in Low-level
  Attacks", Symantec Enterprise Blogs, January 2022
- https://github.com/baderj/domain_generation_algorithms/tree/master/verblecon
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SEED = "verble"
TLD = "tk"


def generate(day: dt.date, seed: str = SEED) -> list[str]:
    """The day's one name for ``seed``."""
    label = hashlib.md5(f"{day.isoformat()}{seed}".encode("ascii")).hexdigest()
    return [f"{label}.{TLD}"]


def _daily(day: dt.date) -> list[str]:
    return generate(day)


def _blob(day: dt.date) -> bytes:
    return hashlib.md5(f"{day.isoformat()}{SEED}".encode("ascii")).hexdigest().encode() + b".tk\n"


FAMILY = Family(
    name="verblecon",
    summary="Verblecon: one .tk name a day, MD5 hex of date + seed",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/verblecon",
        "Symantec Threat Hunter Team, 'Verblecon: Sophisticated New Loader Used in "
        "Low-level Attacks', January 2022",
    ),
    variants=(
        Variant(
            family="verblecon",
            name="default",
            summary="Seed 'verble', one name per UTC day",
            active_from=dt.date(2022, 1, 1),
            active_until=None,
            domains_per_day=1,
            tlds=(TLD,),
            generator=_daily,
            period_days=1,
            parameters=(("seed", SEED),),
            blob_generator=_blob,
            signature=Signature(alphabet="0123456789abcdef", min_len=32, max_len=32),
            period_source=(
                "estimate: month of Symantec's first report (Threat Hunter Team, January "
                "2022); no end documented"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the seed string (4-10 lower-case letters, like ``verble``; not it) and
    the run day (from the variant's first day to ``_reseed.LAST_DAY``): one name a build.
    """
    first = FAMILY.variants[0].active_from
    return _reseed.collect(
        builds,
        lambda: generate(_reseed.day(rng, first), _reseed.text(rng, _reseed.LOWER, 4, 10, (SEED,))),
    )
