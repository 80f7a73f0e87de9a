"""A simulated Conficker C botnet of known size, as events in a sinkhole store.

Each of ``machines`` machines draws 500 of the day's 50,000 names without replacement
(seeded). Only which *held* names each machine drew matters to the sinkhole, so it is
simulated exactly and cheaply: the number of held names in a machine's draw is
hypergeometric(k, D - k, s), and which of the k they are is a uniform subset of that size.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import numpy as np

from dgawatch.families import get_family
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.names import held_names, write_held
from dgawatch.sinkhole.stats import CONFICKER_C_D, CONFICKER_C_S
from dgawatch.sinkhole.store import write_events


def simulate(directory: Path, day: dt.date, machines: int, k: int, seed: int = 1) -> int:
    """Write one DNS event per (machine, held name drawn); return the machines seen."""
    names = held_names(get_family("conficker").variant("c"), day, None)[:k]
    directory.mkdir(parents=True, exist_ok=True)
    write_held(directory, day.isoformat(), {"conficker/c": k}, k)
    rng = np.random.default_rng(seed)
    hits = rng.hypergeometric(k, CONFICKER_C_D - k, CONFICKER_C_S, size=machines)
    base = int(ipaddress.IPv4Address("100.64.0.0"))
    t0 = int(dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp() * 1000)
    events = []
    for machine in np.flatnonzero(hits):
        ip = str(ipaddress.IPv4Address(base + int(machine)))
        for j in rng.choice(k, size=int(hits[machine]), replace=False):
            events.append(
                SinkholeEvent(
                    ts=t0 + int(machine) % 3_600_000,
                    proto="dns/udp",
                    src_ip=ip,
                    src_port=1024 + int(j),
                    dst_ip="192.0.2.1",
                    dst_port=53,
                    domain=names[j],
                    family="conficker",
                    variant="c",
                    day=day.isoformat(),
                    qname=names[j],
                    qtype="A",
                    rcode="NOERROR",
                )
            )
    write_events(events, directory, worker="sim")
    return int(np.count_nonzero(hits))
