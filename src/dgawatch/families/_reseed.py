"""Helpers for the families' ``reseed`` hooks (training names for the classifier).

A family module may define ``reseed(rng, builds, per_build) -> list[str]``: the names of
``builds`` random new builds of the family, drawn from a NumPy ``Generator``, by the
module's own generator with new parameters (:mod:`dgawatch.classify.seeds` finds the hooks
and documents the contract). This module holds what the hooks share: drawing a value that
is not a published one, a string, a run day, and collecting the builds' names.

It is a helper (its name starts with ``_``), not a family. NumPy is imported only by the
caller: the hooks run when the classifier is trained, never when a family forecasts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

#: End of the draw for families with an open active period (``seeds.LAST_DAY``).
LAST_DAY = dt.date(2026, 12, 31)
U32 = 1 << 32
LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + LOWER.upper() + "0123456789"
HEX = "0123456789abcdef"

_T = TypeVar("_T")


def integer(rng: np.random.Generator, low: int, high: int, exclude: Collection[int] = ()) -> int:
    """A uniform integer in ``[low, high)`` that is not a published value."""
    while True:
        value = int(rng.integers(low, high))
        if value not in exclude:
            return value


def u32(rng: np.random.Generator, exclude: Collection[int] = ()) -> int:
    return integer(rng, 0, U32, exclude)


def text(
    rng: np.random.Generator, alphabet: str, low: int, high: int, exclude: Collection[str] = ()
) -> str:
    """``low`` to ``high`` (inclusive) characters of ``alphabet``, not a published string."""
    while True:
        length = int(rng.integers(low, high + 1))
        value = "".join(alphabet[i] for i in rng.integers(len(alphabet), size=length))
        if value not in exclude:
            return value


def pick(rng: np.random.Generator, choices: Sequence[_T]) -> _T:
    return choices[int(rng.integers(len(choices)))]


def day(rng: np.random.Generator, first: dt.date, last: dt.date = LAST_DAY) -> dt.date:
    """A uniform day in ``[first, last]``: the build's run date (tests pin it to one day)."""
    return first + dt.timedelta(days=int(rng.integers((last - first).days + 1)))


def sample(rng: np.random.Generator, names: Sequence[str], n: int) -> list[str]:
    """At most ``n`` of ``names``, drawn without replacement, in their list order: a
    build's names spread over its whole list (every label length and TLD), not its head."""
    if len(names) <= n:
        return list(names)
    return [names[i] for i in sorted(int(i) for i in rng.choice(len(names), n, replace=False))]


def collect(builds: int, build: Callable[[], Sequence[str]]) -> list[str]:
    """The distinct names of ``builds`` calls of ``build``, in generation order."""
    names: dict[str, None] = {}
    for _ in range(max(builds, 0)):
        names.update(dict.fromkeys(build()))
    return list(names)
