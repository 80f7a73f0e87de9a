"""The "unnamed downloader" of 2016: permutations of a hard-coded seed under github.io.

Generator type: permutation. Seeding: a hard-coded string ("ddktn" in the analysed
sample, MD5 e66e3879700f88182bd92c7d3a00e9e4); not time-dependent. The malware sorts the
seed's letters and walks through all their permutations in lexicographical order, each
giving the GitHub Pages host ``<permutation>.github.io`` (it then fetches
``/c2/config.dat`` there). "ddktn" has two equal letters, so there are 5!/2 = 60 distinct
permutations: 60 names, the same every day.

The reference enumerates positions rather than letters (Python's ``itertools``) and so
prints each of the 60 names twice (120 lines); the distinct names, in first-seen order,
are exactly the lexicographical order the reference's own comment describes, and that
is the list here.

TLD: the names are one label under ``github.io`` (a shared hosting suffix: the forecast
names are per-user GitHub Pages sites, which the attacker would have to claim).
Active period: the sample's VirusTotal analysis is dated 2016-08-17 (analysis id
1471447632 in the reference's link), the earliest public evidence; no end is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/unnamed_downloader
- https://virustotal.com/en/file/0f3af9d2d7ca113704f4411185518ab41a63e8003b7e06ff21f805f11af50ab7/analysis/1471447632/
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SEED = "ddktn"
SUFFIX = "github.io"


def permutations_in_order(seed: str) -> list[str]:
    """The distinct permutations of ``seed``'s letters in lexicographical order (the
    successor walk of C++'s ``next_permutation`` from the sorted string)."""
    current = sorted(seed)
    out = ["".join(current)]
    while True:
        # rightmost i with current[i] < current[i + 1]
        i = len(current) - 2
        while i >= 0 and current[i] >= current[i + 1]:
            i -= 1
        if i < 0:
            return out
        j = len(current) - 1
        while current[j] <= current[i]:
            j -= 1
        current[i], current[j] = current[j], current[i]
        current[i + 1 :] = reversed(current[i + 1 :])
        out.append("".join(current))


def generate(seed: str = SEED) -> list[str]:
    return [f"{p}.{SUFFIX}" for p in permutations_in_order(seed)]


_NAMES = tuple(generate())


def _static(day: dt.date) -> list[str]:
    return list(_NAMES)


FAMILY = Family(
    name="unnamed_downloader",
    summary="Unnamed downloader (2016): the 60 permutations of 'ddktn' under github.io",
    generator_type="permutation",
    time_seeded=False,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/unnamed_downloader",
        "https://virustotal.com/en/file/0f3af9d2d7ca113704f4411185518ab41a63e8003b7e06ff21f805f11af50ab7/analysis/1471447632/",
    ),
    variants=(
        Variant(
            family="unnamed_downloader",
            name="ddktn",
            summary="Seed 'ddktn' (sample MD5 e66e3879700f88182bd92c7d3a00e9e4), 60 names",
            active_from=dt.date(2016, 8, 17),
            active_until=None,
            domains_per_day=len(_NAMES),
            tlds=(SUFFIX,),
            generator=_static,
            period_days=0,
            parameters=(("seed", SEED), ("suffix", SUFFIX)),
            signature=Signature(alphabet="dknt", min_len=5, max_len=5),
            period_source=(
                "VirusTotal analysis of the sample dated 2016-08-17 (analysis id 1471447632, "
                "linked from the reference); no end known"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the seed word (5 lower-case letters, like ``ddktn``; never a
    rearrangement of it, which would give the same list): its 5-120 permutations under
    ``github.io``, up to ``per_build`` of them, spread over the walk (no day: static).
    """

    def build() -> list[str]:
        seed = _reseed.text(rng, _reseed.LOWER, 5, 5)
        while sorted(seed) == sorted(SEED):
            seed = _reseed.text(rng, _reseed.LOWER, 5, 5)
        return _reseed.sample(rng, generate(seed), per_build)

    return _reseed.collect(builds, build)
