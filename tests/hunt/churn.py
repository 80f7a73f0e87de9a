"""Addresses are not machines: NAT and DHCP over a simulated day (:mod:`tests.hunt.netsim`).

design.md's field conditions: "NAT hides many machines behind one address; DHCP gives one
machine several addresses a day." :func:`churn` rewrites a simulated day's Zeek log so that

* ``nat_groups`` gateways each hide ``nat_size`` machines (drawn at random, infected ones
  included when the draw takes them): all their queries come from the gateway's address
  (``10.250.0.g``), interleaved as a resolver sees them;
* a share ``dhcp`` of the other machines renews its lease once, at a random time of the day,
  to an address no machine had before (``10.251.x.y``): its queries after that time come
  from the new address.

The ground truth is per address: which machines stood behind it, and which DGA names each
of them asked from it (from the simulator's truth, never from the code under test). An
address is *infected* when an infected machine asked DGA names from it; it is *clean* when
no infected machine stood behind it at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.hunt.netsim import DAY, NetDay


@dataclass
class ChurnDay:
    path: Path
    day: NetDay
    #: address -> the machines whose queries came from it
    machines: dict[str, set[str]]
    #: (address, infected machine) -> the DGA names that machine asked from that address
    dga_at: dict[tuple[str, str], set[str]]
    behind_nat: dict[str, str]  # machine -> gateway address
    renewed: dict[str, str]  # machine -> its second address

    def clean(self, address: str) -> bool:
        return not (self.machines.get(address, set()) & set(self.day.infected))

    def infected_addresses(self, min_names: int) -> set[str]:
        """Addresses from which one infected machine asked at least ``min_names`` DGA names
        (the hunt's floor: fewer cannot be a finding)."""
        return {a for (a, _m), names in self.dga_at.items() if len(names) >= min_names}


def churn(
    day: NetDay, path: Path, seed: int, *, dhcp: float, nat_groups: int, nat_size: int
) -> ChurnDay:
    """Write ``day``'s log with NAT gateways and DHCP renewals to ``path`` (deterministic in
    ``seed`` and the day)."""
    rng = np.random.default_rng([seed, len(day.clients), 21])
    order = [day.clients[int(i)] for i in rng.permutation(len(day.clients))]
    if nat_groups * nat_size > len(order):
        raise ValueError("more machines behind NAT than the day has")
    behind = {
        m: f"10.250.0.{k // nat_size + 1}" for k, m in enumerate(order[: nat_groups * nat_size])
    }
    start = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=dt.UTC).timestamp()
    renew_at: dict[str, tuple[float, str]] = {}
    for j, m in enumerate(order[nat_groups * nat_size :]):
        if rng.random() < dhcp:
            renew_at[m] = (start + float(rng.random()) * 86_400, f"10.251.{j // 250}.{j % 250 + 2}")
    machines: dict[str, set[str]] = {}
    dga_at: dict[tuple[str, str], set[str]] = {}
    with open(day.path, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as dst:
        for line in src:
            if line.startswith("#"):
                dst.write(line)
                continue
            f = line.split("\t")
            m = f[2]
            address = behind.get(m)
            if address is None:
                when = renew_at.get(m)
                address = when[1] if when is not None and float(f[0]) >= when[0] else m
            machines.setdefault(address, set()).add(m)
            if f[9] in day.dga_names.get(m, ()):
                dga_at.setdefault((address, m), set()).add(f[9])
            f[2] = address
            dst.write("\t".join(f))
    return ChurnDay(
        path=path,
        day=day,
        machines=machines,
        dga_at=dga_at,
        behind_nat=behind,
        renewed={m: a for m, (_t, a) in renew_at.items()},
    )
