"""Known sinkholes: name servers and addresses that mean "held by defenders".

The shipped list (``data/sinkholes.csv``, provenance in ``data/PROVENANCE.md``) is read
together with the user's own file (``--sinkholes FILE``, same columns: ``kind,value`` and
optionally ``organisation``), so an operator's own sinkhole counts as one.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from dgawatch.errors import InputError, unreadable

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SinkholeList:
    """``ns``: host or domain -> organisation; ``networks``: (network, organisation)."""

    ns: dict[str, str]
    networks: tuple[tuple[IPNetwork, str], ...]

    def match(self, ns: Iterable[str], addresses: Iterable[str]) -> str | None:
        """The organisation of the first sinkhole among ``ns`` hosts or ``addresses``."""
        for host in ns:
            labels = host.lower().rstrip(".").split(".")
            for i in range(len(labels) - 1):
                org = self.ns.get(".".join(labels[i:]))
                if org is not None:
                    return org
        for text in addresses:
            try:
                addr = ipaddress.ip_address(text)
            except ValueError:
                continue
            for net, org in self.networks:
                if addr.version == net.version and addr in net:
                    return org
        return None


def _rows(text: str, where: str) -> list[tuple[str, str, str]]:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    out: list[tuple[str, str, str]] = []
    for lineno, row in enumerate(csv.reader(lines), start=1):
        if row and row[0].strip().lower() == "kind":
            continue
        if len(row) < 2:
            raise InputError(f"{where}: row {lineno}: want 'kind,value[,organisation]'")
        kind, value = row[0].strip().lower(), row[1].strip().lower().rstrip(".")
        org = row[2].strip() if len(row) > 2 and row[2].strip() else "user list"
        if kind not in ("ns", "address"):
            raise InputError(
                f"{where}: row {lineno}: kind {row[0]!r} is neither 'ns' nor 'address'"
            )
        out.append((kind, value, org))
    return out


def load_sinkholes(user_file: Path | None = None) -> SinkholeList:
    """The shipped list plus ``user_file``."""
    text = resources.files("dgawatch.watch").joinpath("data/sinkholes.csv").read_text("utf-8")
    rows = _rows(text, "sinkholes.csv")
    if user_file is not None:
        try:
            rows += _rows(user_file.read_text("utf-8"), f"--sinkholes {user_file}")
        except OSError as exc:  # (in words, not Python's "[Errno 2] ...: 'path'")
            why = unreadable(user_file, exc)
            raise InputError(f"--sinkholes {user_file}: cannot read it ({why})") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"--sinkholes {user_file}: cannot read it ({exc})") from None
    ns: dict[str, str] = {}
    nets: list[tuple[IPNetwork, str]] = []
    for kind, value, org in rows:
        if kind == "ns":
            ns.setdefault(value, org)
        else:
            try:
                nets.append((ipaddress.ip_network(value, strict=False), org))
            except ValueError:
                raise InputError(f"sinkhole list: {value!r} is no IP address or network") from None
    return SinkholeList(ns, tuple(nets))
