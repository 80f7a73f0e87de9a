"""Authoritative sinkhole zones for BIND 9, NSD and Knot DNS (directory outputs).

One zone per forecast name, all sharing one zone file, ``sinkhole.zone``, whose records are
relative to the zone's origin: SOA and NS at the apex (the apex is its own name server),
the sinkhole address(es) at the apex, and with ``wildcard`` at ``*`` too. Beside it, the
server's config stanza naming each distinct name once (sorted, bounded external dedup: a
duplicate zone statement is a fatal config error in all three servers), to be included
from the server's main config. Paths in the stanza are absolute paths of the output
directory, so export on the server where the files will live (or rewrite the path).

Why one zone per name rather than one zone per TLD: a sinkhole is authoritative only for
names delegated to it (seized or pre-registered); a ``com`` zone would make the server
claim the whole TLD and answer NXDOMAIN for every unrelated ``.com`` name any resolver
sends it. The shared file keeps the output to two files whatever the number of names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from dgawatch.errors import InputError
from dgawatch.forecast import DayList
from dgawatch.outfile import atomic_file

from . import Exporter, ExportOptions, ExportStats, comments
from ._stream import TTL, addresses, serial, unique_names

ZONE_FILE = "sinkhole.zone"
_BATCH = 10_000


def _needs_address(fmt: str) -> Callable[[ExportOptions], None]:
    def check(options: ExportOptions) -> None:
        if options.policy != "sinkhole":
            raise InputError(
                f"format {fmt} serves each name at a sinkhole address: give --address and/or "
                "--address6 (an authoritative server cannot answer NXDOMAIN for its own zone)"
            )

    return check


def zone_text(options: ExportOptions, fmt: str) -> str:
    """The shared zone file: valid for any origin, so one file serves every forecast name."""
    _needs_address(fmt)(options)
    v4, v6 = addresses(options)
    owners = ["@", "*"] if options.wildcard else ["@"]
    lines = [
        "; dgawatch sinkhole zone (schema sinkhole-zone/1), shared by every forecast name:",
        "; records are relative to the origin each zone statement gives it",
        f"$TTL {TTL}",
        f"@ IN SOA @ hostmaster {serial(options)} 3600 600 604800 {TTL}",
        "@ IN NS @",
    ]
    for owner in owners:
        if v4:
            lines.append(f"{owner} IN A {v4}")
        if v6:
            lines.append(f"{owner} IN AAAA {v6}")
    return "\n".join(lines) + "\n"


def _bind_conf(zone_file: Path) -> tuple[str, str, str]:
    head = (
        "// dgawatch sinkhole zones for BIND 9 (schema bind-sinkhole/1):\n"
        '// include "<this file>"; from named.conf\n'
    )
    stanza = f'zone "{{0}}" {{{{ type primary; file "{zone_file}"; notify no; }}}};\n'
    return head, "", stanza


def _nsd_conf(zone_file: Path) -> tuple[str, str, str]:
    head = (
        "# dgawatch sinkhole zones for NSD (schema nsd-sinkhole/1): include: <this file>\n"
        "pattern:\n"
        '    name: "dgawatch-sinkhole"\n'
        f'    zonefile: "{zone_file}"\n'
    )
    stanza = 'zone:\n    name: "{0}"\n    include-pattern: "dgawatch-sinkhole"\n'
    return head, "", stanza


def _knot_conf(zone_file: Path) -> tuple[str, str, str]:
    # The zone file is shared and read-only for Knot: never flush, never keep a journal.
    head = (
        "# dgawatch sinkhole zones for Knot DNS (schema knot-sinkhole/1): include: <this file>\n"
        "template:\n"
        "  - id: dgawatch-sinkhole\n"
        f'    file: "{zone_file}"\n'
        "    zonefile-sync: -1\n"
        "    zonefile-load: whole\n"
        "    journal-content: none\n"
    )
    stanza = "  - domain: {0}\n    template: dgawatch-sinkhole\n"
    return head, "\nzone:\n", stanza


_CONF = {
    "bind-sinkhole": ("named.conf.sinkhole", _bind_conf),
    "nsd": ("nsd.conf.sinkhole", _nsd_conf),
    "knot": ("knot.conf.sinkhole", _knot_conf),
}
#: How each server's config file starts a comment.
_COMMENT = {"bind-sinkhole": "// ", "nsd": "# ", "knot": "# "}


def _writer(fmt: str) -> Callable[[Iterable[DayList], BinaryIO | Path, ExportOptions], ExportStats]:
    conf_name, conf = _CONF[fmt]

    def write(
        lists: Iterable[DayList], output: BinaryIO | Path, options: ExportOptions
    ) -> ExportStats:
        assert isinstance(output, Path)
        directory = output.resolve()
        zone_file = directory / ZONE_FILE
        with atomic_file(zone_file) as zf:
            zf.write(zone_text(options, fmt).encode("ascii"))
        # head, then the section opening the zone list (before the first zone only), stanzas
        head, section, stanza = conf(zone_file)
        stats = ExportStats(files=[zone_file, directory / conf_name])
        note = _COMMENT[fmt]
        with atomic_file(directory / conf_name) as fh:
            fh.write(head.encode("ascii"))
            fh.write(comments(options, note, final=False))
            batch: list[str] = [section]
            for name in unique_names(lists, options.tlds):
                batch.append(stanza.format(name.decode("ascii")))
                stats.names += 1
                if len(batch) >= _BATCH:
                    fh.write("".join(batch).encode("ascii"))
                    batch.clear()
            if stats.names:
                fh.write("".join(batch).encode("ascii"))
            fh.write(comments(options, note, final=True))
        return stats

    return write


EXPORTERS = (
    Exporter(
        "bind-sinkhole",
        "BIND 9 sinkhole: one zone per name, one shared zone file + named.conf stanza",
        _writer("bind-sinkhole"),
        writes_directory=True,
        wildcard=True,
        check=_needs_address("bind-sinkhole"),
    ),
    Exporter(
        "nsd",
        "NSD sinkhole: one zone per name, one shared zone file + nsd.conf pattern/zones",
        _writer("nsd"),
        writes_directory=True,
        wildcard=True,
        check=_needs_address("nsd"),
    ),
    Exporter(
        "knot",
        "Knot DNS sinkhole: one zone per name, one shared zone file + knot.conf template/zones",
        _writer("knot"),
        writes_directory=True,
        wildcard=True,
        check=_needs_address("knot"),
    ),
)
