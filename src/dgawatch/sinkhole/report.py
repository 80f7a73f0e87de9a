"""Per-network reports, one CSV per network per UTC day, so IntelMQ's Shadowserver parser
and AbuseIO read them unchanged:

* ``<network>_<day>.csv``, Shadowserver's ``event4_sinkhole_http`` columns: the HTTP events
  (the infected machines, or their NAT) whose source address is in the network, with the
  attribution of :mod:`.stats` (address plan);
* ``<network>_<day>_dns.csv``, Shadowserver's ``event4_sinkhole_dns`` columns: the DNS
  queries for sinkholed names from the network, one row per query, for **resolver
  operators**: the resolver address, the time, the name and type, so the operator can find
  the client that asked in its own logs.

A network is an AS number (``AS3333`` / ``3333``, matched through the offline ASN data) or
a CIDR prefix. A network owner gets a file naming only addresses inside their network.

The values come from attackers (User-Agent, X-Forwarded-For, Referer, query names), so each
text cell is neutralised before it reaches a spreadsheet (OWASP CSV injection): a cell
starting with ``= + - @`` TAB or CR gets a leading ``'``, and control bytes are written as
``\\xNN`` (a backslash as ``\\\\``). Files hold victims' addresses: written 0600, whole or
not at all (temp file + rename).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dgawatch.errors import InputError, UnknownFamilyError
from dgawatch.families import get_family
from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.stats import SinkholeStats

#: Shadowserver event4_sinkhole_http, in order.
COLUMNS = (
    "timestamp protocol src_ip src_port src_asn src_geo src_region src_city src_hostname "
    "src_naics src_sector device_vendor device_type device_model severity dst_ip dst_port "
    "dst_asn dst_geo dst_region dst_city dst_hostname dst_naics dst_sector public_source "
    "infection family tag application version event_id http_url http_host http_agent "
    "forwarded_by ssl_cipher http_referer ssl_servername machine_name"
).split()

#: Shadowserver event4_sinkhole_dns, in order.
DNS_COLUMNS = (
    "timestamp protocol src_ip src_port src_asn src_geo src_region src_city src_hostname "
    "src_naics src_sector device_vendor device_type device_model infection family tag "
    "query_type query count"
).split()

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def neutralise(value: object) -> object:
    """A CSV cell safe to open in a spreadsheet (OWASP CSV injection rule): text starting
    with ``= + - @`` TAB or CR gets a leading ``'``; control bytes become ``\\xNN``."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    return _CONTROL.sub(lambda m: "\\\\" if m[0] == "\\" else f"\\x{ord(m[0]):02x}", value)


def write_private(target: Path, data: bytes) -> None:
    """Write ``target`` mode 0600, atomically: a reader sees the old file or the whole new
    one, never a truncated one (temp file in the same directory, fsync, rename)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _csv_bytes(columns: list[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows([[neutralise(v) for v in row] for row in rows])
    return buf.getvalue().encode("utf-8")


@dataclass(frozen=True)
class Network:
    asn: int | None = None
    cidr: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None

    @property
    def label(self) -> str:
        if self.asn is not None:
            return f"AS{self.asn}"
        assert self.cidr is not None
        return str(self.cidr).replace("/", "_").replace(":", "-")

    @classmethod
    def parse_asn(cls, text: str) -> Network:
        digits = text.strip().upper().removeprefix("AS")
        if not digits.isdigit() or not 0 < int(digits) < 2**32:
            raise InputError(f"--asn {text!r} is not an AS number")
        return cls(asn=int(digits))

    @classmethod
    def parse_cidr(cls, text: str) -> Network:
        try:
            return cls(cidr=ipaddress.ip_network(text.strip(), strict=False))
        except ValueError as exc:
            raise InputError(f"--cidr {text!r}: {exc}") from None

    def contains(self, ip: str, enrich: Enricher) -> bool:
        if self.cidr is not None:
            try:
                return ipaddress.ip_address(ip) in self.cidr
            except ValueError:
                return False
        return enrich.asn(ip) == self.asn


def infection(family: str | None) -> str:
    """Shadowserver's infection label: the family module's ``report_tag`` (Conficker is
    ``downadup`` there), else the family's name."""
    if family is None:
        return "unknown"
    try:
        return get_family(family).infection
    except UnknownFamilyError:
        return family


def write_reports(
    directory: Path,
    networks: list[Network],
    output: Path,
    *,
    days: list[dt.date] | None = None,
    enrich: Enricher | None = None,
    counts: dict[str, int] | None = None,
) -> list[Path]:
    """Write ``<output>/<network>_<day>.csv`` (HTTP) and ``<network>_<day>_dns.csv`` (DNS)
    for every network and day with events; HTTP files first. ``counts`` (when given) gets
    ``events``: how many events of the days asked were looked at (to say why none matched)."""
    if not networks:
        raise InputError("give at least one --asn or --cidr")
    enrich = enrich or Enricher()
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--output {output}: {exc.strerror}") from None
    with SinkholeStats(directory) as st:
        where, params = st._where(days)
        cur = st.con.execute(
            f"""SELECT ts, src_ip, src_port, dst_ip, dst_port, request_line, path, host,
                       user_agent, headers, a_family, a_variant, NULL
                FROM http_attr {where} ORDER BY ts""",
            params,
        )
        rows = cur.fetchall()
        dns_rows = st.con.execute(
            f"""SELECT ts, proto, src_ip, src_port, qtype, coalesce(qname, domain), family,
                       variant
                FROM dns_ev {where} ORDER BY ts""",
            params,
        ).fetchall()
    if counts is not None:
        counts["events"] = len(rows) + len(dns_rows)
    files: dict[tuple[str, str], list[list[object]]] = {}
    for (
        ts,
        src_ip,
        src_port,
        dst_ip,
        dst_port,
        line,
        path,
        host,
        agent,
        headers,
        fam,
        var,
        dom,
    ) in rows:
        mine = [n for n in networks if n.contains(src_ip, enrich)]
        if not mine:
            continue
        when = dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
        header_map = {str(k).lower(): str(v) for k, v in (headers or [])}
        version = str(line).rsplit(" ", 1)[-1].removeprefix("HTTP/") if line else ""
        event_id = hashlib.sha256(
            f"{ts}|{src_ip}|{src_port}|{dst_port}|{line}".encode()
        ).hexdigest()
        record = {
            "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
            "protocol": "tcp",
            "src_ip": src_ip,
            "src_port": src_port,
            "src_asn": enrich.asn(src_ip) or "",
            "src_geo": enrich.country(src_ip) or "",
            "severity": "high",
            "dst_ip": dst_ip,
            "dst_port": dst_port,
            "dst_asn": enrich.asn(dst_ip) or "",
            "dst_geo": enrich.country(dst_ip) or "",
            "dst_hostname": dom or "",
            "public_source": "dgawatch",
            "infection": infection(fam),
            "family": fam or "",
            "tag": f"{fam}-{var}".replace("/", "") if fam and var else "",
            "application": "http",
            "version": version,
            "event_id": event_id[:32],
            "http_url": path or "",
            "http_host": host or "",
            "http_agent": agent or "",
            "forwarded_by": header_map.get("x-forwarded-for", ""),
            "http_referer": header_map.get("referer", ""),
        }
        row = [record.get(c, "") for c in COLUMNS]
        for n in mine:
            files.setdefault((n.label, when.date().isoformat()), []).append(row)
    dns_files: dict[tuple[str, str], list[list[object]]] = {}
    for ts, proto, src_ip, src_port, qtype, qname, fam, var in dns_rows:
        mine = [n for n in networks if n.contains(src_ip, enrich)]
        if not mine:
            continue
        when = dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
        record = {
            "timestamp": when.strftime("%Y-%m-%d %H:%M:%S"),
            "protocol": str(proto).removeprefix("dns/") if proto != "dns/dnstap" else "",
            "src_ip": src_ip,
            "src_port": src_port if src_port is not None else "",
            "src_asn": enrich.asn(src_ip) or "",
            "src_geo": enrich.country(src_ip) or "",
            "infection": infection(fam),
            "family": fam or "",
            "tag": f"{fam}-{var}".replace("/", "") if fam and var else "",
            "query_type": qtype or "",
            "query": qname or "",
            "count": 1,
        }
        row = [record.get(c, "") for c in DNS_COLUMNS]
        for n in mine:
            dns_files.setdefault((n.label, when.date().isoformat()), []).append(row)
    written = []
    try:
        for (label, day), day_rows in sorted(files.items()):
            target = output / f"{label}_{day}.csv"
            write_private(target, _csv_bytes(COLUMNS, day_rows))
            written.append(target)
        for (label, day), day_rows in sorted(dns_files.items()):
            target = output / f"{label}_{day}_dns.csv"
            write_private(target, _csv_bytes(DNS_COLUMNS, day_rows))
            written.append(target)
    except OSError as exc:
        raise InputError(
            f"cannot write reports to {output}: {exc.strerror}; {len(written)} written"
        ) from None
    return written
