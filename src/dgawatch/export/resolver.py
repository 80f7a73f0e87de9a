"""Resolver-side block lists: Unbound local zones and a hosts file.

``unbound``: a config fragment (it opens with ``server:``, so it is a valid file for
``include:`` anywhere in unbound.conf, and for ``unbound-checkconf`` on its own). Each
distinct name becomes one local zone, in byte order: ``always_nxdomain``, ``always_nodata``,
or ``redirect`` with local data at the sinkhole address(es). A local zone always covers
the name's subdomains, so ``wildcard`` changes nothing here. Names are deduplicated with a
bounded external sort (Unbound warns about every duplicate local-zone).

``hosts``: ``address name`` lines for /etc/hosts-style blockers (dnsmasq ``addn-hosts``,
Pi-hole, hosts files): the sinkhole address(es), or ``0.0.0.0`` for the nxdomain and nodata
policies (a hosts file cannot say NXDOMAIN). Exact names only: hosts files have no
wildcards. Streamed in generation order; a recurring name is listed again (harmless).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from dgawatch.forecast import DayList

from . import Exporter, ExportOptions, ExportStats, check_policy_addresses, comments
from ._stream import TTL, addresses, name_blobs, prefixed, unique_names

_ZONE_TYPE = {"nxdomain": "always_nxdomain", "nodata": "always_nodata", "sinkhole": "redirect"}
_BATCH = 10_000


def write_unbound(
    lists: Iterable[DayList], output: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert not isinstance(output, Path)
    zone_type = _ZONE_TYPE[options.policy]
    v4, v6 = addresses(options)
    what = options.policy
    if options.policy == "sinkhole":
        what += " to " + ", ".join(a for a in (v4, v6) if a)
    output.write(
        f"# dgawatch Unbound local zones (schema unbound/1): policy {what}\n"
        "# each distinct forecast name once, in byte order; a local zone covers subdomains\n"
        "server:\n".encode("ascii")
    )
    output.write(comments(options, "# ", final=False))
    local_data = []
    if v4:
        local_data.append(f'    local-data: "{{0}}. {TTL} IN A {v4}"\n')
    if v6:
        local_data.append(f'    local-data: "{{0}}. {TTL} IN AAAA {v6}"\n')
    template = f'    local-zone: "{{0}}." {zone_type}\n' + "".join(local_data)
    stats = ExportStats()
    batch: list[str] = []
    for name in unique_names(lists, options.tlds):
        batch.append(template.format(name.decode("ascii")))
        if len(batch) >= _BATCH:
            output.write("".join(batch).encode("ascii"))
            stats.names += len(batch)
            batch.clear()
    output.write("".join(batch).encode("ascii"))
    stats.names += len(batch)
    output.write(f"# {stats.names} names\n".encode("ascii"))
    output.write(comments(options, "# ", final=True))
    output.flush()
    return stats


def write_hosts(
    lists: Iterable[DayList], output: BinaryIO | Path, options: ExportOptions
) -> ExportStats:
    assert not isinstance(output, Path)
    v4, v6 = addresses(options)
    targets = [a for a in (v4, v6) if a] if options.policy == "sinkhole" else ["0.0.0.0"]
    output.write(
        f"# dgawatch hosts block list (schema hosts/1): {', '.join(targets)}; exact names\n".encode(
            "ascii"
        )
    )
    output.write(comments(options, "# ", final=False))
    stats = ExportStats()
    for dl in name_blobs(lists, options.tlds):
        if not dl.blob:
            continue
        output.writelines(prefixed(dl.blob, f"{t} ".encode("ascii")) for t in targets)
        stats.names += dl.blob.count(b"\n")
    output.write(comments(options, "# ", final=True))
    output.flush()
    return stats


EXPORTERS = (
    Exporter(
        "unbound",
        "Unbound local-zone config (include: it): always_nxdomain/always_nodata/redirect",
        write_unbound,
        wildcard=True,  # a local-zone covers its subdomains anyway
        check=check_policy_addresses,
    ),
    Exporter(
        "hosts",
        "hosts file: sinkhole address (or 0.0.0.0) per forecast name",
        write_hosts,
        check=check_policy_addresses,
    ),
)
