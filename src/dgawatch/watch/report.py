"""``dgawatch watch report``: the weakest-link table (per TLD and family, the share of the
coming days' names in each state, from the latest finished check) and the alerts.

Schema ``watch-report/1`` (JSON document, CSV with the same columns as ``rows``):
``tld, family, names, free, reserved, sinkholed, collision, alert, unknown,
share_free .. share_unknown, check_id, checked_at, start_day, end_day``.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dgawatch.errors import StoreError
from dgawatch.watch.evidence import STATES
from dgawatch.watch.store import WatchStore, resolve

SCHEMA = "watch-report/1"
ROW_FIELDS = (
    "tld", "family", "names", *STATES, *(f"share_{s}" for s in STATES),
    "check_id", "checked_at", "start_day", "end_day",
)  # fmt: skip
ALERT_FIELDS = (
    "domain", "tld", "family", "variant", "day", "state", "basis", "published", "created",
    "registrar", "ns", "sources", "observed",
)  # fmt: skip


def _open(where: str | Path | None, *, patience: float = 10.0) -> WatchStore | None:
    """The store, read-only; None when there is none. A check holds the file only while it
    starts and while it records its verdicts (seconds), so a reader waits that out."""
    path = resolve(where)
    if not path.exists():
        return None
    deadline = time.monotonic() + patience
    while True:
        try:
            return WatchStore(path, read_only=True)
        except StoreError as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def collision_names(where: str | Path | None = None) -> set[str]:
    """Names in the ``collision`` state in the latest finished check (empty without one).
    ``where``: the data directory, or the watch store file; None = the default data dir."""
    store = _open(where)
    if store is None:
        return set()
    with store:
        latest = store.latest_check()
        if latest is None:
            return set()
        rows = store.con.execute(
            "SELECT domain FROM verdicts WHERE check_id = ? AND state = 'collision'", [latest]
        ).fetchall()
    return {r[0] for r in rows}


def report_rows(
    where: str | Path | None = None,
    *,
    tlds: Sequence[str] | None = None,
    families: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One dict per (tld, family) of the latest finished check (keys: ``ROW_FIELDS``)."""
    store = _open(where)
    if store is None:
        return []
    with store:
        latest = store.latest_check()
        if latest is None:
            return []
        counts = ", ".join(
            f"count(DISTINCT domain) FILTER (WHERE state = '{s}') AS {s}" for s in STATES
        )
        rows = store.con.execute(
            f"""WITH nf AS (SELECT DISTINCT domain, tld, family FROM names WHERE check_id = $1),
                     j AS (SELECT nf.domain, nf.tld, nf.family, v.state FROM nf
                           JOIN verdicts v ON v.check_id = $1 AND v.domain = nf.domain)
                SELECT tld, family, count(DISTINCT domain) AS names, {counts}
                FROM j GROUP BY tld, family ORDER BY tld, family""",
            [latest],
        ).fetchall()
        check = store.con.execute(
            "SELECT finished, start_day, end_day FROM checks WHERE check_id = ?", [latest]
        ).fetchone()
    assert check is not None
    out: list[dict[str, Any]] = []
    for tld, family, names, *nums in rows:
        if tlds and tld not in tlds:
            continue
        if families and family not in families:
            continue
        row: dict[str, Any] = {"tld": tld, "family": family, "names": int(names)}
        row.update({s: int(n) for s, n in zip(STATES, nums, strict=True)})
        row.update(
            {
                f"share_{s}": (int(n) / names if names else 0.0)
                for s, n in zip(STATES, nums, strict=True)
            }
        )
        row.update(
            check_id=latest,
            checked_at=_iso(check[0]),
            start_day=_iso(check[1]),
            end_day=_iso(check[2]),
        )
        out.append(row)
    return out


def alert_rows(where: str | Path | None = None) -> list[dict[str, Any]]:
    """Names in the ``alert`` state in the latest finished check, with their evidence."""
    store = _open(where)
    if store is None:
        return []
    with store:
        latest = store.latest_check()
        if latest is None:
            return []
        rows = store.con.execute(
            """SELECT v.domain, v.tld, n.family, n.variant, n.day, v.state, v.basis, v.published,
                      v.created, v.registrar, v.ns,
                      (SELECT list(DISTINCT o.source ORDER BY o.source) FROM observations o
                       WHERE o.check_id = v.check_id AND o.domain = v.domain AND o.present),
                      v.observed
               FROM verdicts v
               JOIN (SELECT domain, arg_min(family, day) AS family,
                            arg_min(variant, day) AS variant, min(day) AS day
                     FROM names WHERE check_id = $1 GROUP BY domain) n
                 USING (domain)
               WHERE v.check_id = $1 AND v.state = 'alert' ORDER BY v.tld, v.domain""",
            [latest],
        ).fetchall()
    return [{k: _iso(v) for k, v in zip(ALERT_FIELDS, r, strict=True)} for r in rows]


def history_rows(where: str | Path | None, domain: str) -> list[dict[str, Any]]:
    """Every check's verdict for one name, oldest first."""
    store = _open(where)
    if store is None:
        return []
    with store:
        rows = store.con.execute(
            """SELECT v.check_id, c.started, v.state, v.basis, v.created, v.registrar, v.ns
               FROM verdicts v JOIN checks c USING (check_id)
               WHERE v.domain = ? ORDER BY v.check_id""",
            [domain],
        ).fetchall()
    keys = ("check_id", "checked_at", "state", "basis", "created", "registrar", "ns")
    return [{k: _iso(v) for k, v in zip(keys, r, strict=True)} for r in rows]


def to_csv(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (" ".join(v) if isinstance(v, list) else v) for k, v in row.items()})
    return buf.getvalue()
