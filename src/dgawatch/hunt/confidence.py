"""How sure a finding is: the chance that a benign client hits its DGA names by accident.

A pure function of a finding's distinct names, so both engines (local and Spark) give the
same number for the same input. The model (README "Hunt", "Confidence"):

* A benign client looks up at most :data:`BENIGN_NAMES_PER_DAY` distinct names a day, and
  every one of them is assumed to have the *shape* of the matched DGA name (same label
  length, alphabet and suffix): the most a benign client can offer to chance (conservative).
* A DGA name of label length ``L`` over an alphabet of ``A`` characters is one of ``A**L``
  possible labels under its suffix; the variant's lists of the matched window put
  ``m = domains_per_day * (2 * window_days + 1) / suffixes`` names under each suffix (one
  day's list for variants that are not time-seeded). A benign name of that shape lands on
  the lists with probability ``m / A**L``: about 1 in 350 for a 4-letter Conficker C name
  (a 4-letter name is very likely somebody's real domain), 1 in 4 billion for 9 letters.
* The expected number of chance collisions for one matched name, over the ``d`` days the
  client was seen hitting the family, is ``lam = K * d * m / A**L``, times
  :data:`NXDOMAIN_FACTOR` when the name was answered NXDOMAIN (a legitimate name that
  happens to be on a list exists and resolves; most DGA names do not).
* For ``n`` distinct names the chance of ``n`` such accidents is at most
  ``lam_1 * ... * lam_n / n!`` (the Poisson tail bound); the reported ``chance`` is the
  smallest such bound over the strongest names first (so adding a name never lowers the
  confidence), capped at 1. ``confidence = 1 - chance``; ``score = -log10(chance)``
  keeps ranking findings whose confidence rounds to 1.

So one query of a 4-letter Conficker C name scores 0, a host asking for dozens of one
day's C names is certain, and NXDOMAIN answers raise the confidence.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

#: Distinct names a benign client is assumed to look up per day (all of the DGA's shape).
BENIGN_NAMES_PER_DAY = 10_000
#: How much less likely a chance collision with a legitimate name is to be NXDOMAIN.
NXDOMAIN_FACTOR = 0.1
#: Scores are capped here (chance 1e-300) to stay finite and printable.
MAX_SCORE = 300.0


@dataclass(frozen=True)
class ListShape:
    """What the confidence needs to know about a variant's lists."""

    domains_per_day: int
    suffixes: int
    time_seeded: bool = True


def alphabet_size(label: str) -> int:
    """26 for letters only; 36 with digits; one more with hyphens."""
    size = 26
    if any(ch.isdigit() for ch in label):
        size = 36
    if "-" in label:
        size += 1
    return size


#: A group of a finding's distinct names: (label length, alphabet size, NXDOMAIN, count).
NameShape = tuple[int, int, bool, int]


def name_shapes(names: Iterable[tuple[str, bool]]) -> list[NameShape]:
    """Group distinct ``(domain, nxdomain)`` names by what the chance model looks at."""
    counts: Counter[tuple[int, int, bool]] = Counter()
    for domain, nx in names:
        label = domain.split(".", 1)[0]
        counts[(len(label), alphabet_size(label), bool(nx))] += 1
    return [(length, alpha, nx, n) for (length, alpha, nx), n in counts.items()]


def log10_lambda(
    label_length: int, alphabet: int, nxdomain: bool, shape: ListShape, window_days: int, days: int
) -> float:
    """log10 of the expected number of chance collisions of one benign client, seen on
    ``days`` days, with names of one shape of this variant's lists."""
    span = 2 * window_days + 1 if shape.time_seeded else 1
    per_suffix = max(1.0, shape.domains_per_day * span / max(1, shape.suffixes))
    lam = math.log10(BENIGN_NAMES_PER_DAY * max(1, days) * per_suffix)
    lam -= label_length * math.log10(alphabet)
    return lam + (math.log10(NXDOMAIN_FACTOR) if nxdomain else 0.0)


def chance_log10(
    shapes: Iterable[NameShape], shape: ListShape, window_days: int, days: int
) -> float:
    """log10 of the chance bound: min over k of log10(prod of the k smallest lam / k!).

    Names of one shape share one lam; along such a run the partial sums are concave in
    the run length (each step adds ``lam - log10(k)``, which shrinks), so the minimum over
    the run is at one of its ends: O(shapes), not O(names)."""
    runs: Counter[float] = Counter()
    for length, alpha, nx, count in shapes:
        if count > 0:
            runs[log10_lambda(length, alpha, nx, shape, window_days, days)] += count
    best = 0.0
    total = 0.0
    k = 0
    for lam in sorted(runs):
        c = runs[lam]
        total += c * lam - (math.lgamma(k + c + 1) - math.lgamma(k + 1)) / math.log(10)
        k += c
        best = min(best, total)
    return max(best, -MAX_SCORE)


def confidence(
    shapes: Iterable[NameShape], shape: ListShape, window_days: int, days: int
) -> tuple[float, float]:
    """``(confidence, score)`` of a finding: ``1 - chance`` and ``-log10(chance)``, both
    rounded (6 and 3 decimals) so that every engine prints the same values."""
    log_chance = chance_log10(shapes, shape, window_days, days)
    return round(1.0 - 10.0**log_chance, 6), round(-log_chance, 3) + 0.0
