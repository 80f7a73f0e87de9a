"""DMSniff point-of-sale malware domains (the write-up's "unknown malware", prefixes sn/al).

Generator type: arithmetic. For the name number ``n`` (1 to 50) every letter comes from a
product ``prime * n`` halved until it is at most 24, then used as an offset from ``a``; the
TLD index is the same halving of ``n`` divided by 5. Each sample prepends a fixed
two-letter prefix and uses its own order of the six small multipliers.
Seeding: not time-dependent; the list is fixed per sample (prefix and multiplier order).
Names per list: 50 (several repeat: 35 distinct for both published samples).
TLDs: com, org, net, ru, in.
Active period: the reference does not date its samples; it was published in June 2023, the
earliest date the references imply, so ``active_from`` is 2023-06-05 (the family is older:
use ``--ignore-active-period`` for earlier days). No end date is known.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/dmsniff
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

TLDS = ("com", "org", "net", "ru", "in")
COUNT = 50

#: Per-sample prefix and multiplier order (md5 of the sample in the summary).
PRESETS: dict[str, tuple[int, ...]] = {
    "sn": (1, 7, 3, 5, 11, 13),
    "al": (1, 3, 5, 7, 11, 13),
}
_SAMPLES = {
    "sn": "af650c822feea20ed0b2c99d28007fa3",
    "al": "c05c4c97be77270bd0ea916fbb9e9d6d",
}


def _halve(value: int) -> int:
    while value > 24:
        value >>= 1
    return value


def generate(prefix: str, multipliers: Sequence[int], nr: int = COUNT) -> list[str]:
    """Names 1..``nr`` of a sample with this ``prefix`` and multiplier order."""
    out: list[str] = []
    for n in range(1, nr + 1):
        label = "".join(chr(97 + _halve(p * n)) for p in multipliers)
        out.append(f"{prefix}{label}.{TLDS[_halve(n) // 5]}")
    return out


@cache
def _preset(prefix: str) -> tuple[str, ...]:
    return tuple(generate(prefix, PRESETS[prefix]))


def _variant(prefix: str) -> Variant:
    size = len(prefix) + len(PRESETS[prefix])
    return Variant(
        family="dmsniff",
        name=prefix,
        summary=f"Prefix {prefix!r} sample (md5 {_SAMPLES[prefix]})",
        active_from=dt.date(2023, 6, 5),
        active_until=None,
        period_source=(
            "date the reference was published, June 2023 "
            "(baderj/domain_generation_algorithms, dmsniff/); it does not date its "
            "samples and the family is older"
        ),
        domains_per_day=COUNT,
        tlds=TLDS,
        # The prefix, then one letter per multiplier: _halve() gives 1..24, b..y.
        signature=Signature(
            "".join(sorted(set(prefix + string.ascii_lowercase[1:25]))), size, size
        ),
        generator=lambda day: list(_preset(prefix)),
        period_days=0,
        parameters=(
            ("prefix", prefix),
            ("multipliers", ",".join(str(p) for p in PRESETS[prefix])),
        ),
    )


FAMILY = Family(
    name="dmsniff",
    summary="DMSniff POS malware: 50 fixed names per sample, two-letter prefix",
    generator_type="arithmetic",
    time_seeded=False,
    references=("https://github.com/baderj/domain_generation_algorithms/tree/master/dmsniff",),
    variants=(_variant("sn"), _variant("al")),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the two-letter prefix and the order of the six multipliers.
    """

    def build() -> list[str]:
        prefix = _reseed.text(rng, _reseed.LOWER, 2, 2)
        while prefix in PRESETS:
            prefix = _reseed.text(rng, _reseed.LOWER, 2, 2)
        multipliers = [int(m) for m in rng.permutation(sorted(PRESETS["sn"]))]
        return generate(prefix, multipliers, min(per_build, COUNT))

    return _reseed.collect(builds, build)
