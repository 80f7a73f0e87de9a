"""Response Policy Zone (RPZ) export, for BIND 9, Unbound, Knot Resolver, PowerDNS Recursor.

One zone file: SOA and NS at the apex, then one QNAME trigger per forecast name, its owner
relative to the policy zone (so the file loads under whatever zone name the server gives
it). Actions: ``nxdomain`` (``CNAME .``), ``nodata`` (``CNAME *.``), ``sinkhole`` (A/AAAA
local data). ``wildcard`` adds ``*.name`` with the same action, covering subdomains.

Streaming and fast: each day list is rewritten as a whole with ``bytes.replace`` and written
at once. A name that recurs (within a day or across days and variants) is written again:
identical records are merged by the servers when they load the zone (tested with BIND and
Unbound), which costs far less than deduplicating a year of names.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from dgawatch.forecast import DayList

from . import Exporter, ExportOptions, ExportStats
from ._stream import TTL, addresses, name_blobs, prefixed, serial


def actions(options: ExportOptions) -> list[bytes]:
    """The record(s) after each trigger's owner name, as ``b" TYPE rdata\\n"``."""
    if options.policy == "nxdomain":
        return [b" CNAME .\n"]
    if options.policy == "nodata":
        return [b" CNAME *.\n"]
    v4, v6 = addresses(options)
    records = []
    if v4:
        records.append(f" A {v4}\n".encode("ascii"))
    if v6:
        records.append(f" AAAA {v6}\n".encode("ascii"))
    return records


def header(options: ExportOptions) -> bytes:
    what = options.policy
    if options.policy == "sinkhole":
        what += " to " + ", ".join(a for a in addresses(options) if a)
    return (
        f"; dgawatch response policy zone {options.zone}. (schema rpz/1)\n"
        f"; policy {what}{', subdomains too' if options.wildcard else ''}\n"
        "; owner names are relative: load this file as the policy zone's zone file\n"
        f"$TTL {TTL}\n"
        f"@ IN SOA localhost. hostmaster.localhost. {serial(options)} 3600 600 604800 {TTL}\n"
        "@ IN NS localhost.\n"
    ).encode("ascii")


def write_rpz(
    lists: Iterable[DayList], output: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert not isinstance(output, Path)
    records = actions(options)
    output.write(header(options))
    stats = ExportStats()
    for dl in name_blobs(lists, options.tlds):
        if not dl.blob:
            continue
        parts = [f"; {dl.variant.key} {dl.day.isoformat()}\n".encode("ascii")]
        owners = [dl.blob, prefixed(dl.blob, b"*.")] if options.wildcard else [dl.blob]
        parts.extend(owner.replace(b"\n", rec) for owner in owners for rec in records)
        output.writelines(parts)
        stats.names += dl.blob.count(b"\n")
    output.flush()
    return stats


EXPORTERS = (
    Exporter(
        "rpz",
        "Response Policy Zone (BIND, Unbound, Knot Resolver, PowerDNS): nxdomain/nodata/sinkhole",
        write_rpz,
        wildcard=True,
    ),
)
