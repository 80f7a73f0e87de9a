"""DGArchive's ``/today`` document (Fraunhofer FKIE), as dgawatch writes it.

DGArchive answers ``GET /today`` with one JSON object whose keys identify a generator
configuration and whose values are the names it generates around today::

    {"banjori_dga_andersensinaix.com_0x3c03": ["andersensinaix.com", "xjsrrsensinaix.com", ...]}

The part of a key before the first ``_`` is the malware family (DGArchive keeps that stable;
IntelMQ's Fraunhofer DGA parser relies on it), the rest names the seed or configuration.

dgawatch's document (schema ``dgarchive-today/1``), the same shape:

- key ``<family>_dga_<variant>``: dgawatch's family and variant names (a variant is a
  published seed or configuration); a ``_`` in a family's name is written ``-``
  (``unnamed-downloader_dga_ddktn``) so that the family is the part before the first ``_``;
- value: the variant's distinct names of yesterday, today and tomorrow (UTC), in day order
  and, within a day, in generation order; a variant active on none of the three days has no
  key; keys are sorted.

Nothing else is in the document (consumers iterate over all keys); the window is said on
stderr by the CLI and is ``--date`` +- 1 day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from dgawatch.families.base import Variant
from dgawatch.forecast import iter_day_lists

SCHEMA = "dgarchive-today/1"


def key(variant: Variant) -> str:
    """``<family>_dga_<variant>``; a ``_`` in the family's name is written ``-``, so that
    the family stays the part before the first ``_``."""
    return f"{variant.family.replace('_', '-')}_dga_{variant.name}"


def names(variant: Variant, days: Sequence[dt.date]) -> list[str]:
    """The variant's distinct names of ``days`` (the active ones), in order."""
    active = [d for d in days if variant.is_active(d)]
    seen: dict[str, None] = {}
    for dl in iter_day_lists([variant], active):
        seen.update(dict.fromkeys(dl.names()))
    return list(seen)


def entries(
    variants: Sequence[Variant], days: Sequence[dt.date]
) -> Iterator[tuple[str, list[str]]]:
    for v in sorted(variants, key=key):
        if any(v.is_active(d) for d in days):
            yield key(v), names(v, days)


def document(variants: Sequence[Variant], days: Sequence[dt.date]) -> dict[str, list[str]]:
    """The whole document in memory (the portal's answer; the CLI streams it)."""
    return dict(entries(variants, days))


def write(variants: Sequence[Variant], fh: BinaryIO, days: Sequence[dt.date]) -> int:
    """The document, one variant at a time (never the whole selection in memory), indented
    like DGArchive's; returns the number of names written."""
    total = 0
    fh.write(b"{")
    first = True
    for k, values in entries(variants, days):
        body = ",\n    ".join(json.dumps(n) for n in values)
        lead = "\n" if first else ",\n"
        items = f"\n    {body}\n  ]" if values else "]"
        fh.write(f"{lead}  {json.dumps(k)}: [{items}".encode("ascii"))
        first = False
        total += len(values)
    fh.write(b"\n}\n" if not first else b"}\n")
    return total
