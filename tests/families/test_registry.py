"""Contracts every registered family must keep (design.md "Family"), whatever its algorithm."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re

import pytest

from dgawatch.errors import UnknownFamilyError
from dgawatch.families import all_families, all_variants, get_family, select_variants
from dgawatch.families.base import GENERATOR_TYPES, alias_keys

NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
#: Variants whose bot queries names outside host-name syntax, and why (module docstring).
NOT_HOST_NAMES = {"bazarbackdoor/buggy": "labels with ]^_` (the bot queries them)"}
#: What those still guarantee: dot-separated lower-case labels, only these extra characters.
DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9\]^_`-]{1,63}\.)+[a-z0-9-]{2,63}$")
VARIANTS = all_variants()


def test_at_least_35_families_are_registered() -> None:
    names = [f.name for f in all_families()]
    assert len(names) >= 35
    assert names == sorted(names) and len(set(names)) == len(names)
    assert "conficker" in names


@pytest.mark.parametrize("family", all_families(), ids=lambda f: f.name)
def test_family_metadata(family) -> None:  # type: ignore[no-untyped-def]
    assert family.generator_type in GENERATOR_TYPES
    assert family.references, "each family cites its public references"
    module = importlib.import_module(f"dgawatch.families.{family.name}")
    doc = (module.__doc__ or "").lower()
    assert "generator type" in doc or family.generator_type in doc
    variant_names = [v.name for v in family.variants]
    assert len(set(variant_names)) == len(variant_names)
    assert get_family(family.name) is family


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.key)
def test_variant_is_pure_and_emits_dns_names(variant) -> None:  # type: ignore[no-untyped-def]
    day = max(variant.active_from, dt.date(2020, 6, 15))
    if variant.active_until is not None:
        day = min(day, variant.active_until)
    first = variant.domains(day)
    # A build may have months with no knowable names (bazarbackdoor reading past its
    # syllable table), but not a whole year of them.
    for _ in range(12):
        if first or (variant.active_until is not None and day >= variant.active_until):
            break
        day += dt.timedelta(days=31)
        first = variant.domains(day)
    assert first == variant.domains(day), "same day, same list"
    assert first, "an active year has names"
    assert variant.domains_blob(day) == ("\n".join(first) + "\n").encode()
    grammar = DNS_NAME if variant.key in NOT_HOST_NAMES else NAME
    bad = [n for n in first if not grammar.match(n)]
    assert bad == [], f"not lower-case DNS names: {bad[:5]}"
    assert variant.period_days >= 0 and variant.domains_per_day > 0
    if variant.tlds:
        suffixes = tuple("." + t for t in variant.tlds)
        assert all(n.endswith(suffixes) for n in first)
    if variant.signature is not None:
        # The declared grammar rules names out before generating: it must hold every name.
        outside = [n for n in first if not _fits_signature(variant, n)]
        assert outside == [], f"names outside the declared signature: {outside[:5]}"


def _fits_signature(variant, name: str) -> bool:  # type: ignore[no-untyped-def]
    for tld in variant.tlds or (name.rsplit(".", 1)[-1],):
        if name.endswith("." + tld):
            label = name[: -len(tld) - 1]
            if "." not in label and variant.signature.matches_label(label):
                return True
    return False


def test_unknown_names_are_clear_errors() -> None:
    with pytest.raises(UnknownFamilyError, match="unknown family 'nope'"):
        get_family("nope")
    with pytest.raises(UnknownFamilyError, match="--variant needs exactly one family"):
        select_variants(None, "a")


#: Days on which every variant's list is compared with every other's (any era's lists).
SAMPLE_DAYS = (dt.date(2014, 5, 2), dt.date(2017, 4, 13), dt.date(2021, 12, 1))
#: Names from the start of each list that must not open another variant's list.
HEAD = 50


def _fingerprints(variant, day: dt.date) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    names = variant.domains(day)
    if not names:
        return None
    head = hashlib.blake2b("\n".join(names[:HEAD]).encode(), digest_size=16).hexdigest()
    whole = hashlib.blake2b("\n".join(sorted(set(names))).encode(), digest_size=16).hexdigest()
    return head, whole


def test_no_two_variants_generate_the_same_list() -> None:
    # Same names (in any order), or the same first names (one list a prefix of the other,
    # like gameover's 1,000 pre-Tovar names and murofet v1's 1,020): a hit would be
    # reported twice under two names. Such a pair must be one variant plus a declared
    # alias (Family.variant_aliases), which the registry does not hold twice.
    clashes: list[tuple[str, str, str]] = []
    for day in SAMPLE_DAYS:
        seen: dict[str, str] = {}
        for variant in VARIANTS:
            prints = _fingerprints(variant, day)
            for fp in prints or ():
                other = seen.setdefault(fp, variant.key)
                if other != variant.key:
                    clashes.append((day.isoformat(), other, variant.key))
    assert sorted(set(clashes)) == []


def test_declared_aliases_resolve_to_registered_variants_of_their_names() -> None:
    keys = {v.key for v in VARIANTS}
    declared = [(f, a) for f in all_families() for a in f.variant_aliases]
    assert declared, "gameover declares its aliases"
    for family, alias in declared:
        target = family.variant(alias.name)
        assert target.key == alias.same_as and target.key in keys
        assert alias.name not in {v.name for v in family.variants}
    gameover = get_family("gameover")
    assert gameover.variant("pre-tovar") is get_family("murofet").variant("v1")
    assert gameover.variant("post-tovar") is get_family("newgoz").variant("default")
    assert select_variants(["gameover"], "pre-tovar") == [get_family("murofet").variant("v1")]
    assert "gameover/pre-tovar" not in keys and "gameover/post-tovar" not in keys


def test_selecting_a_family_includes_its_aliases_targets() -> None:
    gameover = get_family("gameover")
    keys = [v.key for v in gameover.selection()]
    assert keys == ["gameover/andrewaeva-zeus", "murofet/v1", "newgoz/default"]
    assert alias_keys(all_families())["murofet/v1"] == ("gameover/pre-tovar",)
    assert alias_keys(all_families())["newgoz/default"] == (
        "gameover/post-tovar",
        "gameover/newgoz",
    )
    for family in all_families():
        assert family.selection()[: len(family.variants)] == family.variants


def test_every_variant_states_where_its_active_period_comes_from() -> None:
    # A period with no stated source cannot be checked or revised: each variant names its
    # report, feed, repository history or estimate in words, not a bare token.
    missing = [
        v.key
        for v in VARIANTS
        if len(v.period_source.strip()) < 15 or len(v.period_source.split()) < 3
    ]
    assert missing == [], f"variants without a meaningful period_source: {missing}"
    assert all(v.to_dict()["period_source"] == v.period_source for v in VARIANTS)


def test_report_tags_and_estimator_constants_live_in_the_family_module() -> None:
    """What reports and the sinkhole's estimators need of a family is in its module: the
    Shadowserver ``infection`` label, a variant's names queried a day."""
    from dgawatch.sinkhole.report import infection
    from dgawatch.sinkhole.stats import CONFICKER_C_D, CONFICKER_C_S

    assert get_family("conficker").infection == "downadup"
    assert get_family("necurs").infection == "necurs"
    assert infection("conficker") == "downadup" and infection("not-registered") == "not-registered"
    assert infection(None) == "unknown"
    c = get_family("conficker").variant("c")
    assert (CONFICKER_C_D, CONFICKER_C_S) == (c.domains_per_day, c.queried_per_day) == (50_000, 500)
