"""Reseeded training names: the families' own algorithms with seeds no sample has shown."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from dgawatch.classify import seeds
from dgawatch.classify.seeds import RESEEDABLE, reseeded
from dgawatch.errors import UnknownFamilyError
from dgawatch.families import _reseed, all_families, get_family

NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
FAMILIES = sorted(RESEEDABLE)
#: A day every reseedable variant is active on, for comparing like with like.
DAY = dt.date(2025, 6, 2)  # a Monday (qadars), after darkcracks began (2024-09-03)


def test_reseedable_families_are_registered_and_the_rest_give_nothing() -> None:
    names = {f.name for f in all_families()}
    assert RESEEDABLE.issubset(names)
    assert {"banjori", "necurs", "ramnit", "tinba", "zloader"} <= RESEEDABLE
    assert {"bigviktor", "nymaim2", "qsnatch", "ramdo", "tufik"} <= RESEEDABLE  # module hooks
    for family in sorted(names - RESEEDABLE):
        assert reseeded(family, np.random.default_rng(0), 2, 10) == [], family
    assert reseeded("necurs", np.random.default_rng(0), 0, 10) == []
    with pytest.raises(UnknownFamilyError):
        reseeded("nope", np.random.default_rng(0), 1, 1)


def test_aliases_resolve() -> None:
    assert reseeded("shiz", np.random.default_rng(3), 2, 5) == reseeded(
        "simda", np.random.default_rng(3), 2, 5
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_names_are_dns_names_capped_and_deterministic(family: str) -> None:
    names = reseeded(family, np.random.default_rng(1), 3, 20)
    assert names, "a reseedable family gives names"
    assert len(names) <= 3 * 20 and len(set(names)) == len(names)
    bad = [n for n in names if not NAME.match(n)]
    assert bad == [], f"not lower-case DNS names: {bad[:5]}"
    assert reseeded(family, np.random.default_rng(1), 3, 20) == names, "same rng, same list"
    other = reseeded(family, np.random.default_rng(2), 3, 20)
    assert set(other) != set(names), "another rng seed gives other builds"


@pytest.mark.parametrize("family", FAMILIES)
def test_reseeding_changes_the_output(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every build on one day: the names differ from the registered variants' names of that
    # day only because the seed did (for date-free families the day is irrelevant anyway).
    monkeypatch.setattr(_reseed, "day", lambda rng, first, last=_reseed.LAST_DAY: DAY)
    names = set(reseeded(family, np.random.default_rng(4), 4, 50))
    assert names
    published: set[str] = set()
    for variant in get_family(family).variants:
        assert variant.is_active(DAY), variant.key
        published.update(variant.domains(DAY))
    assert names.isdisjoint(published), sorted(names & published)[:5]


def test_module_hooks_are_found_and_a_family_may_not_have_two(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hooks = seeds._module_hooks()
    for family, hook in hooks.items():
        module = hook.__module__.rsplit(".", 1)[-1]
        assert get_family(module).name == family, "a hook lives in its own family's module"
        assert family in RESEEDABLE
    assert frozenset(seeds._BUILDERS) | frozenset(hooks) == RESEEDABLE
    if hooks:
        taken = next(iter(sorted(hooks)))
        monkeypatch.setitem(seeds._BUILDERS, taken, lambda rng, n: [])
        with pytest.raises(RuntimeError, match=taken):
            seeds._module_hooks()
