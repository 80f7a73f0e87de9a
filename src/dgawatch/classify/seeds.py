"""Training names from seeds no sample has shown yet: the registered algorithms, reseeded.

The registered variants carry only the handful of seeds, keys and magics published for
each family, but every new build of a family brings its own. :func:`reseeded` calls a
family module's own generator (never a copy of its algorithm) with ``builds`` random
parameters drawn from a NumPy ``Generator``, so the classifier can learn the algorithm
rather than the published lists. The registered variants, their ground truth and the
names :mod:`dgawatch.classify.data` draws from them are untouched.

Each build draws one value of every parameter a new build would change, in the range the
real parameter has, and, for date-seeded families, one day inside the family's active
period (up to :data:`LAST_DAY` when it has no end); it gives at most ``per_build`` names,
and never more than the malware generates for one sample and day. Published numbers are
left out of the draws and drawn strings are too long to repeat a published one, so no
reseeded build is a registered one (tests/classify/test_seeds.py checks the names).

Not reseeded (``reseeded`` returns ``[]``):

- chinad, cryptolocker, sisron, tempedreve: seeded by the date alone; the trainer
  already spreads their days over the active period.
- conficker, nymaim: the date plus constants of the worm itself, the same in every build.
- pykspa: both DGAs are date-seeded; a raw seed is only a period number in disguise, and
  the improved DGA's seeding (MD6 and ~378,000 mixer steps a period) is costly besides.
- padcrypt: the only other input is a version's index separator, not a build seed.
- pushdo, bazarbackdoor: letter, syllable and character tables of each version, enumerated
  by date; no seed, and new tables would be inventions.
- gameover: its keyed generators are newGOZ's (reseeded under ``newgoz``; the same names
  under two labels would only teach confusion); pre-Tovar is date-seeded.
- kraken: its public generators only take the two published seed sets by name; reseeding
  would mean re-implementing them (kraken.py would need a parameter for the constants).
- ccleaner, fosniw, monerodownloader, suppobox, torpig, vidro, xshellghost: no hook; each
  module's docstring says why (date alone, word lists or a pattern that would be invented,
  or, for monerodownloader, a magic its generator does not take as a parameter).

Reseeded through their modules' hooks (what each draws is in its docstring): banjori,
bigviktor, bumblebee, corebot, darkcracks, dircrypt, dmsniff, dnschanger, enviserv, fobber,
gozi, locky, m0yv, murofet, mydoom, necurs, newgoz, ngioweb, nymaim2, orchard, pitou,
proslikefan, qadars, qakbot, qsnatch, ramdo, ramnit, ranbyus, reconyc, sharkbot (v0.0/v1.63
salt), shiotob, simda, symmi, tinba, tufik, unnamed_downloader, vawtrak, verblecon, zloader.

Hooks in the family modules: a family module may define its own

    reseed(rng: numpy.random.Generator, builds: int, per_build: int) -> list[str]

with the contract above (``builds`` new builds no published list holds, at most
``per_build`` names each, never more than one sample-day's names, deterministic for a
given ``rng``; ``dgawatch.families._reseed`` has the shared draws). :data:`RESEEDABLE`
takes every such hook found in the registry's modules, and each hook's docstring says what
it draws. :data:`_BUILDERS` is the place for a builder kept outside its family's module
(none now: every family keeps its own, issue 13); a family may not have both.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import numpy as np

from dgawatch import families
from dgawatch.families import Family, _reseed, get_family

__all__ = ["LAST_DAY", "RESEEDABLE", "reseeded"]

#: End of the draw for families with an open active period (as ``data.LAST_DAY``).
LAST_DAY = _reseed.LAST_DAY

#: ``builder(rng, per_build)``: one new build's names.
Builder = Callable[[np.random.Generator, int], list[str]]
#: A family module's ``reseed(rng, builds, per_build)``.
Hook = Callable[[np.random.Generator, int, int], list[str]]

#: Builders kept here rather than in their family's module: none (each family module has
#: its own ``reseed``); a family listed here and with a hook is refused.
_BUILDERS: dict[str, Builder] = {}


def _module_hooks() -> dict[str, Hook]:
    """Family name -> its module's ``reseed``, for every registered family module with one
    (the registry's own walk: modules not starting with ``_`` that define ``FAMILY``)."""
    hooks: dict[str, Hook] = {}
    for info in pkgutil.iter_modules(families.__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        module = importlib.import_module(f"{families.__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        hook = getattr(module, "reseed", None)
        if isinstance(family, Family) and callable(hook):
            hooks[family.name] = hook
    both = sorted(set(hooks) & set(_BUILDERS))
    if both:
        raise RuntimeError(f"reseeding defined twice (module hook and seeds.py): {both}")
    return hooks


_HOOKS = _module_hooks()

#: Families :func:`reseeded` supports (module docstring and each hook's docstring: which
#: parameter, and why not the rest).
RESEEDABLE: frozenset[str] = frozenset(_BUILDERS) | frozenset(_HOOKS)


def reseeded(family: str, rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` random new builds of ``family``, at most ``per_build`` each.

    Distinct names, in generation order, build after build; deterministic for a given
    ``rng`` state. ``[]`` for families without a seed-like parameter (module docstring).
    Raises :class:`~dgawatch.errors.UnknownFamilyError` for a name that is no family.
    """
    name = get_family(family).name
    if builds <= 0 or per_build <= 0:
        return []
    hook = _HOOKS.get(name)
    if hook is not None:
        return list(dict.fromkeys(hook(rng, builds, per_build)))
    builder = _BUILDERS.get(name)
    if builder is None:
        return []
    names: dict[str, None] = {}
    for _ in range(builds):
        names.update(dict.fromkeys(builder(rng, per_build)))
    return list(names)
