"""Qadars banking trojan DGA (2016-2017 samples).

Generator type: arithmetic (a 31-bit linear congruential step ``r = (seed - 1043968403 *
r) mod 2**31`` with a per-sample 16-bit seed as the increment).
Seeding: time-dependent, weekly: the generator starts from the Unix time of a Monday
00:00 UTC, so one list per week (``period_days = 7``). Samples from November 2016 on
(the current reference) take the Monday that begins the day's week. The first analysed
sample (seed 89f5, March 2016) takes the Thursday-aligned week instead: the Unix time is
rounded down to a whole number of weeks since the epoch (a Thursday) and three days are
subtracted, so its list changes on Thursdays (``lag_days = 3``: the Monday of the week
three days earlier). The write-up's list for 2016-04-12 (first name nctqrgta7o52.net)
is the one seeded with Monday 2016-04-04, as this rule gives.
Names per week: 200, each 12 characters from ``a-z0-9`` and one of three TLDs picked by
the next draw: com/org/net for seeds 89f5, e1f1, e1f2 and e1f5, net/org/top for 4449 and
e08a.

Seed 89f5 is the seed of the first analysed sample (April 2016), whose names use
com/org/net: the reference examples are that sample's 200 names seeded with Monday
2016-03-28, valid 2016-03-31 to 2016-04-06 (generated on 2016-04-04 00:00 CEST, i.e.
2016-04-03 22:00 UTC). A later revision of the reference pairs 89f5 with net/org/top and
Monday-aligned weeks; that preset is registered too, as ``89f5-top``.

Active period: Qadars was first reported by ESET in December 2013, but the DGA's seeds
are only dated by their publication in the reference repository (89f5: April 2016,
4449: 2016-11-02, e1f2: 2016-12-30, e1f1 and e08a: 2017-03-07, e1f5: 2017-03-19); each
variant is marked active from the start of the week its seed was published (89f5: the
Thursday 2016-03-03: the write-up found the sample in March 2016).

References:
- https://www.johannesbader.ch/2016/04/the-dga-of-qadars/ (now bin.re/blog/the-dga-of-qadars/)
- https://github.com/baderj/domain_generation_algorithms/tree/master/qadars
  (history: the first version of dga.py, 2016-04-04, and the revisions of 2016-11-02 on)
- ESET WeLiveSecurity, "Qadars - a banking Trojan with the Netherlands in its sights",
  December 2013
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

_CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789"
_MULTIPLIER = 1043968403
_MASK31 = 0x7FFFFFFF
_EPOCH = dt.date(1970, 1, 1)
DOMAINS_PER_WEEK = 200
COM_TLDS = ("com", "org", "net")
TOP_TLDS = ("net", "org", "top")


def week_start(day: dt.date, lag_days: int = 0) -> dt.date:
    """The Monday that seeds ``day``'s list: the one beginning ``day - lag_days``'s week."""
    shifted = day - dt.timedelta(days=lag_days)
    return shifted - dt.timedelta(days=shifted.weekday())


def generate(
    day: dt.date,
    seed: int,
    tlds: tuple[str, ...] = COM_TLDS,
    nr: int = DOMAINS_PER_WEEK,
    lag_days: int = 0,
) -> list[str]:
    """The ``nr`` names valid on ``day`` for the 16-bit ``seed``."""
    r = (week_start(day, lag_days) - _EPOCH).days * 86_400
    names: list[str] = []
    for _ in range(nr):
        chars = []
        for _ in range(12):
            r = (seed - _MULTIPLIER * r) & _MASK31
            chars.append(_CHARSET[r % 36])
        r = (seed - _MULTIPLIER * r) & _MASK31
        names.append("".join(chars) + "." + tlds[r % 3])
    return names


def _published(day: str) -> str:
    """Period source of a preset dated by its publication in the reference repository."""
    return (
        f"start of the week the preset was published, {day} "
        "(git history of qadars/ in baderj/domain_generation_algorithms); "
        "Qadars itself first reported by ESET, December 2013"
    )


def _variant(
    name: str,
    seed: int,
    tlds: tuple[str, ...],
    active_from: dt.date,
    period_source: str,
    lag_days: int = 0,
) -> Variant:
    return Variant(
        family="qadars",
        name=name,
        summary=f"Qadars seed {seed:04x}: 200 names per week, {'/'.join(tlds)}",
        active_from=active_from,
        active_until=None,
        period_source=period_source,
        domains_per_day=DOMAINS_PER_WEEK,
        tlds=tlds,
        # An even seed keeps the (even) start state even: every other character only.
        signature=Signature(_CHARSET if seed & 1 else _CHARSET[::2], 12, 12),
        generator=partial(generate, seed=seed, tlds=tlds, lag_days=lag_days),
        period_days=7,
        parameters=(
            ("seed", f"0x{seed:04x}"),
            ("tlds", ",".join(tlds)),
            ("week_starts", "Thursday" if lag_days == 3 else "Monday"),
        ),
    )


FAMILY = Family(
    name="qadars",
    summary="Qadars banking trojan: 200 names a week from a seeded LCG, 12 chars a-z0-9",
    generator_type="arithmetic",
    time_seeded=True,
    references=(
        "https://www.johannesbader.ch/2016/04/the-dga-of-qadars/",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/qadars",
    ),
    variants=(
        _variant(
            "89f5",
            0x89F5,
            COM_TLDS,
            dt.date(2016, 3, 3),
            "write-up: sample found in March 2016 (johannesbader.ch/2016/04/the-dga-of-qadars/); "
            "start of its Thursday-aligned week",
            lag_days=3,
        ),
        _variant("89f5-top", 0x89F5, TOP_TLDS, dt.date(2016, 10, 31), _published("2016-11-02")),
        _variant("4449", 0x4449, TOP_TLDS, dt.date(2016, 10, 31), _published("2016-11-02")),
        _variant("e1f2", 0xE1F2, COM_TLDS, dt.date(2016, 12, 26), _published("2016-12-30")),
        _variant("e1f1", 0xE1F1, COM_TLDS, dt.date(2017, 3, 6), _published("2017-03-07")),
        _variant("e08a", 0xE08A, TOP_TLDS, dt.date(2017, 3, 6), _published("2017-03-07")),
        _variant("e1f5", 0xE1F5, COM_TLDS, dt.date(2017, 3, 13), _published("2017-03-19")),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 16-bit seed and the TLD set (Monday-aligned weeks, as all recent
    samples), plus the day.
    """

    def build() -> list[str]:
        published = {int(dict(v.parameters)["seed"], 16) for v in FAMILY.variants}
        seed = _reseed.integer(rng, 0, 1 << 16, published)
        tlds = _reseed.pick(rng, (COM_TLDS, TOP_TLDS))
        day = _reseed.day(rng, dt.date(2016, 3, 3))
        return generate(day, seed, tlds, min(per_build, DOMAINS_PER_WEEK))

    return _reseed.collect(builds, build)
