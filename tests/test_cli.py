"""The command line as a script uses it: real processes, real files, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dgawatch.families import get_family

D_C = "2009-04-01"


def run(
    *args: str, home: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["DGAWATCH_HOME"] = str(home)
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr}")
    return proc


def test_families_json_lists_conficker_variants() -> None:
    doc = json.loads(run("families", "--json").stdout)
    conficker = next(f for f in doc if f["family"] == "conficker")
    assert [v["variant"] for v in conficker["variants"]] == ["a", "b", "c"]
    c = conficker["variants"][2]
    assert c["domains_per_day"] == 50_000 and len(c["tlds"]) == 116
    assert c["active_from"] == "2009-04-01"


def test_families_table_shows_aliases_and_sources_lists_each_period_source() -> None:
    table = run("families").stdout
    row = next(line for line in table.splitlines() if "pre-tovar" in line)
    assert "gameover" in row and "alias" in row and "= murofet/v1" in row
    sources = run("families", "--sources").stdout
    necurs = get_family("necurs")
    assert necurs.references[0] in sources
    for v in necurs.variants:
        assert v.period_source and v.period_source[:40] in sources


def test_forecast_txt_is_the_day_list_in_order() -> None:
    lines = run("forecast", "conficker", "--variant", "c", "--start", D_C).stdout.splitlines()
    assert len(lines) == 50_000
    assert lines[:3] == ["oubezepg.com.mx", "gzyh.nl", "ktmybhf.sg"]
    assert len(set(lines)) < 50_000  # duplicates are kept


def test_forecast_csv_header_and_tld_filter() -> None:
    text = run(
        "forecast", "conficker", "--variant", "b", "--start", "2009-01-08", "--days", "2",
        "--format", "csv", "--tld", "biz", "--tld", "cc",
    ).stdout  # fmt: skip
    assert text.startswith("day,family,variant,index,domain\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["day"] for r in rows} == {"2009-01-08", "2009-01-09"}
    assert all(r["domain"].endswith((".biz", ".cc")) for r in rows)
    assert {"day": "2009-01-08", "family": "conficker", "variant": "b", "index": "1",
            "domain": "kogaj.biz"} in rows  # fmt: skip


def test_forecast_jsonl_and_parquet_agree(tmp_path: Path) -> None:
    jsonl = run("forecast", "conficker", "--variant", "a", "--start", "2020-01-01",
                "--format", "jsonl").stdout.splitlines()  # fmt: skip
    first = json.loads(jsonl[0])
    assert first == {"day": "2020-01-01", "family": "conficker", "variant": "a", "index": 0,
                     "domain": "fvqcih.net"}  # fmt: skip
    out = tmp_path / "a.parquet"
    run("forecast", "conficker", "--variant", "a", "--start", "2020-01-01",
        "--format", "parquet", "--output", str(out))  # fmt: skip
    table = pq.read_table(out)
    assert table.num_rows == 250
    assert table.column("domain").to_pylist() == [json.loads(x)["domain"] for x in jsonl]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["forecast", "nosuch", "--start", D_C], "unknown family 'nosuch'"),
        (["forecast", "conficker", "--variant", "z", "--start", D_C], "has no variant 'z'"),
        (["forecast", "conficker", "--start", "2009-02-30"], "not a real calendar date"),
        (["forecast", "conficker", "--variant", "c", "--start", "2009-03-31"],
         "before its active period"),
        (["forecast", "conficker", "--start", D_C, "--days", "0"], "at least 1"),
        (["forecast", "conficker", "--start", D_C, "--format", "xml"], "unknown format"),
        (["lookup", "x.com", "--start", "2020-01-02", "--end", "2020-01-01"], "before --start"),
        (["conficker", "ports", "not-an-ip"], "not an IPv4 address"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_with_exit_2(args: list[str], message: str) -> None:
    proc = run(*args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_forecast_before_active_period_can_be_forced() -> None:
    proc = run("forecast", "conficker", "--variant", "c", "--start", "2009-03-31",
               "--ignore-active-period")  # fmt: skip
    assert len(proc.stdout.splitlines()) == 50_000


def test_store_build_then_lookup_reads_the_store(tmp_path: Path) -> None:
    args = ["store", "build", "--start", "2014-11-10", "--days", "2", "--family", "conficker"]
    built = json.loads(run(*args, "--json", home=tmp_path).stdout)
    assert built["inserted"] == 2 * 50_500
    assert (tmp_path / "forecast.duckdb").exists()
    proc = run("lookup", "xpun.nl", "www.xpun.nl", "example.org", "--family", "conficker",
               "--start", "2014-11-10", "--end", "2014-11-11", "--json", home=tmp_path)  # fmt: skip
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d["query"] for d in docs] == ["xpun.nl", "www.xpun.nl", "example.org"]
    assert docs[1]["registered_domain"] == "xpun.nl"
    for doc in docs[:2]:
        assert doc["matches"] == [{"family": "conficker", "variant": "c", "day": "2014-11-11",
                                   "index": 36177, "domain": "xpun.nl"}]  # fmt: skip
    assert docs[2]["matches"] == []
    assert "6 day lists from the store, 0 generated" in proc.stderr
    info = json.loads(run("store", "info", "--json", home=tmp_path).stdout)
    assert {r["variant"]: r["days"] for r in info["coverage"]} == {"a": 2, "b": 2, "c": 2}


def test_lookup_file_and_invalid_names(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# comment\nfvqcih.net\nbad..name\n")
    proc = run("lookup", "--file", str(names), "--family", "conficker", "--variant", "a",
               "--start", "2020-01-01", "--end", "2020-01-01", "--no-store", "--json")  # fmt: skip
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert docs[0]["matches"][0]["index"] == 0
    assert "not a valid domain name" in docs[1]["error"]


def test_conficker_ports_cli() -> None:
    proc = run("conficker", "ports", "10.10.10.52", "--date", "2022-10-10", "--json")
    assert json.loads(proc.stdout) == {
        "ip": "10.10.10.52", "week": 2753, "tcp": [10637, 3494], "udp": [19802, 34485]
    }  # fmt: skip


def test_export_help_lists_every_registered_format() -> None:
    from dgawatch.export import all_exporters

    text = " ".join(run("export", "--help").stdout.split())
    for name in all_exporters():
        assert name in text
