"""Authoritative look-ups: each watched name is asked of the TLD's own name servers
(recursion off), never of a recursive resolver, which may rewrite NXDOMAIN or answer from
a stale cache.

The TLD's servers are found from the root down (``--root-server``, IANA's root servers by
default), following referrals and their glue; ``--tld-server SUFFIX=ADDR[@PORT]`` names
them directly. Per name, one ``NS`` query:

* NXDOMAIN with the AA bit: the name is not in the zone (free);
* a referral to the name's own NS set: delegated (registered), with the NS hosts and the
  glue addresses as evidence; a delegation only to the TLD's own servers is a registry hold;
* an authoritative NOERROR for the name (no delegation): in the registry zone, undelegated;
* anything else (REFUSED, SERVFAIL, no AA, timeout on every server): the source cannot tell.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from dgawatch.errors import InputError
from dgawatch.watch.evidence import Observation
from dgawatch.watch.ratelimit import TokenBucket

#: IANA's root servers (a.root-servers.net .. m), IPv4, from the root hints file.
ROOT_SERVERS = (
    "198.41.0.4", "170.247.170.2", "192.33.4.12", "199.7.91.13", "192.203.230.10",
    "192.5.5.241", "192.112.36.4", "198.97.190.53", "192.36.148.17", "192.58.128.30",
    "193.0.14.129", "199.7.83.42", "202.12.27.33",
)  # fmt: skip

Server = tuple[str, int]


def parse_server(text: str, option: str) -> Server:
    """``ADDR`` or ``ADDR@PORT`` (as dig and Unbound write it)."""
    addr, _, port = text.strip().partition("@")
    try:
        ipaddress.ip_address(addr)
        number = int(port) if port else 53
    except ValueError:
        raise InputError(f"{option} {text!r}: want an IP address, optionally @PORT") from None
    if not 1 <= number <= 65535:
        raise InputError(f"{option} {text!r}: port must be 1..65535")
    return addr, number


@dataclass(frozen=True)
class Authority:
    """A suffix's authoritative servers and their host names."""

    suffix: str
    servers: tuple[Server, ...]
    hosts: frozenset[str]


class AuthoritativeSource:
    name = "authoritative"

    def __init__(
        self,
        *,
        roots: Sequence[Server] | None = None,
        overrides: dict[str, list[Server]] | None = None,
        bucket: TokenBucket | None = None,
        timeout: float = 2.0,
        tries: int = 2,
    ) -> None:
        self.roots = list(roots) if roots else [(a, 53) for a in ROOT_SERVERS]
        self.overrides = overrides or {}
        self.bucket = bucket or TokenBucket(None)
        self.timeout = timeout
        self.tries = tries
        self._authorities: dict[str, Authority | str] = {}
        self._lock = threading.Lock()
        self._rr = itertools.count()

    # --- finding the TLD's servers --------------------------------------------------

    def authority(self, suffix: str) -> Authority:
        """The suffix's servers, found once per source (a failure too: every name of that
        suffix is then unknown at once, not after its own round of timeouts)."""
        with self._lock:
            found = self._authorities.get(suffix)
            if found is None:
                try:
                    found = self._discover(suffix)
                except InputError as exc:
                    found = str(exc)
                self._authorities[suffix] = found
        if isinstance(found, str):
            raise InputError(found)
        return found

    def _discover(self, suffix: str) -> Authority:
        target = dns.name.from_text(suffix)
        if suffix in self.overrides:
            servers = self.overrides[suffix]
            msg = self._ask(servers, target, "NS")
            hosts = frozenset(
                rd.target.to_text(omit_final_dot=True).lower()
                for rrset in (msg.answer if msg is not None else [])
                if rrset.rdtype == dns.rdatatype.NS
                for rd in rrset
            )
            return Authority(suffix, tuple(servers), hosts)
        servers = self.roots
        port = self.roots[0][1]
        for _ in range(10):  # referral depth: root, TLD, second level ... is plenty
            msg = self._ask(servers, target, "NS")
            if msg is None:
                raise InputError(
                    f"no root/parent server answered for {suffix}; check --root-server"
                )
            if msg.rcode() == dns.rcode.NXDOMAIN:
                raise InputError(f"--tld {suffix}: the root says it does not exist")
            ns_sets = [r for r in msg.answer if r.rdtype == dns.rdatatype.NS and r.name == target]
            final = bool(ns_sets) and bool(msg.flags & dns.flags.AA)
            if not ns_sets:
                ns_sets = [r for r in msg.authority if r.rdtype == dns.rdatatype.NS]
            if not ns_sets:
                raise InputError(f"no delegation found for {suffix} (answer from {servers[0][0]})")
            rrset = ns_sets[0]
            targets = [rd.target for rd in rrset]
            glue = [
                (rd.address, port)
                for r in msg.additional
                if r.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA) and r.name in targets
                for rd in r
            ]
            if not glue:
                raise InputError(
                    f"the delegation of {rrset.name} has no glue addresses; give "
                    f"--tld-server {suffix}=ADDR"
                )
            host_names = frozenset(h.to_text(omit_final_dot=True).lower() for h in targets)
            if final or rrset.name == target:
                return Authority(suffix, tuple(dict.fromkeys(glue)), host_names)
            servers = list(dict.fromkeys(glue))
        raise InputError(f"too many referrals looking for {suffix}")

    def _ask(
        self, servers: Sequence[Server], qname: dns.name.Name, rdtype: str
    ) -> dns.message.Message | None:
        q = dns.message.make_query(qname, rdtype)
        q.flags &= ~dns.flags.RD
        start = next(self._rr)
        for i in range(len(servers) * self.tries):
            addr, port = servers[(start + i) % len(servers)]
            self.bucket.acquire()
            try:
                msg = dns.query.udp(q, addr, port=port, timeout=self.timeout)
                if msg.flags & dns.flags.TC:
                    msg = dns.query.tcp(q, addr, port=port, timeout=self.timeout)
            except (dns.exception.DNSException, OSError):
                continue
            if msg.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                return msg
        return None

    # --- one name -------------------------------------------------------------------

    def observe(self, name: str, suffix: str) -> Observation:
        now = dt.datetime.now(dt.UTC)
        try:
            auth = self.authority(suffix)
        except InputError as exc:
            return Observation(name, self.name, now, None, detail=str(exc))
        qname = dns.name.from_text(name)
        msg = self._ask(auth.servers, qname, "NS")
        if msg is None:
            return Observation(name, self.name, now, None, detail="no authoritative answer")
        aa = bool(msg.flags & dns.flags.AA)
        if msg.rcode() == dns.rcode.NXDOMAIN:
            if not aa:
                return Observation(name, self.name, now, None, detail="NXDOMAIN without AA")
            zone = dns.name.from_text(suffix)
            soa = [r.name for r in msg.authority if r.rdtype == dns.rdatatype.SOA]
            # NXDOMAIN from a zone that does not hold the suffix proves nothing here (a
            # second-level suffix such as co.uk may be part of its parent's zone)
            if soa and (not zone.is_subdomain(soa[0]) or soa[0] == dns.name.root):
                return Observation(
                    name, self.name, now, None, detail=f"NXDOMAIN from zone {soa[0]}, not {suffix}"
                )
            return Observation(name, self.name, now, False, detail="NXDOMAIN (authoritative)")
        ns_sets = [
            r
            for r in list(msg.answer) + list(msg.authority)
            if r.rdtype == dns.rdatatype.NS and r.name == qname
        ]
        if ns_sets:
            hosts = sorted(
                {rd.target.to_text(omit_final_dot=True).lower() for r in ns_sets for rd in r}
            )
            addrs = sorted(
                {
                    rd.address
                    for r in msg.additional
                    if r.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA)
                    for rd in r
                }
            )
            own = bool(auth.hosts) and set(hosts) <= auth.hosts
            return Observation(
                name, self.name, now, True, registry_hold=own, ns=tuple(hosts),
                addresses=tuple(addrs),
                detail="delegated to the registry's own servers" if own else "delegated",
            )  # fmt: skip
        if aa:
            return Observation(
                name, self.name, now, True, registry_hold=True,
                detail="in the registry zone without a delegation",
            )  # fmt: skip
        return Observation(
            name, self.name, now, None, detail="answer neither authoritative nor a referral"
        )
