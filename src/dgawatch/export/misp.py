"""MISP events built with ``pymisp``: one event per (family, variant, day), one JSON file each.

A directory of ``<day>_<family>_<variant>.json`` files, each ``{"Event": {...}}`` as MISP's
"Import from MISP JSON" (and ``MISPEvent.load``) takes it:

- event: ``info`` naming family, variant and day; ``date`` the day; tags
  ``dgawatch:family="<family>"`` and ``dgawatch:variant="<family>/<variant>"``;
  unpublished, distribution 0 (your organisation only), threat level 2, analysis 2;
- one ``domain`` attribute (category ``Network activity``, ``to_ids`` true) per distinct
  name of the day list, ``first_seen``/``last_seen`` the day's UTC bounds, the index in
  the list as comment;
- one ``dga-domain`` object per distinct name (MISP object template ``dga-domain`` v1, as
  shipped with pymisp), its attributes: ``domain`` (to_ids), ``malware-family`` (dgawatch's
  family), ``algorithm-name`` (the family's DGA, ``<family> DGA``), ``algorithm-version`` (the
  variant), ``seed`` (the variant's published seed or configuration, ``key=value; ...``,
  absent when the date alone seeds it), ``epoch`` (the day, 00:00 UTC: the date input),
  ``validity-start``/``validity-end`` (the day's UTC bounds; for a static list, one list for
  the whole active period, its first active day to its last or, open-ended, the day's end),
  ``counter`` (the index in the generated list), ``tld`` (the variant's suffix the name ends
  with) and ``reference`` (the family's public references).

UUIDs are UUIDv5 of the content and timestamps the day's 00:00 UTC, so the same selection
gives the same bytes. The objects' attribute types and categories come from one object built
with pymisp from the template per file; the per-name copies are plain JSON written one at a
time (pymisp needs some 2 ms per ten-attribute object, 100 s for a Conficker C day).
Measured for a Conficker C day (49,999 names): 217 MB of JSON (19 MB without the objects),
12.8 CPU-s, 322 MB peak resident (268 MB without).
``pymisp`` keeps a whole event in memory (about 4-5 KB per attribute
at the peak of serialising it): one event per day list bounds that to one list, about
220 MB for a Conficker C day (50,000 names).
Day lists left empty by ``--tld`` produce no file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from pymisp import MISPEvent, MISPObject

from dgawatch.export import Exporter, ExportOptions, ExportStats, selected_names
from dgawatch.families import get_family
from dgawatch.families.base import Variant
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


#: The template this module fills (pymisp's bundled misp-objects).
TEMPLATE = "dga-domain"
_OBJECTS = "\x00dga-domain objects\x00"


def _seed(v: Variant) -> str | None:
    return "; ".join(f"{k}={val}" for k, val in v.parameters) or None


def _tld(v: Variant, name: str) -> str:
    found = [t for t in v.tlds if name.endswith("." + t)]
    return max(found, key=len) if found else name.rpartition(".")[2]


def _validity(v: Variant, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first, last = day, day
    if v.period_days == 0:  # one list for the whole active period
        first = v.active_from
        last = v.active_until or day
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=dt.UTC)
    return start, end


def object_template(dl: DayList) -> dict[str, object]:
    """One ``dga-domain`` object built by pymisp from the template (types, categories,
    correlation flags), with the day list's shared values; :func:`objects` copies it."""
    v = dl.variant
    start = dt.datetime.combine(dl.day, dt.time(), tzinfo=dt.UTC)
    valid_from, valid_until = _validity(v, dl.day)
    obj = MISPObject(TEMPLATE, standalone=False)
    obj.timestamp = start
    fields: list[tuple[str, object]] = [
        ("domain", "placeholder.invalid"),
        ("malware-family", v.family),
        ("algorithm-name", f"{v.family} DGA"),
        ("algorithm-version", v.name),
        ("epoch", start),
        ("validity-start", valid_from),
        ("validity-end", valid_until),
        ("counter", 0),
        ("tld", "invalid"),
    ]
    seed = _seed(v)
    if seed:
        fields.insert(4, ("seed", seed))
    fields += [("reference", ref) for ref in get_family(v.family).references]
    for relation, value in fields:
        obj.add_attribute(relation, value=value)
    doc: dict[str, object] = json.loads(obj.to_json())
    return doc


def objects(dl: DayList, rows: list[tuple[int, str]]) -> Iterator[dict[str, object]]:
    """The day list's ``dga-domain`` objects, one per distinct name (first index)."""
    template = object_template(dl)
    attrs = template["Attribute"]
    assert isinstance(attrs, list)
    key = f"{dl.variant.key}/{dl.day.isoformat()}"
    seen: set[str] = set()
    for i, name in rows:
        if name in seen:
            continue
        seen.add(name)
        base = f"object/{key}/{name}"
        values = {"domain": name, "counter": str(i), "tld": _tld(dl.variant, name)}
        copies = []
        for n, attr in enumerate(attrs):
            a = dict(attr)
            rel = a["object_relation"]
            if rel in values:
                a["value"] = values[rel]
            a["uuid"] = str(uuid.uuid5(NAMESPACE, f"{base}/{n}/{rel}"))
            copies.append(a)
        yield template | {"uuid": str(uuid.uuid5(NAMESPACE, base)), "Attribute": copies}


def dumps(ev: MISPEvent, extra: Iterable[dict[str, object]] = ()) -> Iterator[bytes]:
    """``{"Event": ...}`` with sorted keys (same bytes whether or not orjson is present);
    ``extra`` objects are appended to ``Event.Object``, serialised one at a time."""
    doc = {"Event": json.loads(ev.to_json())}
    event = doc["Event"]
    assert isinstance(event, dict)
    existing = list(event.get("Object", []))
    event["Object"] = _OBJECTS
    text = json.dumps(doc, sort_keys=True, indent=1)
    head, _, tail = text.partition(json.dumps(_OBJECTS))
    items = (json.dumps(o, sort_keys=True, indent=1) for o in chain(existing, extra))
    first = next(items, None)
    if first is None:
        yield (head + "[]" + tail + "\n").encode("utf-8")
        return
    pad = "\n" + "  "  # Event.Object's items are two levels in (indent=1)
    yield (head + "[" + pad + "  " + first.replace("\n", pad + "  ")).encode("utf-8")
    for item in items:
        yield ("," + pad + "  " + item.replace("\n", pad + "  ")).encode("utf-8")
    yield (pad + "]" + tail + "\n").encode("utf-8")


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
            for chunk in dumps(ev, objects(dl, rows)):
                fh.write(chunk)
        stats.names += len(ev.attributes)
        stats.files.append(path)
    return stats


EXPORTERS = (
    Exporter(
        "misp",
        "MISP events (pymisp), one JSON file per family, variant and day",
        write_misp,
        writes_directory=True,
    ),
)
