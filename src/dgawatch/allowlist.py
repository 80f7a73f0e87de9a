"""``--allowlist FILE``: one reader for every command that takes one (``export``, ``gopack
build``, ``hunt``), so that the same file means the same names everywhere.

The file is a plain list (one domain name a line, ``#`` comments, a leading ``*.`` and a
trailing dot dropped, internationalised names in their A-label form) or a DNS zone file (its
owner names and their registered domains: a registry's or a company's zone is an allowlist
as it stands). It is read as names files are (:func:`dgawatch.namefile.file_bytes`: gzip, a
byte-order mark, UTF-16, ``-`` for standard input). A line that is no name stops the command
with one line naming the file and line.

What a listed name allows is each command's: ``export`` and ``gopack`` withhold exactly the
names listed; the hunt's unknown-DGA stage never counts them, nor any name below them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from dgawatch.errors import InputError

_ONE_NAME = "an allowlist holds one domain name a line (or is a DNS zone file)"


def read_allowlist(path: Path, option: str = "--allowlist") -> tuple[frozenset[str], str]:
    """(the names of the allowlist ``path``, the SHA-256 of its text)."""
    from dgawatch.namefile import file_bytes

    data = file_bytes(path, option)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{option} {path}:{line}: not UTF-8 text; {_ONE_NAME}") from None
    names = _zone_names(path, text) if _is_zone(text) else _plain_names(path, text)
    return frozenset(names), hashlib.sha256(data).hexdigest()


def _is_zone(text: str) -> bool:
    """A zone file starts (after blank and comment lines) with a ``$`` directive or a line
    of several fields; a plain list has one name a line (and maybe a ``#`` comment)."""
    for line in text.splitlines():
        first = line.split("#", 1)[0].strip()
        if line.strip().startswith(";") or not first:
            continue
        return first.startswith("$") or len(first.split()) > 1
    return False


def _plain_names(path: Path, text: str) -> set[str]:
    from dgawatch.domain import normalise

    found = set()
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if len(entry.split()) > 1:
            raise InputError(f"{path}:{number}: {entry!r} is not one name; {_ONE_NAME}")
        try:
            found.add(normalise(entry.removeprefix("*.")))
        except InputError as exc:
            raise InputError(f"{path}:{number}: {exc}; fix or remove the line") from None
    return found


def _zone_names(path: Path, text: str) -> set[str]:
    from dgawatch.domain import normalise, registered_domain
    from dgawatch.gopack import zone_owner_names

    found = set()
    for owner in zone_owner_names(path, text):
        try:
            name = normalise(owner.removeprefix("*."))
        except InputError:
            continue  # zone data such as "_dmarc" owners are no host names
        found.add(name)
        reg = registered_domain(name)
        if reg is not None:
            found.add(reg)
    return found
