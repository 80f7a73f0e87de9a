"""Conficker C peer-to-peer flows: a connection to (dst, port) where ``port`` is one of the
ports ``dst`` would listen on that week (spec §6: 2 TCP + 2 UDP ports from the address and
the week; both week values within 15 minutes of Monday 00:00 UTC) marks the *source* as
probably running Conficker C (its P2P scanner probes exactly those ports).

Inputs: Zeek ``conn.log`` (TSV with a ``#fields`` header, or JSON lines) and flow CSV with a
header naming ``src``, ``dst``, ``dport``, ``proto``, ``time`` (common aliases accepted:
``id.orig_h``/``src_ip``/``saddr``, ``id.resp_h``/``dst_ip``/``daddr``,
``id.resp_p``/``dst_port``, ``ts``/``timestamp``/``start``). Time is epoch seconds or ISO 8601
(a zone-less time is UTC). Every line that cannot be read is reported to the
:class:`~dgawatch.readers.InputReport` with its file, line and reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import ipaddress
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

from dgawatch.conficker_p2p import P2PPorts, ports, week_number
from dgawatch.errors import InputError
from dgawatch.readers import FileRefused, InputReport, archive_kind, read_files
from dgawatch.readers._common import iter_lines

_ALIASES = {
    "src": ("src", "id.orig_h", "src_ip", "saddr", "source", "srcaddr"),
    "dst": ("dst", "id.resp_h", "dst_ip", "daddr", "destination", "dstaddr"),
    "dport": ("dport", "id.resp_p", "dst_port", "dstport", "destination_port"),
    "proto": ("proto", "protocol", "transport"),
    "time": ("time", "ts", "timestamp", "start", "stime", "first"),
}
_SLACK = dt.timedelta(minutes=15)
_FIRST_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_END_TIME = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Flow:
    ts: dt.datetime
    src: str
    dst: str
    dport: int
    proto: str
    source_file: str
    source_line: int


@dataclass(frozen=True)
class FlowHit:
    flow: Flow
    week: int
    kind: str  # "fixed" or "weekly"

    def to_dict(self) -> dict[str, object]:
        f = self.flow
        return {
            "ts": f.ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "dst": f.dst,
            "dport": f.dport,
            "proto": f.proto,
            "week": self.week,
            "port": self.kind,
            "where": f"{f.source_file}:{f.source_line}",
        }


@dataclass(frozen=True)
class FlowFinding:
    """A source that connected to Conficker C P2P ports of its targets."""

    source: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    flows: int
    targets: int
    evidence: tuple[FlowHit, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "family": "conficker",
            "variant": "c",
            "first_seen": self.first_seen.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "last_seen": self.last_seen.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "flows": self.flows,
            "targets": self.targets,
            "evidence": [h.to_dict() for h in self.evidence],
        }


class _BadField(ValueError):
    """A flow field that cannot be read; its message is the report's reason."""


def _parse_time(text: str) -> dt.datetime:
    """Epoch seconds or ISO 8601 (zone-less: UTC), from 1970 to 2099: the week's ports are
    looked up 15 minutes either side, which year 1 or 9999 cannot give (OverflowError)."""
    value = text.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _BadField("time is neither epoch seconds nor ISO 8601") from None
        when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
        if not _FIRST_TIME <= when < _END_TIME:
            raise _BadField("time out of range (1970..2099)") from None
        return when
    if not 0 <= seconds < 4102444800:  # 1970 .. 2100 (NaN fails too)
        raise _BadField("time out of range (1970..2099)")
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _flow(fields: dict[str, str], file: str, line: int) -> Flow:
    proto = fields["proto"].strip().lower()
    if proto in ("6",):
        proto = "tcp"
    elif proto in ("17",):
        proto = "udp"
    try:
        port = int(fields["dport"])
    except ValueError:
        raise _BadField("destination port is not a number") from None
    if not 0 <= port <= 65535:
        raise _BadField("destination port out of range (0..65535)")
    src, dst = _address(fields, "src"), _address(fields, "dst")
    return Flow(_parse_time(fields["time"]), src, dst, port, proto, file, line)


def _address(fields: dict[str, str], key: str) -> str:
    try:
        return str(ipaddress.ip_address(fields[key].strip()))
    except ValueError:
        raise _BadField(f"{key} is not an IP address") from None


def _columns(names: Sequence[str]) -> dict[str, int] | None:
    lower = [n.strip().lower() for n in names]
    found = {}
    for key, aliases in _ALIASES.items():
        for a in aliases:
            if a in lower:
                found[key] = lower.index(a)
                break
        else:
            return None
    return found


def read_flows(paths: Sequence[str | os.PathLike[str]], report: InputReport) -> Iterator[Flow]:
    """Flows from Zeek conn.log (TSV or JSON) and flow CSV files, read like DNS logs
    (:func:`dgawatch.readers.read_files`): directories walked, gzip/zstd, damaged
    compression reported, lines longer than MAX_LINE or not UTF-8 reported and skipped, a
    log of another type refused by name (skipped inside a directory)."""

    def one(name: str, stream: BinaryIO, head: bytes) -> Iterator[Flow]:
        archive = archive_kind(head)
        if archive:
            raise FileRefused(
                name,
                f"{archive}: unpack it first",
                f"{name} is {archive}; unpack it and give the flow files (or their directory)",
            )
        if b"\0" in head:  # a capture, Parquet, an archive: not to be read as a CSV header
            raise FileRefused(
                name,
                "binary data, not a conn.log or flow CSV",
                f"{name} holds binary data (a capture? DNS captures go to 'dgawatch hunt'); "
                "hunt-flows reads Zeek conn.log (TSV or JSON) and flow CSV, as text or gzip/zstd",
            )
        return _read_one(iter_lines(stream, name, report), name, report)

    return read_files(paths, one, report=report)


def _json_log_type(doc: dict[str, object]) -> str:
    """The Zeek log type a JSON record says it is ("" when it cannot tell)."""
    path = doc.get("_path")
    if isinstance(path, str):
        return path
    return "dns" if "query" in doc and ("qtype" in doc or "rcode" in doc) else ""


def _refuse_other_log(name: str, log_type: str) -> None:
    """A Zeek log of another type (dns.log has the same id.* fields as conn.log, so it would
    be read as flows and give 0 findings without a word) is refused, naming what to do."""
    if log_type and log_type not in ("conn", "conn_long"):
        hint = " (DNS logs go to 'dgawatch hunt')" if log_type == "dns" else ""
        raise FileRefused(
            name,
            f"a Zeek {log_type}.log, not conn.log",
            f"{name} is a Zeek {log_type}.log, not conn.log; hunt-flows reads conn.log and "
            f"flow CSV{hint}",
        )


def _refuse_no_flow_fields(name: str, doc: dict[str, object]) -> None:
    """JSON lines whose first record has no address or port field at all (passive DNS, a
    DNS log without ``_path``) are another kind of file: refused by name, not counted as
    malformed flow records line by line."""
    keys = set(doc)
    nested = doc.get("id")
    if isinstance(nested, dict):
        keys |= {f"id.{k}" for k in nested}
    if not any(a in keys for f in ("src", "dst", "dport") for a in _ALIASES[f]):
        raise FileRefused(
            name,
            "JSON records without flow fields (src, dst, dport)",
            f"{name}: its first JSON record has no src, dst or dport field (as "
            f"{', '.join(_ALIASES['src'][:3])}); hunt-flows reads Zeek conn.log and flow CSV",
        )


def _read_one(lines: Iterator[tuple[int, str]], name: str, report: InputReport) -> Iterator[Flow]:
    cols: dict[str, int] | None = None
    header: list[str] = []
    sep = "\t"
    mode = ""
    first_record = True
    for n, line in lines:
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("#path"):
                _refuse_other_log(name, line.split(sep, 1)[1].strip() if sep in line else "")
            if line.startswith("#separator"):
                sep = (
                    line.split(" ", 1)[1].encode().decode("unicode_escape") if " " in line else sep
                )
            elif line.startswith("#fields"):
                header = [h.strip() for h in line.split(sep)[1:]]
                cols = _columns(header)
                mode = "zeek"
                if cols is None:
                    report.bad(name, n, "no src/dst/port/proto/time fields in #fields", line)
            continue
        if not mode:
            if line.lstrip().startswith("{"):
                mode = "json"
            else:
                mode = "csv"
                missing: list[str] = list(_ALIASES)
                for sep in (",", ";", "\t", "|"):  # as the DNS readers' CSV (tabular.DELIMITERS)
                    header = [h.strip() for h in next(csv.reader([line], delimiter=sep))]
                    cols = _columns(header)
                    if cols is not None:
                        break
                    lower = {h.lower() for h in header}
                    lacks = [k for k, names in _ALIASES.items() if lower.isdisjoint(names)]
                    missing = min(missing, lacks, key=len)
                if cols is None:
                    # Refused as 'hunt' refuses it (exit 2 named, skipped in a directory):
                    # an empty table would read as "no infected host".
                    which = ", ".join(missing)
                    known = "; ".join(f"{k}: {', '.join(_ALIASES[k])}" for k in missing)
                    raise FileRefused(
                        name,
                        f"CSV header lacks {which}",
                        f"{name}:{n}: CSV header {line[:80]!r} lacks {which} (names read: "
                        f"{known}); hunt-flows reads Zeek conn.log and flow CSV",
                    )
                continue
        try:
            if mode == "json":
                try:
                    doc = json.loads(line)
                except ValueError:
                    raise _BadField("not JSON (a JSON conn.log has one object a line)") from None
                except RecursionError:
                    raise _BadField("JSON nested too deeply") from None
                if not isinstance(doc, dict):
                    raise _BadField("not a JSON object")
                if first_record:
                    first_record = False
                    _refuse_other_log(name, _json_log_type(doc))
                    _refuse_no_flow_fields(name, doc)
                flat = dict(doc)
                for k, v in doc.get("id", {}).items() if isinstance(doc.get("id"), dict) else ():
                    flat[f"id.{k}"] = v
                picked = {}
                for key, aliases in _ALIASES.items():
                    value = next((flat[a] for a in aliases if a in flat), None)
                    if value is None:
                        raise _BadField(f"no {key} field ({', '.join(aliases)})")
                    picked[key] = str(value)
                yield _flow(picked, name, n)
                continue
            if cols is None:
                continue
            values = line.split(sep) if mode == "zeek" else next(csv.reader([line], delimiter=sep))
            need = max(cols.values()) + 1
            if len(values) < need:
                report.bad(name, n, _short_row(len(values), header[:need]), line)
                continue
            picked = {k: values[i] for k, i in cols.items()}
            if "-" in (picked["dport"], picked["dst"], picked["src"]):
                continue  # unset field: not a connection to a port
            yield _flow(picked, name, n)
        except _BadField as exc:
            report.bad(name, n, f"malformed flow record: {exc}", line)
        except (ValueError, IndexError, KeyError, TypeError, AttributeError) as exc:
            report.bad(name, n, f"malformed flow record ({exc.__class__.__name__})", line)


def _short_row(got: int, wanted: Sequence[str]) -> str:
    """'3 fields, expected at least 5 (ts, src, dst, dport, proto)': the header's columns up
    to the last one a flow needs, so the user sees which are missing."""
    shown = ", ".join(wanted) if len(wanted) <= 8 else ", ".join([*wanted[:7], "..."])
    return f"{got} field{'s' if got != 1 else ''}, expected at least {len(wanted)} ({shown})"


@lru_cache(maxsize=65_536)
def _ports(dst: str, week: int) -> P2PPorts | None:
    try:
        return ports(dst, week)
    except InputError:
        return None  # IPv6: Conficker C's P2P is IPv4 only


def p2p_hits(flow: Flow) -> list[FlowHit]:
    """How ``flow`` matches a port its destination listens on (weeks within the slack)."""
    weeks = sorted(
        {week_number(flow.ts - _SLACK), week_number(flow.ts), week_number(flow.ts + _SLACK)}
    )
    hits = []
    for week in weeks:
        p = _ports(flow.dst, week)
        if p is None:
            return []
        pair = p.tcp if flow.proto == "tcp" else p.udp if flow.proto == "udp" else ()
        for kind, port in zip(("fixed", "weekly"), pair, strict=False):
            if flow.dport == port:
                hits.append(FlowHit(flow, week, kind))
    return hits


def hunt_flows(
    paths: Sequence[str | os.PathLike[str]], report: InputReport, evidence_limit: int = 10
) -> list[FlowFinding]:
    """Sources of flows to Conficker C P2P ports, most flows first."""
    per_src: dict[str, list[FlowHit]] = {}
    for flow in read_flows(paths, report):
        hits = p2p_hits(flow)
        if hits:
            per_src.setdefault(flow.src, []).append(hits[0])
    findings = []
    for src, hits in per_src.items():
        hits.sort(key=lambda h: (h.flow.ts, h.flow.source_file, h.flow.source_line))
        findings.append(
            FlowFinding(
                source=src,
                first_seen=hits[0].flow.ts,
                last_seen=hits[-1].flow.ts,
                flows=len(hits),
                targets=len({h.flow.dst for h in hits}),
                evidence=tuple(hits[:evidence_limit]),
            )
        )
    return sorted(findings, key=lambda f: (-f.flows, f.source))
