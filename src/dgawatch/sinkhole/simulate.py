"""A deterministic Conficker C botnet as the sinkhole sees it: the ground truth for the
estimates in :mod:`.stats` (tests and ``bench/bench_sinkhole_estimates.py``).

Model (one list day ``d``, seeded, every draw from one ``numpy`` generator):

* ``bots`` machines; each draws s = 500 of the day's D = 50,000 Conficker C names without
  replacement. The sinkhole holds the first ``held`` distinct names of the registry's day
  list. Only which held names a machine drew matters to the sinkhole, so that is drawn
  exactly: the count is hypergeometric(k, D - k, s) and the names a uniform subset of that
  size (the same law as drawing the 500 and intersecting; :func:`draw_exact` does the
  latter for small botnets).
* Each machine has a clock skew (normal, ``skew_sd_s``, cut at 4 sd) and contacts each held
  name it drew at an independent uniform time of *its* clock's day, so bots near midnight
  use the neighbouring day's list; neighbouring lists' contacts that land within
  ``edge_s`` of day ``d`` are simulated too (the thinning is exact per contact).
* DNS: each machine asks one of ``resolvers`` shared caching resolvers; the sinkhole sees
  one query per resolver per held name per ``ttl`` (the first after the cache expired).
* HTTP: from the machine's own address to the address the plan answered for the name
  (``plan[0]`` half a, ``plan[1]`` half b), ``Host:`` that address,
  ``GET /search?q=<n>``, the machine's User-Agent (one of ``agents`` strings).
* NAT (``nat_fraction`` of the machines in groups of ``nat_group`` sizes share one
  address) and DHCP churn (``churn_fraction`` of the others renumbered within their /24
  into ``churn_addresses`` addresses over the UTC day).

:func:`write_store` writes the events as the store's Parquet (fast: 200,000 machines in a
few seconds), with the held counts and the address plan; :func:`drive` sends the same
traffic to a running ``sinkhole serve`` on loopback, from distinct 127.x.y.z addresses.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dgawatch.errors import InputError
from dgawatch.families import get_family
from dgawatch.sinkhole.events import COLUMNS, SinkholeEvent
from dgawatch.sinkhole.names import held_names, write_held
from dgawatch.sinkhole.plan import AddressPlan, PlanEntry, write_plan
from dgawatch.sinkhole.stats import CONFICKER_C_D, CONFICKER_C_S

DAY_MS = 86_400_000
_SPACES = {
    # 11.0.0.0 - 125.255.255.255: scattered over the public-looking space
    "public": (0x0B000000, 0x7E000000, 0xC6120001),  # resolvers from 198.18.0.1
    # 127.1.0.0 - 127.254.255.255 (bind-able on Linux loopback); resolvers 127.0.53.x
    "loopback": (0x7F010000, 0x7FFF0000, 0x7F003501),
}
_AGENTS = [
    f"Mozilla/4.0 (compatible; MSIE {ie}; Windows NT {nt}{extra})"
    for ie, nt in (
        ("6.0", "5.1"),
        ("7.0", "5.1"),
        ("7.0", "6.0"),
        ("8.0", "5.1"),
        ("8.0", "6.0"),
        ("8.0", "6.1"),
        ("6.0", "5.2"),
        ("7.0", "5.2"),
    )
    for extra in ("", "; SV1", ".NET CLR 2.0.50727")
]


@dataclass(frozen=True)
class Botnet:
    bots: int
    held: int
    day: dt.date
    resolvers: int = 4
    ttl: int = 300
    skew_sd_s: float = 600.0
    nat_fraction: float = 0.0
    nat_group: tuple[int, int] = (2, 8)
    churn_fraction: float = 0.0
    churn_addresses: tuple[int, int] = (2, 4)
    agents: int = 8
    plan: tuple[str, str] = ("192.0.2.1", "192.0.2.2")
    seed: int = 1
    space: str = "public"
    edge_s: float = 3600.0

    def __post_init__(self) -> None:
        if self.bots < 1 or not 1 <= self.held <= CONFICKER_C_D - CONFICKER_C_S:
            raise InputError("a botnet needs bots >= 1 and 1 <= held <= 49,500")
        if not 1 <= self.agents <= len(_AGENTS) or self.resolvers < 1:
            raise InputError(f"agents must be 1..{len(_AGENTS)}, resolvers at least 1")
        if self.space not in _SPACES or len(self.plan) != 2:
            raise InputError(f"space is one of {', '.join(_SPACES)}; plan is two addresses")

    @cached_property
    def names(self) -> dict[int, list[str]]:
        """Held names of the lists d-1, d, d+1 (offset -> names), from the registry."""
        v = get_family("conficker").variant("c")
        return {o: held_names(v, self.day + dt.timedelta(days=o), self.held) for o in (-1, 0, 1)}

    def address_plan(self) -> AddressPlan:
        return AddressPlan(
            (
                PlanEntry(self.plan[0], "conficker", "c", "a"),
                PlanEntry(self.plan[1], "conficker", "c", "b"),
            )
        )


@dataclass
class Traffic:
    """Contacts (one per machine per held name drawn), as columns, and the truth."""

    botnet: Botnet
    bot: np.ndarray
    offset: np.ndarray  # list day - d
    name: np.ndarray  # index into botnet.names[offset]
    ts: np.ndarray  # HTTP time, UTC ms
    dns_ts: np.ndarray
    src: np.ndarray  # uint32 source address of the HTTP request
    agent: np.ndarray
    resolver: np.ndarray
    truth: dict[str, int] = field(default_factory=dict)

    def select(self, mask: np.ndarray) -> Traffic:
        """The contacts where ``mask`` holds (e.g. what one of several sinkholes saw)."""
        cols = ("bot", "offset", "name", "ts", "dns_ts", "src", "agent", "resolver")
        arrays = {c: getattr(self, c)[mask] for c in cols}
        return Traffic(botnet=self.botnet, truth=dict(self.truth), **arrays)

    @property
    def half(self) -> np.ndarray:
        return self.name & 1

    def dns_queries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(ts, resolver, offset, name) of the queries that reach the sinkhole: per
        resolver and name, the first query and then the first after each TTL expiry."""
        ttl = self.botnet.ttl * 1000
        order = np.lexsort((self.dns_ts, self.name, self.offset, self.resolver))
        t = self.dns_ts[order]
        key = (self.resolver[order].astype(np.int64) * 3 + (self.offset[order] + 1)) * (
            1 << 20
        ) + self.name[order]
        keep = np.zeros(len(t), dtype=bool)
        last_key, last_t = -1, 0
        for i, (k, ti) in enumerate(zip(key.tolist(), t.tolist(), strict=True)):
            if k != last_key or ti >= last_t + ttl:
                keep[i] = True
                last_key, last_t = k, ti
        idx = order[keep]
        return self.dns_ts[idx], self.resolver[idx], self.offset[idx], self.name[idx]


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: faster than np.unique's hash for int64 here)."""
    s = np.sort(a, kind="stable")
    if len(s) == 0:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _unique_addresses(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """n distinct addresses in [lo, hi), none ending in .0 or .255."""
    out = np.zeros(0, dtype=np.int64)
    while len(out) < n:
        more = rng.integers(lo, hi, size=int(n * 1.05) + 16, dtype=np.int64)
        out = _distinct(np.concatenate([out, more[(more & 0xFF) % 255 != 0]]))
    return rng.permutation(out)[:n]


def _subsets(rng: np.random.Generator, counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """For each owner i, ``counts[i]`` distinct indices below k, uniformly: (owner, index)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    idx = rng.integers(0, k, size=len(owner))
    while True:
        order = np.lexsort((idx, owner))
        o, x = owner[order], idx[order]
        dup = np.zeros(len(o), dtype=bool)
        dup[1:] = (o[1:] == o[:-1]) & (x[1:] == x[:-1])
        if not dup.any():
            return o, x
        bad = np.isin(o, o[dup])
        x[bad] = rng.integers(0, k, size=int(bad.sum()))
        owner, idx = o, x


def simulate(b: Botnet) -> Traffic:
    rng = np.random.default_rng(b.seed)
    n = b.bots
    lo, hi, _res = _SPACES[b.space]
    sd = b.skew_sd_s * 1000
    skew = (
        np.clip(rng.normal(0.0, sd, n), -4 * sd, 4 * sd).astype(np.int64)
        if sd
        else (np.zeros(n, dtype=np.int64))
    )
    edge = int(max(b.edge_s * 1000, 4 * sd))
    weights = 1.0 / np.arange(1, b.agents + 1)
    agent = rng.choice(b.agents, size=n, p=weights / weights.sum())
    resolver = rng.integers(0, b.resolvers, size=n)
    home = _unique_addresses(rng, n, lo, hi)
    # NAT: groups share their first member's address.
    perm = rng.permutation(n)
    n_nat = round(b.nat_fraction * n)
    nat = perm[:n_nat]
    if n_nat:
        sizes = rng.integers(b.nat_group[0], b.nat_group[1] + 1, size=n_nat)
        group = np.repeat(np.arange(n_nat), sizes)[:n_nat]
        first = np.searchsorted(group, group)  # index of each group's first member
        home[nat] = home[nat[first]]
    # DHCP churn: renumbered within the /24 over the UTC day.
    n_churn = round(b.churn_fraction * n)
    churners = perm[n_nat : n_nat + n_churn]
    slots = np.ones(n, dtype=np.int64)
    cmax = b.churn_addresses[1] if n_churn else 1
    table = np.repeat(home[:, None], cmax, axis=1)
    if n_churn:
        slots[churners] = rng.integers(b.churn_addresses[0], b.churn_addresses[1] + 1, n_churn)
        for j in range(1, cmax):
            last = (table[churners, 0] & 0xFF) + rng.integers(1, 254, size=n_churn)
            table[churners, j] = (table[churners, 0] & ~0xFF) | (1 + (last - 1) % 254)
    d0 = int(dt.datetime.combine(b.day, dt.time(), dt.UTC).timestamp() * 1000)
    parts: list[tuple[np.ndarray, ...]] = []
    for offset in (-1, 0, 1):
        hits = rng.hypergeometric(b.held, CONFICKER_C_D - b.held, CONFICKER_C_S, size=n)
        if offset == 0:
            start = np.zeros(n, dtype=np.int64)
            width = np.full(n, DAY_MS, dtype=np.int64)
        elif offset == -1:  # clock times late enough to land within `edge` of day d
            width = np.clip(edge - skew, 0, DAY_MS)
            start = DAY_MS - width
        else:
            width = np.clip(edge + skew, 0, DAY_MS)
            start = np.zeros(n, dtype=np.int64)
        if offset:
            hits = rng.binomial(hits, width / DAY_MS)
        owner, idx = _subsets(rng, hits, b.held)
        u = start[owner] + (rng.random(len(owner)) * width[owner]).astype(np.int64)
        ts = d0 + offset * DAY_MS + u - skew[owner]
        parts.append((owner, np.full(len(owner), offset), idx, ts))
    bot = np.concatenate([p[0] for p in parts])
    ts = np.concatenate([p[3] for p in parts])
    frac = np.clip((ts - d0) / DAY_MS, 0.0, 0.999999)
    seg = (frac * slots[bot]).astype(np.int64)
    src = table[bot, seg]
    order = np.argsort(ts, kind="stable")
    traffic = Traffic(
        botnet=b,
        bot=bot[order],
        offset=np.concatenate([p[1] for p in parts])[order],
        name=np.concatenate([p[2] for p in parts])[order],
        ts=ts[order],
        dns_ts=ts[order] - rng.integers(20, 2000, size=len(ts)),
        src=src[order],
        agent=agent[bot][order],
        resolver=resolver[bot][order],
    )
    in_day = (traffic.ts >= d0) & (traffic.ts < d0 + DAY_MS)
    seen = np.zeros(n, dtype=bool)
    seen[traffic.bot[in_day]] = True
    traffic.truth = {
        "bots": n,
        "bots_seen": int(seen.sum()),
        "addresses_seen": len(_distinct(traffic.src[in_day])),
        "nat_bots": n_nat,
        "churn_bots": n_churn,
        "contacts": int(in_day.sum()),
    }
    return traffic


def observe(traffic: Traffic) -> dict[str, int]:
    """What the sinkhole's HTTP side can count on day ``d``, from the arrays: distinct
    sources (n_k), on half a (n1), half b (n2), both (m), /24s and (address|/24, agent)."""
    d0 = int(dt.datetime.combine(traffic.botnet.day, dt.time(), dt.UTC).timestamp() * 1000)
    sel = (traffic.ts >= d0) & (traffic.ts < d0 + DAY_MS)
    src, half, agent = traffic.src[sel], traffic.half[sel], traffic.agent[sel].astype(np.int64)
    keyed = _distinct(src * 2 + half)
    owner = keyed >> 1
    both = int(np.count_nonzero(owner[1:] == owner[:-1]))
    n1 = int(np.count_nonzero((keyed & 1) == 0))
    return {
        "n_k": len(_distinct(src)),
        "n1": n1,
        "n2": len(keyed) - n1,
        "m": both,
        "networks_24": len(_distinct(src >> 8)),
        "address_agent_pairs": len(_distinct(src * 64 + agent)),
        "network_agent_pairs": len(_distinct((src >> 8) * 64 + agent)),
        "requests": int(sel.sum()),
    }


def draw_exact(b: Botnet, rng: np.random.Generator) -> list[list[int]]:
    """Per machine, the held names (indices) among 500 drawn of all 50,000 positions: the
    literal process that :func:`simulate` draws in law (checked against it in tests)."""
    out = []
    for _ in range(b.bots):
        drawn = rng.choice(CONFICKER_C_D, size=CONFICKER_C_S, replace=False)
        out.append(sorted(int(i) for i in drawn[drawn < b.held]))
    return out


# -- output -------------------------------------------------------------------------------


def _ip_strings(addrs: np.ndarray) -> pa.Array:
    a = addrs.astype(np.int64)
    octets = [pa.array((a >> s) & 0xFF).cast(pa.string()) for s in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def ip_text(addr: int) -> str:
    return socket.inet_ntoa(struct.pack("!I", int(addr)))


def resolver_address(b: Botnet, r: int) -> int:
    return _SPACES[b.space][2] + r


_ARROW = {
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "VARCHAR": pa.string(),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR[]": pa.list_(pa.string()),
    "VARCHAR[][]": pa.list_(pa.list_(pa.string())),
}


def _table(cols: dict[str, pa.Array], n: int) -> pa.Table:
    arrays = []
    for name, typ in COLUMNS.items():
        t = _ARROW[typ]
        arrays.append(cols[name].cast(t) if name in cols else pa.nulls(n, t))
    return pa.table(arrays, names=list(COLUMNS))


def write_store(
    traffic: Traffic, directory: Path, *, dns: bool = True, worker: str = "sim"
) -> list[Path]:
    """The traffic as the sinkhole's store (Parquet per UTC day, writer ``worker``: several
    botnets written under distinct writers make one larger store), with ``held-<day>.json``
    for the three lists and the plan in force since the epoch."""
    b = traffic.botnet
    directory.mkdir(parents=True, exist_ok=True)
    for o in (-1, 0, 1):
        day = (b.day + dt.timedelta(days=o)).isoformat()
        write_held(directory, day, {"conficker/c": len(b.names[o])}, b.held)
    write_plan(directory, b.address_plan(), since_ms=0)
    n = len(traffic.ts)
    plan = pa.array(list(b.plan))
    dst = pc.take(plan, pa.array(traffic.half))
    q = pa.array(traffic.bot % 997).cast(pa.string())
    path = pc.binary_join_element_wise("/search?q=", q, "")
    agents = pc.take(pa.array(_AGENTS[: b.agents]), pa.array(traffic.agent))
    http = {
        "v": pa.array(np.ones(n, dtype=np.int32)),
        "ts": pa.array(traffic.ts),
        "proto": pa.array(["http"] * n),
        "src_ip": _ip_strings(traffic.src),
        "src_port": pa.array(1024 + (traffic.bot % 60000).astype(np.int32)),
        "dst_ip": dst,
        "dst_port": pa.array(np.full(n, 80, dtype=np.int32)),
        "request_line": pc.binary_join_element_wise("GET ", path, " HTTP/1.0", ""),
        "method": pa.array(["GET"] * n),
        "path": path,
        "host": dst,
        "user_agent": agents,
        "body_len": pa.array(np.zeros(n, dtype=np.int64)),
        "worker": pa.array([worker] * n),
    }
    tables = [_table(http, n)]
    if dns:
        t, r, off, name = traffic.dns_queries()
        m = len(t)
        domains = []
        days = []
        for o, i in zip(off.tolist(), name.tolist(), strict=True):
            domains.append(b.names[o][i])
            days.append(b.day + dt.timedelta(days=o))
        dom = pa.array(domains)
        base = _SPACES[b.space][2]
        tables.append(
            _table(
                {
                    "v": pa.array(np.ones(m, dtype=np.int32)),
                    "ts": pa.array(t),
                    "proto": pa.array(["dns/udp"] * m),
                    "src_ip": _ip_strings(base + r),
                    "src_port": pa.array(np.full(m, 5353, dtype=np.int32)),
                    "dst_ip": pa.array(["192.0.2.53"] * m),
                    "dst_port": pa.array(np.full(m, 53, dtype=np.int32)),
                    "domain": dom,
                    "family": pa.array(["conficker"] * m),
                    "variant": pa.array(["c"] * m),
                    "day": pa.array(days, pa.date32()),
                    "qname": dom,
                    "qtype": pa.array(["A"] * m),
                    "rcode": pa.array(["NOERROR"] * m),
                    "worker": pa.array([worker] * m),
                },
                m,
            )
        )
    table = pa.concat_tables(tables)
    day_ms = pc.divide(table["ts"], pa.scalar(DAY_MS, pa.int64()))
    written = []
    for day_no in sorted(set(day_ms.to_pylist())):
        part = table.filter(pc.equal(day_ms, day_no))
        utc_day = dt.date(1970, 1, 1) + dt.timedelta(days=int(day_no))
        target = directory / f"events-{utc_day.isoformat()}.{worker}.parquet"
        tmp = target.with_name(f".{target.name}.tmp")
        pq.write_table(part.sort_by("ts"), tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
        written.append(target)
    return written


def events(traffic: Traffic, *, dns: bool = True) -> list[SinkholeEvent]:
    """The same events as :func:`write_store`, as values for the JSON-lines store (small
    botnets: ``write_events`` then ``compact``)."""
    b = traffic.botnet
    out = []
    for bot, half, ts, src, agent in zip(
        traffic.bot.tolist(),
        traffic.half.tolist(),
        traffic.ts.tolist(),
        traffic.src.tolist(),
        traffic.agent.tolist(),
        strict=True,
    ):
        dst = b.plan[half]
        path = f"/search?q={bot % 997}"
        out.append(
            SinkholeEvent(
                ts=ts,
                proto="http",
                src_ip=ip_text(src),
                src_port=1024 + bot % 60000,
                dst_ip=dst,
                dst_port=80,
                request_line=f"GET {path} HTTP/1.0",
                method="GET",
                path=path,
                host=dst,
                user_agent=_AGENTS[agent],
                body_len=0,
                worker="sim",
            )
        )
    if dns:
        for ts, r, o, i in zip(*(x.tolist() for x in traffic.dns_queries()), strict=True):
            name = b.names[o][i]
            out.append(
                SinkholeEvent(
                    ts=ts,
                    proto="dns/udp",
                    src_ip=ip_text(resolver_address(b, r)),
                    src_port=5353,
                    dst_ip="192.0.2.53",
                    dst_port=53,
                    domain=name,
                    family="conficker",
                    variant="c",
                    day=(b.day + dt.timedelta(days=o)).isoformat(),
                    qname=name,
                    qtype="A",
                    rcode="NOERROR",
                    worker="sim",
                )
            )
    return out


# -- driving a real server ------------------------------------------------------------------


def _dns_query(qname: str, qid: int) -> bytes:
    wire = b"".join(bytes([len(p)]) + p.encode() for p in qname.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + b"\x00\x01\x00\x01"


def _answer_a(reply: bytes) -> str:
    """The first A record's address in a reply to :func:`_dns_query`."""
    (an,) = struct.unpack("!H", reply[6:8])
    if an < 1:
        raise ValueError("no answer")
    pos = 12
    while reply[pos]:
        pos += 1 + reply[pos]
    pos += 5
    for _ in range(an):
        pos += 2  # compressed owner
        rtype, _cls, _ttl, rdlen = struct.unpack("!HHIH", reply[pos : pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntoa(reply[pos : pos + 4])
        pos += rdlen
    raise ValueError("no A record")


def drive(
    traffic: Traffic, dns_port: int, http_port: int, *, listen: str = "127.0.0.1"
) -> dict[str, object]:
    """Send the day-``d`` contacts of ``traffic`` (a ``space="loopback"`` botnet) to a
    running sinkhole now: each resolver asks the sinkhole (from its own 127.0.53.x address,
    caching the answer for the TTL), then the machine connects from its own address to the
    sinkhole's HTTP port with ``Host:`` the address it was answered. Returns what was
    sent: answers per name, queries per resolver, the HTTP sources."""
    b = traffic.botnet
    sel = traffic.offset == 0
    names = b.names[0]
    cache: dict[tuple[int, int], str] = {}
    answered: dict[str, str] = {}
    queries = 0
    sources: set[int] = set()
    resolvers: dict[int, socket.socket] = {}
    try:
        for bot, name, src, agent, resolver in zip(
            traffic.bot[sel].tolist(),
            traffic.name[sel].tolist(),
            traffic.src[sel].tolist(),
            traffic.agent[sel].tolist(),
            traffic.resolver[sel].tolist(),
            strict=True,
        ):
            key = (resolver, name)
            ip = cache.get(key)
            if ip is None:
                sock = resolvers.get(resolver)
                if sock is None:
                    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    sock.bind((ip_text(resolver_address(b, resolver)), 0))
                    sock.settimeout(5)
                    resolvers[resolver] = sock
                sock.sendto(_dns_query(names[name], queries & 0xFFFF), (listen, dns_port))
                ip = _answer_a(sock.recvfrom(4096)[0])
                queries += 1
                cache[key] = answered[names[name]] = ip
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
                conn.settimeout(5)
                conn.bind((ip_text(src), 0))
                conn.connect((listen, http_port))
                conn.sendall(
                    f"GET /search?q={bot % 997} HTTP/1.0\r\nHost: {ip}\r\n"
                    f"User-Agent: {_AGENTS[agent]}\r\n\r\n".encode()
                )
                while conn.recv(4096):
                    pass
            sources.add(src)
    finally:
        for sock in resolvers.values():
            sock.close()
    return {"answered": answered, "queries": queries, "sources": sources}
