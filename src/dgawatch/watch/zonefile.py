"""Zone data as a watch source: a master-format zone file (plain or gzip, as ICANN's CZDS
hands them out: ``<tld>.zone.gz`` / ``<tld>.txt.gz`` in one folder), or a zone transfer
(AXFR) from a server that allows it.

Both are read as a stream of records and only what the watch needs is kept: the apex NS set
(the registry's own servers), and the NS and address records of the watched names and of
their name servers. A name with NS records is delegated (registered); a name in the zone
without a delegation is held by the registry itself; a name the zone lacks is free.
(``dgawatch.gopack.zone_owner_names`` reads owners only; the watch needs the NS data too.)
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import dns.exception
import dns.name
import dns.query
import dns.rdatatype
import dns.tokenizer
import dns.xfr

from dgawatch.errors import InputError
from dgawatch.watch.evidence import Observation

_CLASSES = {"IN", "CH", "HS", "CS"}
_TTL_UNITS = set("smhdwSMHDW")


@dataclass
class ZoneData:
    """What a zone says about the watched names."""

    origin: str
    source: str
    apex_ns: set[str] = field(default_factory=set)
    delegations: dict[str, set[str]] = field(default_factory=dict)
    undelegated: set[str] = field(default_factory=set)
    addresses: dict[str, set[str]] = field(default_factory=dict)
    records: int = 0

    def add(
        self, owner: str, rdtype: str, rdata: list[str], wanted: set[str], origin: str = ""
    ) -> None:
        origin = origin or self.origin
        self.records += 1
        if owner == self.origin:
            if rdtype == "NS" and rdata:
                self.apex_ns.add(_abs(rdata[0], origin))
            return
        if rdtype in ("A", "AAAA") and rdata:
            self.addresses.setdefault(owner, set()).add(rdata[0])
            if owner in wanted:
                self.undelegated.add(owner)
            return
        if owner not in wanted:
            return
        if rdtype == "NS" and rdata:
            self.delegations.setdefault(owner, set()).add(_abs(rdata[0], origin))
        else:
            self.undelegated.add(owner)

    def observe(self, name: str, when: dt.datetime) -> Observation:
        ns = self.delegations.get(name)
        if ns is not None:
            addrs = sorted({a for host in ns for a in self.addresses.get(host, ())})
            own = bool(self.apex_ns) and ns <= self.apex_ns
            return Observation(
                name,
                self.source,
                when,
                True,
                registry_hold=own,
                ns=tuple(sorted(ns)),
                addresses=tuple(addrs),
                detail="delegated to the registry's own servers" if own else "delegated",
            )
        if name in self.undelegated:
            return Observation(
                name,
                self.source,
                when,
                True,
                registry_hold=True,
                detail="in the registry zone without a delegation",
            )
        return Observation(name, self.source, when, False, detail="not in the zone")


def _abs(text: str, origin: str) -> str:
    if text == "@":
        return origin
    text = text.lower()
    if text.endswith("."):
        return text[:-1]
    return f"{text}.{origin}" if origin else text


def _is_ttl(text: str) -> bool:
    return text.isdigit() or (text[:1].isdigit() and set(text) <= set("0123456789") | _TTL_UNITS)


def _records(fh: IO[str], filename: str, origin: str) -> Iterator[tuple[str, str, list[str], str]]:
    """(owner, type, rdata fields, current $ORIGIN) of a master-format stream; owners
    absolute, lower-case, without the final dot."""
    tok = dns.tokenizer.Tokenizer(fh, filename=filename)
    current = origin
    last: str | None = None
    try:
        while True:
            token = tok.get(want_leading=True)
            if token.is_eof():
                return
            if token.is_eol():
                continue
            if token.is_whitespace():
                owner = last
            elif token.value.upper() == "$ORIGIN":
                current = _abs(tok.get_string(), "")
                tok.get_eol()
                continue
            elif token.value.upper() in ("$INCLUDE", "$GENERATE"):
                raise InputError(f"{filename}: {token.value} is not supported; expand it first")
            elif token.value.startswith("$"):
                while not tok.get().is_eol_or_eof():
                    pass
                continue
            else:
                owner = _abs(token.value, current)
            fields: list[str] = []
            while not (t := tok.get()).is_eol_or_eof():
                fields.append(t.value)
            if owner is None:
                raise InputError(f"{filename}:{tok.line_number}: a record without an owner")
            last = owner
            i = 0
            while i < len(fields) and (_is_ttl(fields[i]) or fields[i].upper() in _CLASSES):
                i += 1
            if i < len(fields):
                yield owner, fields[i].upper(), fields[i + 1 :], current
            if t.is_eof():
                return
    except dns.exception.DNSException as exc:
        raise InputError(f"cannot parse zone file {filename}: {exc}") from None


class _NotFlat(Exception):
    """A line the flat reader leaves to the tokenizer (directive, continuation, quotes)."""


def _flat_records(fh: IO[str]) -> Iterator[tuple[str, str, list[str], str]]:
    """The CZDS layout, one record a line with absolute owners (``owner ttl class type
    rdata``), read by splitting lines: several times faster than the tokenizer, which
    takes over (from the start) at the first line that is not that simple."""
    for line in fh:
        if not line.strip() or line[0] == ";":
            continue
        if line[0] in " \t$" or "(" in line or '"' in line or ";" in line:
            raise _NotFlat
        fields = line.split()
        owner = fields[0]
        if not owner.endswith("."):
            raise _NotFlat
        i = 1
        while i < len(fields) and (_is_ttl(fields[i]) or fields[i].upper() in _CLASSES):
            i += 1
        if i < len(fields):
            yield owner[:-1].lower(), fields[i].upper(), fields[i + 1 :], ""


def read_zone_file(path: Path, origin: str, wanted: Iterable[str]) -> ZoneData:
    """The zone ``origin`` from ``path`` (gzip when it ends in .gz)."""
    want = set(wanted)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        try:
            data = ZoneData(origin, f"zone file {path.name}")
            with opener(path, "rt", encoding="utf-8") as fh:
                for owner, rdtype, rdata, current in _flat_records(fh):
                    data.add(owner, rdtype, rdata, want, current)
        except _NotFlat:
            data = ZoneData(origin, f"zone file {path.name}")
            with opener(path, "rt", encoding="utf-8") as fh:
                for owner, rdtype, rdata, current in _records(fh, str(path), origin):
                    data.add(owner, rdtype, rdata, want, current)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputError(f"cannot read zone file {path}: {exc}") from None
    if not data.apex_ns:
        raise InputError(
            f"zone file {path} has no NS records at {origin}.; is it the {origin} zone?"
        )
    return data


def czds_file(folder: Path, suffix: str) -> Path | None:
    """The zone file of ``suffix`` in a CZDS download folder, if there is one."""
    for name in (f"{suffix}.zone.gz", f"{suffix}.txt.gz", f"{suffix}.zone", f"{suffix}.txt"):
        if (folder / name).is_file():
            return folder / name
    return None


def transfer_zone(
    origin: str, server: tuple[str, int], wanted: Iterable[str], *, timeout: float = 30.0
) -> ZoneData:
    """AXFR of ``origin`` from ``server`` (address, port), kept as :class:`ZoneData`."""
    want = set(wanted)
    data = ZoneData(origin, f"axfr {server[0]}#{server[1]}")
    try:
        for msg in dns.query.xfr(server[0], origin + ".", port=server[1], lifetime=timeout):
            for rrset in msg.answer:
                owner = rrset.name.to_text(omit_final_dot=True).lower()
                rdtype = rrset.rdtype
                data.records += len(rrset)
                # Only what the watch keeps is turned into text: most of a zone is other
                # people's delegations (2x faster than converting every record).
                if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    data.addresses.setdefault(owner, set()).update(rd.address for rd in rrset)
                    if owner in want:
                        data.undelegated.add(owner)
                elif owner == origin or owner in want:
                    text = dns.rdatatype.to_text(rdtype)
                    for rd in rrset:
                        data.add(owner, text, rd.to_text().split(), want)
                        data.records -= 1
    except (dns.exception.DNSException, OSError) as exc:
        raise TransferError(
            f"AXFR of {origin} from {server[0]}#{server[1]} failed: {exc}"
        ) from None
    return data


class TransferError(Exception):
    """A zone transfer that did not complete (the check records the names as unknown)."""
