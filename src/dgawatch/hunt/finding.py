"""Findings: per (client, family, variant), what the hunt saw and how sure it is.

Both engines reduce their matches with the same SQL (:data:`STATS_SQL`, :data:`NAMES_SQL`,
:data:`EVIDENCE_SQL`, :data:`EVIDENCE_DAYS_SQL`, valid in DuckDB and Spark SQL alike) to
small Arrow tables, and :func:`assemble` turns those into :class:`Finding` values with the
one confidence function: same input, same findings, whatever the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa

from dgawatch.hunt.confidence import ListShape, NameShape, confidence

#: One row per (query event, forecast list it matched): the hunt's intermediate relation.
MATCH_SCHEMA = pa.schema(
    [
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("event_day", pa.date32()),
        ("client", pa.string()),
        ("qname", pa.string()),
        ("rcode", pa.string()),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("family", pa.string()),
        ("variant", pa.string()),
        ("list_day", pa.date32()),
        ("idx", pa.int32()),
        ("domain", pa.string()),
    ]
)

_KEY = "client, family, variant"

STATS_SQL = f"""
WITH ev AS (
    SELECT {_KEY}, source_file, source_line,
           max(CASE WHEN rcode = 'NXDOMAIN' THEN 1 ELSE 0 END) AS nx
    FROM matches GROUP BY {_KEY}, source_file, source_line
), evs AS (
    SELECT {_KEY}, CAST(count(*) AS BIGINT) AS queries, CAST(sum(nx) AS BIGINT) AS nxdomain
    FROM ev GROUP BY {_KEY}
), m AS (
    SELECT {_KEY}, min(ts) AS first_seen, max(ts) AS last_seen,
           CAST(count(DISTINCT event_day) AS BIGINT) AS days_active,
           CAST(count(DISTINCT domain) AS BIGINT) AS distinct_names,
           CAST(count(DISTINCT list_day) AS BIGINT) AS list_days,
           min(list_day) AS first_list_day, max(list_day) AS last_list_day
    FROM matches GROUP BY {_KEY}
)
SELECT m.client, m.family, m.variant, m.first_seen, m.last_seen, evs.queries, evs.nxdomain,
       m.days_active, m.distinct_names, m.list_days, m.first_list_day, m.last_list_day
FROM m JOIN evs ON m.client = evs.client AND m.family = evs.family AND m.variant = evs.variant
"""

#: Distinct names per finding grouped by shape (label length, alphabet, NXDOMAIN seen): all
#: the confidence needs (:mod:`dgawatch.hunt.confidence`), without shipping every name.
SHAPES_SQL = f"""
WITH n AS (
    SELECT {_KEY}, domain, max(CASE WHEN rcode = 'NXDOMAIN' THEN 1 ELSE 0 END) AS nx
    FROM matches GROUP BY {_KEY}, domain
), l AS (
    SELECT {_KEY}, nx, substr(domain, 1, instr(domain, '.') - 1) AS label FROM n
), s AS (
    SELECT {_KEY}, nx, length(label) AS label_length,
           26 + CASE WHEN length(translate(label, '0123456789', '')) < length(label)
                     THEN 10 ELSE 0 END
              + CASE WHEN instr(label, '-') > 0 THEN 1 ELSE 0 END AS alphabet
    FROM l
)
SELECT {_KEY}, CAST(label_length AS BIGINT) AS label_length, CAST(alphabet AS BIGINT) AS alphabet,
       CAST(nx AS BIGINT) AS nx, CAST(count(*) AS BIGINT) AS names
FROM s GROUP BY {_KEY}, label_length, alphabet, nx
"""


def evidence_sql(limit: int) -> str:
    """The first ``limit`` matched query events of each finding (by time, file, line)."""
    return f"""
WITH ev AS (
    SELECT {_KEY}, source_file, source_line, min(ts) AS ts, min(qname) AS qname,
           min(domain) AS domain, min(rcode) AS rcode
    FROM matches GROUP BY {_KEY}, source_file, source_line
), r AS (
    SELECT ev.*, row_number() OVER (
        PARTITION BY client, family, variant ORDER BY ts, source_file, source_line) AS rn
    FROM ev
)
SELECT {_KEY}, source_file, source_line, ts, qname, domain, rcode FROM r WHERE rn <= {int(limit)}
"""


EVIDENCE_DAYS_SQL = """
SELECT DISTINCT m.client, m.family, m.variant, m.source_file, m.source_line, m.list_day
FROM matches m JOIN evidence e
  ON m.client = e.client AND m.family = e.family AND m.variant = e.variant
 AND m.source_file = e.source_file AND m.source_line = e.source_line
"""


@dataclass(frozen=True)
class Evidence:
    """One matched query: when, what, and where in the input it was read."""

    ts: dt.datetime
    qname: str
    domain: str
    rcode: str | None
    list_days: tuple[dt.date, ...]
    source_file: str
    source_line: int

    @property
    def where(self) -> str:
        return f"{self.source_file}:{self.source_line}"

    def to_dict(self) -> dict[str, object]:
        return {
            "ts": _iso(self.ts),
            "qname": self.qname,
            "domain": self.domain,
            "rcode": self.rcode,
            "list_days": [d.isoformat() for d in self.list_days],
            "where": self.where,
        }


@dataclass(frozen=True)
class Finding:
    """A client that queried names of one DGA variant's lists (design.md "Finding")."""

    client: str
    family: str
    variant: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    queries: int
    nxdomain: int
    distinct_names: int
    days_active: int
    list_days: int
    first_list_day: dt.date
    last_list_day: dt.date
    confidence: float
    score: float
    evidence: tuple[Evidence, ...]

    @property
    def sort_key(self) -> tuple[float, float, str, str, str]:
        return (-self.confidence, -self.score, self.client, self.family, self.variant)

    def to_dict(self) -> dict[str, object]:
        return {
            "client": self.client,
            "family": self.family,
            "variant": self.variant,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "queries": self.queries,
            "nxdomain": self.nxdomain,
            "distinct_names": self.distinct_names,
            "days_active": self.days_active,
            "list_days": self.list_days,
            "first_list_day": self.first_list_day.isoformat(),
            "last_list_day": self.last_list_day.isoformat(),
            "confidence": self.confidence,
            "score": self.score,
            "evidence": [e.to_dict() for e in self.evidence],
        }


def _iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(value: object) -> dt.datetime:
    assert isinstance(value, dt.datetime)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _ms(value: object) -> dt.datetime:
    """Timestamps at millisecond precision (the event schema's), whatever the engine's."""
    ts = _utc(value)
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)


FindingKey = tuple[str, str, str]


def assemble(
    stats: pa.Table,
    shapes_table: pa.Table,
    evidence: pa.Table,
    evidence_days: pa.Table,
    shapes: Mapping[tuple[str, str], ListShape],
    window_days: int,
) -> list[Finding]:
    """Findings from the four aggregate tables (any row order), sorted most certain first."""
    per_shapes: dict[FindingKey, list[NameShape]] = {}
    for r in shapes_table.to_pylist():
        per_shapes.setdefault((r["client"], r["family"], r["variant"]), []).append(
            (int(r["label_length"]), int(r["alphabet"]), bool(r["nx"]), int(r["names"]))
        )
    days: dict[tuple[str, str, str, str, int], list[dt.date]] = {}
    for r in evidence_days.to_pylist():
        key = (r["client"], r["family"], r["variant"], r["source_file"], int(r["source_line"]))
        days.setdefault(key, []).append(r["list_day"])
    per_ev: dict[FindingKey, list[Evidence]] = {}
    for r in evidence.to_pylist():
        fkey = (r["client"], r["family"], r["variant"])
        dkey = (*fkey, r["source_file"], int(r["source_line"]))
        per_ev.setdefault(fkey, []).append(
            Evidence(
                ts=_ms(r["ts"]),
                qname=r["qname"],
                domain=r["domain"],
                rcode=r["rcode"],
                list_days=tuple(sorted(set(days.get(dkey, ())))),
                source_file=r["source_file"],
                source_line=int(r["source_line"]),
            )
        )
    findings = []
    for r in stats.to_pylist():
        fkey = (r["client"], r["family"], r["variant"])
        shape = shapes[(r["family"], r["variant"])]
        conf, score = confidence(
            sorted(per_shapes.get(fkey, [])), shape, window_days, int(r["days_active"])
        )
        ev = sorted(per_ev.get(fkey, []), key=lambda e: (e.ts, e.source_file, e.source_line))
        findings.append(
            Finding(
                client=r["client"],
                family=r["family"],
                variant=r["variant"],
                first_seen=_ms(r["first_seen"]),
                last_seen=_ms(r["last_seen"]),
                queries=int(r["queries"]),
                nxdomain=int(r["nxdomain"]),
                distinct_names=int(r["distinct_names"]),
                days_active=int(r["days_active"]),
                list_days=int(r["list_days"]),
                first_list_day=r["first_list_day"],
                last_list_day=r["last_list_day"],
                confidence=conf,
                score=score,
                evidence=tuple(ev),
            )
        )
    return sorted(findings, key=lambda f: f.sort_key)


def shapes_of(variants: Sequence[object]) -> dict[tuple[str, str], ListShape]:
    from dgawatch.families.base import Variant

    out = {}
    for v in variants:
        assert isinstance(v, Variant)
        out[(v.family, v.name)] = ListShape(
            domains_per_day=v.domains_per_day,
            suffixes=len(set(v.tlds)),
            time_seeded=v.period_days != 0,
        )
    return out
