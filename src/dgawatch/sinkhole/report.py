"""Per-network reports: one CSV per network per UTC day, in Shadowserver's
``event4_sinkhole_http`` column order, so IntelMQ's Shadowserver parser and AbuseIO read
them unchanged. Rows are the HTTP events (the infected machines, or their NAT) whose source
address is in the network; each row carries the attribution of :mod:`.stats`.

A network is an AS number (``AS3333`` / ``3333``, matched through the offline ASN data) or
a CIDR prefix. A network owner gets a file naming only addresses inside their network.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from dgawatch.errors import InputError
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


def _infection(family: str | None) -> str:
    if family is None:
        return "unknown"
    return "downadup" if family == "conficker" else family


def write_reports(
    directory: Path,
    networks: list[Network],
    output: Path,
    *,
    days: list[dt.date] | None = None,
    enrich: Enricher | None = None,
) -> list[Path]:
    """Write ``<output>/<network>_<day>.csv`` for every network and day with events."""
    if not networks:
        raise InputError("give at least one --asn or --cidr")
    enrich = enrich or Enricher()
    output.mkdir(parents=True, exist_ok=True)
    with SinkholeStats(directory) as st:
        where, params = st._where(days)
        cur = st.con.execute(
            f"""SELECT ts, src_ip, src_port, dst_ip, dst_port, request_line, path, host,
                       user_agent, headers, a_family, a_variant, a_domain
                FROM http_attr {where} ORDER BY ts""",
            params,
        )
        rows = cur.fetchall()
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
            "infection": _infection(fam),
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
    written = []
    for (label, day), day_rows in sorted(files.items()):
        target = output / f"{label}_{day}.csv"
        with target.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(day_rows)
        written.append(target)
    return written
