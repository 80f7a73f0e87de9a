"""MISP events built with ``pymisp``: one event per (family, variant, day), one JSON file each.

A directory of ``<day>_<family>_<variant>.json`` files, each ``{"Event": {...}}`` as MISP's
"Import from MISP JSON" (and ``MISPEvent.load``) takes it:

- event: ``info`` naming family, variant and day; ``date`` the day; tags
  ``dgawatch:family="<family>"`` and ``dgawatch:variant="<family>/<variant>"``;
  unpublished, distribution 0 (your organisation only), threat level 2, analysis 2;
- one ``domain`` attribute (category ``Network activity``, ``to_ids`` true) per distinct
  name of the day list, ``first_seen``/``last_seen`` the day's UTC bounds, the index in
  the list as comment.

UUIDs are UUIDv5 of the content and timestamps the day's 00:00 UTC, so the same selection
gives the same bytes. ``pymisp`` keeps a whole event in memory (about 4-5 KB per attribute
at the peak of serialising it): one event per day list bounds that to one list, about
220 MB for a Conficker C day (50,000 names).
Day lists left empty by ``--tld`` produce no file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from pymisp import MISPEvent

from dgawatch.export import Exporter, ExportOptions, ExportStats, selected_names
from dgawatch.forecast import DayList
from dgawatch.outfile import atomic_file

#: Namespace of every dgawatch MISP uuid (uuid5(NAMESPACE_URL, "https://dgawatch/misp")).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dgawatch/misp")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(dl: DayList) -> str:
    v = dl.variant
    return _UNSAFE.sub("_", f"{dl.day.isoformat()}_{v.family}_{v.name}") + ".json"


def event(dl: DayList, rows: list[tuple[int, str]], source: str) -> MISPEvent:
    v = dl.variant
    day = dl.day.isoformat()
    start = dt.datetime.combine(dl.day, dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1, seconds=-1)
    ev = MISPEvent()
    ev.uuid = str(uuid.uuid5(NAMESPACE, f"event/{v.key}/{day}"))
    ev.info = f"{source} forecast: {v.family} DGA, variant {v.name}, domains for {day} (UTC)"
    ev.date = dl.day
    ev.timestamp = start
    ev.published = False
    ev.distribution = 0
    ev.threat_level_id = 2
    ev.analysis = 2
    ev.add_tag(f'dgawatch:family="{v.family}"')
    ev.add_tag(f'dgawatch:variant="{v.key}"')
    seen: set[str] = set()
    for i, name in rows:
        if name in seen:
            continue
        seen.add(name)
        ev.add_attribute(
            "domain",
            name,
            category="Network activity",
            to_ids=True,
            comment=f"{v.key} {day} index {i}",
            uuid=str(uuid.uuid5(NAMESPACE, f"attribute/{v.key}/{day}/{name}")),
            timestamp=start,
            first_seen=start,
            last_seen=end,
        )
    return ev


def dumps(ev: MISPEvent) -> bytes:
    """``{"Event": ...}`` with sorted keys (same bytes whether or not orjson is present)."""
    doc = {"Event": json.loads(ev.to_json())}
    return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode("utf-8")


def write_misp(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert isinstance(out, Path)
    stats = ExportStats()
    for dl, rows in selected_names(lists, options.tlds):
        if not rows:
            continue
        ev = event(dl, rows, options.source)
        path = out / file_name(dl)
        with atomic_file(path) as fh:
            fh.write(dumps(ev))
        stats.names += len(ev.attributes)
        stats.files.append(path)
    return stats


EXPORTERS = (
    Exporter(
        "misp",
        "MISP events (pymisp), one JSON file per family, variant and day (directory)",
        write_misp,
        writes_directory=True,
    ),
)
