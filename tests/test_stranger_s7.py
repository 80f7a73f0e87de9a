"""A stranger's pass over forecast, families, conficker, hunt-flows, org, export and the log
readers behind hunt (session 7): each case is a defect found by running the command as a
newcomer would. Real processes; each fails without its fix (the old behaviour is in the
case's comment, the line that catches it marked "fails before")."""

from __future__ import annotations

import os
import signal
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.readers import pcapgen
from tests.test_stranger_s6 import one_error

CLI = "from dgawatch.cli import main; main()"
FIXTURES = Path(__file__).parent / "readers" / "fixtures"


def run(
    home: Path,
    *args: str,
    cwd: Path | None = None,
    stdin: object = subprocess.DEVNULL,
    stdout: object = subprocess.PIPE,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
        text=True, timeout=120, env=dict(os.environ, DGAWATCH_HOME=str(home)), cwd=cwd,
        check=False,
    )  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


FORECAST_C = ("forecast", "--family", "conficker", "--variant", "c", "--start", "2020-01-01")


# -- output files: what is no regular file is written into, never renamed over -----------------


def test_output_to_a_fifo_writes_into_it(home: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = tmp_path / "got.txt"
    with got.open("wb") as sink:
        reader = subprocess.Popen(["cat", str(fifo)], stdout=sink)
        proc = run(home, *FORECAST_C, "--output", str(fifo))
        try:
            reader.wait(timeout=30)
        finally:
            reader.kill()
    assert proc.returncode == 0, proc.stderr
    # before: a temporary file was renamed over the FIFO (so over /dev/null as root too)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # fails before
    assert len(got.read_text().splitlines()) == 50_000


def test_output_dash_is_standard_output(home: Path, tmp_path: Path) -> None:
    proc = run(home, *FORECAST_C, "--output", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "-").exists()  # before: a file named '-' in the working directory
    assert len(proc.stdout.splitlines()) == 50_000  # fails before


def test_output_own_descriptor_appends_instead_of_replacing(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    log.write_text("kept\n")
    with log.open("a") as sink:
        proc = run(home, *FORECAST_C, "--output", "/dev/fd/1", stdout=sink)
    # before: a temporary file could not be made in /dev/fd (exit 2), and /dev/stdout was
    # renamed over as root; reopening /proc/self/fd/1 would also have truncated the file
    assert proc.returncode == 0, proc.stderr  # fails before
    lines = log.read_text().splitlines()
    assert lines[0] == "kept" and len(lines) == 50_001


def test_output_full_device_is_an_error_not_success(home: Path, tmp_path: Path) -> None:
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    proc = run(home, *FORECAST_C, "--output", str(link))
    # before: exit 0, "wrote 50,000 names" (the link itself replaced by a regular file)
    one_error(proc, f"cannot write --output {link}", "No space left on device")  # fails before
    assert link.is_symlink() and os.readlink(link) == "/dev/full"


def test_output_symlink_to_a_file_keeps_the_link(home: Path, tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    proc = run(home, *FORECAST_C, "--output", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink()  # fails before: the link was replaced by a regular file
    assert len(real.read_text().splitlines()) == 50_000


# -- hunt-flows -------------------------------------------------------------------------------


def test_hunt_flows_time_out_of_range_is_a_counted_bad_line(home: Path, tmp_path: Path) -> None:
    flows = tmp_path / "flows.csv"
    flows.write_text(
        "time,src,dst,dport,proto\n"
        "2022-10-10T12:00:00Z,192.168.1.5,10.10.10.52,10637,tcp\n"
        "9999-12-31T23:59:59,192.168.1.7,10.10.10.52,3494,tcp\n"
        "0001-01-01T00:00:00,192.168.1.7,10.10.10.52,3494,tcp\n"
        "2022-10-10T12:00:00Z,192.168.1.9,10.10.10.52,99999,tcp\n"
    )
    proc = run(home, "hunt-flows", str(flows), "--json")
    # before: "unexpected OverflowError: date value out of range", exit 1, no findings
    assert proc.returncode == 0, proc.stderr  # fails before
    assert '"source": "192.168.1.5"' in proc.stdout
    assert f"{flows}: 2 line(s): malformed flow record: time out of range" in proc.stderr
    # before: "malformed flow record (ValueError)": which field, the reader did not say
    assert "malformed flow record: destination port out of range (0..65535)" in proc.stderr


def test_hunt_flows_refuses_a_capture_by_what_it_is(home: Path) -> None:
    pcap = FIXTURES / "unbound.pcap"
    proc = run(home, "hunt-flows", str(pcap))
    # before: "unbound.pcap:3: CSV header '\x18OQL\x00...' lacks src, dst, ..."
    one_error(proc, f"{pcap} holds binary data", "dgawatch hunt")  # fails before


# -- readers: standard input and skipped files --------------------------------------------------


def test_hunt_reads_standard_input(home: Path) -> None:
    log = FIXTURES / "bind-query.log"
    with log.open("rb") as fh:  # a pipe, as in `zcat dns.log.gz | dgawatch hunt -`
        cat = subprocess.Popen(["cat"], stdin=fh, stdout=subprocess.PIPE)
        proc = run(home, "hunt", "--family", "ccleaner", "--no-unknown-dga", "-", stdin=cat.stdout)
        cat.wait()
    # before: "cannot read -: No such file or directory", exit 2
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "4 query events" in proc.stderr
    assert "<stdin>: 1 line(s): no timestamp at the start of the line" in proc.stderr


def test_hunt_flows_reads_standard_input_once(home: Path, tmp_path: Path) -> None:
    flows = tmp_path / "flows.csv"
    flows.write_text(
        "time,src,dst,dport,proto\n2022-10-10T12:00:00Z,192.168.1.5,10.10.10.52,10637,tcp\n"
    )
    with flows.open() as fh:
        proc = run(home, "hunt-flows", "-", "--json", stdin=fh)
    assert proc.returncode == 0, proc.stderr  # fails before: "cannot read -"
    assert '"where": "<stdin>:2"' in proc.stdout
    one_error(run(home, "hunt-flows", "-", "-"), "'-' (standard input) is given twice")


def test_skipped_file_in_a_directory_is_said_per_file(home: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "dns.log").write_bytes((FIXTURES / "bind-query.log").read_bytes())
    (logs / "blob.bin").write_bytes(b"\x00\x01\x02binary\xff")
    proc = run(home, "hunt", "--family", "ccleaner", "--no-unknown-dga", str(logs))
    assert proc.returncode == 0, proc.stderr
    said = f"{logs / 'blob.bin'}: cannot tell its format (name it with --input-format); skipped"
    # before: "blob.bin: 1 line(s): cannot tell ...; skipped" and then "  line 0: ''"
    assert said in proc.stderr.splitlines()  # fails before
    assert "line 0: ''" not in proc.stderr


# -- families: an unknown name suggests the close one -------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--family", "confiker"], "unknown family 'confiker'; did you mean 'conficker'?"),
        (["--family", "unnamed-downloader"], "did you mean 'unnamed_downloader'?"),
        (["--family", "locky", "--variant", "v3config1"], "did you mean 'v3-config1'?"),
        (["--family", "gameover", "--variant", "pretovar"], "did you mean 'pre-tovar'?"),
        # as lookup and hunt print a variant: before, "unknown family 'conficker/c'" + the list
        (["--family", "Conficker/C"], "give --family conficker --variant c"),
    ],
)
def test_unknown_family_or_variant_suggests_the_close_one(
    home: Path, args: list[str], needle: str
) -> None:
    one_error(run(home, "forecast", *args, "--start", "2020-01-01"), needle)  # fails before


# -- org ---------------------------------------------------------------------------------------


def test_org_add_checks_email_and_country_before_creating(home: Path) -> None:
    # before: accepted, and every daily digest to 'noc' failed later
    one_error(run(home, "org", "add", "acme", "--email", "noc"), "--email 'noc' is not an e-mail")
    # before: granted; no address is ever placed in 'UK' (the registries say GB)
    proc = run(home, "org", "add", "cert-uk", "--role", "cert", "--country", "UK")
    one_error(proc, "--country 'UK'", "GB")  # fails before
    one_error(run(home, "org", "add", "c2", "--role", "cert", "--country", "XX"), "user-assigned")
    listed = run(home, "org", "list")
    assert listed.stdout.startswith("no organisations"), listed.stdout  # nothing was created


def test_org_idn_domain_and_revoke_by_the_written_scope(home: Path) -> None:
    proc = run(home, "org", "add", "acme", "--domain", "Bücher.example", "--asn", "as64500",
               "--contact", "abuse@acme.example")  # fmt: skip
    # before: "--domain 'Bücher.example' is not a domain name"
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "TXT _dgawatch-challenge.xn--bcher-kva.example" in proc.stdout
    proc = run(home, "org", "revoke", "acme", "--scope", "asn:as64500")
    # before: "organisation 'acme' claims no scope 'asn:as64500'" (stored as asn:AS64500)
    assert proc.returncode == 0 and "acme: asn:AS64500 revoked" in proc.stdout, proc.stderr
    proc = run(home, "org", "revoke", "acme", "--scope", "domain:bücher.example")
    assert "acme: domain:xn--bcher-kva.example revoked" in proc.stdout, proc.stderr
    one_error(run(home, "org", "revoke", "acme", "--scope", "cidr:10.0.0.0/8"),
              "its scopes: asn:AS64500, domain:xn--bcher-kva.example")  # fmt: skip


# -- export ------------------------------------------------------------------------------------


def test_interrupted_directory_export_leaves_no_half_set(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "zones"
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "export", "--format", "nsd", "--address", "192.0.2.1",
         "--family", "conficker", "--variant", "c", "--start", "2020-01-01", "--days", "60",
         "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home)),
    )  # fmt: skip
    try:
        for _ in range(6000):  # the directory appears before the set is written
            if out.exists() or proc.poll() is not None:
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, stderr  # interrupted, not finished
    assert "Traceback" not in stderr
    # before: 'zones/' stayed, holding sinkhole.zone without nsd.conf.sinkhole
    assert not out.exists(), sorted(p.name for p in out.iterdir())  # fails before


def test_days_past_the_supported_span_name_the_window(home: Path) -> None:
    proc = run(home, "forecast", "--family", "conficker", "--variant", "c", "--start",
               "2099-12-30", "--days", "5")  # fmt: skip
    # before: "end date 2100-01-03 is outside the supported span 1990-01-01..2099-12-31"
    one_error(proc, "5 days from 2099-12-30 run past 2099-12-31", "give at most 2 days")


def test_export_directory_format_to_a_file_reads_well(home: Path, tmp_path: Path) -> None:
    afile = tmp_path / "c.rpz"
    afile.write_text("kept\n")
    proc = run(home, "export", "--format", "nsd", "--address", "192.0.2.1", "--family",
               "conficker", "--variant", "c", "--start", "2020-01-01",
               "--output", str(afile))  # fmt: skip
    # before: "is a file but format nsd's files is written there"
    one_error(proc, f"--output {afile} is a file, not a directory (for format nsd's files)")
    assert afile.read_text() == "kept\n"


# -- readers: text as Windows tools write it ----------------------------------------------------


def _hunt(home: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    return run(home, "hunt", "--family", "ccleaner", "--no-unknown-dga", *paths)


def test_a_utf8_byte_order_mark_hides_neither_format_nor_first_line(
    home: Path, tmp_path: Path
) -> None:
    zeek = tmp_path / "dns.log"
    zeek.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "zeek-dns.log").read_bytes())
    proc = _hunt(home, str(zeek))
    # before: "cannot tell the format of dns.log; name it with --input-format", exit 2
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "3 query events" in proc.stderr
    bind = tmp_path / "query.log"
    bind.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "bind-query.log").read_bytes())
    proc = _hunt(home, str(bind))
    # before: line 1 was "no timestamp at the start of the line" ('\ufeff06-Jul-2022 ...')
    assert "4 query events" in proc.stderr, proc.stderr  # fails before (3)
    assert f"{bind}: 1 line(s): no timestamp" in proc.stderr  # line 5 only


def test_utf16_log_is_read_as_text(home: Path, tmp_path: Path) -> None:
    text = (FIXTURES / "windows-dns.log").read_text(encoding="utf-8")
    log = tmp_path / "dns-debug.log"
    log.write_bytes(text.encode("utf-16"))  # PowerShell 5's Out-File / '>' default
    proc = _hunt(home, str(log))
    # before: "cannot tell the format of dns-debug.log; name it with --input-format"
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "2 query events" in proc.stderr
    assert f"{log}: 1 line(s): unrecognised PACKET line" in proc.stderr


def test_deeply_nested_json_line_costs_that_line_only(home: Path, tmp_path: Path) -> None:
    deep = "[" * 30_000 + "]" * 30_000  # under the 64 KiB line limit
    good = '{"rrname": "b.example", "time_first": 1489577946}'
    pdns = tmp_path / "pdns.json"
    pdns.write_text(f'{good}\n{{"rrname": "a.example", "time_first": 1, "x": {deep}}}\n{good}\n')
    proc = _hunt(home, str(pdns))
    # before: "unreadable record (RecursionError ...); rest of file skipped", 0 events
    assert "2 query events" in proc.stderr, proc.stderr  # fails before
    assert f"{pdns}: 1 line(s): JSON nested too deeply" in proc.stderr
    flow = '{"time": 1665403200, "src": "1.2.3.4", "dst": "10.10.10.52", "dport": 3494'
    flow += ', "proto": "tcp"'
    flows = tmp_path / "conn.json"
    flows.write_text(f'{flow}}}\n{flow}, "x": {deep}}}\n{flow}}}\n')
    proc = run(home, "hunt-flows", str(flows), "--json")
    assert '"flows": 2' in proc.stdout, proc.stderr  # fails before: the third line was lost
    assert f"{flows}: 1 line(s): malformed flow record: JSON nested too deeply" in proc.stderr


def test_syslog_stamp_of_february_29_is_read_in_its_leap_year(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "recursor.log"
    log.write_text(
        "Feb 29 11:27:52 ns1 pdns_recursor[123]: 3 [1/1] question for 'www.example.com|A' "
        "from 127.0.0.1:51540\n"
    )
    proc = _hunt(home, str(log))
    # before (in a year that is no leap year, as 2026): "1 line(s): impossible date", 0 events
    assert "1 query event" in proc.stderr, proc.stderr  # fails before
    assert "impossible date" not in proc.stderr


# -- readers: the root's priming query is no malformed record -----------------------------------


def _pb(field: int, value: int | bytes) -> bytes:
    """One protobuf field: a varint or a length-delimited value."""

    def varint(v: int) -> bytes:
        out = b""
        while True:
            out += bytes([(v & 0x7F) | (0x80 if v > 0x7F else 0)])
            v >>= 7
            if not v:
                return out

    if isinstance(value, int):
        return varint(field << 3) + varint(value)
    return varint(field << 3 | 2) + varint(len(value)) + value


def _dnstap(path: Path, queries: list[tuple[int, bytes]]) -> None:
    """A Frame Streams file of dnstap CLIENT_QUERY messages (time, DNS wire message)."""
    ctype = b"protobuf:dnstap.Dnstap"
    start = struct.pack(">II", 2, 1) + struct.pack(">I", len(ctype)) + ctype
    out = struct.pack(">II", 0, len(start)) + start
    for sec, wire in queries:
        msg = _pb(1, 5) + _pb(2, 1) + _pb(3, 1) + _pb(4, bytes([10, 0, 0, 1])) + _pb(6, 5353)
        msg += _pb(8, sec) + _pb(10, wire)
        frame = _pb(15, 1) + _pb(14, msg)
        out += struct.pack(">I", len(frame)) + frame
    stop = struct.pack(">I", 3)
    path.write_bytes(out + struct.pack(">II", 0, len(stop)) + stop)


def test_root_priming_query_is_no_bad_record(home: Path, tmp_path: Path) -> None:
    import dns.message

    root = dns.message.make_query(".", "NS").to_wire()
    other = dns.message.make_query("ok.example", "A").to_wire()
    tap = tmp_path / "resolver.dnstap"
    _dnstap(tap, [(1700000000, root), (1700000001, other)])
    bind = tmp_path / "query.log"
    bind.write_text(
        "06-Jul-2022 11:12:04.202 client @0x1 192.168.1.10#5353 (.): query: . IN NS + (1.2.3.4)\n"
        "06-Jul-2022 11:12:05.202 client @0x1 192.168.1.10#5353 (a.example): query: a.example "
        "IN A + (1.2.3.4)\n"
    )
    table = tmp_path / "events.csv"
    table.write_text("ts,client,qname\n2024-01-01T00:00:00,10.0.0.1,.\n")
    cap = tmp_path / "resolver.pcap"
    pcapgen.write_pcap(
        str(cap),
        pcapgen.exchange(1700000000.0, "10.0.0.1", 5000, "10.0.0.53", ".", "NS", 7)
        + pcapgen.exchange(1700000001.0, "10.0.0.1", 5001, "10.0.0.53", "b.example", "A", 8),
    )
    proc = _hunt(home, str(tap), str(bind), str(table), str(cap))
    assert proc.returncode == 0, proc.stderr
    # before: "1 frame(s): invalid query name", "1 line(s): ...", "2 packet(s): ... ''" (the
    # query and its response): a priming query in every resolver's log read as malformed
    assert "invalid query name" not in proc.stderr  # fails before
    assert "3 query events" in proc.stderr


# -- readers: tables as spreadsheets and SIEMs write them ---------------------------------------


def test_csv_with_semicolons_or_tabs_and_header_only(home: Path, tmp_path: Path) -> None:
    semi = tmp_path / "excel.csv"  # a comma-decimal locale's spreadsheet
    semi.write_text("timestamp;src_ip;query\r\n2024-01-01T00:00:00;10.0.0.1;a.example\r\n")
    tabs = tmp_path / "export.tsv"
    tabs.write_text("ts\tclient\tqname\n2024-01-01T00:00:00\t10.0.0.2\tb.example\n")
    empty = tmp_path / "none.csv"
    empty.write_text("ts,client,qname\n")
    proc = _hunt(home, str(semi), str(tabs), str(empty))
    # before: "cannot tell the format of excel.csv; name it with --input-format", exit 2
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "2 query events" in proc.stderr
    # before: "none.csv: 1 line(s): unreadable CSV data: Empty CSV file"
    assert "none.csv" not in proc.stderr  # fails before
    flows = tmp_path / "flows.csv"
    flows.write_text(
        "time;src;dst;dport;proto\n2022-10-10T12:00:00Z;1.2.3.4;10.10.10.52;3494;tcp\n"
    )
    proc = run(home, "hunt-flows", str(flows), "--json")
    assert '"source": "1.2.3.4"' in proc.stdout, proc.stderr  # before: CSV header lacks ...


def test_epoch_milliseconds_are_said_to_be_too_large(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "siem.csv"
    log.write_text("ts,client,qname\n1704067200000,10.0.0.1,a.example\nnan,10.0.0.1,b.example\n")
    proc = _hunt(home, str(log))
    # before: "timestamp is not a finite time (NaN, infinity or out of range)" for both
    assert f"{log}: 1 line(s): timestamp too large for epoch seconds (in milliseconds" in (
        proc.stderr
    )  # fails before
    assert f"{log}: 1 line(s): timestamp is not a finite time" in proc.stderr


def test_forecast_of_every_family_on_a_day_none_is_active_is_an_error(home: Path) -> None:
    proc = run(home, "forecast", "--start", "1995-01-01")
    # before: 204 variant names on stderr, "warning: no names were written", exit 0
    one_error(proc, "no variant is active on 1995-01-01", "starts 2004-01-26")  # fails before


def test_readme_column_map_example_works_without_naming_the_format(
    home: Path, tmp_path: Path
) -> None:
    table = tmp_path / "queries.csv"
    table.write_text("when,WHO,what\n2024-01-01T00:00:00,10.0.0.1,a.example\n")
    # README: "Other names: --column ts=when,client=who,qname=what"
    proc = _hunt(home, "--column", "ts=when,client=who,qname=what", str(table))
    # before: "cannot tell the format of queries.csv; name it with --input-format"
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "1 query event" in proc.stderr
    proc = _hunt(home, "--column", "ts=when,client=who", str(table))
    one_error(proc, "queries.csv: no column for qname; columns are ['when', 'WHO', 'what']")
    one_error(_hunt(home, "--column", "ts=when,ts=who", str(table)), "--column names ts twice")


def test_hunt_flows_refuses_json_lines_without_flow_fields(home: Path, tmp_path: Path) -> None:
    pdns = tmp_path / "pdns.json"  # passive DNS (or a DNS log without _path), not flows
    pdns.write_text('\n{"rrname": "a.example", "time_first": 1489577946}\n' * 3)
    # before: exit 0, "3 line(s): malformed flow record (ValueError)"
    one_error(run(home, "hunt-flows", str(pdns)), f"{pdns}: its first JSON record has no src")


def test_process_substitution_and_dev_stdin_are_read(home: Path) -> None:
    log = FIXTURES / "bind-query.log"
    cmd = f"{sys.executable} -c '{CLI}' hunt --family ccleaner --no-unknown-dga <(cat {log})"
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, DGAWATCH_HOME=str(home)), check=False)  # fmt: skip
    # before: "/dev/fd/63 is a FIFO, not a regular file; give a log file", exit 2
    assert proc.returncode == 0, proc.stderr  # fails before
    assert "4 query events" in proc.stderr
    with log.open("rb") as fh:
        cat = subprocess.Popen(["cat"], stdin=fh, stdout=subprocess.PIPE)
        proc = run(home, "hunt", "--family", "ccleaner", "--no-unknown-dga", "/dev/stdin",
                   stdin=cat.stdout)  # fmt: skip
        cat.wait()
    assert "4 query events" in proc.stderr, proc.stderr


def test_org_revoked_stays_revoked_and_smtp_takes_ipv6(home: Path) -> None:
    assert run(home, "org", "add", "acme", "--cidr", "10.1.0.0/16", "--contact",
               "abuse@acme.example").returncode == 0  # fmt: skip
    assert run(home, "org", "revoke", "acme").returncode == 0
    # before: exit 0, a new pending claim on the revoked organisation
    proc = run(home, "org", "add", "acme", "--cidr", "10.2.0.0/16", "--contact", "a@acme.example")
    one_error(proc, "organisation 'acme' was revoked")  # fails before
    one_error(run(home, "org", "verify", "acme", "--grant"), "'acme' is revoked")
    assert run(home, "org", "add", "beta", "--cidr", "10.3.0.0/16", "--contact",
               "abuse@beta.example").returncode == 0  # fmt: skip
    proc = run(home, "org", "verify", "beta", "--mail", "--smtp", "[::1]:1")
    # before: "through [::1]:1: [Errno -2] Name or service not known" (brackets kept)
    one_error(proc, "through ::1:1:")  # fails before
    one_error(run(home, "org", "verify", "beta", "--mail", "--smtp", "127.0.0.1:0"), "port 1-65535")


def test_output_names_near_and_over_the_length_limit(home: Path, tmp_path: Path) -> None:
    fits = tmp_path / ("a" * 250)
    proc = run(home, "forecast", "--family", "ccleaner", "--start", "2020-01-01",
               "--output", str(fits))  # fmt: skip
    # before: "File name too long" (the temporary name '.<name>.XXXX.part' did not fit)
    assert proc.returncode == 0, proc.stderr  # fails before
    assert fits.read_text().count("\n") == 1
    over = tmp_path / ("b" * 300)
    proc = run(home, "forecast", "--family", "ccleaner", "--start", "2020-01-01",
               "--output", str(over))  # fmt: skip
    # before: "dgawatch: error: File name too long bbbb..." (no option named)
    one_error(proc, f"cannot write --output {over}: File name too long")


def test_empty_tld_is_said_empty(home: Path) -> None:
    proc = run(home, *FORECAST_C, "--tld", "")
    # before: "--tld : no selected variant generates names under it (their suffixes: ...)"
    one_error(proc, "--tld needs a non-empty suffix")  # fails before


def test_bloom_fp_rate_has_a_floor(home: Path, tmp_path: Path) -> None:
    proc = run(home, "export", "--format", "bloom", "--family", "conficker", "--variant", "c",
               "--start", "2020-01-01", "--fp-rate", "1e-300",
               "--output", str(tmp_path / "b"))  # fmt: skip
    # before: accepted: 997 probes, 180 bytes a name, 1.76 GB of memory for 3 days of C
    one_error(proc, "--fp-rate must be between 1e-12 and 0.5, not 1e-300")  # fails before
    assert not (tmp_path / "b").exists()


def test_damaged_organisations_file_is_named_and_left_alone(home: Path) -> None:
    assert run(home, "org", "add", "x", "--cidr", "10.9.0.0/16", "--contact",
               "a@b.example").returncode == 0  # fmt: skip
    orgs = home / "orgs.json"
    orgs.write_text('{"orgs": [{"name": "x", "role": "org", "bogus": 1}]}')
    # before: "unexpected TypeError: Org.__init__() got an unexpected keyword argument", exit 1
    one_error(run(home, "org", "list"), f"{orgs}: not an organisations file")  # fails before
    one_error(run(home, "org", "add", "y", "--cidr", "10.8.0.0/16", "--contact", "a@b.example"),
              "not an organisations file")  # fmt: skip
    assert "bogus" in orgs.read_text()


def test_org_key_whose_secret_cannot_be_shown_is_not_kept(home: Path) -> None:
    assert run(home, "org", "add", "x", "--cidr", "10.9.0.0/16", "--contact",
               "a@b.example").returncode == 0  # fmt: skip
    with open("/dev/full", "w") as full:
        proc = run(home, "org", "key", "x", stdout=full)
    assert proc.returncode == 2 and "No space left on device" in proc.stderr
    # before: the key was saved, its secret shown to nobody ("keys:1")
    assert "keys:0" in run(home, "org", "list").stdout  # fails before


def test_a_file_given_twice_is_read_once(home: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    log = logs / "query.log"
    log.write_bytes((FIXTURES / "bind-query.log").read_bytes())
    link = tmp_path / "link.log"
    link.symlink_to(log)
    proc = _hunt(home, str(logs), str(log), str(link))
    # before: "12 query events": every query counted three times, findings' numbers tripled
    assert "4 query events" in proc.stderr, proc.stderr  # fails before
    assert f"{link}: the same file as {log}, given before; read once" in proc.stderr


def test_dash_for_a_directory_output_is_refused(home: Path, tmp_path: Path) -> None:
    proc = run(home, "export", "--format", "nsd", "--address", "192.0.2.1", "--family",
               "ccleaner", "--start", "2020-01-01", "--output", "-", cwd=tmp_path)  # fmt: skip
    one_error(proc, "--output -: standard output cannot hold format nsd's files")
    assert not (tmp_path / "-").exists()  # before: a directory named '-' (exit 0)


def test_output_extension_of_another_format_is_warned(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "jan.csv"
    proc = run(home, "forecast", "--family", "ccleaner", "--start", "2020-01-01",
               "--output", str(out))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # before: silence, and 'jan.csv' held one name a line without the CSV header
    assert f"warning: writing txt to {out}; give --format csv" in proc.stderr  # fails before


def test_archives_are_refused_by_what_they_are(home: Path, tmp_path: Path) -> None:
    import io
    import tarfile

    tgz = tmp_path / "logs.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        for name in ("bind-query.log", "unbound.log"):
            data = (FIXTURES / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    # before: read as one BIND log (3 of its events, its other file lost, a bad "line 1")
    one_error(_hunt(home, str(tgz)), f"{tgz} is a tar archive; unpack it")  # fails before
    one_error(run(home, "hunt-flows", str(tgz)), f"{tgz} is a tar archive; unpack it")


@pytest.mark.parametrize("fmt", ["rpz", "unbound", "hosts"])
def test_sinkhole_address_with_policy_nodata_is_refused(home: Path, fmt: str) -> None:
    proc = run(home, "export", "--format", fmt, "--family", "ccleaner", "--start", "2020-01-01",
               "--policy", "nodata", "--address", "192.0.2.1")  # fmt: skip
    # before: exit 0; RPZ left the address out, Unbound wrote always_nodata + an A record
    one_error(proc, "with --policy nodata nothing is sent there")  # fails before


def test_parquet_column_of_lists_is_named(home: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = tmp_path / "events.parquet"
    pq.write_table(pa.table({"ts": [1704067200.0], "client": ["10.0.0.1"],
                             "qname": [["a.example", "b.example"]]}), table)  # fmt: skip
    # before: exit 0, "unreadable record (ArrowNotImplementedError: Unsupported cast from
    # list<element: string> to utf8 ...); rest of file skipped"
    one_error(_hunt(home, str(table)), "column 'qname' for qname is list<element: string>")


def test_deeply_nested_zeek_json_line_costs_that_line_only(home: Path, tmp_path: Path) -> None:
    deep = "[" * 30_000 + "]" * 30_000  # under the 64 KiB line limit
    row = '{"ts": 1489577946.1, "id.orig_h": "10.0.0.1", "query": "b.example"'
    row += ', "rcode_name": "NOERROR"'
    log = tmp_path / "dns.json"
    log.write_text(f'{row}}}\n{row}, "x": {deep}}}\n{row}}}\n')
    proc = _hunt(home, str(log))
    # before: "unreadable record (RecursionError ...); rest of file skipped", 0 events
    assert "2 query events" in proc.stderr, proc.stderr  # fails before
    assert f"{log}: 1 line(s): JSON nested too deeply" in proc.stderr
