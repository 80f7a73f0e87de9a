"""The watch store: every check's verdicts and the evidence behind them, in one DuckDB
file (``<data dir>/watch.duckdb``), kept for history.

Schema (version 1):

* ``checks(check_id, started, finished, start_day, end_day, tlds, sources, names)`` — one
  row per check; ``finished`` is NULL for a check that did not complete (it is never the
  "latest check" of a report);
* ``listed(domain, tld, published, how)`` — when each name was published (see
  :mod:`dgawatch.watch.evidence`): the first check that listed it, or an earlier
  ``--published`` date;
* ``names(check_id, domain, tld, family, variant, day)`` — the watched names of each check
  with the family, variant and first day (in the window) that generate them;
* ``verdicts(check_id, domain, tld, state, basis, published, created, registrar, ns,
  observed)`` — one state per name and check: the history;
* ``observations(check_id, domain, source, observed, present, registry_hold, ns, addresses,
  created, registrar, status, detail)`` — what each source answered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from dgawatch import __version__
from dgawatch.errors import StoreError
from dgawatch.store import check_store_file, data_dir, main_tables, open_error, schema_mismatch
from dgawatch.watch.evidence import Verdict

SCHEMA_VERSION = "1"
STORE_FILE = "watch.duckdb"

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS checks (
    check_id INTEGER PRIMARY KEY, started TIMESTAMPTZ NOT NULL, finished TIMESTAMPTZ,
    start_day DATE NOT NULL, end_day DATE NOT NULL, tlds VARCHAR NOT NULL,
    sources VARCHAR NOT NULL, names INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS listed (
    domain VARCHAR PRIMARY KEY, tld VARCHAR NOT NULL, published TIMESTAMPTZ NOT NULL,
    how VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS names (
    check_id INTEGER NOT NULL, domain VARCHAR NOT NULL, tld VARCHAR NOT NULL,
    family VARCHAR NOT NULL, variant VARCHAR NOT NULL, day DATE NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (
    check_id INTEGER NOT NULL, domain VARCHAR NOT NULL, tld VARCHAR NOT NULL,
    state VARCHAR NOT NULL, basis VARCHAR NOT NULL, published TIMESTAMPTZ NOT NULL,
    created TIMESTAMPTZ, registrar VARCHAR, ns VARCHAR[], observed TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (check_id, domain));
CREATE TABLE IF NOT EXISTS observations (
    check_id INTEGER NOT NULL, domain VARCHAR NOT NULL, source VARCHAR NOT NULL,
    observed TIMESTAMPTZ NOT NULL, present BOOLEAN, registry_hold BOOLEAN NOT NULL,
    ns VARCHAR[], addresses VARCHAR[], created TIMESTAMPTZ, registrar VARCHAR,
    status VARCHAR[], detail VARCHAR);
"""


def default_path() -> Path:
    return data_dir() / STORE_FILE


def resolve(where: str | Path | None) -> Path:
    """A data directory (holding ``watch.duckdb``) or the store file itself."""
    if where is None:
        return default_path()
    path = Path(where)
    return path / STORE_FILE if path.is_dir() else path


_VERDICT_COLUMNS = (
    "check_id", "domain", "tld", "state", "basis", "published", "created", "registrar", "ns",
    "observed",
)  # fmt: skip
_OBSERVATION_COLUMNS = (
    "check_id", "domain", "source", "observed", "present", "registry_hold", "ns", "addresses",
    "created", "registrar", "status", "detail",
)  # fmt: skip


class WatchStore:
    """Use as a context manager; one writer at a time (DuckDB's file lock)."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_path()
        check_store_file(
            self.path, kind="watch store", option="--watch-store", writer="dgawatch watch check"
        )
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(open_error(self.path, exc, "watch store", "--watch-store")) from None
        self.con.execute("SET TimeZone = 'UTC'")
        # Read before writing: another schema's store or another program's DuckDB file
        # is refused untouched (no tables of ours created in it).
        tables = main_tables(self.con)
        if ("meta" not in tables and (tables or read_only)) or (
            "meta" in tables and "verdicts" not in tables and read_only
        ):
            self.con.close()
            raise StoreError(
                f"{self.path} is a DuckDB file but not a dgawatch watch store; give "
                "--watch-store the file that 'dgawatch watch check' wrote"
            )
        rows = (
            self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            if "meta" in tables
            else []
        )
        if rows and rows[0][0] != SCHEMA_VERSION:
            writer = self.con.execute("SELECT value FROM meta WHERE key = 'writer'").fetchall()
            self.con.close()
            raise StoreError(
                schema_mismatch(
                    self.path,
                    str(rows[0][0]),
                    str(writer[0][0]) if writer else None,
                    kind="watch store",
                    reads=SCHEMA_VERSION,
                    then="",
                    note="the next 'dgawatch watch check' starts it",
                )
            )
        if not read_only:
            self.con.execute(_DDL)
            if not rows:
                self.con.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?), ('writer', ?)",
                    [SCHEMA_VERSION, f"dgawatch {__version__}"],
                )

    def __enter__(self) -> WatchStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # --- writing a check ------------------------------------------------------------

    def begin_check(
        self, started: dt.datetime, start_day: dt.date, end_day: dt.date, tlds: Sequence[str],
        sources: Sequence[str], rows: Sequence[tuple[str, str, str, str, dt.date]],
    ) -> int:  # fmt: skip
        """Record a new check and its watched names (domain, tld, family, variant, day)."""
        (last,) = self.con.execute("SELECT coalesce(max(check_id), 0) FROM checks").fetchone() or (
            0,
        )
        check_id = int(last) + 1
        self.con.execute("BEGIN")
        self.con.execute(
            "INSERT INTO checks VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
            [
                check_id,
                started,
                start_day,
                end_day,
                ",".join(tlds),
                ",".join(sources),
                len({r[0] for r in rows}),
            ],
        )
        self._insert("names", ["check_id", "domain", "tld", "family", "variant", "day"],
                     [(check_id, *r) for r in rows])  # fmt: skip
        self.con.execute("COMMIT")
        return check_id

    def publish(self, names: Iterable[tuple[str, str]], when: dt.datetime, how: str) -> None:
        """Record ``when`` as the publication of each (domain, tld) unless it has an earlier one."""
        rows = [(d, t, when, how) for d, t in names]
        if not rows:
            return
        self.con.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _pub "
            "(domain VARCHAR, tld VARCHAR, published TIMESTAMPTZ, how VARCHAR)"
        )
        self.con.execute("DELETE FROM _pub")
        self._insert("_pub", ["domain", "tld", "published", "how"], rows)
        self.con.execute(
            """INSERT INTO listed SELECT * FROM _pub ON CONFLICT (domain) DO UPDATE SET
               published = CASE WHEN excluded.published < listed.published
                           THEN excluded.published ELSE listed.published END,
               how = CASE WHEN excluded.published < listed.published
                     THEN excluded.how ELSE listed.how END"""
        )

    def published(self) -> dict[str, dt.datetime]:
        return dict(self.con.execute("SELECT domain, published FROM listed").fetchall())

    def seen_free_after_publication(self) -> dict[str, dt.datetime]:
        """domain -> the first finished check at or after its publication that saw it free."""
        rows = self.con.execute(
            """SELECT v.domain, min(v.observed) FROM verdicts v
               JOIN listed l USING (domain) JOIN checks c USING (check_id)
               WHERE v.state = 'free' AND c.finished IS NOT NULL AND v.observed >= l.published
               GROUP BY v.domain"""
        ).fetchall()
        return dict(rows)

    def record(self, check_id: int, tlds: dict[str, str], verdicts: Sequence[Verdict]) -> None:
        vrows = []
        orows = []
        for v in verdicts:
            observed = max((o.observed for o in v.observations), default=dt.datetime.now(dt.UTC))
            vrows.append(
                (check_id, v.name, tlds[v.name], v.state, v.basis, v.published, v.created,
                 v.registrar, list(v.ns), observed)
            )  # fmt: skip
            for o in v.observations:
                orows.append(
                    (check_id, o.name, o.source, o.observed, o.present, o.registry_hold,
                     list(o.ns), list(o.addresses), o.created, o.registrar, list(o.status),
                     o.detail)
                )  # fmt: skip
        self.con.execute("BEGIN")
        self._insert("verdicts", _VERDICT_COLUMNS, vrows)
        self._insert("observations", _OBSERVATION_COLUMNS, orows)
        self.con.execute("COMMIT")

    def _insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[object, ...]]
    ) -> None:
        """Bulk insert through Arrow (row-by-row executemany is ~100x slower)."""
        if not rows:
            return
        schema = self.con.sql(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
        batch = pa.table(
            {
                c: pa.array([r[i] for r in rows], type=schema.field(c).type)
                for i, c in enumerate(columns)
            }
        )
        self.con.register("_batch", batch)
        try:
            cols = ", ".join(columns)
            self.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch")
        finally:
            self.con.unregister("_batch")

    def finish_check(self, check_id: int, finished: dt.datetime) -> None:
        self.con.execute("UPDATE checks SET finished = ? WHERE check_id = ?", [finished, check_id])

    # --- reading --------------------------------------------------------------------

    def latest_check(self) -> int | None:
        row = self.con.execute(
            "SELECT max(check_id) FROM checks WHERE finished IS NOT NULL"
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None
