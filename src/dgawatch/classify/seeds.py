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

Reseeded families (parameter drawn):

- banjori: the seed domain (4 letters, then a tail of 10-22 letters drawn with English
  letter frequencies, like the published ``earnestnessbiophysicalohax.com``; ``.com``).
  The seed itself is our draw, not the algorithm's output, and is left out.
- bumblebee: the 8-byte magic (upper-case letters, digits, ``_``, like ``TEST_SEE``);
  half the builds time-seeded (random day and second), half static.
- corebot: the 32-bit seed, plus the day (release builds: the real day of month).
- dircrypt: the 32-bit seed. dnschanger: the 32-bit ``srand`` seed.
- dmsniff: the two-letter prefix and the order of the six multipliers.
- fobber: the 32-bit start state and addend, the label length (10-17) and the TLD
  (``net``/``com``).
- gozi: the 16-bit ``flag`` above the period counter (1 in every published sample) and
  which of the four bundled texts, plus the day. New texts cannot be invented, so these
  names add periods, not vocabulary.
- locky: the 32-bit sample seed and a published (shift, modulus) pair, plus the day.
- murofet: the 32-bit v2 XOR key, plus the day. mydoom: the 32-bit magic, plus the day.
- necurs: the 32-bit magic, plus the day. newgoz: the 32-bit salt, plus the day.
- qadars: the 16-bit seed and the TLD set (Monday-aligned weeks, as all recent samples),
  plus the day. qakbot: the 32-bit seed and the sandbox flag, plus the day.
- ramnit: the 32-bit seed (TLD rotation of a random published sample: mostly ``.com``).
- ranbyus: the version (May or September 2015) and its 32-bit seed, plus the day.
- reconyc: the tick-count seed (0-86,400,000 ms).
- shiotob: the seed domain (10-15 characters of the module's own alphabet, ``.com`` or
  ``.net``; like the seed of banjori, it is left out of the names).
- simda: the 30-hex-digit key and the 32-bit base.
- symmi: the 32-bit seed constant (42 published), plus the day.
- tinba: the 16-character seed string (letters and digits), the initial domain (12-16
  letters, left out) and a published TLD list.
- vawtrak: the version's increment (v2/v3) and the 32-bit seed.
- zloader: the RC4 key (12-17 letters and digits, or 32 hex digits), plus the day.

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

Reseeded through their modules' hooks (what each draws is in its docstring): bigviktor,
darkcracks, enviserv, m0yv, ngioweb, nymaim2, orchard, pitou, proslikefan, qsnatch, ramdo,
sharkbot (v0.0/v1.63 salt), tufik, unnamed_downloader, verblecon.

Hooks in the family modules: a family module may define its own

    reseed(rng: numpy.random.Generator, builds: int, per_build: int) -> list[str]

with the contract above (``builds`` new builds no published list holds, at most
``per_build`` names each, never more than one sample-day's names, deterministic for a
given ``rng``; ``dgawatch.families._reseed`` has the shared draws). :data:`RESEEDABLE`
takes every such hook found in the registry's modules besides the table below, and each
hook's docstring says what it draws; a family may not have both. The families of this
table keep their builders here for now (moving them into their modules would change
nothing but the module fingerprints of 24 families, so every stored list, all stale).
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import string
from collections.abc import Callable, Collection, Sequence
from typing import TypeVar

import numpy as np

from dgawatch import families
from dgawatch.families import (
    Family,
    _reseed,
    banjori,
    bumblebee,
    corebot,
    dircrypt,
    dmsniff,
    dnschanger,
    fobber,
    get_family,
    gozi,
    locky,
    murofet,
    mydoom,
    necurs,
    newgoz,
    qadars,
    qakbot,
    ramnit,
    ranbyus,
    reconyc,
    shiotob,
    simda,
    symmi,
    tinba,
    vawtrak,
    zloader,
)

__all__ = ["LAST_DAY", "RESEEDABLE", "reseeded"]

#: End of the draw for families with an open active period (as ``data.LAST_DAY``).
LAST_DAY = _reseed.LAST_DAY

_U32 = 1 << 32
_T = TypeVar("_T")
_LOWER = string.ascii_lowercase
_HEX = "0123456789abcdef"
_ALNUM = string.ascii_letters + string.digits
# English letter frequencies (a-z), for seed domains that read like Banjori's word salad.
_ENGLISH = np.array([
    8.2, 1.5, 2.8, 4.3, 12.7, 2.2, 2.0, 6.1, 7.0, 0.15, 0.77, 4.0, 2.4,
    6.7, 7.5, 1.9, 0.095, 6.0, 6.3, 9.1, 2.8, 0.98, 2.4, 0.15, 2.0, 0.074,
])  # fmt: skip
_ENGLISH /= _ENGLISH.sum()

Builder = Callable[[np.random.Generator, int], list[str]]
#: A family module's ``reseed(rng, builds, per_build)``.
Hook = Callable[[np.random.Generator, int, int], list[str]]


def _int(rng: np.random.Generator, low: int, high: int, exclude: Collection[int] = ()) -> int:
    """A uniform integer in ``[low, high)`` that is not a published value."""
    while True:
        value = int(rng.integers(low, high))
        if value not in exclude:
            return value


def _u32(rng: np.random.Generator, exclude: Collection[int] = ()) -> int:
    return _int(rng, 0, _U32, exclude)


def _pick(rng: np.random.Generator, choices: Sequence[_T]) -> _T:
    return choices[int(rng.integers(len(choices)))]


def _text(rng: np.random.Generator, alphabet: str, low: int, high: int) -> str:
    """A string of ``low`` to ``high`` (inclusive) characters drawn from ``alphabet``."""
    length = int(rng.integers(low, high + 1))
    return "".join(alphabet[i] for i in rng.integers(len(alphabet), size=length))


def _day(rng: np.random.Generator, first: dt.date, last: dt.date = LAST_DAY) -> dt.date:
    """A uniform day in ``[first, last]``: the build's run date."""
    return first + dt.timedelta(days=int(rng.integers((last - first).days + 1)))


def _banjori(rng: np.random.Generator, n: int) -> list[str]:
    head = _text(rng, _LOWER, 4, 4)
    length = int(rng.integers(10, 23))
    tail = "".join(_LOWER[i] for i in rng.choice(26, size=length, p=_ENGLISH))
    seed = f"{head}{tail}.com"
    return banjori.generate(seed, min(n, banjori.DEFAULT_COUNT) + 1)[1:]


def _bumblebee(rng: np.random.Generator, n: int) -> list[str]:
    magic = _text(rng, string.ascii_uppercase + string.digits + "_", 8, 8)
    if magic == bumblebee.DEFAULT_MAGIC:
        magic = magic[::-1]
    if rng.integers(2):
        day = _day(rng, dt.date(2023, 9, 15))
        start = bumblebee.seed(magic, int(rng.integers(60)), day.month - 1, day.year)
    else:
        start = bumblebee.seed(magic)
    return bumblebee.generate(start, min(n, bumblebee.COUNT))


def _corebot(rng: np.random.Generator, n: int) -> list[str]:
    seed = _u32(rng, (0x1DB98930, 0x1DBA8930))
    day = _day(rng, dt.date(2015, 9, 1))
    return corebot.generate(day, seed, min(n, corebot.DEFAULT_COUNT))


def _dircrypt(rng: np.random.Generator, n: int) -> list[str]:
    seed = _u32(rng, (dircrypt.DEFAULT_SEED,))
    return dircrypt.generate(seed, min(n, dircrypt.DEFAULT_COUNT))


def _dmsniff(rng: np.random.Generator, n: int) -> list[str]:
    prefix = _text(rng, _LOWER, 2, 2)
    while prefix in dmsniff.PRESETS:
        prefix = _text(rng, _LOWER, 2, 2)
    multipliers = [int(m) for m in rng.permutation(sorted(dmsniff.PRESETS["sn"]))]
    return dmsniff.generate(prefix, multipliers, min(n, dmsniff.COUNT))


def _dnschanger(rng: np.random.Generator, n: int) -> list[str]:
    # Only the low 31 bits of the seed matter.
    seed = _u32(rng, (dnschanger.EXAMPLE_SEED, dnschanger.EXAMPLE_SEED | 1 << 31))
    return dnschanger.generate(seed, min(n, dnschanger.DEFAULT_COUNT))


def _fobber(rng: np.random.Generator, n: int) -> list[str]:
    state = _u32(rng, {p[0] for p in fobber.PRESETS.values()})
    addend = _u32(rng)
    length = int(rng.integers(10, 18))
    return fobber.generate(state, addend, length, _pick(rng, ("net", "com")), min(n, 300))


def _gozi(rng: np.random.Generator, n: int) -> list[str]:
    wordlist = _pick(rng, sorted(gozi.PRESETS))
    div, tld = gozi.PRESETS[wordlist]
    flag = _int(rng, 0, 1 << 16, (1,))
    period = (_day(rng, gozi.EPOCH) - gozi.EPOCH).days // div
    nr = min(n, gozi.NAMES_PER_PERIOD)
    return gozi.generate_from_words(period, gozi.words(wordlist), tld, flag, nr)


def _locky(rng: np.random.Generator, n: int) -> list[str]:
    seed = _u32(rng, {c[0] for c in locky.CONFIGS.values()})
    shift, mod = _pick(rng, sorted({c[1:] for c in locky.CONFIGS.values()}))
    day = _day(rng, dt.date(2016, 2, 16))
    return locky.generate(day, seed, shift, mod, min(n, locky.NAMES_PER_DAY))


def _murofet(rng: np.random.Generator, n: int) -> list[str]:
    key = _u32(rng, {0, *(k for k in murofet.V2_KEYS.values() if k)})
    day = _day(rng, dt.date(2010, 10, 1))
    return murofet.generate_v2(day, key, min(n, murofet.NAMES_PER_DAY))


def _mydoom(rng: np.random.Generator, n: int) -> list[str]:
    magic = _u32(rng, (mydoom.DEFAULT_MAGIC,))
    day = _day(rng, dt.date(2004, 1, 26))
    return mydoom.generate(day, magic, min(n, mydoom.NAMES_PER_DAY))


def _necurs(rng: np.random.Generator, n: int) -> list[str]:
    magic = _u32(rng, {int(dict(v.parameters)["magic"]) for v in necurs.FAMILY.variants})
    day = _day(rng, dt.date(2012, 1, 1))
    return necurs.generate(day, magic, min(n, necurs.NAMES_PER_PERIOD))


def _newgoz(rng: np.random.Generator, n: int) -> list[str]:
    key = _u32(rng, (newgoz.DEFAULT_KEY, newgoz.KEY_52E645))
    day = _day(rng, dt.date(2014, 7, 10))
    return newgoz.generate(day, key, min(n, newgoz.NAMES_PER_DAY))


def _qadars(rng: np.random.Generator, n: int) -> list[str]:
    published = {int(dict(v.parameters)["seed"], 16) for v in qadars.FAMILY.variants}
    seed = _int(rng, 0, 1 << 16, published)
    tlds = _pick(rng, (qadars.COM_TLDS, qadars.TOP_TLDS))
    day = _day(rng, dt.date(2016, 3, 3))
    return qadars.generate(day, seed, tlds, min(n, qadars.DOMAINS_PER_WEEK))


def _qakbot(rng: np.random.Generator, n: int) -> list[str]:
    seed = _u32(rng, (0, 1))
    sandbox = bool(rng.integers(2))
    day = _day(rng, dt.date(2016, 2, 1))
    return qakbot.generate(day, seed, sandbox, min(n, qakbot.DOMAINS_PER_PERIOD))


def _ramnit(rng: np.random.Generator, n: int) -> list[str]:
    seed = _u32(rng, ramnit.SEEDS)
    _, _, tlds = _pick(rng, list(ramnit.SEEDS.values()))
    most = max(nr for _, nr, _ in ramnit.SEEDS.values())
    return ramnit.generate(seed, min(n, most), tlds)


def _ranbyus(rng: np.random.Generator, n: int) -> list[str]:
    nr = min(n, ranbyus.DOMAINS_PER_DAY)
    if rng.integers(2):
        seed = _u32(rng, ranbyus.MAY_SEEDS)
        return ranbyus.generate_may(_day(rng, dt.date(2015, 5, 1)), seed, nr)
    seed = _u32(rng, ranbyus.SEPTEMBER_SEEDS)
    return ranbyus.generate_september(_day(rng, dt.date(2015, 9, 1)), seed, nr)


def _reconyc(rng: np.random.Generator, n: int) -> list[str]:
    seed = _int(rng, 0, reconyc.MAX_SEED + 1, (reconyc.EXAMPLE_SEED,))
    return reconyc.generate(seed, min(n, reconyc.DOMAINS_PER_RUN))


def _shiotob(rng: np.random.Generator, n: int) -> list[str]:
    seed = f"{_text(rng, shiotob.ALPHABET, 10, 15)}.{_pick(rng, ('com', 'net'))}"
    return shiotob.generate(seed, min(n, shiotob.NR_OF_DOMAINS - 1) + 1)[1:]


def _simda(rng: np.random.Generator, n: int) -> list[str]:
    key = _text(rng, _HEX, 30, 30)
    base = _u32(rng, (simda.BASE,))
    return simda.generate(key, base, simda.LENGTH, simda.TLD, min(n, simda.NR_OF_DOMAINS))


def _symmi(rng: np.random.Generator, n: int) -> list[str]:
    constant = _u32(rng, (symmi.SEED_CONSTANT,))
    seed = symmi.seed_for(_day(rng, dt.date(2014, 12, 12)), constant)
    # generate_from_seed, not generate: the latter caches every seed it sees, unbounded.
    return symmi.generate_from_seed(seed, min(n, symmi.NR_OF_DOMAINS))


def _tinba(rng: np.random.Generator, n: int) -> list[str]:
    seed = _text(rng, _ALNUM, 16, 16)
    presets = list(tinba.PRESETS.values())
    initial = f"{_text(rng, _LOWER, 12, 16)}.{_pick(rng, presets)[1].rsplit('.', 1)[1]}"
    tlds = _pick(rng, presets)[2]
    count = min(n, 1000)
    return tinba.generate(seed, initial, tlds, -(-count // len(tlds)))[1 : count + 1]


def _vawtrak(rng: np.random.Generator, n: int) -> list[str]:
    version = _pick(rng, sorted(vawtrak.INCREMENTS))
    seed = _u32(rng, {p[1] for p in vawtrak.PRESETS.values()})
    return vawtrak.generate(seed, vawtrak.INCREMENTS[version], min(n, vawtrak.NR_OF_DOMAINS))


def _zloader(rng: np.random.Generator, n: int) -> list[str]:
    key = _text(rng, _HEX, 32, 32) if rng.integers(2) else _text(rng, _ALNUM, 12, 17)
    day = _day(rng, dt.date(2020, 1, 1))
    return zloader.generate(day, key, min(n, zloader.NR_OF_DOMAINS))


_BUILDERS: dict[str, Builder] = {
    "banjori": _banjori,
    "bumblebee": _bumblebee,
    "corebot": _corebot,
    "dircrypt": _dircrypt,
    "dmsniff": _dmsniff,
    "dnschanger": _dnschanger,
    "fobber": _fobber,
    "gozi": _gozi,
    "locky": _locky,
    "murofet": _murofet,
    "mydoom": _mydoom,
    "necurs": _necurs,
    "newgoz": _newgoz,
    "qadars": _qadars,
    "qakbot": _qakbot,
    "ramnit": _ramnit,
    "ranbyus": _ranbyus,
    "reconyc": _reconyc,
    "shiotob": _shiotob,
    "simda": _simda,
    "symmi": _symmi,
    "tinba": _tinba,
    "vawtrak": _vawtrak,
    "zloader": _zloader,
}


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
