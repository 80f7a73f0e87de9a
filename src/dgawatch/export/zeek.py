"""Zeek Intelligence Framework input file (``Intel::read_files``).

Zeek reads it with its ASCII input reader: one ``#fields`` header naming the columns,
then tab-separated rows. Each forecast name is an ``Intel::DOMAIN`` indicator, which Zeek
matches against DNS queries, HTTP Host headers and TLS SNI (exact names, no subdomains).
``meta.source`` names the producer, family and variant; ``meta.desc`` the day and the index
in the day's list. Zeek keeps one metadata record per (indicator, source), so a name that a
variant generates on several days ends up with the description of the last such day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from dgawatch.export import Exporter, ExportOptions, ExportStats, comments, selected_names
from dgawatch.forecast import DayList

FIELDS = ("indicator", "indicator_type", "meta.source", "meta.desc")
HEADER = "#fields\t" + "\t".join(FIELDS) + "\n"
INDICATOR_TYPE = "Intel::DOMAIN"

_UNSAFE = re.compile(r"[\t\r\n\\]")


def _field(text: str) -> str:
    """A value Zeek's ASCII reader takes verbatim: no separators, never empty / unset."""
    text = _UNSAFE.sub(" ", text).strip()
    return text if text and text not in ("-", "(empty)") else "dgawatch"


def write_zeek_intel(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert not isinstance(out, Path)
    stats = ExportStats()
    out.write(HEADER.encode("ascii"))
    out.write(comments(options, "# ", final=False))  # Zeek skips "#" lines but "#fields"
    for dl, rows in selected_names(lists, options.tlds):
        source = _field(f"{options.source}:{dl.variant.key}")
        desc = _field(f"{dl.variant.key} DGA domain for {dl.day.isoformat()} (UTC), index")
        head = f"\t{INDICATOR_TYPE}\t{source}\t{desc} "
        out.write("".join(f"{name}{head}{i}\n" for i, name in rows).encode("ascii"))
        stats.names += len(rows)
    out.write(comments(options, "# ", final=True))
    out.flush()
    return stats


EXPORTERS = (
    Exporter(
        "zeek-intel",
        "Zeek Intel framework file (Intel::DOMAIN, source/desc name family, variant, day)",
        write_zeek_intel,
    ),
)
