"""Suricata dataset of forecast names plus the rule that matches DNS queries against it.

A directory of three files:

- ``dgawatch-dga.lst``: the dataset, type ``string``; Suricata expects each value base64
  encoded, one per line (Suricata user guide, "Datasets", "File formats"). Names are
  deduplicated within each (variant, day) list only (memory stays at one list); Suricata
  ignores the repeated values when it loads the set.
- ``dgawatch-dga.rules``: ``alert dns ... dns.query; dataset:isset,dgawatch-dga, type string,
  load dgawatch-dga.lst, memcap ..., hashsize ...;`` (``load`` is relative to the rules file),
  sized from the number of lines written.
- ``suricata.yaml.example``: the same set declared in ``suricata.yaml`` instead, with the
  short rule to use then.

Matching is exact on the query name: ``www.<name>`` is not matched, nor is a query whose
letters were case-randomised (names are lower case).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from dgawatch import __version__
from dgawatch.export import Exporter, ExportOptions, ExportStats, comments, selected_names
from dgawatch.forecast import DayList
from dgawatch.outfile import atomic_file

DATASET = "dgawatch-dga"
DATASET_FILE = f"{DATASET}.lst"
RULES_FILE = f"{DATASET}.rules"
YAML_FILE = "suricata.yaml.example"
#: Local-use signature id range is 1000000-1999999.
SID = 1_990_001
#: Rough bytes per entry of a Suricata string set (hash bucket, record, the string).
_BYTES_PER_ENTRY = 192


def encode(name: str) -> bytes:
    return base64.b64encode(name.encode("ascii"))


def _sizing(entries: int) -> tuple[str, int]:
    memcap_mb = max(16, -(-entries * _BYTES_PER_ENTRY // (1 << 20)))
    hashsize = 1024
    while hashsize < entries:
        hashsize *= 2
    return f"{memcap_mb}mb", hashsize


def rule(memcap: str | None = None, hashsize: int | None = None) -> str:
    """The alert rule; without sizing it refers to a set declared in suricata.yaml."""
    options = ""
    if memcap is not None:
        options = f", type string, load {DATASET_FILE}, memcap {memcap}, hashsize {hashsize}"
    return (
        f'alert dns any any -> any any (msg:"dgawatch forecast DGA domain queried"; '
        f"dns.query; dataset:isset,{DATASET}{options}; classtype:trojan-activity; "
        f"sid:{SID}; rev:1;)\n"
    )


def write_suricata(
    lists: Iterable[DayList], out: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert isinstance(out, Path)
    stats = ExportStats()
    variants: set[str] = set()
    days: set[str] = set()
    with atomic_file(out / DATASET_FILE) as fh:
        for dl, rows in selected_names(lists, options.tlds):
            unique = dict.fromkeys(name for _, name in rows)
            fh.write(b"".join(encode(name) + b"\n" for name in unique))
            stats.names += len(unique)
            variants.add(dl.variant.key)
            days.add(dl.day.isoformat())
    memcap, hashsize = _sizing(stats.names)
    span = f"{min(days)} .. {max(days)}" if days else "(no days)"
    header = (
        f"# dgawatch {__version__} Suricata dataset rule\n"
        f"# variants: {', '.join(sorted(variants)) or '(none)'}\n"
        f"# days: {span}; {stats.names} dataset lines in {DATASET_FILE}\n"
    ) + (comments(options, "# ", final=False) + comments(options, "# ", final=True)).decode()
    with atomic_file(out / RULES_FILE) as fh:
        fh.write((header + rule(memcap, hashsize)).encode("ascii"))
    yaml = comments(options, "# ", final=True).decode() + (
        "# Alternative to the load options in the rule: declare the set in suricata.yaml\n"
        "# (absolute path to where you copied the file) ...\n"
        "datasets:\n"
        f"  {DATASET}:\n"
        "    type: string\n"
        f"    load: /etc/suricata/rules/{DATASET_FILE}\n"
        f"    memcap: {memcap}\n"
        f"    hashsize: {hashsize}\n"
        "# ... and use this rule instead of the one in the .rules file:\n"
        f"# {rule()}"
    )
    with atomic_file(out / YAML_FILE) as fh:
        fh.write(yaml.encode("ascii"))
    stats.files = [out / DATASET_FILE, out / RULES_FILE, out / YAML_FILE]
    return stats


EXPORTERS = (
    Exporter(
        "suricata-dataset",
        "Suricata string dataset (base64 lines) + dns.query dataset rule + suricata.yaml example",
        write_suricata,
        writes_directory=True,
    ),
)
