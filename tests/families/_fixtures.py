"""Reference outputs committed under ``tests/families/fixtures/<family>/``.

Each file is the standard output of a public reference implementation, run once for fixed
dates/seeds (never produced by dgawatch), stored as ``.txt`` or ``.txt.xz``; each folder's
``PROVENANCE.md`` names the repository, path, commit and arguments of every file. Files
named ``*.sorted.txt*`` come from references that print a set (in no fixed order): their
lines were sorted (``LC_ALL=C sort``) before storing.
"""

from __future__ import annotations

import lzma
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def reference_lines(family: str, name: str) -> list[str]:
    """The lines of ``fixtures/<family>/<name>`` (``.txt`` or ``.txt.xz``), in file order."""
    path = FIXTURES / family / name
    raw = lzma.decompress(path.read_bytes()) if path.suffix == ".xz" else path.read_bytes()
    return raw.decode("ascii").splitlines()
