"""One exception hierarchy: every error a user can see derives from DgawatchError.

Each message says what was wrong and, where it helps, what to do instead; the CLI prints
the message on one line and exits with status 2.
"""

from __future__ import annotations

import os


class DgawatchError(Exception):
    """Base class of every error dgawatch raises on purpose."""


class UnknownFamilyError(DgawatchError):
    """A family or variant name that is not in the registry."""


class DateError(DgawatchError):
    """An impossible date, or one outside what a variant can forecast."""


class InputError(DgawatchError):
    """A file or value given by the user that cannot be read."""


class StoreError(DgawatchError):
    """The forecast store is missing, locked, or of an unknown schema version."""


def unreadable(path: str | os.PathLike[str], exc: OSError) -> str:
    """Why ``path`` could not be read, in words for a one-line error: "it is a directory",
    or the system's reason without Python's ``[Errno N] ...: 'path'`` wrapper."""
    return "it is a directory" if os.path.isdir(path) else (exc.strerror or str(exc))
