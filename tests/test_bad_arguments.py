"""Every user mistake is one line on stderr naming the argument, exit status 2, never a
traceback and never a partial output file (issues 14 item 11 and 17).

Most cases run in this process through :func:`dgawatch.cli.main` itself (the function the
``dgawatch`` script calls, so exactly what a user gets), a few as real processes: the ones
that need a process of their own (a file-size limit standing in for a full disk, stdout on
/dev/full) and one of each kind as a check that the in-process runs are faithful.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from dgawatch import cli

D = "2009-04-01"


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs read and write nothing of the user's data directory."""
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path / "home"))


def run_main(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["dgawatch", *args])
    monkeypatch.delenv(cli.TRACEBACK_ENV, raising=False)
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def run_process(
    *args: str, home: Path, limit_bytes: int | None = None, stdout: int | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home / "home")),
        preexec_fn=limit,
        timeout=120,
        check=False,
    )


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dgawatch: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def _commands() -> dict[str, object]:
    """Every leaf command of the CLI, by its full name ('sinkhole stats')."""
    found: dict[str, object] = {}

    def walk(group: object, prefix: list[str]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            if getattr(command, "commands", None):
                walk(command, [*prefix, name])
                if getattr(command, "params", None):  # a group that runs itself (gopack)
                    found[" ".join([*prefix, name])] = command
            else:
                found[" ".join([*prefix, name])] = command

    walk(typer.main.get_command(cli.app), [])
    return found


COMMANDS = _commands()


def _int_options(command: object) -> list[str]:
    opts = []
    for p in getattr(command, "params", []):
        type_name = getattr(getattr(p, "type", None), "name", "")
        if getattr(p, "param_type_name", "") == "option" and type_name in ("integer", "float"):
            opts.append(max(p.opts, key=len))
    return opts


def test_the_walk_finds_the_commands() -> None:
    assert {"forecast", "export", "gopack", "hunt", "sinkhole stats", "web serve"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_refuses_an_unknown_option_and_a_non_number(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsing fails before any work: one line naming the option, exit 2."""
    code, _, err = run_main([*name.split(), "--no-such-option"], capsys, monkeypatch)
    assert_one_line_error(code, err, "--no-such-option", f"dgawatch {name} --help")
    for option in _int_options(COMMANDS[name]):
        code, _, err = run_main([*name.split(), option, "many"], capsys, monkeypatch)
        assert_one_line_error(code, err, option)


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "binary").write_bytes(bytes(range(256)) * 4)
    return {k: str(tmp_path / k) for k in ("adir", "afile", "binary")} | {
        "missing": str(tmp_path / "missing" / "x.txt"),
        "nodir": str(tmp_path / "no-such-dir"),
    }


#: (arguments, what the one line must name); {key} is a path from ``places``.
CASES = [
    (["forecast", "conficker", "--start", D, "--output", "{missing}"], ["--output", "exist"]),
    (["forecast", "conficker", "--start", D, "--output", "{adir}"], ["--output", "directory"]),
    (["forecast", "conficker", "--start", D, "--output", "/proc/x.txt"], ["--output"]),
    (["forecast", "conficker", "--start", D, "--days", "1000000000"], ["--days"]),
    (["forecast", "conficker", "--start", D, "--days", "0"], ["--days"]),
    (["forecast", "conficker", "--variant", "c", "--start", D, "--tld", "zz"], ["--tld zz"]),
    (["export", "rpz", "--start", D, "--days", "1000000000"], ["--days"]),
    (["export", "csv", "--start", D, "--output", "{missing}"], ["--output"]),
    (
        ["export", "nsd", "--start", D, "--address", "192.0.2.1", "--output", "{afile}"],
        ["--output", "directory"],
    ),
    (["export", "hosts", "--start", D, "--wildcard"], ["--wildcard", "hosts"]),
    (["export", "rpz", "--start", D, "--zone", "a..b"], ["--zone 'a..b'"]),
    (["store", "build", "--start", D, "--days", "1000000000"], ["--days"]),
    (
        ["gopack", "--tld", "nl", "--start", D, "--months", "1000000000", "--output", "{nodir}"],
        ["--months"],
    ),
    (["hunt", "{afile}", "--window-days", "1000000000"], ["--window-days"]),
    (["hunt", "{afile}", "--output", "{missing}"], ["--output"]),
    (["hunt-flows", "{afile}", "--output", "{adir}"], ["--output"]),
    (["conficker", "ports", "192.0.2.1", "--week", "-1"], ["--week"]),
    (["conficker", "ports", "192.0.2.1", "--week", "3", "--date", D], ["--date", "--week"]),
    (["web", "serve", "--port", "70000"], ["--port"]),
    (["web", "serve", "--host", "999.1.1.1"], ["--host 999.1.1.1"]),
    (
        ["sinkhole", "serve", "--address", "::1", "--dir", "{adir}"],
        ["--address '::1'", "--address6"],
    ),
    (
        ["sinkhole", "serve", "--address6", "192.0.2.1", "--dir", "{adir}"],
        ["--address6", "--address"],
    ),
    (["sinkhole", "serve", "--address", "192.0.2.999", "--dir", "{adir}"], ["not an IP address"]),
    (["sinkhole", "stats", "--skew", "1e20"], ["--skew"]),
    (["sinkhole", "stats", "--dir", "{nodir}"], ["--dir"]),
    (["sinkhole", "stats", "--dir", "{adir}", "--by", "asn", "--asn-db", "{binary}"], ["--asn-db"]),
    # session 6, stranger's pass ("ends"): each names its option
    (["gopack", "--tld", "nl", "--start", D, "--variant", "c", "--output", "{nodir}"], ["--var"]),
    (
        [
            "gopack",
            "--tld",
            "nl",
            "--start",
            D,
            "--output",
            "{nodir}",
            "--exclude-registered",
            "{binary}",
        ],
        ["--exclude-registered", "not UTF-8"],
    ),
    (["export", "rpz", "--start", D, "--allowlist", "{binary}"], ["--allowlist", "not UTF-8"]),
    (["export", "rpz", "--start", D, "--policy", "block"], ["--policy 'block'"]),
    (["deliver", "--sender", "nobody"], ["--sender 'nobody'"]),
    (["deliver", "--portal-url", "ftp://x"], ["--portal-url"]),
    (["sinkhole", "zone", "--address", "192.0.2.1", "--output", "{afile}"], ["--output"]),
    (["sinkhole", "sketch", "merge", "{missing}"], ["cannot read"]),
    (["web", "serve", "--asn-db", "{adir}"], ["--asn-db", "directory"]),
]


@pytest.mark.parametrize(("args", "needles"), CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_user_mistake_is_one_line_and_status_2(
    args: list[str],
    needles: list[str],
    places: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run_main([a.format(**places) for a in args], capsys, monkeypatch)
    assert_one_line_error(code, err, *needles)
    assert Path(places["afile"]).read_text() == "keep me\n"
    assert not Path(places["missing"]).parent.exists()


def test_web_serve_on_a_port_in_use(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, _, err = run_main(["web", "serve", "--port", port], capsys, monkeypatch)
    assert_one_line_error(code, err, f"port {port}", "Address already in use")


def test_unexpected_error_is_one_line_with_a_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli, "choose_variants", boom)
    code, _, err = run_main(["forecast", "conficker", "--start", D], capsys, monkeypatch)
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (
        "dgawatch: error: unexpected ZeroDivisionError: a bug (rerun with "
        "DGAWATCH_TRACEBACK=1 for the traceback, and please report it)"
    )
    monkeypatch.setenv(cli.TRACEBACK_ENV, "1")
    monkeypatch.setattr(sys, "argv", ["dgawatch", "forecast", "conficker", "--start", D])
    with pytest.raises(ZeroDivisionError):
        cli.main()


def test_real_processes_agree(tmp_path: Path) -> None:
    """The same one-line errors from a real ``dgawatch`` process (usage and semantic)."""
    proc = run_process("forecast", "conficker", "--start", D, "--days", "x", home=tmp_path)
    assert_one_line_error(proc.returncode, proc.stderr, "--days")
    proc = run_process("web", "serve", "--port", "70000", home=tmp_path)
    assert_one_line_error(proc.returncode, proc.stderr, "--port")


@pytest.mark.parametrize(
    "args",
    [
        ["forecast", "conficker", "--variant", "c", "--start", D, "--days", "2"],
        ["forecast", "conficker", "--variant", "c", "--start", D, "--format", "parquet"],
        ["export", "rpz", "--family", "conficker", "--variant", "c", "--start", D],
    ],
    ids=["forecast-txt", "forecast-parquet", "export-rpz"],
)
def test_disk_full_while_writing_leaves_the_old_file(tmp_path: Path, args: list[str]) -> None:
    """A write error half-way (a 64 KiB file-size limit, as a full disk would) is one line,
    status 2, and the file under the requested name is still the previous one, whole; no
    temporary file is left behind."""
    target = tmp_path / "out" / "names"
    target.parent.mkdir()
    target.write_text("previous\n")
    proc = run_process(*args, "--output", str(target), home=tmp_path, limit_bytes=64 << 10)
    assert_one_line_error(proc.returncode, proc.stderr, "cannot write --output", str(target))
    assert "nothing was written" in proc.stderr
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["names"]


def test_output_written_whole_replaces_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "names.txt"
    target.write_text("previous\n")
    os.chmod(target, 0o640)
    proc = run_process(
        "forecast", "conficker", "--variant", "c", "--start", D, "--output", str(target),
        home=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = target.read_text().splitlines()
    assert len(lines) == 50_000 and lines[0] == "oubezepg.com.mx"  # spec's first name of the day
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["names.txt"]


def test_stdout_on_a_full_device_is_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = run_process(
            "forecast", "conficker", "--start", D, home=tmp_path, stdout=full.fileno()
        )
    assert_one_line_error(proc.returncode, proc.stderr, "No space left on device")


def test_gopack_failure_leaves_no_partial_pack(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    proc = run_process(
        "gopack", "--tld", "nl", "--tld", "cc", "--start", "2014-11-01", "--family", "conficker",
        "--output", str(out), home=tmp_path, limit_bytes=4 << 10,
    )  # fmt: skip
    assert_one_line_error(proc.returncode, proc.stderr, "cannot write --output")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == []


def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    """SIGTERM unwinds like an exit (status 143): the half-written output's temporary file is
    removed and the previous file under the requested name is untouched."""
    import signal
    import time

    target = tmp_path / "names.txt"
    target.write_text("previous\n")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "forecast",
         "--family", "conficker", "--variant", "c", "--start", D, "--days", "3000",
         "--output", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home")),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".part") for p in tmp_path.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["names.txt"]
