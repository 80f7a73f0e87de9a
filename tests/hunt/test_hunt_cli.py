"""``dgawatch hunt`` as a script uses it: real process, each output format, bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.hunt.scenario import Scenario, build
from tests.test_cli import run


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build(tmp_path_factory.mktemp("hunt-cli") / "dns.log")


def test_json_lines_and_summary(scenario: Scenario, tmp_path: Path) -> None:
    proc = run("hunt", str(scenario.path), "--family", "conficker", "--json",
               "--min-confidence", "0", home=tmp_path)  # fmt: skip
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    findings, summary = docs[:-1], docs[-1]["summary"]
    assert {(d["client"], d["variant"]) for d in findings} == {
        ("10.0.0.5", "c"), ("10.0.0.6", "c"), ("10.0.0.7", "b"), ("10.0.0.8", "c"),
    }  # fmt: skip
    assert summary["weak_matches"] == 0 and summary["findings"] == 4
    top = next(d for d in findings if d["client"] == "10.0.0.5")
    assert top["queries"] == 20 and top["first_seen"] == "2014-11-16T10:00:00.000Z"
    assert top["evidence"][0]["where"].startswith(f"{scenario.path}:")
    bad = summary["input"]["malformed"]
    assert sum(b["count"] for b in bad) == 2 and bad[0]["examples"]
    assert "2 line" in proc.stderr or "line(s)" in proc.stderr
    # The summary is one line whatever the terminal width, with its nouns in number.
    summary_line = next(line for line in proc.stderr.splitlines() if "query events" in line)
    assert summary_line.endswith("engine local)") and " 4 findings " in summary_line


def test_weak_matches_are_counted_not_listed_by_default(scenario: Scenario, tmp_path: Path) -> None:
    """10.0.0.8 asked once for akna.com.br, a real Brazilian site that a Conficker C list
    also holds (confidence < 0.1): not a finding by default, but said and counted."""
    proc = run("hunt", str(scenario.path), "--family", "conficker", "--json", home=tmp_path)
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    findings, summary = docs[:-1], docs[-1]["summary"]
    assert {d["client"] for d in findings} == {"10.0.0.5", "10.0.0.6", "10.0.0.7"}
    assert summary["weak_matches"] == 1 and summary["min_confidence"] == 0.5
    assert "1 weak match not listed" in proc.stderr and "akna.com.br" in proc.stderr
    bad = run("hunt", str(scenario.path), "--min-confidence", "2", check=False, home=tmp_path)
    assert bad.returncode == 2 and "--min-confidence 2" in bad.stderr


def test_csv_parquet_and_table(scenario: Scenario, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    run("hunt", str(scenario.path), "--family", "conficker", "--output-format", "csv",
        "--output", str(out), home=tmp_path)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 3 and rows[0]["confidence"] == "1.0"
    pq_out = tmp_path / "f.parquet"
    run("hunt", str(scenario.path), "--family", "conficker", "--output-format", "parquet",
        "--output", str(pq_out), home=tmp_path)  # fmt: skip
    table = pq.read_table(pq_out)
    assert table.schema.metadata[b"dgawatch.schema"] == b"finding/1"
    assert sorted(table.column("client").to_pylist()) == ["10.0.0.5", "10.0.0.6", "10.0.0.7"]
    proc = run("hunt", str(scenario.path), "--family", "conficker", home=tmp_path)
    assert "10.0.0.5" in proc.stdout and "conficker/c" in proc.stdout


def test_strict_and_unreadable_file_are_one_line_errors(scenario: Scenario, tmp_path: Path) -> None:
    proc = run("hunt", str(scenario.path), "--family", "conficker", "--strict", check=False,
               home=tmp_path)  # fmt: skip
    assert proc.returncode == 2 and "malformed input" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run("hunt", str(tmp_path / "missing.log"), check=False, home=tmp_path)
    assert proc.returncode == 2 and "cannot read" in proc.stderr


def test_output_file_is_written_whole_or_not_at_all(scenario: Scenario, tmp_path: Path) -> None:
    """A write error half-way through the findings file (a file-size limit, as a full disk
    would) is one line, status 2, and the previous file under that name is left whole."""
    import os
    import resource
    import subprocess
    import sys

    target = tmp_path / "findings.json"
    target.write_text("previous\n")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "hunt",
         str(scenario.path), "--family", "conficker", "--json", "--min-confidence", "0",
         "--output", str(target)],
        capture_output=True, text=True, preexec_fn=limit, check=False, timeout=300,
        env=dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home"), DGAWATCH_LIST_CACHE="off"),
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "cannot write --output" in proc.stderr
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["findings.json"]
    # Without the limit the same command replaces it with the findings.
    run("hunt", str(scenario.path), "--family", "conficker", "--json", "--min-confidence", "0",
        "--output", str(target), home=tmp_path)  # fmt: skip
    assert len(target.read_text().splitlines()) == 5
