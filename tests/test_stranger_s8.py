"""Loose ends and a stranger's pass over lookup, classify (its command line), hunt's
options, feed, index and store (session 8): each case is a defect found by running the
command as a newcomer would. Real processes; each fails without its fix (the old behaviour
is in the case's comment, the line that catches it marked "fails before")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import test_stranger_s7 as s7
from tests.test_stranger_s6 import one_error
from tests.test_stranger_s7 import run

home = s7.home  # the fixture: DGAWATCH_HOME in tmp_path

DAY = ("--start", "2020-01-01")
CONFICKER = ("--family", "conficker", "--variant", "a", *DAY)

# -- --output NAME/: a directory, created by what writes one, refused by what writes a file ---

#: Every command with --output that writes one file, and arguments that would otherwise run.
FILE_OUTPUT = {
    "forecast": ("forecast", *CONFICKER),
    "export": ("export", "--format", "rpz", *CONFICKER),
    "hunt": ("hunt", "{log}"),
    "hunt-flows": ("hunt-flows", "{log}"),
    "feed": ("feed",),
    "feed check": ("feed", "check", "{log}"),
    "gopack release": ("gopack", "release", "{log}", "--tld", "com"),
    "gopack keygen": ("gopack", "keygen"),
    "sinkhole sketch export": ("sinkhole", "sketch", "export"),
    "sinkhole sketch merge": ("sinkhole", "sketch", "merge", "{log}"),
    "classify train": ("classify", "train"),  # refused before the training's minutes
}
#: Every command with --output that writes a directory.
DIR_OUTPUT = {
    "export": ("export", "--format", "suricata-dataset", *CONFICKER),
    "gopack": ("gopack", "--tld", "com", *CONFICKER),
    "sinkhole report": ("sinkhole", "report", "--asn", "64496"),
    "sinkhole zone": ("sinkhole", "zone", "--address", "192.0.2.1", *CONFICKER[:4]),
}
#: Commands whose --output does not yet go through dgawatch.outfile (noted in interfaces.md
#: for their owners): they still write a file named ``NAME``.
NOT_YET: set[str] = set()


def test_every_output_option_is_covered_here() -> None:
    import typer

    from dgawatch.cli import app

    found = set()

    def walk(cmd: object, path: list[str]) -> None:
        for p in getattr(cmd, "params", []):
            if "--output" in getattr(p, "opts", []):
                found.add(" ".join(path))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    # a new command with --output: add it to FILE_OUTPUT or DIR_OUTPUT
    assert found == set(FILE_OUTPUT) | set(DIR_OUTPUT) | NOT_YET


@pytest.mark.parametrize("command", sorted(FILE_OUTPUT))
def test_output_spelled_as_a_directory_is_refused_where_a_file_is_written(
    home: Path, tmp_path: Path, command: str
) -> None:
    log = tmp_path / "query.log"
    log.write_text("example.com\n")
    args = [a.replace("{log}", str(log)) for a in FILE_OUTPUT[command]]
    given = ["--output=new/."] if command == "forecast" else ["--output", "new/"]
    proc = run(home, *args, *given, cwd=tmp_path)
    # before: exit 0 (or a late error) and a FILE named 'new'
    one_error(proc, "--output new/ names a directory", "give a file name")
    assert not (tmp_path / "new").exists()  # fails before


@pytest.mark.parametrize("command", sorted(DIR_OUTPUT))
def test_output_spelled_as_a_directory_is_created_where_a_directory_is_written(
    home: Path, tmp_path: Path, command: str
) -> None:
    proc = run(home, *DIR_OUTPUT[command], "--output", "new/", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "new").is_dir()


def test_spelled_as_directory_reads_the_option_as_given() -> None:
    from dgawatch.outfile import spelled_as_directory

    new = Path("new")
    assert spelled_as_directory(new, "--output", ["hunt", "--output", "new/"])
    assert spelled_as_directory(new, "--output", ["--output=new/."])
    assert not spelled_as_directory(new, "--output", ["--output", "new"])
    assert not spelled_as_directory(new, "--output", ["--store", "new/", "--output", "new"])
    assert not spelled_as_directory(new, "--output", ["--", "--output", "new/"])
    assert not spelled_as_directory(Path("other"), "--output", ["--output", "new/"])


# -- lookup ---------------------------------------------------------------------------------


def test_lookup_file_dash_reads_standard_input(home: Path, tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("x.com\n")
    with names.open() as stdin:
        proc = run(home, "lookup", *DAY, "--file", "-", "--json", stdin=stdin)
    # before: "cannot read -: [Errno 2] No such file or directory: '-'"
    assert proc.returncode == 0, proc.stderr  # fails before
    assert '"query": "x.com"' in proc.stdout


def test_lookup_file_that_cannot_be_read_names_the_option(home: Path, tmp_path: Path) -> None:
    # before: "cannot read /x: [Errno 2] No such file or directory: '/x'" (Python's own words)
    one_error(run(home, "lookup", "--file", str(tmp_path / "none.txt")),
              f"cannot read --file {tmp_path / 'none.txt'}: No such file or directory")  # fmt: skip
    one_error(run(home, "lookup", "--file", str(tmp_path)),
              f"cannot read --file {tmp_path}: it is a directory")  # fmt: skip


# -- store ----------------------------------------------------------------------------------


def test_a_store_cut_short_is_said_damaged(home: Path, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    built = run(home, "store", "build", *CONFICKER, "--store", str(store))
    assert built.returncode == 0, built.stderr
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(store.read_bytes()[:5000])
    # before: "cannot open forecast store ...: IO Error: Could not read enough bytes ..."
    for args in (("store", "info"), ("lookup", "x.com")):
        proc = run(home, *args, "--store", str(cut))
        one_error(proc, f"forecast store {cut} is damaged or cut short", "build it again")


# -- hunt ------------------------------------------------------------------------------------


def test_hunt_of_a_directory_with_no_readable_log_is_an_error(home: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "notes.txt").write_text("not a log\n")
    (logs / "z.log.gz").write_bytes(b"\x1f\x8b")  # a gzip cut before its header ends
    # before: exit 0, "no findings (0 events from 0 clients ...)" after two "skipped" lines
    one_error(run(home, "hunt", str(logs)), f"{logs} holds no file that could be read as a log",
              f"the first, {logs / 'notes.txt'}: cannot tell its format")  # fmt: skip
    (logs / "dns.log").write_text("")  # an empty log is a log: read, no events
    proc = run(home, "hunt", str(logs))
    assert proc.returncode == 0, proc.stderr


# -- feed check ------------------------------------------------------------------------------

RECORD = "abc.com,Domain used by Conficker,2026-12-05,http://osint.example/conficker.txt\n"


@pytest.mark.parametrize(
    "how",
    ["stdin", "utf-8 mark", "utf-16"],
)
def test_feed_check_reads_what_hunt_reads(home: Path, tmp_path: Path, how: str) -> None:
    feed = tmp_path / "feed.csv"
    if how == "utf-16":
        feed.write_bytes(RECORD.encode("utf-16"))  # PowerShell's Out-File
    else:
        feed.write_bytes((b"\xef\xbb\xbf" if how == "utf-8 mark" else b"") + RECORD.encode())
    args = ["feed", "check", "--json", "-" if how == "stdin" else str(feed)]
    with feed.open("rb") as stdin:
        proc = run(home, *args, stdin=stdin)
    # before: "-: no such file"; "the first field is not a domain name: '\ufeffabc.com..."; "not
    # UTF-8 text" (each exit 2)
    assert proc.returncode == 0, proc.stderr  # fails before
    assert '"names": 1' in proc.stdout


# -- the all-time index (store build --all-time, lookup --all) ------------------------------


def test_store_options_the_all_time_index_ignored_are_refused(home: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "idx.duckdb")
    ccleaner = ("--family", "ccleaner")
    # before: exit 0, the index built in the data directory and --store silently ignored
    proc = run(home, "store", "build", "--all-time", *ccleaner, "--store", store)
    one_error(proc, "--all-time builds the all-time index in the data directory", "drop --store")
    proc = run(home, "lookup", "--all", *ccleaner, "--store", store, "x.com")
    one_error(proc, "--all answers from the all-time index", "drop --store")
    proc = run(home, "lookup", "--no-store", "--store", store, "x.com")
    one_error(proc, "--no-store and --store contradict each other")
    assert not Path(store).exists()


# -- an output that is an input ---------------------------------------------------------------


def test_output_that_is_an_input_is_refused_and_the_input_kept(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "bind.log"
    text = (s7.FIXTURES / "bind-query.log").read_text()
    log.write_text(text)
    (tmp_path / "logs").mkdir()
    inner = tmp_path / "logs" / "dns.log"
    inner.write_text(text)
    (tmp_path / "link.log").symlink_to(log)
    cases = [
        (("hunt", "--output", str(log), str(log)), log, f"given as {log}"),
        (("hunt", str(tmp_path / "link.log"), f"--output={log}"), log, "given as"),
        (("feed", "check", str(log), "--output", str(log)), log, "given as"),
        # found in a directory: refused when the output is written (after the hunt)
        (("hunt", str(inner.parent), "--output", str(inner)), inner, "a file this command read"),
    ]  # fmt: skip
    for args, target, how in cases:
        proc = run(home, *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        # before: exit 0, the log replaced by the findings table
        assert f"is an input of this command ({how}" in proc.stderr.splitlines()[-1]
        assert target.read_text() == text  # fails before


def test_store_dash_is_refused_not_a_file_named_dash(home: Path, tmp_path: Path) -> None:
    for args in (("store", "build", *CONFICKER), ("store", "info"), ("lookup", "x.com")):
        proc = run(home, *args, "--store", "-", cwd=tmp_path)
        one_error(proc, "--store -: a store is a DuckDB file, not a stream")
    assert not (tmp_path / "-").exists()  # fails before: a DuckDB file named '-' (exit 0)


@pytest.mark.parametrize("how", ["utf-8 mark", "utf-16", "gzip"])
def test_lookup_file_reads_what_hunt_reads(home: Path, tmp_path: Path, how: str) -> None:
    import gzip

    names = tmp_path / "names.txt"
    text = "x.com\r\ny.com\r\n"
    data = {
        "utf-8 mark": b"\xef\xbb\xbf" + text.encode(),
        "utf-16": text.encode("utf-16"),
        "gzip": gzip.compress(text.encode()),
    }[how]
    names.write_bytes(data)
    proc = run(home, "lookup", *DAY, "--file", str(names), "--json")
    # before: '"query": "\ufeffx.com"'; "line 1: byte 0xff is not UTF-8"; "byte 0x8b ..."
    assert proc.returncode == 0, proc.stderr  # fails before (utf-16, gzip)
    assert [line.split(",")[0] for line in proc.stdout.splitlines()] == [
        '{"query": "x.com"',  # fails before (utf-8 mark)
        '{"query": "y.com"',
    ]


def test_compressed_log_with_nothing_readable_is_an_error(home: Path, tmp_path: Path) -> None:
    cut = tmp_path / "dns.log.gz"
    cut.write_bytes(b"\x1f\x8b\x08\x00")  # a gzip header cut short
    # before: exit 0, "no findings (0 events ...)" under "1 line(s): ... line 0: ..."
    for command in ("hunt", "hunt-flows"):
        proc = run(home, command, str(cut))
        one_error(proc, f"cannot read {cut}: truncated or corrupt compressed input, nothing")


# -- the lead's share of the pass (session 8) ------------------------------------------------


def test_hunt_json_with_another_format_is_refused(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "q.log"
    log.write_text("example.com\n")
    proc = run(home, "hunt", str(log), "--json", "--format", "csv")
    # before: exit 0 and JSON lines (--json silently won over --format csv)
    assert one_error(proc, "--json is --format json; give one of --json and --format csv")


@pytest.mark.parametrize("command", ["hunt", "hunt-flows"])
def test_usage_names_the_path_argument(home: Path, command: str) -> None:
    proc = run(home, command, "--help")
    # before: "Usage: dgawatch hunt [OPTIONS] {paths}..." (typer's default for a list)
    assert f" {command} [OPTIONS] {{PATH}}..." in proc.stdout
    assert "Missing argument 'PATH'" in run(home, command).stderr


def test_flow_csv_header_names_only_the_missing_columns(home: Path, tmp_path: Path) -> None:
    flows = tmp_path / "flows.csv"
    flows.write_text("ts,src,dst,dport\n1764892800,10.0.0.1,10.0.0.2,445\n")
    proc = run(home, "hunt-flows", str(flows))
    # before: "... lacks src, dst, dport, proto, time columns" (every column, four present)
    assert one_error(proc, "'ts,src,dst,dport' lacks proto (names read: proto: proto, protocol")


def test_hunt_column_with_a_log_format_of_its_own_is_refused(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "q.log"
    log.write_text("example.com\n")
    args = ("--input-format", "bind", "--column", "ts=a,client=b,qname=c")
    # before: --column silently ignored
    assert one_error(run(home, "hunt", str(log), *args), "--column maps CSV and Parquet")


def test_hunt_allowlist_that_cannot_be_read_names_the_option(home: Path, tmp_path: Path) -> None:
    log = tmp_path / "q.log"
    log.write_text("example.com\n")
    proc = run(home, "hunt", str(log), "--allowlist", str(tmp_path / "missing.txt"))
    # before: "cannot read the allowlist ...: [Errno 2] No such file or directory: '...'"
    line = one_error(proc, "cannot read --allowlist", "missing.txt: No such file or directory")
    assert "Errno" not in line


def test_cut_compressed_log_is_a_file_fault_not_line_0(home: Path, tmp_path: Path) -> None:
    import gzip

    rows = b"".join(
        b"05-Dec-2026 10:00:00.000 client @0x1 10.0.0.%d#5353 (e%d.com): query: e%d.com IN A + "
        b"(10.0.0.1)\n" % (i % 200, i, i)
        for i in range(50_000)
    )
    packed = gzip.compress(rows)
    log = tmp_path / "cut.log.gz"
    log.write_bytes(packed[: len(packed) // 2])
    proc = run(home, "hunt", str(log))
    assert proc.returncode == 0, proc.stderr
    # before: "cut.log.gz: 1 line(s): truncated or corrupt compressed input" + "  line 0: ..."
    assert f"{log}: truncated or corrupt compressed input\n  file: " in proc.stderr
    assert "  line 0:" not in proc.stderr  # (the cut last line is a bad line, rightly)


def test_classify_model_that_is_no_model_says_so_without_pickle_advice(
    home: Path, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model\n")
    proc = run(home, "classify", "score", "--model", str(notes), "example.com")
    # before: "... This file contains pickled (object) data. If you trust the file you can
    # load it unsafely using the `allow_pickle=` keyword argument or `pickle.load()`."
    line = one_error(proc, "notes.txt is not a dgawatch classifier model")
    assert "pickle" not in line


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_classify_names_file_that_cannot_be_read_says_why_in_words(
    home: Path, tmp_path: Path, what: str
) -> None:
    path = tmp_path / "names.txt" if what == "missing" else tmp_path
    proc = run(home, "classify", "score", "--file", str(path))
    # before: "cannot read X: [Errno 2] No such file or directory: 'X'" (Python's words)
    why = "No such file or directory" if what == "missing" else "it is a directory"
    line = one_error(proc, f"cannot read {path}: {why}")
    assert "Errno" not in line
