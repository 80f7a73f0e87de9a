"""A stranger's pass over sinkhole, web, watch, gopack, export, deliver, feed and store
(session 6): each case is a defect found by running the command as a newcomer would, and
now one clear line on stderr naming the option, file or line and what to do (exit 2), or
a said reason where there was silence. Real processes; each fails without its fix (the
old behaviour is in the case's comment)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import free_port, running, stop, wait_for_port

CLI = "from dgawatch.cli import main; main()"


def run(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=120,
        env=dict(os.environ, DGAWATCH_HOME=str(home)), cwd=cwd, check=False,
    )  # fmt: skip


def one_error(proc: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The one error line (exit 2, no traceback, nothing on stdout), holding each needle."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("dgawatch: error: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def _bad_utf8(path: Path) -> Path:
    path.write_bytes(b"good.example.org\n\xff\xfe.org\n")
    return path


# -- feed ------------------------------------------------------------------------------------


def test_feed_check_names_the_first_bad_line_of_the_file(home: Path, tmp_path: Path) -> None:
    feed = tmp_path / "netlab.tsv"
    feed.write_text(
        "# a Netlab feed with no good record\n"
        "conficker\tabc.com\t2026-13-45 00:00:00\t2026-12-06 00:00:00\n"
        "conficker\tabc.com\n"
    )
    # before: "first bad line: netlab.tsv:3" (examples sorted by reason, not by line)
    one_error(run(home, "feed", "check", str(feed)), "2 bad lines", f"the first: {feed}:2:")


# -- export / gopack input files ------------------------------------------------------------


def test_export_allowlist_not_utf8_names_option_file_and_line(home: Path, tmp_path: Path) -> None:
    allow = _bad_utf8(tmp_path / "allow.txt")
    proc = run(home, "export", "--format", "rpz", "--start", "2020-01-01", "--family",
               "conficker", "--variant", "a", "--allowlist", str(allow))  # fmt: skip
    # before: "cannot read --allowlist ...: 'utf-8' codec can't decode byte 0xff in position 17"
    one_error(proc, f"--allowlist {allow}:2: not UTF-8 text")
    proc = run(home, "export", "--format", "rpz", "--start", "2020-01-01", "--family",
               "conficker", "--variant", "a", "--allowlist", str(tmp_path))  # fmt: skip
    one_error(proc, f"cannot read --allowlist {tmp_path}: it is a directory")  # was "[Errno 21]"


def test_gopack_exclude_registered_names_the_option(home: Path, tmp_path: Path) -> None:
    common = ("gopack", "--tld", "org", "--start", "2020-12-30", "--family", "conficker",
              "--variant", "a", "--output", str(tmp_path / "pack"))  # fmt: skip
    missing = tmp_path / "nofile.txt"
    # before: "cannot read nofile.txt: [Errno 2] No such file or directory: 'nofile.txt'"
    one_error(run(home, *common, "--exclude-registered", str(missing)),
              f"cannot read --exclude-registered {missing}: No such file or directory")  # fmt: skip
    bad = _bad_utf8(tmp_path / "registered.txt")
    one_error(run(home, *common, "--exclude-registered", str(bad)),
              f"--exclude-registered {bad}:2: not UTF-8 text")  # fmt: skip
    assert not (tmp_path / "pack").exists()


def test_gopack_into_a_nonempty_directory_names_output(home: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine\n")
    proc = run(home, "gopack", "--tld", "org", "--start", "2020-12-30", "--family",
               "conficker", "--variant", "a", "--output", str(full))  # fmt: skip
    # before: "<dir> exists and is not an empty directory" (no option, nothing to do)
    one_error(proc, f"--output {full} exists and is not an empty directory", "another --output")
    assert [p.name for p in full.iterdir()] == ["keep.txt"]


# -- prefix files (sinkhole stats/report, web serve, deliver) -------------------------------


def test_prefix_file_errors_name_the_option_and_keep_the_text(home: Path, tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (home / "sinkhole").mkdir()
    line = one_error(run(home, "deliver", "--country-db", str(passwd)),
                     f"--country-db {passwd}:1: expected 'PREFIX VALUE'")  # fmt: skip
    # before: no option named, and rich printed ':x:' as an emoji
    assert "'root:x:0:0:root:/root:/bin/bash'" in line
    missing = tmp_path / "asn.txt"
    one_error(run(home, "deliver", "--asn-db", str(missing)),
              f"cannot read --asn-db {missing}: No such file or directory")  # fmt: skip


# -- deliver ---------------------------------------------------------------------------------


def test_deliver_checks_sender_and_portal_url_and_says_when_no_one_gets_mail(
    home: Path,
) -> None:
    (home / "sinkhole").mkdir()
    # before: both accepted, and the run ended with exit 0 and no word at all
    one_error(run(home, "deliver", "--sender", "not an address"), "--sender 'not an address'",
              "not a mail address")  # fmt: skip
    one_error(run(home, "deliver", "--portal-url", "ftp://portal"), "--portal-url 'ftp://portal'",
              "http(s) address")  # fmt: skip
    quiet = run(home, "deliver", "--date", "2026-01-01")
    assert quiet.returncode == 0 and quiet.stdout == ""
    assert "no organisation to deliver 2026-01-01 to" in quiet.stderr
    assert "dgawatch org add" in quiet.stderr


# -- sinkhole --------------------------------------------------------------------------------


def test_sketch_merge_of_a_missing_file_says_it_cannot_be_read(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone.json"
    # before: "gone.json: not a sketch file ([Errno 2] No such file or directory: ...)"
    line = one_error(run(home, "sinkhole", "sketch", "merge", str(missing)),
                     f"cannot read {missing}: No such file or directory")  # fmt: skip
    assert "not a sketch file" not in line


def test_sinkhole_zone_into_an_unwritable_place_names_output(home: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "zones"
    a_file.write_text("x\n")
    base = ("sinkhole", "zone", "--address", "192.0.2.1", "--family", "conficker",
            "--variant", "a")  # fmt: skip
    # before: "File exists /tmp/.../zones" after building the set
    one_error(run(home, *base, "--output", str(a_file)), f"--output {a_file} is a file")
    one_error(run(home, *base, "--output", "/proc/dgawatch-zones"),
              "cannot write --output /proc/dgawatch-zones")  # fmt: skip


def test_sinkhole_report_of_nothing_says_why(home: Path, tmp_path: Path) -> None:
    (home / "sinkhole").mkdir()
    proc = run(home, "sinkhole", "report", "--asn", "3333", "--output", str(tmp_path / "rep"))
    assert proc.returncode == 0 and proc.stdout == ""
    # before: "wrote 0 report(s) to ..."
    assert (
        proc.stderr.strip()
        == f"wrote 0 reports to {tmp_path / 'rep'}: no sinkhole event in the store"
    )


def test_sinkhole_serve_names_listen_and_sinkhole_dir(home: Path, tmp_path: Path) -> None:
    base = ("sinkhole", "serve", "--address", "192.0.2.1", "--family", "conficker",
            "--variant", "b", "--no-dns", "--http-port", "0")  # fmt: skip
    # before: "cannot listen on no-such-host.invalid --dns-port 0: Name or service not known"
    one_error(run(home, *base, "--listen", "no-such-host.invalid"),
              "--listen no-such-host.invalid: not an address of this machine")  # fmt: skip
    a_file = tmp_path / "events"
    a_file.write_text("x\n")
    # before: "cannot create event store ...: [Errno 17] File exists: ..."
    one_error(run(home, *base, "--sinkhole-dir", str(a_file)),
              f"--sinkhole-dir {a_file} is a file, not a directory")  # fmt: skip


# -- store -----------------------------------------------------------------------------------


def test_a_locked_store_names_the_process_holding_it(home: Path) -> None:
    path = home / "forecast.duckdb"
    built = run(home, "store", "build", "--start", "2020-01-01", "--family", "conficker",
                "--variant", "a")  # fmt: skip
    assert built.returncode == 0, built.stderr
    hold = [sys.executable, "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(60)", str(path)]  # fmt: skip
    with running(hold, stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        # before: DuckDB's paragraph ("IO Error: Could not set lock on file ... See also
        # https://duckdb.org/docs/...")
        line = one_error(run(home, "store", "info"), f"forecast store {path} is in use by "
                         f"another process", f"PID {holder.pid}", "wait until it ends")  # fmt: skip
        assert "duckdb.org" not in line


# -- web -------------------------------------------------------------------------------------


def test_web_serve_prefix_file_names_the_option(home: Path, tmp_path: Path) -> None:
    port = free_port()
    started = time.monotonic()
    proc = run(home, "web", "serve", "--port", str(port), "--asn-db", str(tmp_path))
    # before: "cannot read <dir>: [Errno 21] Is a directory: ..."
    one_error(proc, f"--asn-db {tmp_path} is a directory")
    assert time.monotonic() - started < 100  # refused at start, not served


# -- servers stopped with SIGTERM -------------------------------------------------------------


def _popen(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(os.environ, DGAWATCH_HOME=str(home)),
    )  # fmt: skip


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    code, err = stop(proc, wait=30)
    return code, str(err)


def test_web_serve_stopped_by_sigterm_exits_0(home: Path) -> None:
    port = free_port()
    proc = _popen(home, "web", "serve", "--port", str(port))
    try:
        wait_for_port(proc, port, what="the portal")
    finally:
        code, err = _stop(proc)
    assert code == 0, err  # before: 143 (uvicorn re-raised the SIGTERM it had handled)
    assert "Traceback" not in err


def test_watch_serve_stopped_by_sigterm_exits_0(home: Path, tmp_path: Path) -> None:
    zone = tmp_path / "info.zone"
    zone.write_text(
        "info. 3600 IN SOA a0.info.afilias-nst.info. noc.afilias-nst.info. 1 2 3 4 5\n"
        "info. 3600 IN NS a0.info.afilias-nst.info.\n"
    )
    proc = _popen(home, "watch", "serve", "--interval", "3600", "--tld", "info",
                  "--family", "conficker", "--variant", "b", "--days", "1",
                  "--zone-file", f"info={zone}")  # fmt: skip
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first check's summary, then it sleeps
    assert " check 1: " in first, first
    code, err = _stop(proc)
    assert code == 0, err  # before: 143
    assert "stopped (SIGTERM) after 1 finished check" in err


def test_gopack_tld_not_in_pack_lists_its_tlds(home: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    built = run(home, "gopack", "--tld", "org", "--start", "2020-12-30", "--family", "conficker",
                "--variant", "a", "--output", str(pack))  # fmt: skip
    assert built.returncode == 0, built.stderr
    # before: "(['org'])", a Python list
    one_error(run(home, "gopack", "release", str(pack), "--tld", "nl"), "(its TLDs: org)")


def test_export_policy_error_names_the_option(home: Path) -> None:
    proc = run(home, "export", "--format", "rpz", "--start", "2020-01-01", "--family",
               "conficker", "--variant", "a", "--policy", "block")  # fmt: skip
    one_error(proc, "--policy 'block': unknown policy")  # before: "unknown policy 'block'"


def test_sinkhole_stats_for_days_without_events_names_the_days(home: Path) -> None:
    (home / "sinkhole").mkdir()
    proc = run(home, "sinkhole", "stats", "--date", "2020-01-01")
    assert proc.returncode == 0 and proc.stdout == ""
    # before: "no events in the store", though other days may hold some
    assert "no events in the store on 2020-01-01 (--date)" in proc.stderr


def test_gopack_keys_swapped_say_which_half_to_give(home: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    made = run(home, "gopack", "keygen", "--output", str(key))
    assert made.returncode == 0, made.stderr
    pack = tmp_path / "pack"
    # before: cryptography's "Valid PEM but no BEGIN/END delimiters ..." (with its FAQ link
    # for other files)
    one_error(run(home, "gopack", "--tld", "org", "--start", "2020-12-30", "--family",
                  "conficker", "--variant", "a", "--output", str(pack),
                  "--sign-key", f"{key}.pub"),
              f"--sign-key {key}.pub is a public key")  # fmt: skip
    assert not pack.exists()
    built = run(home, "gopack", "--tld", "org", "--start", "2020-12-30", "--family",
                "conficker", "--variant", "a", "--output", str(pack),
                "--sign-key", str(key))  # fmt: skip
    assert built.returncode == 0, built.stderr
    one_error(run(home, "gopack", "verify", str(pack), "--key", str(key)),
              f"--key {key} is a private key", f"{key}.pub")  # fmt: skip
    empty = tmp_path / "empty.pub"
    empty.write_text("")
    line = one_error(run(home, "gopack", "verify", str(pack), "--key", str(empty)),
                     f"--key {empty} is not a PEM public key")  # fmt: skip
    assert "http" not in line


def test_sketch_merge_of_an_empty_file_says_empty(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("")
    # before: "not a sketch file (Expecting value: line 1 column 1 (char 0))"
    one_error(run(home, "sinkhole", "sketch", "merge", str(empty)), f"{empty} is empty")


def test_watch_check_says_why_a_source_could_not_answer(home: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on: the transfer is refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run(home, "watch", "check", "--tld", "info", "--family", "conficker", "--variant",
               "b", "--days", "1", "--axfr", f"info=127.0.0.1@{port}")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    summary, why = proc.stderr.splitlines()
    assert " unknown " in summary
    # before: only "N names: N unknown", not why
    assert why.startswith("not answered: zone: AXFR of info from 127.0.0.1") and "refused" in why


def test_sinkhole_ingest_bounds_radius_and_worker(home: Path, tmp_path: Path) -> None:
    dnstap = Path(__file__).parent / "readers" / "fixtures" / "unbound.dnstap"
    # before: --radius 99 built 199 days of every family's lists (hours, memory exhausted)
    one_error(run(home, "sinkhole", "ingest", str(dnstap), "--radius", "99"),
              "--radius must be 0..7 days")  # fmt: skip
    # before: the writer name went into the event file names as given ('../x', 'a/b')
    one_error(run(home, "sinkhole", "ingest", str(dnstap), "--worker", "../x"),
              "--worker '../x': give 1 to 32 letters")  # fmt: skip
    one_error(run(home, "sinkhole", "serve", "--address", "192.0.2.1", "--no-dns",
                  "--http-port", "0", "--worker", "a/b"),
              "--worker 'a/b'")  # fmt: skip
    assert not (home / "sinkhole").exists() or not any((home / "sinkhole").iterdir())


@pytest.mark.parametrize("value", ["https://portal.example.org", "portal.example.org/x", "a b"])
def test_web_serve_allowed_host_must_be_a_host_name(home: Path, value: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # before: accepted; a URL's Host part read as 'https', so every request got 421
    one_error(run(home, "web", "serve", "--port", str(port), "--allowed-host", value),
              f"--allowed-host {value!r}: give the host name")  # fmt: skip


def test_watch_store_errors_speak_of_the_watch_store(home: Path, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 4)
    # before: "... is not a DuckDB forecast store; give --store the file that 'dgawatch store
    # build' wrote"
    one_error(run(home, "watch", "report", "--watch-store", str(text)),
              "not a DuckDB watch store", "--watch-store", "'dgawatch watch check'")  # fmt: skip


def test_watch_report_unknown_family_is_said(home: Path, tmp_path: Path) -> None:
    zone = tmp_path / "info.zone"
    zone.write_text("info. 3600 IN SOA a. b. 1 2 3 4 5\ninfo. 3600 IN NS a0.info.nic.info.\n")
    checked = run(home, "watch", "check", "--tld", "info", "--family", "conficker", "--variant",
                  "b", "--days", "1", "--zone-file", f"info={zone}")  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    # before: "... holds no finished check for that selection"
    one_error(run(home, "watch", "report", "--family", "nosuch"), "unknown family 'nosuch'")
