"""Counting what the sinkhole saw, and estimating how many machines are behind it.

Every observed figure is a number of **distinct source addresses** in one UTC hour or day
(never a sum over days: the same machine comes back every day). An address is not a
machine: NAT puts many machines behind one address, DHCP spreads one machine over several.

**DNS sources are mostly resolvers.** A bot's query reaches the sinkhole through its ISP's
or its company's resolver, which caches the answer for the TTL; so DNS figures count
resolvers (classified by how many held names one address asked for: more than a single
machine draws with probability 1e-3 makes it a resolver) and are never populations.

**HTTP sources are the machines** (or their NAT). An HTTP request carries no name (Conficker
puts the answered IP in ``Host:``), so it is attributed by the address plan
(:mod:`.plan`): the address it was sent to (the connection's destination, else the IP in
``Host:``) tells the family/variant and the half of the held names; its UTC day tells the
list day. Requests within ``skew`` of a UTC midnight may come from bots whose clock is on
the other day's list; they are counted on their UTC day (when clocks err both ways the
days gain what they lose) and reported as ``edge``. With one variant held that day, every
request is that variant (attribution ``single-variant``).

Population estimates from HTTP (Conficker C, each machine drawing s = 500 of the day's
D = 50,000 names, uniformly without replacement):

* **k-of-D**: with k of the day's names held, a machine is seen with probability
  ``p_k = 1 - C(D-k, s) / C(D, s)``; the n_k distinct sources seen give ``N = n_k / p_k``
  (binomial 95 % interval ``N ± 1.96 sqrt(N (1 - p_k) / p_k)``).
* **capture-recapture** (a plan with two addresses for the variant, each answering one half
  of the held names): sources seen on half a (n1), on half b (n2) and on both (m) give
  Lincoln-Petersen ``n1 n2 / m`` and Chapman ``(n1+1)(n2+1)/(m+1) - 1`` (95 % profile
  likelihood interval; log-transformed, Chao 1987, where that one is unbounded). The
  halves are one draw of s names without replacement, so a machine's two captures are
  slightly negatively dependent; their odds ratio
  ``theta`` (:func:`half_odds_ratio`, 0.995 at k = 200) is known exactly from D, s and the
  halves' sizes and scales the unseen part (theta = 1 gives the textbook formulas).
  Apart from that small correction it does not use D and s, so it checks them.

For A/B every machine tries all 250 names, so one held name sees the whole active
population: the estimate is the distinct count itself (method ``complete``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from dgawatch.errors import InputError
from dgawatch.families import get_family
from dgawatch.sinkhole.names import read_held
from dgawatch.sinkhole.plan import SHARED, read_plans
from dgawatch.sinkhole.store import connect

#: Conficker C's names a day (D) and those one machine asks for (s), from its family module.
CONFICKER_C_D = get_family("conficker").variant("c").domains_per_day
CONFICKER_C_S = get_family("conficker").variant("c").queried_per_day or CONFICKER_C_D
UNIT_OBSERVED = "distinct source addresses (observed; not machines)"
UNIT_ESTIMATE = "machines (estimated from distinct HTTP source addresses)"
UNIT_RESOLVERS = "DNS source addresses (resolvers and end hosts; not a population)"
BY_CHOICES = ("hour", "day", "country", "asn", "family")
#: An end host asks for more held names than this with probability below RESOLVER_ALPHA.
RESOLVER_ALPHA = 1e-3
DEFAULT_SKEW = dt.timedelta(minutes=15)
_HELD_RE = re.compile(r"^held-(\d{4}-\d{2}-\d{2})\.json$")
_FOREVER = 1 << 62
_MEMORY_RE = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,3})?\s?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")


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


@cache
def end_host_max_names(k: int, d: int = CONFICKER_C_D, s: int = CONFICKER_C_S) -> int:
    """The most held names one machine asks for, but with probability RESOLVER_ALPHA
    (the upper quantile of hypergeometric(k, d - k, s), by exact integers)."""
    total = math.comb(d, s)
    tail = 1.0
    for q in range(min(k, s) + 1):
        tail -= math.comb(k, q) * math.comb(d - k, s - q) / total
        if tail < RESOLVER_ALPHA:
            return q
    return min(k, s)


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


def requests_estimate(
    requests: int, k: int, d: int = CONFICKER_C_D, s: int = CONFICKER_C_S
) -> tuple[float, tuple[float, float]]:
    """Machines from the number of HTTP requests: each machine draws a hypergeometric
    number of held names (mean ``k s / d``) and contacts each once a day, whatever its
    address. Blind to NAT and churn; retries make it an overcount, so it serves as an
    upper bound."""
    mean = k * s / d
    var = s * (k / d) * (1 - k / d) * (d - s) / (d - 1)
    n = requests / mean
    half = 1.96 * math.sqrt(max(n, 1.0) * var) / mean
    return n, (max(0.0, n - half), n + half)


def half_odds_ratio(k_a: int, k_b: int, d: int = CONFICKER_C_D, s: int = CONFICKER_C_S) -> float:
    """The odds ratio ``theta = p11 p00 / (p10 p01)`` between a machine's two captures
    (seen on half a, on half b) when it draws s of d names without replacement and the
    halves hold k_a and k_b of them.

    Why: capture-recapture assumes the two captures independent (theta = 1). One draw of
    500 names without replacement is not: a name taken from half a is one fewer draw left
    for half b, so "seen on both" is a little rarer than independence says (theta < 1:
    0.9978 at k = 20, 0.9950 at k = 200). Lincoln-Petersen and Chapman then overestimate
    the unseen part by 1/theta; at k = 200 that is +0.07 % of N, a quarter of a standard
    error at N = 50,000 and half of one at N = 200,000, enough to cut the interval's
    coverage to ~92 %. Exact, from the hypergeometric probabilities of missing k_a, k_b
    and k_a + k_b names."""
    if k_a <= 0 or k_b <= 0:
        return 1.0
    p00 = 1.0 - p_k(k_a + k_b, d, s)
    pa0 = 1.0 - p_k(k_a, d, s)  # not seen on half a
    pb0 = 1.0 - p_k(k_b, d, s)
    p10, p01 = pb0 - p00, pa0 - p00
    p11 = 1.0 - p00 - p10 - p01
    if min(p00, p10, p01, p11) <= 0:
        return 1.0
    return p11 * p00 / (p10 * p01)


def lincoln_petersen(n1: int, n2: int, m: int, theta: float = 1.0) -> float | None:
    """``r + theta (n1 - m)(n2 - m) / m`` (= n1 n2 / m when theta = 1): the unseen part
    of a 2 x 2 capture table with the captures' odds ratio theta."""
    if m <= 0:
        return None
    return n1 + n2 - m + theta * (n1 - m) * (n2 - m) / m


def _two_sample_loglik(n: float, n1: int, n2: int, r: int) -> float:
    """Log-likelihood of a population of n (real, >= r) in the two-sample model with
    independent captures, each capture probability at its maximum n_j / n (profiled out)."""
    out = math.lgamma(n + 1) - math.lgamma(n - r + 1)
    for c in (n1, n2):
        out += c * math.log(c / n)
        if n > c:
            out += (n - c) * math.log1p(-c / n)
    return out


#: chi-squared(1) 0.95 quantile: the profile interval holds the N within 1.92 log-units.
_CHI2_95 = 3.841458820694124


def profile_interval(n1: int, n2: int, m: int) -> tuple[float, float] | None:
    """95 % profile-likelihood interval for N from a two-sample capture table (independent
    captures), or None when it is unbounded (m = 0) or degenerate.

    Why not Chao's log-normal interval: with few recaptures (m ~ 45: 5,000 machines,
    k = 20) it covered the truth in 94.5-94.7 % of 2 x 20,000 runs of the estimator's own
    model; the profile interval in 95.0 % (bench_sinkhole_estimates.py --model-runs)."""
    r = n1 + n2 - m
    if m <= 0 or n1 <= m or n2 <= m:
        return None

    def ll(n: float) -> float:
        return _two_sample_loglik(n, n1, n2, r)

    # the maximum: the likelihood is unimodal in n; golden-section search from r to far
    # past Lincoln-Petersen
    lo, hi = float(r), 4.0 * n1 * n2 / m + 10.0
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = ll(a), ll(b)
    for _ in range(200):
        if hi - lo < 1e-6 * hi:
            break
        if fa < fb:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = ll(b)
        else:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = ll(a)
    top = (lo + hi) / 2
    cut = ll(top) - _CHI2_95 / 2

    def root(inside: float, outside: float) -> float:
        for _ in range(200):
            mid = (inside + outside) / 2
            if ll(mid) >= cut:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) < 1e-7 * outside:
                break
        return (inside + outside) / 2

    lower = float(r) if ll(float(r)) >= cut else root(top, float(r))
    far = 2 * top
    while ll(far) >= cut:
        far *= 2
    return lower, root(top, far)


def chapman(n1: int, n2: int, m: int, theta: float = 1.0) -> tuple[float, tuple[float, float]]:
    """Chapman's estimate with a 95 % profile-likelihood interval
    (:func:`profile_interval`; where it is unbounded, m = 0, Seber's variance and the
    log-transformed interval of Chao (1987) around the unseen part ``f0 = N - r``, r =
    n1 + n2 - m seen). Both are skewed like the estimate's law when m is small; the
    symmetric normal interval then covers the truth in only ~92 % of runs.

    ``theta`` (:func:`half_odds_ratio`) is the captures' known dependence: Chapman's
    ``(n1+1)(n2+1)/(m+1) - 1`` equals ``r + (n1-m)(n2-m)/(m+1)``; with dependent captures
    the unseen part is ``theta`` times that, and so are the interval's bounds on it."""
    r = float(n1 + n2 - m)
    f0 = theta * (n1 - m) * (n2 - m) / (m + 1)
    n = r + f0
    var = theta**2 * (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    if f0 <= 0 or var <= 0:
        return n, (min(r, n), max(r, n))
    bounds = profile_interval(n1, n2, m)
    if bounds is not None:
        return n, (r + theta * (bounds[0] - r), r + theta * (bounds[1] - r))
    c = math.exp(1.96 * math.sqrt(math.log(1 + var / f0**2)))
    return n, (r + f0 / c, r + f0 * c)


# -- SQL over the store -------------------------------------------------------------------
# One SQL for both engines (DuckDB and Spark SQL): days are day numbers since the epoch
# computed from ``ts`` (no time-zone conversion anywhere), joins instead of IN-subqueries,
# FILTER (WHERE ...), GROUP BY ALL.

#: HTTP requests of the portal's resolver self-test (``/selftest``) start with this path: they
#: are visitors checking their resolver, not bots, and no statistic counts them.
SELFTEST_PATH = "/dgawatch-selftest/"

_VIEWS = [
    f"""CREATE OR REPLACE TEMPORARY VIEW ev AS
  SELECT *, CAST(floor(ts / 86400000.0) AS BIGINT) AS dayno FROM events WHERE ts IS NOT NULL
    AND NOT coalesce(path LIKE '{SELFTEST_PATH}%', false)""",
    """CREATE OR REPLACE TEMPORARY VIEW dns_ev AS
  SELECT * FROM ev WHERE proto LIKE 'dns/%' AND domain IS NOT NULL""",
    """CREATE OR REPLACE TEMPORARY VIEW http_ev AS
  SELECT *, dayno AS uday,
    lower(CASE
      WHEN host LIKE '[%' THEN regexp_extract(host, '^\\[([^\\]]*)\\]', 1)
      WHEN length(host) - length(replace(host, ':', '')) = 1 THEN split_part(host, ':', 1)
      ELSE host END) AS host_addr,
    CASE WHEN contains(src_ip, ':') THEN src_ip
         ELSE regexp_replace(src_ip, '\\.[0-9]+$', '.0/24') END AS src_net
  FROM ev WHERE proto = 'http'""",
    """CREATE OR REPLACE TEMPORARY VIEW plan_addrs AS SELECT DISTINCT address FROM plan_rows""",
    """CREATE OR REPLACE TEMPORARY VIEW http_target AS
  SELECT h.*, CASE WHEN pd.address IS NOT NULL THEN h.dst_ip
                   WHEN ph.address IS NOT NULL THEN h.host_addr END AS target
  FROM http_ev h
  LEFT JOIN plan_addrs pd ON pd.address = h.dst_ip
  LEFT JOIN plan_addrs ph ON ph.address = h.host_addr""",
    """CREATE OR REPLACE TEMPORARY VIEW http_attr AS
  SELECT t.*,
    CASE WHEN planned THEN p_family ELSE one.family END AS a_family,
    CASE WHEN planned THEN p_variant ELSE one.variant END AS a_variant,
    CASE WHEN planned THEN p_half END AS a_half,
    CASE WHEN planned OR one.family IS NOT NULL THEN t.uday END AS a_day,
    CASE WHEN planned THEN 'plan' WHEN one.family IS NOT NULL THEN 'single-variant'
         ELSE 'none' END AS attribution,
    (t.ts - t.uday * 86400000 < {skew_ms} OR (t.uday + 1) * 86400000 - t.ts <= {skew_ms})
      AS edge
  FROM (SELECT h.*, p.family AS p_family, p.variant AS p_variant, p.half AS p_half,
               coalesce(p.family <> '{shared}', false) AS planned
        FROM http_target h LEFT JOIN plan_rows p
          ON p.address = h.target AND h.ts >= p.since AND h.ts < p.until) t
  LEFT JOIN single_variant one ON one.dayno = t.uday""",
    """CREATE OR REPLACE TEMPORARY VIEW attributed AS
  SELECT dayno, ts, proto, src_ip, family, variant, 'dns' AS attribution FROM dns_ev
  UNION ALL
  SELECT uday, ts, proto, src_ip, a_family, a_variant, attribution FROM http_attr""",
    """CREATE OR REPLACE TEMPORARY VIEW dns_class AS
  SELECT uday, src_ip, family, variant,
    CASE WHEN bool_or(names > max_names) THEN 'resolver'
         WHEN bool_or(max_names IS NULL) THEN 'unclassified' ELSE 'end-host' END AS class,
    sum(queries) AS queries, max(names) AS most_names
  FROM (SELECT d.dayno AS uday, d.src_ip, d.family, d.variant, d.day,
               count(DISTINCT d.domain) AS names, count(*) AS queries,
               max(t.max_names) AS max_names
        FROM dns_ev d LEFT JOIN thresholds t
          ON t.family = d.family AND t.variant = d.variant AND t.day = d.day
        GROUP BY ALL) x
  GROUP BY ALL""",
]

_TABLES: dict[str, list[tuple[str, str]]] = {
    "plan_rows": [
        ("since", "BIGINT"),
        ("until", "BIGINT"),
        ("address", "VARCHAR"),
        ("family", "VARCHAR"),
        ("variant", "VARCHAR"),
        ("half", "VARCHAR"),
    ],
    "single_variant": [("dayno", "BIGINT"), ("family", "VARCHAR"), ("variant", "VARCHAR")],
    "thresholds": [
        ("day", "DATE"),
        ("family", "VARCHAR"),
        ("variant", "VARCHAR"),
        ("max_names", "INTEGER"),
    ],
}
_EPOCH = dt.date(1970, 1, 1)
ENGINES = ("duckdb", "spark")


def dayno(day: dt.date) -> int:
    return (day - _EPOCH).days


def day_of_no(n: object) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(n))  # type: ignore[call-overload]


def held_days(directory: Path) -> list[dt.date]:
    days = []
    if directory.is_dir():
        for p in directory.iterdir():
            m = _HELD_RE.match(p.name)
            if m:
                days.append(dt.date.fromisoformat(m.group(1)))
    return sorted(days)


class _Lookup:
    """``enrich.<what>(address)`` as a picklable callable (Spark ships it to executors)."""

    def __init__(self, enrich: object, what: str) -> None:
        self.enrich = enrich
        self.what = what

    def __call__(self, address: object) -> object:
        return getattr(self.enrich, self.what)(address)


class _DuckEngine:
    """The store's raw and compacted files through DuckDB (the default)."""

    def __init__(self, directory: Path, memory_limit: str | None = None) -> None:
        self.con: duckdb.DuckDBPyConnection = connect(directory)
        self.skipped: list[str] = []
        self.functions: set[str] = set()
        # Past its memory limit DuckDB spills (hash tables of DISTINCT and GROUP BY) to
        # this directory: a private one, removed on close (an in-memory database would
        # otherwise spill to ./.tmp wherever the command runs).
        self._spill = tempfile.TemporaryDirectory(prefix="dgawatch-stats-")
        self.con.execute(f"SET temp_directory = '{self._spill.name}'")
        if memory_limit is not None:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")

    def run(self, sql: str) -> None:
        self.con.execute(sql)

    def table(self, name: str, rows: list[tuple[object, ...]]) -> None:
        cols = ", ".join(f"{c} {t}" for c, t in _TABLES[name])
        self.con.execute(f"CREATE TEMP TABLE {name} ({cols})")
        if rows:
            marks = ", ".join("?" for _ in _TABLES[name])
            self.con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)

    def function(self, name: str, fn: Callable[[object], object], kind: str) -> None:
        """A scalar SQL function ``name(VARCHAR) -> kind`` calling ``fn`` on each value of a
        batch (Arrow in, Arrow out: one Python call per vector, not per row)."""
        import pyarrow as pa

        out = pa.string() if kind == "VARCHAR" else pa.int64()

        def batch(values: object) -> object:  # annotations DuckDB can evaluate
            assert isinstance(values, pa.Array | pa.ChunkedArray)
            return pa.array([fn(v) for v in values.to_pylist()], type=out)

        if name in self.functions:
            self.con.remove_function(name)
        self.con.create_function(  # type: ignore[call-overload]
            name,
            batch,
            ["VARCHAR"],
            kind,
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
        self.functions.add(name)

    def rows(self, sql: str) -> list[dict[str, object]]:
        cur = self.con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        self.con.close()
        self._spill.cleanup()


#: The columns stats read; the Spark engine reads only these from the Parquet files.
_SPARK_COLUMNS = (
    "ts proto src_ip src_port dst_ip dst_port host path user_agent domain family variant day"
).split()


class _SparkEngine:
    """The store's day-partitioned Parquet (what ``sinkhole compact`` writes) through Spark
    SQL: the same statements as DuckDB, for stores past one machine. Raw (not yet compacted)
    files are not read; they are listed in ``skipped``."""

    def __init__(self, directory: Path, master: str | None) -> None:
        from pyspark.sql import types as T

        from dgawatch.hunt.spark import spark_session
        from dgawatch.sinkhole.store import list_files

        files = list_files(directory)
        parquet = [str(p) for _d, _w, kind, p in files if kind == "parquet"]
        self.skipped = [str(p) for _d, _w, kind, p in files if kind != "parquet"]
        self.spark = spark_session(master)
        self._types = {
            "BIGINT": T.LongType(),
            "INTEGER": T.IntegerType(),
            "VARCHAR": T.StringType(),
            "DATE": T.DateType(),
        }
        from dgawatch.sinkhole.events import COLUMNS

        schema = T.StructType(
            [T.StructField(c, self._types[COLUMNS[c]], True) for c in _SPARK_COLUMNS]
        )
        if parquet:
            # The schema given, not inferred: no footer-reading job before the first query,
            # and only these columns are read.
            df = self.spark.read.schema(schema).parquet(*parquet)
        else:
            df = self.spark.createDataFrame([], schema)
        df.createOrReplaceTempView("events")

    def run(self, sql: str) -> None:
        self.spark.sql(sql)

    def table(self, name: str, rows: list[tuple[object, ...]]) -> None:
        from pyspark.sql import types as T

        schema = T.StructType([T.StructField(c, self._types[t], True) for c, t in _TABLES[name]])
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)

    def function(self, name: str, fn: Callable[[object], object], kind: str) -> None:
        """The same function for Spark SQL: a Python UDF that runs on the executors (``fn``
        is pickled there, so addresses are looked up where they are, never collected)."""
        self.spark.udf.register(name, fn, self._types[kind])

    def rows(self, sql: str) -> list[dict[str, object]]:
        return [r.asDict() for r in self.spark.sql(sql).collect()]

    def close(self) -> None:
        views = ("ev", "dns_ev", "http_ev", "plan_addrs", "http_target", "http_attr")
        for name in ("events", *_TABLES, *views, "attributed", "dns_class"):
            self.spark.catalog.dropTempView(name)


class SinkholeStats:
    """Read-only statistics over an event store directory (engine ``duckdb`` or ``spark``;
    the same SQL, the same results)."""

    def __init__(
        self,
        directory: Path,
        *,
        skew: dt.timedelta = DEFAULT_SKEW,
        engine: str = "duckdb",
        spark_master: str | None = None,
        memory_limit: str | None = None,
    ) -> None:
        """``memory_limit`` (DuckDB's, e.g. ``2GB``): beyond it the engine spills to a
        temporary directory instead of growing; None leaves DuckDB's default (80 % of RAM)."""
        if memory_limit is not None and not _MEMORY_RE.match(memory_limit):
            raise InputError(f"--memory-limit {memory_limit!r}: give a size such as 512MB or 2GB")
        if skew < dt.timedelta(0) or skew > dt.timedelta(hours=12):
            raise InputError("--skew must be between 0 and 12 hours")
        if engine not in ENGINES:
            raise InputError(f"--engine must be one of {', '.join(ENGINES)}")
        self.directory = directory
        self.skew = skew
        self._groups: dict[tuple[dt.date, ...], list[dict[str, object]]] = {}
        self.plans = read_plans(directory)
        self.held: dict[dt.date, dict[str, int]] = {
            d: read_held(directory, d)[0] for d in held_days(directory)
        }
        self.engine: _DuckEngine | _SparkEngine = (
            _DuckEngine(directory, memory_limit)
            if engine == "duckdb"
            else _SparkEngine(directory, spark_master)
        )
        self._tables()
        for sql in _VIEWS:
            self.engine.run(sql.format(skew_ms=int(skew.total_seconds() * 1000), shared=SHARED))

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (reports and sketches query its views directly)."""
        if not isinstance(self.engine, _DuckEngine):
            raise InputError("this needs the duckdb engine")
        return self.engine.con

    @property
    def skipped(self) -> list[str]:
        return self.engine.skipped

    def _tables(self) -> None:
        rows: list[tuple[object, ...]] = []
        for i, (since, plan) in enumerate(self.plans):
            until = self.plans[i + 1][0] if i + 1 < len(self.plans) else _FOREVER
            rows += [(since, until, e.address, e.family, e.variant, e.half) for e in plan.entries]
        self.engine.table("plan_rows", rows)
        single: list[tuple[object, ...]] = []
        limits: list[tuple[object, ...]] = []
        for day, held in self.held.items():
            live = [key for key, k in held.items() if k > 0]
            if len(live) == 1:
                single.append((dayno(day), *live[0].split("/", 1)))
            k = held.get("conficker/c", 0)
            if k > 0:
                limits.append((day, "conficker", "c", end_host_max_names(k)))
        self.engine.table("single_variant", single)
        self.engine.table("thresholds", limits)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> SinkholeStats:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str) -> list[dict[str, object]]:
        return self.engine.rows(sql)

    def _where(self, days: list[dt.date] | None, alias: str = "") -> tuple[str, list[object]]:
        """DuckDB-only filter on ``time`` for the views' direct users (reports, sketches)."""
        if not days:
            return "", []
        col = f"{alias}time" if alias else "time"
        return f"WHERE CAST({col} AS DATE) IN ({', '.join('?' for _ in days)})", list(days)

    @staticmethod
    def _days_in(column: str, days: list[dt.date] | None, op: str = "WHERE") -> str:
        if not days:
            return ""
        return f"{op} {column} IN ({', '.join(str(dayno(d)) for d in days)})"

    def by_time(self, unit: str, days: list[dt.date] | None = None) -> list[dict[str, object]]:
        bucket = "CAST(floor(ts / 3600000.0) AS BIGINT)" if unit == "hour" else "dayno"
        rows = self._rows(
            f"""SELECT {bucket} AS bucket,
                  count(DISTINCT src_ip) AS addresses,
                  count(DISTINCT src_ip) FILTER (WHERE proto = 'http') AS http_addresses,
                  count(DISTINCT src_ip) FILTER (WHERE proto LIKE 'dns/%') AS dns_addresses,
                  count(*) AS events
                FROM ev {self._days_in("dayno", days)} GROUP BY ALL ORDER BY bucket"""
        )
        for r in rows:
            b = int(r.pop("bucket"))  # type: ignore[call-overload]
            r[unit] = (
                dt.datetime.fromtimestamp(b * 3600, dt.UTC).replace(tzinfo=None).isoformat()
                if unit == "hour"
                else day_of_no(b).isoformat()
            )
        return rows

    def by_family(self, days: list[dt.date] | None = None) -> list[dict[str, object]]:
        rows = self._rows(
            f"""SELECT dayno, coalesce(family, '(unattributed)') AS family,
                  coalesce(variant, '') AS variant, attribution,
                  count(DISTINCT src_ip) AS addresses, count(*) AS events
                FROM attributed {self._days_in("dayno", days)}
                GROUP BY ALL ORDER BY dayno, family, variant, attribution"""
        )
        return [{"day": day_of_no(r.pop("dayno")).isoformat(), **r} for r in rows]

    def by_network(
        self, what: str, enrich: object, days: list[dt.date] | None = None
    ) -> list[dict[str, object]]:
        """Distinct source addresses per UTC day and country (or origin ASN) of the address.

        The engine does the work: it looks each distinct (day, address) up through
        ``enrich`` (an :class:`~dgawatch.sinkhole.enrich.Enricher`, registered as a SQL
        function: on Spark it is pickled to the executors) and counts per group, so only the
        aggregate rows (days x countries or ASNs) reach this process, never the addresses;
        DuckDB's DISTINCT spills to disk past its memory limit."""
        if what not in ("country", "asn"):
            raise InputError(f"by_network: {what!r} is not one of country, asn")
        fn = f"dgawatch_{what}"
        self.engine.function(
            fn, _Lookup(enrich, what), "VARCHAR" if what == "country" else "BIGINT"
        )
        rows = self._rows(
            f"""SELECT dayno, v, count(*) AS addresses
                FROM (SELECT dayno, {fn}(src_ip) AS v
                      FROM (SELECT DISTINCT dayno, src_ip FROM ev
                            {self._days_in("dayno", days)}) p) x
                GROUP BY dayno, v"""
        )
        counts = {(day_of_no(r["dayno"]).isoformat(), r["v"]): int(r["addresses"]) for r in rows}  # type: ignore[call-overload]
        return [
            {"day": day, what: value if value is not None else "unknown", "addresses": n}
            for (day, value), n in sorted(
                counts.items(), key=lambda kv: (kv[0][0], -kv[1], str(kv[0][1]))
            )
        ]

    # -- DNS sources -----------------------------------------------------------------------

    def dns_sources(self, days: list[dt.date] | None = None) -> list[dict[str, object]]:
        """Per UTC day and variant: DNS source addresses classified as resolvers (more held
        names than one machine draws but with probability 1e-3) or end hosts. Counts of
        resolvers, not machines: a resolver serves any number of them."""
        rows = self._rows(
            f"""SELECT uday AS day, family, variant,
                  count(*) FILTER (WHERE class = 'resolver') AS resolvers,
                  count(*) FILTER (WHERE class = 'end-host') AS end_hosts,
                  count(*) FILTER (WHERE class = 'unclassified') AS unclassified,
                  sum(queries) AS queries
                FROM dns_class {self._days_in("uday", days)}
                GROUP BY ALL ORDER BY day, family, variant"""
        )
        for r in rows:
            r["day"] = day_of_no(r["day"]).isoformat()
            r["queries"] = int(r["queries"])  # type: ignore[call-overload]
            r["unit"] = UNIT_RESOLVERS
            k = self.held.get(dt.date.fromisoformat(str(r["day"])), {}).get(
                f"{r['family']}/{r['variant']}", 0
            )
            r["method"] = (
                f"resolver: > {end_host_max_names(k)} distinct held names of one list day "
                f"from one address (k={k}, D={CONFICKER_C_D}, s={CONFICKER_C_S}, "
                f"alpha={RESOLVER_ALPHA})"
                if (r["family"], r["variant"]) == ("conficker", "c") and k > 0
                else "no per-machine draw model for this variant: unclassified"
            )
        return rows

    # -- HTTP observations and population ------------------------------------------------

    def _http_groups(self, days: list[dt.date] | None) -> list[dict[str, object]]:
        """One row per (variant, list day) of the HTTP side (cached: estimates and
        observed share it, and on Spark it is the expensive query)."""
        key = tuple(days or ())
        cached = self._groups.get(key)
        if cached is None:
            cached = self._groups[key] = self._http_groups_sql(days)
        return [dict(r) for r in cached]

    def _http_groups_sql(self, days: list[dt.date] | None) -> list[dict[str, object]]:
        where = self._days_in("a_day", days, "AND")
        rows = self._rows(
            f"""WITH per AS (
                  SELECT a_family AS family, a_variant AS variant, a_day AS lday, src_ip,
                    max(src_net) AS net, bool_or(a_half = 'a') AS ina,
                    bool_or(a_half = 'b') AS inb, bool_and(edge) AS only_edge
                  FROM http_attr WHERE a_family IS NOT NULL {where} GROUP BY ALL),
                keys AS (
                  SELECT a_family AS family, a_variant AS variant, a_day AS lday,
                    count(DISTINCT src_ip || '|' || coalesce(user_agent, '')) AS address_agents,
                    count(DISTINCT src_net || '|' || coalesce(user_agent, '')) AS net_agents,
                    min(attribution) AS attribution_min, max(attribution) AS attribution_max,
                    count(*) AS requests
                  FROM http_attr WHERE a_family IS NOT NULL {where} GROUP BY ALL)
                SELECT per.family, per.variant, per.lday, count(*) AS addresses,
                  count(DISTINCT net) AS networks,
                  count(*) FILTER (WHERE ina) AS n1, count(*) FILTER (WHERE inb) AS n2,
                  count(*) FILTER (WHERE ina AND inb) AS m,
                  count(*) FILTER (WHERE only_edge) AS edge,
                  max(keys.address_agents) AS address_agents,
                  max(keys.net_agents) AS net_agents,
                  max(keys.attribution_min) AS attribution_min,
                  max(keys.attribution_max) AS attribution_max,
                  max(keys.requests) AS requests
                FROM per JOIN keys
                  ON per.family = keys.family AND per.variant = keys.variant
                     AND per.lday = keys.lday
                GROUP BY per.family, per.variant, per.lday
                ORDER BY per.lday, per.family, per.variant"""
        )
        for r in rows:
            r["day"] = day_of_no(r.pop("lday"))
            lo, hi = r.pop("attribution_min"), r.pop("attribution_max")
            r["attribution"] = lo if lo == hi else f"{lo},{hi}"
            for key in ("addresses", "networks", "n1", "n2", "m", "edge", "requests"):
                r[key] = int(r[key])  # type: ignore[call-overload]
            for key in ("address_agents", "net_agents"):
                r[key] = int(r[key])  # type: ignore[call-overload]
        return rows

    def _k(self, family: str, variant: str, day: dt.date) -> int:
        return self.held.get(day, {}).get(f"{family}/{variant}", 0)

    def observed(self, days: list[dt.date] | None = None) -> list[dict[str, object]]:
        """Per list day and variant, what NAT and DHCP churn blur: distinct addresses,
        distinct /24s, distinct (address, User-Agent) and (/24, User-Agent) pairs, and for
        Conficker C a churn-adjusted range of the machine count:

        * low: k-of-D over (/24, User-Agent) pairs (a machine renumbered by DHCP within its
          /24 counts once; two machines with the same agent in one /24 also count once),
          lower 95 % bound;
        * high: the larger of the upper 95 % bounds of k-of-D over (address, User-Agent)
          pairs (machines behind one NAT with different agents count apart; a renumbered
          machine once per address) and of :func:`requests_estimate` (requests, not
          addresses: blind to NAT and churn, an overcount when bots retry).

        Measured in bench_sinkhole_estimates.py: it brackets the truth under churn and NAT
        of the simulator's settings; it is wrong when bots contact a name less than once
        per day it was drawn."""
        out = []
        for g in self._http_groups(days):
            day = g["day"]
            assert isinstance(day, dt.date)
            family, variant = str(g["family"]), str(g["variant"])
            row: dict[str, object] = {
                "day": day.isoformat(),
                "family": family,
                "variant": variant,
                "unit": UNIT_OBSERVED,
                "addresses": g["addresses"],
                "networks_24": g["networks"],
                "address_agent_pairs": g["address_agents"],
                "network_agent_pairs": g["net_agents"],
                "edge_addresses": g["edge"],
                "attribution": g["attribution"],
            }
            k = self._k(family, variant, day)
            if variant == "c" and k > 0:
                lo = k_of_d(int(g["net_agents"]), k)[1][0]  # type: ignore[call-overload]
                hi = k_of_d(int(g["address_agents"]), k)[1][1]  # type: ignore[call-overload]
                hi = max(hi, requests_estimate(int(g["requests"]), k)[1][1])  # type: ignore[call-overload]
                row["requests"] = g["requests"]
                row["churn_adjusted_range"] = [lo, hi]
                row["churn_method"] = (
                    "k-of-D lower bound over (/24, agent) pairs .. max(upper bound over "
                    "(address, agent) pairs, upper bound from requests)"
                )
            out.append(row)
        return out

    def estimates(self, days: list[dt.date] | None = None) -> list[Estimate]:
        """HTTP estimates per list day of each family/variant attributed (C: k-of-D and,
        with two half addresses in the plan, capture-recapture; A/B: complete
        enumeration). DNS gives no population: see :meth:`dns_sources`."""
        out: list[Estimate] = []
        for g in self._http_groups(days):
            day = g["day"]
            assert isinstance(day, dt.date)
            family, variant = str(g["family"]), str(g["variant"])
            n_k = int(g["addresses"])  # type: ignore[call-overload]
            k = self._k(family, variant, day)
            common: dict[str, float] = {"edge": int(g["edge"])}  # type: ignore[call-overload]
            common["skew_s"] = self.skew.total_seconds()
            if family == "conficker" and variant in ("a", "b"):
                out.append(
                    Estimate(
                        family,
                        variant,
                        day.isoformat(),
                        "http",
                        "complete",
                        float(n_k),
                        None,
                        inputs={"n": n_k, "k": k, **common},
                    )
                )
                continue
            if family == "conficker" and variant == "c" and k >= 1:
                n, ci = k_of_d(n_k, k)
                inputs = {"n_k": n_k, "k": k, "D": CONFICKER_C_D, "s": CONFICKER_C_S}
                inputs |= {"p_k": p_k(k), **common}
                out.append(
                    Estimate(
                        family, variant, day.isoformat(), "http", "k-of-D", n, ci, inputs=inputs
                    )
                )
            n1, n2, m = (int(g[x]) for x in ("n1", "n2", "m"))  # type: ignore[call-overload]
            if n1 and n2:
                rc: dict[str, float] = {"n1": n1, "n2": n2, "m": m}
                rc |= {"k_a": (k + 1) // 2, "k_b": k // 2, **common}
                theta = 1.0
                if family == "conficker" and variant == "c":
                    theta = half_odds_ratio((k + 1) // 2, k // 2)
                rc["theta"] = theta
                lp = lincoln_petersen(n1, n2, m, theta)
                if lp is not None:
                    out.append(
                        Estimate(
                            family,
                            variant,
                            day.isoformat(),
                            "http",
                            "lincoln-petersen",
                            lp,
                            None,
                            inputs=rc,
                        )
                    )
                n, ci = chapman(n1, n2, m, theta)
                out.append(
                    Estimate(family, variant, day.isoformat(), "http", "chapman", n, ci, inputs=rc)
                )
        return out
