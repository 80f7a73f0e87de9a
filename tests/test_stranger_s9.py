"""A stranger's pass (session 9): README's commands run as written in a fresh data directory,
then each with bad arguments. Each case is a defect found that way; real processes; the line
that fails without its fix is marked "fails before" (the old behaviour in its comment).
``classify``'s own ends (``--file -``, a repeated ``--file``, ``evaluate``'s benign count)
are in ``tests/classify/test_cli_ends.py``."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests import test_stranger_s7 as s7
from tests.test_stranger_s6 import one_error
from tests.test_stranger_s7 import run

home = s7.home  # the fixture: DGAWATCH_HOME in tmp_path


def no_errno(line: str) -> None:
    """Python's wrapper of a system error is no words for a user."""
    assert "Errno" not in line and "[" not in line, line


# -- lookup ---------------------------------------------------------------------------------


def test_lookup_repeated_file_is_refused(home: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a.com\n")
    b.write_text("b.com\n")
    for json_flag in ([], ["--json"]):
        proc = run(home, "lookup", "--file", str(a), "--file", str(b), "--start", "2020-01-01",
                   "--family", "conficker", "--variant", "a", *json_flag)  # fmt: skip
        # before: exit 0, only b.com answered (a.txt ignored without a word)
        one_error(proc, "--file given 2 times", "| dgawatch lookup --file -")  # fails before


# -- classify -------------------------------------------------------------------------------


def test_classify_file_without_a_valid_name_is_refused(home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("garbage line one\nnot a name either\n")
    for json_flag in ([], ["--json"]):
        proc = run(home, "classify", "--file", str(junk), "--no-lookup", *json_flag)
        # before: exit 0 and a table (or JSON lines) of nothing but errors: a short file was
        # refused only when empty (lookup --file refuses it, as README says for both)
        one_error(proc, f"{junk} holds no valid domain names", "2 lines, all invalid")
    half = tmp_path / "half.txt"
    half.write_text("example.com\nbad..name\n")
    proc = run(home, "classify", "--file", str(half), "--no-lookup", "--json")
    assert proc.returncode == 0 and proc.stdout.count("\n") == 2, proc.stderr  # still answered
    assert f"{half}:2: 'bad..name' is not a domain name" in proc.stderr


# -- sinkhole serve -------------------------------------------------------------------------


def test_sinkhole_serve_does_not_create_a_mistyped_directory_tree(
    home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "events"
    proc = run(home, "sinkhole", "serve", "--address", "192.0.2.1", "--dns-port", "0",
               "--http-port", "0", "--family", "conficker",
               "--sinkhole-dir", str(missing))  # fmt: skip
    # before: the whole tree was created and the server ran (until killed)
    one_error(proc, f"--sinkhole-dir {missing}: directory {missing.parent} does not exist")
    assert not (tmp_path / "no").exists()  # fails before
    a_file = tmp_path / "events.txt"
    a_file.write_text("")
    proc = run(home, "sinkhole", "serve", "--address", "192.0.2.1", "--dns-port", "0",
               "--http-port", "0", "--sinkhole-dir", str(a_file))  # fmt: skip
    one_error(proc, f"--sinkhole-dir {a_file} is a file, not a directory")


# -- gopack, watch, web: the system's reason in words ----------------------------------------


def test_gopack_pack_that_is_not_there_says_so_in_words(home: Path, tmp_path: Path) -> None:
    for args in (("acks", "--pack"), ("release",), ("ack", "nl", "--month", "2026-01", "--pack")):
        extra = ("--tld", "nl") if args == ("release",) else ()
        proc = run(home, "gopack", *args, str(tmp_path / "pack"), *extra)
        # before: "... cannot read its MANIFEST.json ([Errno 2] No such file or directory:
        # '.../pack/MANIFEST.json')"
        line = one_error(
            proc, "is not a go-pack: cannot read its MANIFEST.json (no such directory)"
        )
        no_errno(line)  # fails before


def test_watch_files_that_cannot_be_read_say_why_in_words(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "dns.json"
    line = one_error(run(home, "watch", "rdap-bootstrap", "--from", str(missing)),
                     f"--from {missing}: cannot read it (No such file or directory)")  # fmt: skip
    no_errno(line)  # fails before ("([Errno 2] No such file or directory: '...')")
    zone = tmp_path / "info.zone"
    zone.write_text("$ORIGIN info.\n@ 3600 IN SOA a.info. b.info. 1 2 3 4 5\n@ IN NS a.info.\n")
    line = one_error(run(home, "watch", "check", "--tld", "info", "--family", "conficker",
                         "--days", "1", "--zone-file", f"info={zone}",
                         "--sinkholes", str(tmp_path / "mine.csv")),
                     "--sinkholes", "cannot read it (No such file or directory)")  # fmt: skip
    no_errno(line)  # fails before
    # a folder given as a zone file: before "no such file" (it is there, as a folder)
    one_error(run(home, "watch", "check", "--tld", "info", "--family", "conficker", "--days", "1",
                  "--zone-file", f"info={tmp_path}"),
              "is a directory", "--zone-dir")  # fmt: skip


def test_web_serve_bad_host_says_why_in_words(home: Path) -> None:
    line = one_error(run(home, "web", "serve", "--host", "999.1.1.1", "--port", str(_free_port())),
                     "--host 999.1.1.1: not an address to listen on")  # fmt: skip
    no_errno(line)  # fails before ("([Errno -2] Name or service not known)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("allowlist", [False, True])
def test_gopack_exclude_collisions_without_a_watch_store_says_what_to_do(
    home: Path, tmp_path: Path, allowlist: bool
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("example.nl\n")
    extra = ["--allowlist", str(names)] if allowlist else []
    proc = run(home, "gopack", "--tld", "nl", "--start", "2026-01-01", "--months", "1",
               "--output", str(tmp_path / "pack"), "--family", "conficker",
               "--exclude-collisions", *extra)  # fmt: skip
    # before: "... run 'dgawatch watch check' first (or give --allowlist FILE)", also to a
    # user who had given --allowlist as README's line shows
    line = one_error(proc, "--exclude-collisions: no watch store", "drop --exclude-collisions")
    assert "(or give --allowlist FILE)" not in line  # fails before
    assert not (tmp_path / "pack").exists()


# -- options that were ignored --------------------------------------------------------------


def test_spark_options_without_the_spark_engine_are_refused(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "dns.csv"
    log.write_text("ts,client,qname\n2026-01-02T10:00:00Z,10.0.0.5,example.com\n")
    # before: exit 0, the local engine ran and --spark-master was ignored without a word
    one_error(run(home, "hunt", str(log), "--spark-master", "local[2]"),
              "--spark-master is for --engine spark")  # fmt: skip  # fails before
    one_error(run(home, "sinkhole", "stats", "--spark-master", "local[2]"),
              "--spark-master is for --engine spark")  # fmt: skip  # fails before
    # before: Spark started (a minute) and DuckDB's memory limit was ignored
    one_error(run(home, "sinkhole", "stats", "--engine", "spark", "--memory-limit", "2GB"),
              "--memory-limit is DuckDB's", "DGAWATCH_SPARK_DRIVER_MEMORY")  # fmt: skip
