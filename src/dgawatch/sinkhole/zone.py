"""The sinkholed set for a production authoritative server (NSD or Knot), answering by the
address plan.

Every sinkholed name is its own zone. The address plan (:mod:`.plan`, the same
``AddressPlan.assign`` as ``sinkhole serve``) answers each name by its family/variant and
the half of the held names it is in, so names fall into a few *answer groups* (the same
(IPv4, IPv6) answer). One zone file per group, its records relative to the origin, serves
every name of that group; its text is the export module's (:func:`dgawatch.export.zonefiles.
zone_text`, the one zone-file writer), with the group's further addresses added as more
records at the same owners when a group has several. With one group of one address per
address family (e.g. ``--address A`` alone), the output is exactly ``export``'s
``nsd`` and ``knot`` formats: ``sinkhole.zone``, ``nsd.conf.sinkhole``,
``knot.conf.sinkhole``. With several: ``sinkhole-<g>.zone`` per group, and the two configs
with one NSD ``pattern`` / Knot ``template`` per group (``dgawatch-sinkhole-<g>``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from dgawatch.errors import InputError
from dgawatch.export import ExportOptions, get_exporter
from dgawatch.export.zonefiles import zone_text
from dgawatch.forecast import DayList
from dgawatch.outfile import atomic_file
from dgawatch.sinkhole.names import SinkholeSet
from dgawatch.sinkhole.plan import AddressPlan

Answer = tuple[tuple[str, ...], tuple[str, ...]]


def answer_groups(sinkset: SinkholeSet, plan: AddressPlan) -> dict[Answer, list[str]]:
    """Names by the (IPv4, IPv6) addresses the plan answers for them (the DNS listener's
    rule: the name's first (variant, day) list and its half there), names sorted."""
    groups: dict[Answer, list[str]] = {}
    for name in sinkset.names():
        found = sinkset.get(name)
        assert found
        answer = plan.answer(found[0].family, found[0].variant, sinkset.half(name))
        groups.setdefault(answer, []).append(name)
    return dict(sorted(groups.items()))


def group_zone_text(answer: Answer, serial: int) -> str:
    """The export module's shared zone file for the group's first addresses, plus one
    record per further address at the same owners (``@`` and ``*``)."""
    v4, v6 = answer
    options = ExportOptions(
        policy="sinkhole",
        address=v4[0] if v4 else None,
        address6=v6[0] if v6 else None,
        wildcard=True,
        serial=serial,
    )
    text = zone_text(options, "nsd")
    extra = [f"{o} IN A {a}" for o in ("@", "*") for a in v4[1:]]
    extra += [f"{o} IN AAAA {a}" for o in ("@", "*") for a in v6[1:]]
    return text + "".join(line + "\n" for line in extra)


def write_planned_zones(
    sinkset: SinkholeSet,
    output: Path,
    *,
    addresses: Sequence[str],
    addresses6: Sequence[str] = (),
    serial: int | None = None,
) -> list[Path]:
    """NSD and Knot configuration for ``sinkset`` answering by the address plan of these
    addresses (see the module docstring)."""
    if not addresses and not addresses6:
        raise InputError("give the sinkhole address: --address (and/or --address6)")
    plan = AddressPlan.assign(sinkset.variants, addresses, addresses6)
    groups = answer_groups(sinkset, plan)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write --output {output}: {exc.strerror or exc}") from None
    serial = serial if serial is not None else int(dt.datetime.now(dt.UTC).timestamp())
    if len(groups) <= 1:
        ((v4, v6),) = groups or {((), ()): []}
        if len(v4) <= 1 and len(v6) <= 1:
            return _export(next(iter(groups.values()), []), output, v4, v6, serial)
    directory = output.resolve()
    files: list[Path] = []
    nsd = ["# dgawatch sinkhole zones for NSD (schema nsd-sinkhole/1): include: <this file>\n"]
    knot = [
        "# dgawatch sinkhole zones for Knot DNS (schema knot-sinkhole/1): include: <this file>\n",
        "template:\n",
    ]
    knot_zones = ["\nzone:\n"]
    for g, (answer, names) in enumerate(groups.items()):
        zone_file = directory / f"sinkhole-{g}.zone"
        with atomic_file(zone_file) as fh:
            fh.write(group_zone_text(answer, serial).encode("ascii"))
        files.append(zone_file)
        pattern = f"dgawatch-sinkhole-{g}"
        answers = ", ".join(answer[0] + answer[1])
        nsd.append(f'# group {g}: answers {answers}\npattern:\n    name: "{pattern}"\n')
        nsd.append(f'    zonefile: "{zone_file}"\n')
        nsd += [f'zone:\n    name: "{n}"\n    include-pattern: "{pattern}"\n' for n in names]
        # the zone file is shared and read-only for Knot: never flush, never keep a journal
        knot.append(
            f'  - id: {pattern}\n    file: "{zone_file}"\n    zonefile-sync: -1\n'
            "    zonefile-load: whole\n    journal-content: none\n"
        )
        knot_zones += [f"  - domain: {n}\n    template: {pattern}\n" for n in names]
    for name, parts in (("nsd.conf.sinkhole", nsd), ("knot.conf.sinkhole", knot + knot_zones)):
        with atomic_file(directory / name) as fh:
            fh.write("".join(parts).encode("ascii"))
        files.append(directory / name)
    return files


def _export(
    names: list[str], output: Path, v4: tuple[str, ...], v6: tuple[str, ...], serial: int
) -> list[Path]:
    """One answer for every name: exactly the export module's ``nsd`` and ``knot``."""
    options = ExportOptions(
        policy="sinkhole",
        address=v4[0] if v4 else None,
        address6=v6[0] if v6 else None,
        wildcard=True,
        serial=serial,
    )
    blob = ("\n".join(names) + "\n").encode("ascii") if names else b""
    from dgawatch.families import all_variants

    lists = [DayList(all_variants()[0], dt.date.today(), blob)]
    files: list[Path] = []
    for fmt in ("nsd", "knot"):
        files += get_exporter(fmt).write(lists, output, options).files
    return list(dict.fromkeys(files))
