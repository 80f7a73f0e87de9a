"""What the feed readers share: a strict name check and the mapping from a feed's spelling
of a family ("Cryptolocker - Flashback", "Post Tovar GOZ", "gozi_gpl") to dgawatch's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from dgawatch.errors import DgawatchError
from dgawatch.families import get_family

#: A label: 1..63 printable ASCII characters other than '.' and ',' (some DGAs generate
#: names with '_', '^', '`' or ']', and the bots query them).
_LABEL = r"[\x21-\x2b\x2d\x2f-\x7e]{1,63}"
_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")

#: Feed spellings that neither a family name nor an alias gives (lower-case, words joined
#: by '-'). Bambenek: the "Post Tovar GOZ" list is the post-Tovar GameOver Zeus DGA.
SPELLINGS: dict[str, tuple[str, str | None]] = {
    "post-tovar-goz": ("gameover", "post-tovar"),
    "ptgoz": ("gameover", "post-tovar"),
    "new-goz": ("newgoz", None),
}


def valid_name(text: str) -> str | None:
    """The name lower-cased without a trailing dot, or None when it is no name (at least two
    labels, no space, no control character, no comma)."""
    name = text.strip().rstrip(".").lower()
    if len(name) > 253 or not _NAME.fullmatch(name):
        return None
    return name


@dataclass(frozen=True)
class Mapped:
    """dgawatch's family (None: none registered) and variant key (``family/variant``, None:
    any) for a feed's name. A variant the family declares identical to another family's
    (``gameover/post-tovar`` is ``newgoz/default``) is that one's key."""

    family: str | None
    variant: str | None


def _slug(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower()).strip("-")


def _family(name: str) -> str | None:
    try:
        return get_family(name).name
    except DgawatchError:
        return None


def _variant(family: str, name: str) -> str | None:
    try:
        return get_family(family).variant(name).key
    except DgawatchError:
        return None


@cache
def map_family(feed_family: str) -> Mapped:
    """Try, in order: a known spelling; the whole text as a family (or alias); ``<family> -
    <variant>`` (Bambenek); ``<family>_<variant>`` (Netlab); the first word."""
    slug = _slug(feed_family)
    if not slug:
        return Mapped(None, None)
    if slug in SPELLINGS:
        known, var = SPELLINGS[slug]
        return Mapped(known, _variant(known, var) if var else None)
    whole = _family(feed_family.strip().lower()) or _family(slug)
    if whole is not None:
        return Mapped(whole, None)
    for sep in (" - ", "_", " ", "-"):
        head, found, tail = feed_family.strip().lower().partition(sep)
        if not found:
            continue
        fam = _family(head.strip()) or _family(_slug(head))
        if fam is not None:
            return Mapped(fam, _variant(fam, tail.strip()) or _variant(fam, _slug(tail)))
    return Mapped(None, None)
