"""The sinkholed set for a production authoritative server (NSD or Knot).

Every sinkholed name is its own zone, so one zone file serves them all: its records are
relative to the zone's origin (``@ SOA``, ``@ NS ns1``, ``@ A``, ``* A``), and the server
configuration lists every name with that one file, the same answers the built-in listener
gives. Written: ``sinkhole.zone``, ``nsd.conf`` (``include:`` it from nsd.conf) and
``knot.conf`` (a ``zone:`` section for knot.conf).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from dgawatch.errors import InputError


def zone_template(
    addresses: Sequence[str], addresses6: Sequence[str], serial: int, ttl: int = 300
) -> str:
    if not addresses and not addresses6:
        raise InputError("give the sinkhole address: --address (and/or --address6)")
    lines = [
        f"$TTL {ttl}",
        f"@ IN SOA ns1 hostmaster {serial} 3600 600 86400 {ttl}",
        "@ IN NS ns1",
    ]
    for owner in ("@", "*"):
        lines += [f"{owner} IN A {a}" for a in addresses]
        lines += [f"{owner} IN AAAA {a}" for a in addresses6]
    return "\n".join(lines) + "\n"


def write_zone_set(
    names: Sequence[str],
    output: Path,
    *,
    addresses: Sequence[str],
    addresses6: Sequence[str] = (),
    ttl: int = 300,
    serial: int | None = None,
) -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    serial = serial or int(dt.datetime.now(dt.UTC).strftime("%Y%m%d%H"))
    zone = output / "sinkhole.zone"
    zone.write_text(zone_template(addresses, addresses6, serial, ttl))
    nsd = output / "nsd.conf"
    with nsd.open("w") as fh:
        fh.write("# dgawatch sinkhole zones (include: this file from nsd.conf)\n")
        for name in names:
            fh.write(f'zone:\n\tname: "{name}"\n\tzonefile: "{zone.resolve()}"\n')
    knot = output / "knot.conf"
    with knot.open("w") as fh:
        fh.write("# dgawatch sinkhole zones (add to knot.conf)\n")
        fh.write(f'template:\n  - id: dgawatch-sinkhole\n    file: "{zone.resolve()}"\n')
        fh.write("zone:\n")
        for name in names:
            fh.write(f"  - domain: {name}\n    template: dgawatch-sinkhole\n")
    return [zone, nsd, knot]
