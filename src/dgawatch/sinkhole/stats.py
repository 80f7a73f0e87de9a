"""Counting what the sinkhole saw, and estimating how many sources are behind it.

Every observed figure is a number of **distinct source addresses** in one UTC hour or day
(never a sum over days: the same machine comes back every day). An address is not a
machine: NAT puts many machines behind one address, DHCP spreads one machine over several,
and the DNS side mostly sees the victims' *resolvers*. HTTP sources are the machines (or
their NAT).

Population estimates (Conficker C, each machine querying s = 500 of the day's D = 50,000
names, uniformly without replacement):

* **k-of-D**: with k of the day's names held, a machine is seen with probability
  ``p_k = 1 - C(D-k, s) / C(D, s)``; the n_k distinct sources seen give ``N = n_k / p_k``
  (binomial 95 % interval ``N ± 1.96 sqrt(N (1 - p_k) / p_k)``).
* **capture-recapture** (k ≥ 2): the held names are split into two fixed halves by
  generation order; sources seen on half A (n1), on half B (n2) and on both (m) give
  Lincoln-Petersen ``n1 n2 / m`` and Chapman ``(n1+1)(n2+1)/(m+1) - 1``. It needs neither
  D nor s, so it checks them.

For A and B every machine tries all 250 names, so one held name sees the whole active
population: the estimate is the distinct count itself (method ``complete``).

HTTP events carry no domain (Conficker A/B put the sinkhole's IP in ``Host:``); they are
attributed to the latest sinkholed DNS query from the same address within ``join_window``,
or, failing that, to Conficker A/B when the request has the rendezvous shape.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dgawatch.errors import InputError
from dgawatch.families import get_family
from dgawatch.sinkhole.names import held_names, read_held
from dgawatch.sinkhole.store import connect

CONFICKER_C_D = 50_000
CONFICKER_C_S = 500
UNIT_OBSERVED = "distinct source addresses (observed; not machines)"
UNIT_ESTIMATE = "source addresses (estimated population of independent samplers)"
BY_CHOICES = ("hour", "day", "country", "asn", "family")


def p_k(k: int, d: int = CONFICKER_C_D, s: int = CONFICKER_C_S) -> float:
    """Probability that a machine drawing s of d names without replacement hits any of k."""
    if k <= 0:
        return 0.0
    if k > d - s:
        return 1.0
    miss = 1.0
    for i in range(s):
        miss *= (d - k - i) / (d - i)
    return 1.0 - miss


@dataclass(frozen=True)
class Estimate:
    family: str
    variant: str
    day: str
    protocol: str
    method: str
    value: float
    ci95: tuple[float, float] | None
    unit: str = UNIT_ESTIMATE
    inputs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        doc = asdict(self)
        doc["ci95"] = list(self.ci95) if self.ci95 else None
        return doc


def k_of_d(
    n_k: int, k: int, d: int = CONFICKER_C_D, s: int = CONFICKER_C_S
) -> tuple[float, tuple[float, float]]:
    p = p_k(k, d, s)
    if p <= 0:
        raise InputError("no names held: k must be at least 1")
    n = n_k / p
    half = 1.96 * math.sqrt(max(n, 1.0) * (1 - p) / p)
    return n, (max(float(n_k), n - half), n + half)


def lincoln_petersen(n1: int, n2: int, m: int) -> float | None:
    return n1 * n2 / m if m > 0 else None


def chapman(n1: int, n2: int, m: int) -> tuple[float, tuple[float, float]]:
    n = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    half = 1.96 * math.sqrt(max(var, 0.0))
    return n, (max(float(n1 + n2 - m), n - half), n + half)


# -- SQL over the store -------------------------------------------------------------------

_ATTRIBUTED = """
CREATE OR REPLACE TEMP VIEW dns_ev AS
  SELECT * FROM events WHERE proto LIKE 'dns/%' AND domain IS NOT NULL;
CREATE OR REPLACE TEMP VIEW http_ev AS SELECT * FROM events WHERE proto = 'http';
CREATE OR REPLACE TEMP VIEW http_joined AS
  SELECT h.*, d.domain AS j_domain, d.family AS j_family, d.variant AS j_variant,
         d.day AS j_day, d.ts AS j_ts
  FROM http_ev h ASOF LEFT JOIN dns_ev d ON h.src_ip = d.src_ip AND h.ts >= d.ts;
CREATE OR REPLACE TEMP VIEW http_attr AS
  SELECT * EXCLUDE (j_domain, j_family, j_variant, j_day, j_ts, joined),
         CASE WHEN joined THEN j_domain END AS a_domain,
         CASE WHEN joined THEN j_family WHEN conficker_ab THEN 'conficker' END AS a_family,
         CASE WHEN joined THEN j_variant WHEN conficker_ab THEN 'a/b' END AS a_variant,
         CASE WHEN joined THEN j_day END AS a_day,
         CASE WHEN joined THEN 'dns-join' WHEN conficker_ab THEN 'url-shape' ELSE 'none' END
           AS attribution
  FROM (SELECT *, (j_ts IS NOT NULL AND ts - j_ts <= {window_ms}) AS joined FROM http_joined);
CREATE OR REPLACE TEMP VIEW attributed AS
  SELECT time, ts, proto, src_ip, src_port, dst_ip, dst_port, domain, family, variant, day,
         'dns' AS attribution
  FROM dns_ev
  UNION ALL
  SELECT time, ts, proto, src_ip, src_port, dst_ip, dst_port, a_domain, a_family, a_variant,
         a_day, attribution
  FROM http_attr;
"""


class SinkholeStats:
    """Read-only statistics over an event store directory."""

    def __init__(self, directory: Path, *, join_window: dt.timedelta = dt.timedelta(hours=1)):
        self.directory = directory
        self.con: duckdb.DuckDBPyConnection = connect(directory)
        window_ms = int(join_window.total_seconds() * 1000)
        self.con.execute(_ATTRIBUTED.format(window_ms=window_ms))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> SinkholeStats:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: list[object] | None = None) -> list[dict[str, object]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def _where(self, days: list[dt.date] | None, alias: str = "") -> tuple[str, list[object]]:
        if not days:
            return "", []
        col = f"{alias}time" if alias else "time"
        return f"WHERE CAST({col} AS DATE) IN ({', '.join('?' for _ in days)})", list(days)

    def by_time(self, unit: str, days: list[dt.date] | None = None) -> list[dict[str, object]]:
        bucket = "date_trunc('hour', time)" if unit == "hour" else "CAST(time AS DATE)"
        where, params = self._where(days)
        rows = self._rows(
            f"""SELECT {bucket} AS bucket,
                  count(DISTINCT src_ip) AS addresses,
                  count(DISTINCT src_ip) FILTER (proto = 'http') AS http_addresses,
                  count(DISTINCT src_ip) FILTER (proto LIKE 'dns/%') AS dns_addresses,
                  count(*) AS events
                FROM events {where} GROUP BY ALL ORDER BY bucket""",
            params,
        )
        for r in rows:
            b = r.pop("bucket")
            r[unit] = b.isoformat() if isinstance(b, dt.date | dt.datetime) else str(b)
        return rows

    def by_family(self, days: list[dt.date] | None = None) -> list[dict[str, object]]:
        where, params = self._where(days)
        rows = self._rows(
            f"""SELECT CAST(time AS DATE) AS day, coalesce(family, '(unattributed)') AS family,
                  coalesce(variant, '') AS variant, attribution,
                  count(DISTINCT src_ip) AS addresses, count(*) AS events
                FROM attributed {where} GROUP BY ALL ORDER BY day, family, variant, attribution""",
            params,
        )
        for r in rows:
            r["day"] = str(r["day"])
        return rows

    def by_network(
        self, what: str, enrich: object, days: list[dt.date] | None = None
    ) -> list[dict[str, object]]:
        where, params = self._where(days)
        pairs = self.con.execute(
            f"SELECT DISTINCT CAST(time AS DATE) AS day, src_ip FROM events {where}", params
        ).fetchall()
        lookup = getattr(enrich, what)
        counts: dict[tuple[str, object], int] = {}
        for day, ip in pairs:
            key = (str(day), lookup(ip))
            counts[key] = counts.get(key, 0) + 1
        return [
            {"day": day, what: value if value is not None else "unknown", "addresses": n}
            for (day, value), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1]))
        ]

    # -- population ------------------------------------------------------------------------

    def estimates(self, days: list[dt.date] | None = None) -> list[Estimate]:
        """Estimates per forecast day of each family/variant seen (C: k-of-D and
        capture-recapture; A/B: complete enumeration), per protocol."""
        where = ""
        params: list[object] = []
        if days:
            where = f"AND day IN ({', '.join('?' for _ in days)})"
            params = list(days)
        groups = self.con.execute(
            f"""SELECT DISTINCT family, variant, day,
                  CASE WHEN proto = 'http' THEN 'http' ELSE 'dns' END AS protocol
                FROM attributed
                WHERE family = 'conficker' AND day IS NOT NULL {where}
                ORDER BY day, variant, protocol""",
            params,
        ).fetchall()
        out: list[Estimate] = []
        for family, variant, day, protocol in groups:
            proto_sql = "proto = 'http'" if protocol == "http" else "proto LIKE 'dns/%'"
            seen = self.con.execute(
                f"""SELECT src_ip, list(DISTINCT domain) FROM attributed
                    WHERE family = ? AND variant = ? AND day = ? AND {proto_sql}
                    GROUP BY src_ip""",
                [family, variant, day],
            ).fetchall()
            n_k = len(seen)
            key = f"{family}/{variant}"
            held, first = read_held(self.directory, day)
            if variant in ("a", "b"):
                out.append(
                    Estimate(
                        family,
                        variant,
                        str(day),
                        protocol,
                        "complete",
                        float(n_k),
                        None,
                        inputs={"n": n_k, "k": held.get(key, 0)},
                    )
                )
                continue
            if variant != "c":
                continue
            k = held.get(key, 0)
            if k < 1:
                continue
            n, ci = k_of_d(n_k, k)
            out.append(
                Estimate(
                    family,
                    variant,
                    str(day),
                    protocol,
                    "k-of-D",
                    n,
                    ci,
                    inputs={
                        "n_k": n_k,
                        "k": k,
                        "D": CONFICKER_C_D,
                        "s": CONFICKER_C_S,
                        "p_k": p_k(k),
                    },
                )
            )
            if k >= 2:
                est = self._recapture(family, variant, day, protocol, seen, first, k)
                if est is not None:
                    out.extend(est)
        return out

    def _recapture(
        self,
        family: str,
        variant: str,
        day: dt.date,
        protocol: str,
        seen: list[tuple[str, list[str]]],
        first: int | None,
        k: int,
    ) -> list[Estimate] | None:
        v = get_family(family).variant(variant)
        names = held_names(v, day, first)[:k]
        half_a = set(names[0::2])
        half_b = set(names[1::2])
        n1 = n2 = m = 0
        for _ip, domains in seen:
            in_a = any(d in half_a for d in domains)
            in_b = any(d in half_b for d in domains)
            n1 += in_a
            n2 += in_b
            m += in_a and in_b
        inputs: dict[str, float] = {
            "n1": n1,
            "n2": n2,
            "m": m,
            "k_a": len(half_a),
            "k_b": len(half_b),
        }
        out = []
        lp = lincoln_petersen(n1, n2, m)
        if lp is not None:
            out.append(
                Estimate(
                    family, variant, str(day), protocol, "lincoln-petersen", lp, None, inputs=inputs
                )
            )
        n, ci = chapman(n1, n2, m)
        out.append(Estimate(family, variant, str(day), protocol, "chapman", n, ci, inputs=inputs))
        return out
