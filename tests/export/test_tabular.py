"""Tabular exports (csv, jsonl, parquet) agree with ``dgawatch forecast`` and the ground truth
(real CLI processes, real files)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dgawatch.forecast import SCHEMA
from shared_data import read_csv

SELECTION = ("--start", "2014-11-11", "--days", "2", "--tld", "nl")


def dgawatch(*args: str) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout


def truth() -> tuple[str, str, int]:
    row = next(
        r
        for r in read_csv("conficker/conficker_c_netlab360_sample_matched.csv")
        if r["domain"] == "xpun.nl"
    )
    day, index = row["matched_date_index"].split("#")
    return row["domain"], day, int(index)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_text_exports_equal_the_forecast(fmt: str) -> None:
    exported = dgawatch("export", fmt, "--family", "conficker", "--variant", "c", *SELECTION)
    forecast = dgawatch("forecast", "conficker", "--variant", "c", "--format", fmt, *SELECTION)
    assert exported == forecast
    domain, day, index = truth()
    text = exported.decode("ascii")
    if fmt == "csv":
        assert text.startswith("day,family,variant,index,domain\n")
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        rows = [json.loads(line) for line in text.splitlines()]
        assert list(rows[0]) == ["day", "family", "variant", "index", "domain"]
    hit = [r for r in rows if r["domain"] == domain and r["day"] == day]
    assert len(hit) == 1 and int(hit[0]["index"]) == index
    assert hit[0]["family"] == "conficker" and hit[0]["variant"] == "c"


def test_parquet_export_equals_the_forecast(tmp_path: Path) -> None:
    out, ref = tmp_path / "e.parquet", tmp_path / "f.parquet"
    base = ("--variant", "c", *SELECTION)
    dgawatch("export", "parquet", "--family", "conficker", *base, "--output", str(out))
    dgawatch("forecast", "conficker", *base, "--format", "parquet", "--output", str(ref))
    table = pq.read_table(out)
    assert table.schema.equals(SCHEMA, check_metadata=True)
    assert table.equals(pq.read_table(ref))
    domain, day, index = truth()
    rows = [r for r in table.to_pylist() if r["domain"] == domain]
    assert [(str(r["day"]), r["index"]) for r in rows] == [(day, index)]
    # Deterministic: a second export is byte-identical.
    again = tmp_path / "again.parquet"
    dgawatch("export", "parquet", "--family", "conficker", *base, "--output", str(again))
    assert again.read_bytes() == out.read_bytes()


def test_parquet_export_needs_an_output() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "export", "parquet",
         "--family", "conficker", "--variant", "a", "--start", "2009-01-01"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "--output" in proc.stderr
