"""The family registry: every module in this package that defines ``FAMILY`` is a family.

Adding a family is one new module here (defining ``FAMILY: Family``) plus its ground-truth
test; the CLI, the forecaster, the store, the lookup and the classifier trainer all discover
it through :func:`all_families`. Modules whose name starts with ``_`` are helpers.
"""

from __future__ import annotations

import hashlib
import pkgutil
import sys
from functools import cache
from pathlib import Path

from dgawatch import __version__
from dgawatch.errors import UnknownFamilyError
from dgawatch.families.base import Family, Variant

__all__ = [
    "Family",
    "Variant",
    "aliases_of",
    "all_families",
    "all_variants",
    "family_names",
    "get_family",
    "select_variants",
]


@cache
def all_families() -> tuple[Family, ...]:
    """Every registered family, sorted by name."""
    from dgawatch.registry import modules

    found: list[Family] = []
    for module in modules(__name__, __path__, skip=("base",)):
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            found.append(family)
    names = [f.name for f in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"families registered twice: {sorted(duplicates)}")
    return tuple(sorted(found, key=lambda f: f.name))


@cache
def aliases_of(key: str) -> tuple[str, ...]:
    """The other names a registered variant's list goes by (``"murofet/v1"`` ->
    ``("gameover/pre-tovar",)``): a hit is reported once, under the registered variant,
    with these as ``aliases``."""
    from dgawatch.families.base import alias_keys

    return alias_keys(all_families()).get(key, ())


def family_names() -> list[str]:
    """The registered families' names without importing them (a family module is named as
    its family, ``tests/families/test_registry.py`` checks it): for help texts, which every
    command builds, even ``--version``."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_") and info.name != "base"
    )


def all_variants() -> tuple[Variant, ...]:
    return tuple(v for f in all_families() for v in f.variants)


def get_family(name: str) -> Family:
    wanted = name.strip().lower()
    for family in all_families():
        if wanted == family.name or wanted in family.aliases:
            return family
    fam, sep, var = wanted.partition("/")
    if sep and any(fam == f.name or fam in f.aliases for f in all_families()):
        # "conficker/c", as lookup and hunt print a variant
        raise UnknownFamilyError(
            f"unknown family {name!r}: give --family {fam} --variant {var or 'V'}"
        )
    names = [f.name for f in all_families()]
    hint = did_you_mean(wanted, names + [a for f in all_families() for a in f.aliases])
    raise UnknownFamilyError(f"unknown family {name!r}{hint} (known: {', '.join(names)})")


def did_you_mean(wanted: str, known: list[str]) -> str:
    """``"; did you mean 'conficker'?"`` for the closest of ``known`` (a typo, a missing
    dash), or ``""``."""
    import difflib

    close = difflib.get_close_matches(wanted.strip().lower(), known, n=1, cutoff=0.75)
    if not close:
        squeezed = {k.replace("-", "").replace("_", ""): k for k in known}
        key = wanted.strip().lower().replace("-", "").replace("_", "")
        close = [squeezed[key]] if key in squeezed else []
    return f"; did you mean {close[0]!r}?" if close else ""


def choose_variants(families: list[str] | None, variants: list[str] | None) -> list[Variant]:
    """The CLI's and the portal's selection: repeatable families (none or ``all`` = every
    family) and repeatable variants (none = every variant of the chosen families)."""
    fams = None if not families or "all" in families else families
    if not variants:
        return select_variants(fams, None)
    chosen: list[Variant] = []
    for name in variants:
        chosen += [v for v in select_variants(fams, name) if v not in chosen]
    return chosen


def select_variants(families: list[str] | None = None, variant: str | None = None) -> list[Variant]:
    """Resolve CLI-style selections: no family means every family; a variant needs one."""
    if variant is not None and (not families or len(families) != 1):
        raise UnknownFamilyError("--variant needs exactly one family")
    chosen = [get_family(f) for f in families] if families else list(all_families())
    if variant is not None:
        return [chosen[0].variant(variant)]
    if not families:
        return [v for f in chosen for v in f.variants]  # the registry: each list once
    # A named family's declared aliases (gameover's pre-/post-tovar) select their targets.
    return list(dict.fromkeys(v for f in chosen for v in f.selection()))


@cache
def _module_digest(module: str) -> str:
    mod = sys.modules.get(module)
    src = getattr(mod, "__file__", None)
    if not src:
        return "nosource"
    try:
        return hashlib.sha1(Path(src).read_bytes()).hexdigest()
    except OSError:
        return "nosource"


@cache
def _registered() -> dict[str, Variant]:
    return {v.key: v for v in all_variants()}


def fingerprint(variant: Variant) -> str | None:
    """A name for this version of a registered variant's lists (its key, parameters and
    period, dgawatch's version, the source of its generator's module and of its family's
    module): derived data built from them (the hunt's list cache, the all-time index) is
    valid only under the same fingerprint. None for a variant not registered."""
    if _registered().get(variant.key) is not variant:
        return None
    gen = variant.blob_generator or variant.generator
    module = getattr(gen, "__module__", None) or getattr(
        getattr(gen, "func", None), "__module__", None
    )
    h = hashlib.sha1()
    for part in (
        variant.key,
        repr(variant.parameters),
        str(variant.period_days),
        __version__,
        _module_digest(str(module)),
        _module_digest(f"dgawatch.families.{variant.family}"),
    ):
        h.update(part.encode() + b"\0")
    return f"{variant.family}.{variant.name}.{h.hexdigest()[:16]}"
