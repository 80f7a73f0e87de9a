"""QSnatch (QNAP NAS malware) rendezvous domains.

Generator type: hash. For a time-slot number ``n`` and a TLD the malware hashes the text
``"<n>IbjGOEgnuD<tld>\\n"`` with SHA-1, Base64-encodes the digest, drops the ``=`` padding,
lower-cases it and replaces ``+`` by ``b`` and ``/`` by ``c``; the label is a prefix of
that string. Slot numbers are Unix time (UTC here) divided by the slot length.
Seeding: time-dependent, several slot lengths at once (variant ``a``) or 15-day slots
(variant ``b``).

Variant ``a`` (first sample, November 2019): slot lengths 15 days, 5 days, 1 day, 8 hours,
2 hours, 1 hour, in that order; for each, label lengths 5, 3, 4 (one more for com, net, org);
for each length, 145 TLD entries in the sample's order. A run at one moment yields 2,610
names; one UTC day holds 1 + 1 + 1 + 3 + 12 + 24 slots of those lengths, and the day's
list is, slot length by slot length and slot by slot, each slot's names (42 x 3 x 144 =
18,144 names). One reference TLD entry is ``.com.bn`` with a leading dot: the reference
then emits names such as ``exaor..com.bn``, which are not DNS names and are never queried;
they are left out (whether the sample itself lists ``com.bn`` is not published).
Labels of 3 and 4 characters cover a large share of all such names within months, so
variant ``a`` regenerates popular registered names (2ch.hk, 1gb.ru, ...: 877 names of
the Alexa 2015 and OpenDNS 2017 top lists between 2025-01-01 and 2026-12-31). The malware
does query them, but a match on such a name is weak evidence: hunt's confidence accounts
for the 18,144 names a day, and feeds should withhold registered names (allowlist,
``--exclude-collisions``).
Variant ``b`` (second sample): 15-day slots only; for each of 30 TLDs the prefixes of
length 6, 7, 8, 9 and 10: 150 names, valid 15 days (slots aligned on 1970-01-01).

TLDs: see ``TLDS_A`` / ``TLDS_B`` (including second-level suffixes such as com.ua).
Active period: the joint CISA/NCSC alert AA20-209A (2020-07-27) dates the second QSnatch
campaign, the one with the DGA, to "late 2018": variant ``a`` starts 2018-10-01 (estimate
from that wording). Variant ``b`` starts 2019-11-12, the day its sample's DGA was published
(reference commit 9991b68). Neither has a documented end.

References:
- https://johannesbader.ch/blog/the-dga-of-qsnatch/
- https://www.kyberturvallisuuskeskus.fi/en/news/qsnatch-malware-designed-qnap-nas-devices
- https://www.cisa.gov/news-events/cybersecurity-advisories/aa20-209a
- https://github.com/baderj/domain_generation_algorithms/tree/master/qsnatch
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from dgawatch.families import _reseed
from dgawatch.families.base import Family, Signature, Variant

if TYPE_CHECKING:
    import numpy as np

SEED = "IbjGOEgnuD"
HOUR = 3600
DAY = 24 * HOUR
SLOTS_A = (15 * DAY, 5 * DAY, DAY, 8 * HOUR, 2 * HOUR, HOUR)
LENGTHS_A = (5, 3, 4)
#: Variant a's TLD entries in the sample's order (the reference's ".com.bn" as "com.bn",
#: marked unusable below).
TLDS_A_ALL = tuple(
    """cf tk com ml de rocks mx biz net cn ga gq org top nl men ws se info xyz today ru ec co
    ee rs com.sv com.cy co.zw kg com.ge tl name tw lv bs li ng ae bt tv pe uz me gy am kr by
    fr com.uy com.lb com.br vu hk in re ch af com.ps ug dz pro co.th sg cd so mo co.id co.il
    com.do ke cx ro id pm hm vg az com.eg bz su com.ar gg com.lr pa com.ve al fm to mu co.ck
    pk co.rs cw nr gd gl ac lk md fi sx lc es cc cm la co.za je cz jp ai pw bg nu ag bm eu
    com.my sc ax wf ly qa vn aq mobi com.tr com.ua com.py hk.org south.am com.kh co.zm ru.net
    com.km tt kn co.ls co.fk uy.com com.gu com.bn com.pf com.fj""".split()
)
#: The entry whose reference spelling (".com.bn") yields no DNS name.
_UNUSABLE = "com.bn"
TLDS_A = tuple(t for t in TLDS_A_ALL if t != _UNUSABLE)
_LONGER = frozenset({"com", "net", "org"})
TLDS_B = tuple(
    """cf tk ml ga gq com biz org de rocks mx cn top nl men ws se info xyz net today ru fi
    name to in com.ua vg vn cd""".split()
)
LENGTHS_B = range(6, 11)
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_TRANSLATE = bytes.maketrans(b"+/-", b"bca")


def label_source(slot: int, tld: str, seed: str = SEED) -> str:
    """The lower-cased, translated Base64 SHA-1 string labels are cut from."""
    digest = hashlib.sha1(f"{slot}{seed}{tld}\n".encode("ascii")).digest()
    return base64.b64encode(digest).rstrip(b"=").lower().translate(_TRANSLATE).decode()


def _block_a(slot: int, seed: str) -> list[str]:
    sources = [label_source(slot, tld, seed) for tld in TLDS_A]
    out: list[str] = []
    for length in LENGTHS_A:
        for tld, src in zip(TLDS_A, sources, strict=True):
            n = length + 1 if tld in _LONGER else length
            out.append(f"{src[:n]}.{tld}")
    return out


def names_at_a(unix_time: int, seed: str = SEED) -> list[str]:
    """Variant a's names at one moment (the reference's list without its ``..com.bn``)."""
    out: list[str] = []
    for seconds in SLOTS_A:
        out += _block_a(unix_time // seconds, seed)
    return out


def generate_a(day: dt.date, seed: str = SEED) -> list[str]:
    """Every variant-a name of the UTC day, slot length by slot length, slot by slot."""
    t0 = calendar.timegm(day.timetuple())
    out: list[str] = []
    for seconds in SLOTS_A:
        for slot in range(t0 // seconds, (t0 + DAY - 1) // seconds + 1):
            out += _block_a(slot, seed)
    return out


def names_at_b(unix_time: int, seed: str = SEED) -> list[str]:
    slot = unix_time // (15 * DAY)
    out: list[str] = []
    for tld in TLDS_B:
        src = label_source(slot, tld, seed)
        out += [f"{src[:n]}.{tld}" for n in LENGTHS_B]
    return out


def generate_b(day: dt.date, seed: str = SEED) -> list[str]:
    return names_at_b(calendar.timegm(day.timetuple()), seed)


FAMILY = Family(
    name="qsnatch",
    summary="QSnatch: prefixes of Base64 SHA-1 of time slot + seed + TLD, 145 or 30 TLDs",
    generator_type="hash",
    time_seeded=True,
    references=(
        "https://johannesbader.ch/blog/the-dga-of-qsnatch/",
        "https://www.kyberturvallisuuskeskus.fi/en/news/qsnatch-malware-designed-qnap-nas-devices",
        "https://www.cisa.gov/news-events/cybersecurity-advisories/aa20-209a",
        "https://github.com/baderj/domain_generation_algorithms/tree/master/qsnatch",
    ),
    variants=(
        Variant(
            family="qsnatch",
            name="a",
            summary="Six slot lengths (15 d to 1 h), lengths 5/3/4, 144 usable TLDs",
            active_from=dt.date(2018, 10, 1),
            active_until=None,
            domains_per_day=sum(DAY // s if s <= DAY else 1 for s in SLOTS_A)
            * len(LENGTHS_A)
            * len(TLDS_A),
            tlds=TLDS_A,
            generator=generate_a,
            period_days=1,
            parameters=(("seed", SEED), ("slots", "15d 5d 1d 8h 2h 1h"), ("lengths", "5 3 4")),
            signature=Signature(alphabet=_ALPHABET, min_len=3, max_len=6),
            period_source=(
                "estimate: CISA/NCSC alert AA20-209A (2020-07-27) dates the second "
                "campaign to late 2018; no end documented"
            ),
        ),
        Variant(
            family="qsnatch",
            name="b",
            summary="15-day slots, prefixes of 6-10 characters, 30 TLDs",
            active_from=dt.date(2019, 11, 12),
            active_until=None,
            domains_per_day=len(TLDS_B) * len(LENGTHS_B),
            tlds=TLDS_B,
            generator=generate_b,
            period_days=15,
            parameters=(("seed", SEED), ("slots", "15d"), ("lengths", "6-10")),
            signature=Signature(alphabet=_ALPHABET, min_len=6, max_len=10),
            period_source=(
                "sample's DGA first published 2019-11-12 (baderj/domain_generation_algorithms "
                "commit 9991b68); no end documented"
            ),
        ),
    ),
)


def reseed(rng: np.random.Generator, builds: int, per_build: int) -> list[str]:
    """Names of ``builds`` new builds, at most ``per_build`` each, for the classifier
    (:mod:`dgawatch.classify.seeds`; draws from :mod:`dgawatch.families._reseed`).

    Drawn per build: the 10-character seed string (letters of either case and digits, like
    ``IbjGOEgnuD``; not it), the variant's slot scheme (``a`` or ``b``, even odds) and the run
    moment (a day from that variant's first day to ``_reseed.LAST_DAY``; for ``a`` a second
    of it): ``a`` gives the 2,610 names of that moment, ``b`` the 150 of its 15-day slot; up
    to ``per_build`` of them, spread over every label length and TLD.
    """

    def build() -> list[str]:
        seed = _reseed.text(rng, _reseed.ALNUM, 10, 10, (SEED,))
        if rng.integers(2):
            day = _reseed.day(rng, FAMILY.variant("a").active_from)
            moment = calendar.timegm(day.timetuple()) + int(rng.integers(DAY))
            names = names_at_a(moment, seed)
        else:
            names = generate_b(_reseed.day(rng, FAMILY.variant("b").active_from), seed)
        return _reseed.sample(rng, names, per_build)

    return _reseed.collect(builds, build)
