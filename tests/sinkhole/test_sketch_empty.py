"""``sinkhole sketch export`` that writes no sketch says why: HTTP events none of which
is attributed (no plan, two variants held), or no HTTP events at all."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from dgawatch.sinkhole.names import write_held
from dgawatch.sinkhole.plan import PLAN_FILE
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from tests.sinkhole.test_sketch import _run

DAY = dt.date(2026, 11, 27)


def test_unattributed_http_events_are_said(tmp_path: Path) -> None:
    t = simulate(Botnet(bots=50, held=20, day=DAY, seed=7))
    store = tmp_path / "store"
    write_store(t, store, dns=False)
    (store / PLAN_FILE).unlink()  # no plan, and two variants held: nothing attributed
    write_held(store, DAY.isoformat(), {"conficker/b": 10}, None)
    out = tmp_path / "s.json"
    proc = _run("export", "--dir", str(store), "--output", str(out), "--date", DAY.isoformat())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["entries"] == []
    day_events = sum(
        1 for ts in t.ts.tolist() if dt.datetime.fromtimestamp(ts / 1000, dt.UTC).date() == DAY
    )
    assert day_events > 0
    assert (
        f"wrote 0 sketches to {out} ({day_events:,} HTTP event(s), none attributed to a "
        "family/variant: see 'Attribution' in the README" in proc.stderr
    ), proc.stderr


def test_attributed_export_says_nothing_more(tmp_path: Path) -> None:
    t = simulate(Botnet(bots=50, held=20, day=DAY, seed=7))
    write_store(t, tmp_path / "store", dns=False)
    out = tmp_path / "s.json"
    proc = _run("export", "--dir", str(tmp_path / "store"), "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "none attributed" not in proc.stderr and "wrote 0 " not in proc.stderr
    assert proc.stderr.startswith("wrote ") and proc.stderr.rstrip().endswith("s.json")
