"""CSV/Parquet hunt input a user actually has (issue 17): common headers recognised without
a mapping, ``--column`` for the rest (the option the error message names exists), the
required columns in ``--help``; and a log of another type refused by name instead of being
read as an empty log of the expected type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dgawatch.errors import InputError
from dgawatch.readers import InputReport
from dgawatch.readers.tabular import ALIASES, parse_column_map

from .helpers import FIXTURES, read, utc


def cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home)),
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "header",
    [
        "timestamp,client_ip,query,query_type,response_code",
        "Time,Src_IP,Domain,QType,RCode",
        "@timestamp,source_ip,query_name,record_type,rcode_name",
    ],
)
def test_common_headers_are_recognised(tmp_path: Path, header: str) -> None:
    path = tmp_path / "queries.csv"
    path.write_text(
        f"{header}\n2023-11-14T22:13:20Z,10.0.0.1,www.example.com,A,NOERROR\n"
        "1700000001.5,10.0.0.2,b.example.org,AAAA,NXDOMAIN\n"
    )
    rows, report = read(path)  # auto-detected as csv
    assert report.total_bad == 0
    assert [(r["ts"], r["client"], r["qname"], r["qtype"], r["rcode"]) for r in rows] == [
        (utc(2023, 11, 14, 22, 13, 20), "10.0.0.1", "www.example.com", "A", "NOERROR"),
        (utc(2023, 11, 14, 22, 13, 21, 500000), "10.0.0.2", "b.example.org", "AAAA", "NXDOMAIN"),
    ]


def test_parquet_with_common_names(tmp_path: Path) -> None:
    path = tmp_path / "q.parquet"
    table = pa.table(
        {"timestamp": pa.array([1_700_000_000.0]), "src_ip": ["10.0.0.9"], "query": ["x.org"]}
    )
    pq.write_table(table, path)
    rows, _ = read(path)
    assert [(r["client"], r["qname"]) for r in rows] == [("10.0.0.9", "x.org")]


def test_column_map_parsing() -> None:
    assert parse_column_map("ts=when, client=who,qname=what") == {
        "ts": "when",
        "client": "who",
        "qname": "what",
    }
    with pytest.raises(InputError, match="not an event field"):
        parse_column_map("tz=when")
    with pytest.raises(InputError, match="FIELD=COLUMN"):
        parse_column_map("ts")


def test_hunt_column_option_and_help(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("when,who,what\n1700000000,10.0.0.1,www.example.com\n")
    refused = cli("hunt", str(path), "--input-format", "csv", "--no-unknown-dga", home=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "no column for ts, client, qname" in refused.stderr and "--column" in refused.stderr
    done = cli(
        "hunt", str(path), "--input-format", "csv", "--no-unknown-dga", "--json",
        "--column", "ts=when,client=who,qname=what", home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert summary["events"] == 1
    bad = cli("hunt", str(path), "--column", "tz=when", home=tmp_path)
    assert bad.returncode == 2 and "--column 'tz'" in bad.stderr
    help_text = " ".join(cli("hunt", "--help", home=tmp_path).stdout.split())
    assert "--column" in help_text and "Required: ts" in help_text
    for alias in ("timestamp", "client_ip", "query"):
        assert alias in help_text
        assert any(alias in names for names in ALIASES.values())


def test_zeek_log_of_another_type_is_refused(tmp_path: Path) -> None:
    conn = tmp_path / "conn.log"
    conn.write_text(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
        "1700000000.1\tC1\t10.0.0.1\t5555\t10.0.0.2\t80\ttcp\n"
    )
    with pytest.raises(InputError, match=r"is a Zeek conn\.log, not dns\.log"):
        read(conn, "zeek")
    conn_json = tmp_path / "conn.json"
    conn_json.write_text('{"_path": "conn", "ts": 1700000000.1, "id.orig_h": "10.0.0.1"}\n')
    with pytest.raises(InputError, match=r"is a Zeek conn\.log, not dns\.log"):
        read(conn_json, "zeek-json")


@pytest.mark.parametrize("name", ["zeek-dns.log", "zeek-dns.json"])
def test_hunt_flows_refuses_a_dns_log(tmp_path: Path, name: str) -> None:
    proc = cli("hunt-flows", str(FIXTURES / name), home=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "is a Zeek dns.log, not conn.log" in proc.stderr
    assert "dgawatch hunt" in proc.stderr


def test_a_log_directory_with_other_files_is_hunted(tmp_path: Path) -> None:
    """A Zeek log directory holds conn.log, http.log... beside dns.log, and often a stray
    file: each is skipped with a counted message (strict or not), the DNS log is read."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "dns.log").write_text(
        "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tquery\n"
        "1700000000.1\tC1\t10.0.0.1\ta.example.com\n1700000000.2\tC2\t10.0.0.2\tb.example.org\n"
    )
    (logs / "conn.log").write_text(
        "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tquery\n1700000000.1\tC1\tx\n"
    )
    (logs / "http.json").write_text('{"_path": "http", "ts": 1700000000.1, "uid": "C2"}\n')
    (logs / "notes.txt").write_text("kept by an analyst\n")
    expected, _ = read(logs / "dns.log")
    for strict in (False, True):
        rows, report = read(logs, report=InputReport(strict=strict))
        assert rows == expected and len(rows) == 2
        assert sorted((Path(f).name, r) for f, r in report.counts) == [
            ("conn.log", "is a Zeek conn.log, not dns.log (conn.log goes to "
             "'dgawatch hunt-flows'); skipped"),
            ("http.json", "cannot tell its format (name it with --input-format); skipped"),
            ("notes.txt", "cannot tell its format (name it with --input-format); skipped"),
        ]  # fmt: skip
