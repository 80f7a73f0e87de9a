"""The forecast store: materialised day lists in an embedded DuckDB file.

Schema (version 1):

* ``forecast(day DATE, family VARCHAR, variant VARCHAR, idx INTEGER, domain VARCHAR,
  suffix VARCHAR, h UBIGINT)`` — one row per generated name, ``suffix`` = everything after
  the generated label (the TLD or second-level suffix such as ``co.uk``), ``h`` = DuckDB's
  ``hash(domain)``, the join key of bulk lookups (integers probe ~4x faster than strings);
* ``coverage(family, variant, day, names)`` — which (variant, day) lists are complete;
  a day list is inserted and recorded in one transaction, so an interrupted build never
  leaves half a day behind;
* ``generators(family, variant, fingerprint)`` — the version of each variant's generator
  its stored lists came from (:func:`dgawatch.families.fingerprint`); lists of a variant
  whose generator has changed since are *stale*: never read, replaced by the next build
  (a store without this table, written before it existed, is stale throughout);
* ``meta(key, value)`` — schema version, the dgawatch version that wrote it, and a probe
  value of ``hash()`` so that a DuckDB whose hash function differs is detected and the
  ``h`` column recomputed instead of silently missing every lookup.

Reverse lookup joins the queried names (and their registered-domain keys) against
``forecast.domain``; see :mod:`dgawatch.lookup`.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

import duckdb
import numpy as np
import pyarrow as pa

from dgawatch import __version__
from dgawatch.errors import StoreError
from dgawatch.families import all_variants, fingerprint
from dgawatch.families.base import Variant
from dgawatch.forecast import DayList, iter_day_lists
from dgawatch.home import data_dir
from dgawatch.outfile import check_output_file

SCHEMA_VERSION = "1"
STORE_FILE = "forecast.duckdb"


def default_store_path() -> Path:
    return data_dir() / STORE_FILE


_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_store_file(
    path: Path,
    *,
    kind: str = "forecast store",
    option: str = "--store",
    writer: str = "dgawatch store build",
) -> None:
    """Refuse an existing ``path`` that is not a DuckDB database, by its header.

    DuckDB itself answers a CSV (any name without a database extension) with an unrelated
    "Cannot launch in-memory database" error, so the file is read first and every wrong file
    gets the same one-line message naming it (``kind``, ``option``: the watch store's too).
    An absent path is left to the caller.
    """
    if not path.exists():
        return
    if not path.is_file():
        raise StoreError(f"{path} is not a file; give {option} the {kind} file")
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise StoreError(f"cannot read {kind} {path}: {exc.strerror}") from None
    if head[8:12] != _DUCKDB_MAGIC:
        raise StoreError(
            f"{path} is not a DuckDB {kind}; give {option} the file that '{writer}' wrote "
            "(or a new path to create one)"
        )


class StoreLockedError(StoreError):
    """Another process holds the store's write lock (for now: a 'store build', say)."""


def main_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables of a DuckDB file's main schema (read before anything is written to it)."""
    query = (
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main'"
    )
    return {str(row[0]) for row in con.execute(query).fetchall()}


def open_error(path: Path, exc: Exception, kind: str, option: str = "--store") -> str:
    """One line for a store DuckDB would not open; another process's write lock named as
    such (DuckDB's own text is a paragraph with a URL)."""
    held = re.search(r"Conflicting lock is held in (.*?) \(PID (\d+)\)", str(exc))
    if held:
        return (
            f"{kind} {path} is in use by another process ({Path(held[1]).name}, PID "
            f"{held[2]}) that holds its write lock; wait until it ends, or give another {option}"
        )
    if re.search(r"Could not read enough bytes|[Cc]orrupt|checksum", str(exc)):
        return (
            f"{kind} {path} is damaged or cut short ({' '.join(str(exc).split())}); "
            f"build it again, or give another {option}"
        )
    return f"cannot open {kind} {path}: {exc}"


def build_command(path: Path, days: int = 7) -> str:
    """The whole ``store build`` command (with ``--store`` unless ``path`` is the default)
    that a message can tell the user to paste."""
    command = f"dgawatch store build --start today --days {days}"
    if path.resolve() != default_store_path().resolve():
        command += f" --store {shlex.quote(str(path))}"
    return command


def schema_mismatch(
    path: Path,
    version: str | None,
    writer: str | None,
    *,
    kind: str = "forecast store",
    reads: str = SCHEMA_VERSION,
    then: str | None = None,
    note: str = "",
) -> str:
    """One line for a store of another schema version, ending in a whole command to paste
    that keeps the old file (renamed beside it, never over another file, its DuckDB
    write-ahead log with it) and, with ``then`` (default: ``store build``), makes a new one
    at the same path."""
    tag = f"schema-{version}" if version else "schema-unknown"
    keep = path.with_name(f"{path.name}.{tag}")
    n = 1
    while keep.exists() or keep.with_name(keep.name + ".wal").exists():
        keep = path.with_name(f"{path.name}.{tag}.{n}")
        n += 1
    command = f"mv {shlex.quote(str(path))} {shlex.quote(str(keep))}"
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        command += f" && mv {shlex.quote(str(wal))} {shlex.quote(str(keep) + '.wal')}"
    if then is None and kind == "forecast store":
        then = build_command(path)
    if then:
        command += f" && {then}"
    newer = (
        version is not None and version.isdigit() and reads.isdigit() and int(version) > int(reads)
    )
    upgrade = " (or upgrade dgawatch to read it as it is)" if newer else ""
    if note:
        upgrade += f" ({note})"
    return (
        f"{path} has {kind} schema {version or 'unknown'} (written by "
        f"{writer or 'an unknown version'}), this dgawatch reads schema {reads}; "
        f"keep it aside and start a new one{upgrade}: {command}"
    )


_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS forecast (
    day DATE NOT NULL, family VARCHAR NOT NULL, variant VARCHAR NOT NULL,
    idx INTEGER NOT NULL, domain VARCHAR NOT NULL, suffix VARCHAR NOT NULL,
    h UBIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS coverage (
    family VARCHAR NOT NULL, variant VARCHAR NOT NULL, day DATE NOT NULL,
    names INTEGER NOT NULL, PRIMARY KEY (family, variant, day));
CREATE TABLE IF NOT EXISTS generators (
    family VARCHAR NOT NULL, variant VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
    PRIMARY KEY (family, variant));
"""


class ForecastStore:
    """A DuckDB file of forecasts. Use as a context manager; one writer at a time."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        if str(path) == "-":  # (``-`` is standard output for --output: here it made a file)
            raise StoreError("--store -: a store is a DuckDB file, not a stream; give a file name")
        if path is not None and not read_only and not self.path.exists():
            # a new store where the user said: its folder must exist, as for every output
            # (--output, --dir); only the data directory is made on first use
            check_output_file(self.path, "--store")
        self.read_only = read_only
        self._stale: set[str] | None = None
        #: (variant, day) lists the last :meth:`build` found already stored and skipped.
        self.already_stored = 0
        if read_only and not self.path.exists():
            raise StoreError(
                f"no forecast store at {self.path}; build one first, for example "
                f"'{build_command(self.path)}'"
            )
        check_store_file(self.path)
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # a new store where one was deleted: the old one's look-up table goes too
            from dgawatch.lookuptable import remove_orphan_tables

            remove_orphan_tables(self.path)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
            # no progress bar: DuckDB draws it on stdout after 2 s of a query, inside the
            # JSON lines of a slow lookup --json (seen on a loaded machine)
            self.con.execute("SET enable_progress_bar = false")
        except duckdb.Error as exc:
            locked = "Conflicting lock" in str(exc)
            error = StoreLockedError if locked else StoreError
            raise error(open_error(self.path, exc, "forecast store")) from None
        # Read before writing anything: another schema's store, or another program's
        # DuckDB file, is refused untouched (no tables of ours created in it).
        tables = main_tables(self.con)
        if "meta" not in tables and (tables or read_only):
            self.con.close()
            raise StoreError(
                f"{self.path} is a DuckDB file but not a dgawatch forecast store (no meta "
                "table); give --store the file that 'dgawatch store build' wrote (or a new "
                "path to create one)"
            )
        version = self._meta("schema_version") if "meta" in tables else None
        if version is None and not read_only:
            self.con.execute(_DDL)
            self.con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?), ('hash_probe', ?)",
                [SCHEMA_VERSION, self._hash_probe()],
            )
            version = SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            writer = self._meta("writer") if "meta" in tables else None
            self.con.close()
            raise StoreError(schema_mismatch(self.path, version, writer))
        if not read_only:
            self.con.execute(_DDL)  # tables added within schema 1 (generators)
        if self._meta("hash_probe") != self._hash_probe():
            if read_only:
                self.con.close()
                raise StoreError(
                    f"{self.path} was indexed by a DuckDB with another hash function; "
                    f"re-index it once (it keeps its lists): '{build_command(self.path)}'"
                )
            self.con.execute("UPDATE forecast SET h = hash(domain)")
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('hash_probe', ?)", [self._hash_probe()]
            )
        if not read_only:
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('writer', ?)", [f"dgawatch {__version__}"]
            )

    def max_labels(self) -> int:
        """Most labels of any stored name (2 when empty), kept in meta by ``build``."""
        value = self._meta("max_labels")
        return max(2, int(value)) if value else 2

    def _update_max_labels(self) -> None:
        rows = self.con.execute(
            "SELECT max(len(domain) - len(replace(domain, '.', ''))) + 1 FROM forecast"
        ).fetchall()
        labels = int(rows[0][0]) if rows and rows[0][0] is not None else 2
        self.con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('max_labels', ?)", [str(min(labels, 16))]
        )

    def _meta(self, key: str) -> str | None:
        rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return str(rows[0][0]) if rows else None

    def _hash_probe(self) -> str:
        rows = self.con.execute("SELECT hash('dgawatch hash probe')::VARCHAR").fetchall()
        return str(rows[0][0])

    def __enter__(self) -> ForecastStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # --- coverage -------------------------------------------------------------------

    def stale(self) -> set[str]:
        """Keys of the stored variants whose lists another version of their generator wrote
        (or whose version was not recorded): they count as not stored."""
        if self._stale is None:
            try:
                recorded = dict(
                    self.con.execute(
                        "SELECT family || '/' || variant, fingerprint FROM generators"
                    ).fetchall()
                )
            except duckdb.CatalogException:  # written before versions were recorded
                recorded = {}
            stored = [
                f"{f}/{v}"
                for f, v in self.con.execute(
                    "SELECT DISTINCT family, variant FROM coverage"
                ).fetchall()
            ]
            now = {v.key: v for v in all_variants()}
            self._stale = {k for k in stored if k in now and recorded.get(k) != fingerprint(now[k])}
        return self._stale

    def covered_days(self, variant: Variant) -> set[dt.date]:
        if variant.key in self.stale():
            return set()
        rows = self.con.execute(
            "SELECT day FROM coverage WHERE family = ? AND variant = ?",
            [variant.family, variant.name],
        ).fetchall()
        return {r[0] for r in rows}

    def day_list(self, variant: Variant, day: dt.date) -> DayList | None:
        """The stored list of ``variant`` on ``day`` (generation order), or None."""
        if variant.key in self.stale():
            return None
        if not self.con.execute(
            "SELECT 1 FROM coverage WHERE family = ? AND variant = ? AND day = ?",
            [variant.family, variant.name, day],
        ).fetchall():
            return None
        rows = self.con.execute(
            """SELECT domain FROM forecast WHERE family = ? AND variant = ? AND day = ?
               ORDER BY idx""",
            [variant.family, variant.name, day],
        ).fetchall()
        names = [r[0] for r in rows]
        return DayList(variant, day, ("\n".join(names) + "\n").encode() if names else b"")

    def summary(self) -> list[dict[str, object]]:
        rows = self.con.execute(
            """SELECT family, variant, min(day), max(day), count(*), sum(names)
               FROM coverage GROUP BY family, variant ORDER BY family, variant"""
        ).fetchall()
        stale = self.stale()
        return [
            {
                "family": f,
                "variant": v,
                "first_day": a.isoformat(),
                "last_day": b.isoformat(),
                "days": int(n),
                "names": int(s),
                "stale": f"{f}/{v}" in stale,
            }
            for f, v, a, b, n, s in rows
        ]

    # --- building -------------------------------------------------------------------

    def build(
        self,
        variants: Sequence[Variant],
        days: Sequence[dt.date],
        *,
        rebuild: bool = False,
        on_progress: Callable[[int], None] | None = None,
    ) -> int:
        """Materialise every (variant, day) not yet stored; returns names inserted.
        ``on_progress(n)`` reports n more of the ``len(variants) * len(days)`` pairs done
        (inserted, already stored, or outside the variant's active period)."""
        if self.read_only:
            raise StoreError(f"{self.path} is open read-only")
        total = 0
        self.already_stored = 0
        for variant in variants:
            self._current(variant)
            active = [d for d in days if variant.is_active(d)]
            have = set() if rebuild else self.covered_days(variant)
            todo = [d for d in active if d not in have]
            self.already_stored += len(active) - len(todo)
            if on_progress is not None and len(days) > len(todo):
                on_progress(len(days) - len(todo))
            for dl in iter_day_lists([variant], todo):
                total += self._insert_day(dl, replace=rebuild)
                if on_progress is not None:
                    on_progress(1)
        if total:
            self._update_max_labels()
        return total

    def _current(self, variant: Variant) -> None:
        """Drop a stale variant's lists and record the running generator's version."""
        fp = fingerprint(variant)
        if fp is None:
            return
        key = [variant.family, variant.name]
        if variant.key in self.stale():
            self.con.execute("BEGIN TRANSACTION")
            self.con.execute("DELETE FROM forecast WHERE family = ? AND variant = ?", key)
            self.con.execute("DELETE FROM coverage WHERE family = ? AND variant = ?", key)
            self.con.execute("COMMIT")
            self.stale().discard(variant.key)
        self.con.execute("INSERT OR REPLACE INTO generators VALUES (?, ?, ?)", [*key, fp])

    def _insert_day(self, dl: DayList, *, replace: bool) -> int:
        names = dl.names()
        table = pa.table(
            {
                "idx": pa.array(range(len(names)), pa.int32()),
                "domain": pa.array(names, pa.string()),
            }
        )
        v = dl.variant
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            if replace:
                con.execute(
                    "DELETE FROM forecast WHERE family = ? AND variant = ? AND day = ?",
                    [v.family, v.name, dl.day],
                )
                con.execute(
                    "DELETE FROM coverage WHERE family = ? AND variant = ? AND day = ?",
                    [v.family, v.name, dl.day],
                )
            con.register("day_names", table)
            con.execute(
                """INSERT INTO forecast
                   SELECT ?::DATE, ?, ?, idx, domain,
                          substr(domain, strpos(domain, '.') + 1), hash(domain)
                   FROM day_names""",
                [dl.day, v.family, v.name],
            )
            con.unregister("day_names")
            con.execute(
                "INSERT INTO coverage VALUES (?, ?, ?, ?)", [v.family, v.name, dl.day, len(names)]
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return len(names)

    # --- reading --------------------------------------------------------------------

    def find(
        self, queries: pa.Array, plan: Sequence[tuple[Variant, Sequence[dt.date]]]
    ) -> pa.Table:
        """Forecast rows whose domain is a candidate key of a query, restricted to the
        (variant, day) pairs of ``plan``. Keys: the whole lower-cased name (``pos`` 0) and
        its last 2..5 labels (``pos`` = label count); the caller decides which count.

        Three steps, each cheap: candidate keys are hashed and joined against the integer
        ``h`` column (row ids only); the few matching rows are fetched by row id; then the
        domains are compared as strings (hash collisions) and the days checked."""
        wanted = pa.table(
            {
                "family": pa.array([v.family for v, days in plan for _ in days], pa.string()),
                "variant": pa.array([v.name for v, days in plan for _ in days], pa.string()),
                "day": pa.array([d for _, days in plan for d in days], pa.date32()),
            }
        )
        con = self.con
        # each query's row number rides through the join instead of its strings (a smaller
        # hash table); query and key strings come back only for the rows that hit
        rows_n = pa.array(np.arange(len(queries), dtype=np.int64))
        con.register("lookup_input", pa.table({"raw": queries, "n": rows_n}))
        con.register("lookup_days", wanted)
        try:
            matches = con.sql(_match_sql(self.max_labels())).to_arrow_table()
            matches = matches.append_column("query", queries.take(matches.column("n")))
            con.register("lookup_matches", matches)
            rows = con.sql(_FETCH_SQL).to_arrow_table()
            con.register("lookup_rows", rows)
            return con.sql(_CHECK_SQL).to_arrow_table()
        finally:
            for name in ("lookup_input", "lookup_days", "lookup_matches", "lookup_rows"):
                con.unregister(name)


def _match_sql(max_labels: int) -> str:
    """Join candidate keys against the ``h`` column: the whole name (``pos`` 0) and its last
    2..``max_labels`` labels (no forecast name has more labels, so longer keys can't hit).
    Suffix keys are split out only for names of three labels or more (the others have
    none), and only the query's row number ``n`` and ``pos`` travel with each key's hash."""
    suffix_keys = ", ".join(
        f"CASE WHEN len(parts) > {n} THEN array_to_string(parts[-{n}:], '.') END"
        for n in range(2, max_labels + 1)
    )
    suffix_pos = ", ".join(str(n) for n in range(2, max_labels + 1))
    suffixes = (
        f"""
    UNION ALL
    SELECT n, unnest([{suffix_keys}]) AS key, unnest([{suffix_pos}]) AS pos
    FROM (SELECT n, string_split(name, '.') AS parts FROM names WHERE name LIKE '%.%.%')"""
        if max_labels >= 2
        else ""
    )
    return f"""
WITH names AS (
    SELECT n, lower(rtrim(trim(raw), '.')) AS name FROM lookup_input WHERE raw IS NOT NULL
), keys AS (
    SELECT n, name AS key, 0 AS pos FROM names{suffixes}
)
SELECT k.n, k.pos, f.rowid AS rid
FROM (SELECT n, pos, hash(key) AS h FROM keys WHERE key IS NOT NULL) k
JOIN (SELECT rowid, h FROM forecast) f ON f.h = k.h
"""


_FETCH_SQL = """
SELECT rowid AS rid, family, variant, day, idx, domain, suffix
FROM forecast WHERE rowid IN (SELECT rid FROM lookup_matches)
"""

_CHECK_SQL = """
WITH j AS (
    SELECT query, pos, rid, lower(rtrim(trim(query), '.')) AS name FROM lookup_matches
), m AS (
    SELECT query, pos, rid, CASE WHEN pos = 0 THEN name
        ELSE array_to_string(string_split(name, '.')[-pos:], '.') END AS key
    FROM j
)
SELECT DISTINCT m.query, r.family, r.variant, r.day, r.idx AS "index", r.domain, r.suffix, m.pos
FROM m
JOIN lookup_rows r ON r.rid = m.rid AND r.domain = m.key
SEMI JOIN lookup_days w ON w.family = r.family AND w.variant = r.variant AND w.day = r.day
ORDER BY m.query, r.family, r.variant, r.day, r.idx
"""
