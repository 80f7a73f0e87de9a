"""hunt-flows reads its flow logs through ``dgawatch.readers`` (``read_files``): the same
guarantees as DNS logs (directories, gzip and zstd, damaged compression, overlong and
non-UTF-8 lines, a log of another type refused by name or skipped inside a directory)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard

from dgawatch.errors import InputError
from dgawatch.hunt.flows import hunt_flows
from dgawatch.readers import InputReport
from dgawatch.readers._common import MAX_LINE
from tests.hunt.test_flows import write_flows
from tests.test_cli import run

DNS_LOG = "#separator \\x09\n#path\tdns\n#fields\tts\tid.orig_h\tid.resp_h\tid.resp_p\tproto\n"


def found(paths: list[Path], report: InputReport) -> dict[str, int]:
    return {f.source: f.flows for f in hunt_flows(paths, report)}


def test_compressed_files_and_directories_read_like_dns_logs(tmp_path: Path) -> None:
    plain = tmp_path / "flows.csv"
    infected = write_flows(plain)  # sources planted from the nmap observations (ground truth)
    expected = {src: 3 for src in infected}
    data = plain.read_bytes()
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "sub" / "flows.csv.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    (logs / "dns.log").write_text(DNS_LOG + "1238544000\t10.0.0.1\t10.0.0.2\t53\tudp\n")
    (logs / ".hidden.csv").write_bytes(data)  # hidden: not read
    gz = tmp_path / "flows.csv.gz"
    gz.write_bytes(gzip.compress(data))

    assert found([plain], InputReport()) == expected
    assert found([gz], InputReport()) == expected
    report = InputReport()
    assert found([logs], report) == expected
    reasons = {f: r for f, r in report.counts}  # and write_flows' two planted bad lines
    assert reasons[str(logs / "dns.log")] == "a Zeek dns.log, not conn.log; skipped"
    assert report.total_bad == 3 and str(logs / ".hidden.csv") not in report.lines_read
    with pytest.raises(InputError, match=r"is a Zeek dns\.log, not conn\.log"):
        found([logs / "dns.log"], InputReport())  # named: an error, not a skip


def test_damaged_input_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    plain = tmp_path / "flows.csv"
    infected = write_flows(plain)
    with plain.open("ab") as fh:
        fh.write(b"1238544000,10.0.0.1," + b"9" * (MAX_LINE + 10) + b",445,tcp\n")
        fh.write(b"1238544000,10.0.0.\xff,10.0.0.2,445,tcp\n")
    report = InputReport()
    assert found([plain], report) == {src: 3 for src in infected}
    text = json.dumps(report.to_dict())
    assert f"line longer than {MAX_LINE} bytes" in text and "not UTF-8" in text
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gzip.compress(plain.read_bytes())[:-200])
    # nothing of it can be read: an error naming it (a partly readable one is reported:
    # tests/readers/test_read_events.py::test_truncated_gzip_is_reported)
    with pytest.raises(InputError, match="truncated or corrupt compressed input, nothing read"):
        hunt_flows([cut], InputReport())


def test_cli_reads_a_directory(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    infected = write_flows(logs / "flows.csv")
    (logs / "dns.log").write_text(DNS_LOG)
    proc = run("hunt-flows", str(logs), "--json", home=tmp_path)
    lines = [json.loads(ln) for ln in proc.stdout.splitlines()]
    assert {d["source"] for d in lines[:-1]} == set(infected)
    assert "dns.log, not conn.log; skipped" in proc.stderr


def test_csv_without_flow_columns_is_refused_like_hunt_does(tmp_path: Path) -> None:
    """QA: a CSV header without time/src/dst/dport/proto gave an empty table, exit 0 (while
    ``hunt`` refused it, exit 2); inside a directory it is skipped with its reason."""
    bad = tmp_path / "badflows.csv"
    bad.write_text("when,from,to,bytes\n2026-01-01,10.0.0.1,10.0.0.2,300\n")
    for cmd in ("hunt-flows", "hunt"):
        proc = run(cmd, str(bad), home=tmp_path, check=False)
        assert proc.returncode == 2 and "badflows.csv" in proc.stderr, (cmd, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc = run("hunt-flows", str(bad), "--json", home=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stdout == "" and "lacks src, dst" in proc.stderr
    logs = tmp_path / "logs"
    logs.mkdir()
    infected = write_flows(logs / "flows.csv")
    (logs / "badflows.csv").write_text(bad.read_text())
    proc = run("hunt-flows", str(logs), "--json", home=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert {json.loads(ln)["source"] for ln in proc.stdout.splitlines()[:-1]} == set(infected)
    assert "lacks src, dst, dport, proto, time; skipped" in proc.stderr


def test_a_directory_without_log_files_is_an_error(tmp_path: Path) -> None:
    """QA: ``hunt empty/`` said "0 query events", exit 0: nothing was read at all."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".hidden.log").write_text("x\n")  # hidden entries are never read
    for cmd in ("hunt", "hunt-flows"):
        proc = run(cmd, str(empty), home=tmp_path, check=False)
        assert proc.returncode == 2, (cmd, proc.stderr)
        (line,) = proc.stderr.strip().splitlines()
        assert f"{empty} holds no log files" in line


def test_no_finding_is_said_not_an_empty_table(tmp_path: Path) -> None:
    flows = tmp_path / "flows.csv"
    flows.write_text("time,src,dst,dport,proto\n1665403200,10.0.0.1,10.0.0.2,443,tcp\n")
    proc = run("hunt-flows", str(flows), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # before: an empty table's frame on stdout
    assert "no findings (2 lines of 1 file checked" in proc.stderr
