"""Suppobox (a.k.a. Pizd) rendezvous domains: two dictionary words and ``.net``.

Generator type: wordlist. The sample embeds 384 words; a name is word ``i`` (0-127) followed
by word ``128 + j`` (``j`` 0-255), then ``.net``.
Seeding: time-dependent, 512-second slots. At time ``t`` (Unix seconds, UTC) the malware
takes ``s = t >> 9`` and generates 85 names for ``s, s + 1, ..., s + 84``. Only the low 15
bits of a slot number matter: bit ``k`` of it is moved to position ``P[k]`` of a 15-bit
string (``P = 3 9 13 6 2 4 11 7 14 1 10 5 8 12 0``), whose first 7 positions, read
most-significant first, are ``i`` and whose last 8 are ``j``. The names therefore repeat
every 2**15 slots (about 194 days).

One UTC day: a bot running all day tries the slots from ``t0 >> 9`` to ``(t0 + 86399) >> 9``
(169 or 170 of them, ``t0`` the day's first second), each with its 85 successors; the day's
list is that range of slot numbers, from ``t0 >> 9`` to ``((t0 + 86399) >> 9) + 84``, one
name per slot number in slot order (253 or 254 names). ``slot_names(t)`` gives exactly what
the malware generates at one moment. The reference reads local time; the day lists here are
for UTC (what the malware reads on a UTC machine).

Names per day: at most 254 (``domains_per_day``). TLD: ``net``.
Presets: three published word lists (``words1``, ``words2``, ``words3``), stored as data in
``data/suppobox_words{1,2,3}.txt`` with their provenance in the header line.

Active period: Suppobox's DGA was analysed publicly in J. Geffner's RSA Conference 2013 talk
(session BR-R01, "End-to-end analysis of a domain generating algorithm malware family",
RSAC US 2013, opening 2013-02-25): the earliest public evidence we have, used as
``active_from`` for word lists 1 and 2. Word list 3 was first published on 2015-12-17 (baderj
commit 439f2da, extracted from sample sha256 4ee8484b...c6da8f8), its ``active_from``.
No end is documented: ``active_until`` is open.
"Pizd" was a separate reimplementation in the same reference repository, removed in 2023
because it "is just SuppoBox"; it is an alias here.

Classifier reseeding: no ``reseed`` hook: seeded by the date alone; the only per-build
input is the word list, and new word lists would be inventions.

References:
- https://github.com/baderj/domain_generation_algorithms/tree/master/suppobox
- http://www.rsaconference.com/writable/presentations/file_upload/br-r01-end-to-end-analysis-of-a-domain-generating-algorithm-malware-family.pdf
- https://www.endgame.com/blog/malware-with-a-personal-touch.html
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache
from importlib import resources

from dgawatch.families.base import Family, Signature, Variant

TLD = "net"
SLOT_SECONDS = 512
NAMES_PER_CALL = 85
#: Where bit k of the slot number lands in the 15-bit index string.
_BIT_TARGET = (3, 9, 13, 6, 2, 4, 11, 7, 14, 1, 10, 5, 8, 12, 0)
_CYCLE = 1 << 15
DOMAINS_PER_DAY = 86399 // SLOT_SECONDS + 1 + NAMES_PER_CALL  # 254 at most
WORD_LISTS = ("words1", "words2", "words3")


@cache
def words(word_list: str) -> tuple[str, ...]:
    """The 384 words of ``word_list`` (one of ``WORD_LISTS``), in the sample's order."""
    if word_list not in WORD_LISTS:
        raise ValueError(f"unknown suppobox word list {word_list!r} (known: {WORD_LISTS})")
    text = resources.files("dgawatch.families").joinpath(f"data/suppobox_{word_list}.txt")
    lines = text.read_text("ascii").splitlines()
    found = tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))
    if len(found) != 384:
        raise RuntimeError(f"suppobox {word_list}: expected 384 words, found {len(found)}")
    return found


def _indices(slot: int) -> tuple[int, int]:
    """(first word index, second word index) of a slot number."""
    position = [0] * 15
    for k, target in enumerate(_BIT_TARGET):
        position[target] = (slot >> k) & 1
    first = second = 0
    for p in range(7):
        first = (first << 1) | position[p]
    for p in range(7, 15):
        second = (second << 1) | position[p]
    return first, 128 + second


@cache
def _cycle_names(word_list: str) -> tuple[str, ...]:
    """The name of every slot number modulo 2**15."""
    w = words(word_list)
    names = []
    for slot in range(_CYCLE):
        first, second = _indices(slot)
        names.append(f"{w[first]}{w[second]}.{TLD}")
    return tuple(names)


def slot_names(unix_time: int, word_list: str, nr: int = NAMES_PER_CALL) -> list[str]:
    """What the malware generates when it runs at ``unix_time``: ``nr`` names from slot
    ``unix_time >> 9`` on."""
    cycle = _cycle_names(word_list)
    start = unix_time >> 9
    return [cycle[s % _CYCLE] for s in range(start, start + nr)]


def _day_slots(day: dt.date) -> range:
    t0 = calendar.timegm(day.timetuple())
    return range(t0 >> 9, ((t0 + 86399) >> 9) + NAMES_PER_CALL)


def generate(day: dt.date, word_list: str) -> list[str]:
    """Every name a bot using ``word_list`` generates during the UTC day ``day``."""
    cycle = _cycle_names(word_list)
    return [cycle[s % _CYCLE] for s in _day_slots(day)]


def _variant(word_list: str, active_from: dt.date, period_source: str) -> Variant:
    w = words(word_list)
    first_lengths = [len(x) for x in w[:128]]
    second_lengths = [len(x) for x in w[128:]]

    def daily(day: dt.date) -> list[str]:
        return generate(day, word_list)

    def blob(day: dt.date) -> bytes:
        return ("\n".join(generate(day, word_list)) + "\n").encode("ascii")

    return Variant(
        family="suppobox",
        name=word_list,
        summary=f"Word list {word_list[-1]}: word (0-127) + word (128-383) + .net, 512 s slots",
        active_from=active_from,
        active_until=None,
        domains_per_day=DOMAINS_PER_DAY,
        tlds=(TLD,),
        generator=daily,
        period_days=1,
        parameters=(
            ("word_list", f"data/suppobox_{word_list}.txt"),
            ("slot_seconds", str(SLOT_SECONDS)),
            ("names_per_call", str(NAMES_PER_CALL)),
        ),
        blob_generator=blob,
        signature=Signature(
            alphabet="abcdefghijklmnopqrstuvwxyz",
            min_len=min(first_lengths) + min(second_lengths),
            max_len=max(first_lengths) + max(second_lengths),
        ),
        period_source=period_source,
    )


_RSA_2013 = (
    "first public analysis: J. Geffner, RSA Conference 2013 (US) talk BR-R01, "
    "conference opening 2013-02-25; no end documented"
)

FAMILY = Family(
    name="suppobox",
    summary="Suppobox: two dictionary words + .net, new name every 512 s, 3 word lists",
    generator_type="wordlist",
    time_seeded=True,
    references=(
        "https://github.com/baderj/domain_generation_algorithms/tree/master/suppobox",
        "http://www.rsaconference.com/writable/presentations/file_upload/"
        "br-r01-end-to-end-analysis-of-a-domain-generating-algorithm-malware-family.pdf",
        "https://www.endgame.com/blog/malware-with-a-personal-touch.html",
    ),
    variants=(
        _variant("words1", dt.date(2013, 2, 25), _RSA_2013),
        _variant("words2", dt.date(2013, 2, 25), _RSA_2013),
        _variant(
            "words3",
            dt.date(2015, 12, 17),
            "word list first published 2015-12-17 (baderj commit 439f2da, from sample "
            "sha256 4ee8484b95d924fe032feb8f26a44796f37fb45eca3593ab533a06785c6da8f8); "
            "no end documented",
        ),
    ),
    aliases=("pizd",),
)
