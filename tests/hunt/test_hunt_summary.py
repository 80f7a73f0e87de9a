"""What ``dgawatch hunt`` says it checked: lists read from the list cache are counted (a
second hunt over the same log does not read as if nothing was checked), and a hunt with no
finding says so in one line instead of printing an empty table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa

from dgawatch.families import get_family
from dgawatch.hunt import _DistinctCount
from tests.hunt.logs import nxdomain_csv
from tests.test_cli import run

DAY = dt.date(2021, 3, 4)


def _log(tmp_path: Path, names: list[str]) -> Path:
    return nxdomain_csv(tmp_path / "q.csv", DAY, names, "example.com", "example.org")


def _hunt(log: Path, home: Path, *extra: str):
    args = ["hunt", str(log), "--family", "conficker", "--window-days", "0", "--no-unknown-dga"]
    return run(*args, *extra, home=home)


def test_second_hunt_counts_lists_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DGAWATCH_LIST_CACHE", raising=False)
    (v,) = [x for x in get_family("conficker").variants if x.name == "c"]
    log = _log(tmp_path, v.domains(DAY)[:20])
    home = tmp_path / "home"
    cold = _hunt(log, home, "--format", "json")
    warm = _hunt(log, home, "--format", "json")
    cold_sum = json.loads(cold.stdout.splitlines()[-1])["summary"]
    warm_sum = json.loads(warm.stdout.splitlines()[-1])["summary"]
    lists = cold_sum["lists_generated"]
    assert lists > 0 and cold_sum["lists_from_cache"] == 0
    assert (warm_sum["lists_generated"], warm_sum["lists_from_store"]) == (0, 0)
    assert warm_sum["lists_from_cache"] == lists
    assert f"{lists} from the list cache, 0 generated" in warm.stderr


def test_no_findings_is_one_line_not_an_empty_table(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DGAWATCH_LIST_CACHE", raising=False)
    log = _log(tmp_path, ["example.net", "example.info"])
    proc = _hunt(log, tmp_path / "home")
    assert proc.stdout == ""
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("no findings")]
    assert len(lines) == 1
    assert lines[0].startswith("no findings (4 events from 3 clients checked against ")
    # --format json keeps its summary line on stdout
    doc = json.loads(_hunt(log, tmp_path / "home", "--format", "json").stdout)
    assert doc["summary"]["findings"] == 0


def test_no_findings_csv_unchanged(tmp_path: Path) -> None:
    log = _log(tmp_path, ["example.net"])
    proc = _hunt(log, tmp_path / "home", "--format", "csv")
    assert proc.stdout.startswith("client,family")


def test_distinct_clients_over_batches_of_any_string_type() -> None:
    count = _DistinctCount()
    count.add(pa.array(["10.0.0.1", "10.0.0.2", None, "10.0.0.1"]))
    count.add(pa.array(["10.0.0.2", "10.0.0.3"]).dictionary_encode())
    count.add(pa.array(["10.0.0.4", "10.0.0.1"], pa.large_string()))
    assert count.total() == 4
    for i in range(300):  # past the merge threshold: merged, still exact
        count.add(pa.array([f"10.1.0.{i % 250}"]))
    assert count.total() == 4 + 250
    assert _DistinctCount().total() == 0
