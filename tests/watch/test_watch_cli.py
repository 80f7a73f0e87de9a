"""``dgawatch watch``: every user mistake is one line on stderr naming the argument, exit
status 2, no traceback and no store left behind; ``serve`` runs the check's engine again
and again."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest

from dgawatch import cli
from tests.watch.fixtures import tld_zone

SEL = ["--family", "conficker", "--variant", "a", "--start", "2026-12-10", "--days", "1"]


def run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["dgawatch", *args])
    monkeypatch.delenv(cli.TRACEBACK_ENV, raising=False)
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return (code if isinstance(code, int) else 1), out.out, out.err


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("DGAWATCH_HOME", str(path))
    return path


@pytest.fixture
def zone(tmp_path: Path) -> Path:
    path = tmp_path / "info.zone"
    path.write_text(tld_zone("info", []))
    return path


def _bad_cases(tmp: Path, zone: Path) -> list[tuple[list[str], str]]:
    notzone = tmp / "list.txt"
    notzone.write_text("example.info\n")
    badjson = tmp / "dns.json"
    badjson.write_text("{not json")
    csvstore = tmp / "w.csv"
    csvstore.write_text("a,b\n1,2\n")
    z = f"info={zone}"
    return [
        (["check", "--tld", "info", *SEL[:-2], "--days", "0", "--zone-file", z], "--days must be"),
        (["check", "--tld", "info", *SEL], "give at least one source"),
        (["check", "--tld", "info", *SEL, "--auth-dns", "--rate", "dns=5"], "--rate dns"),
        (
            ["check", "--tld", "info", *SEL, "--auth-dns", "--rate", "authoritative=0"],
            "more than 0",
        ),
        (["check", "--tld", "info", *SEL, "--auth-dns", "--rate", "authoritative=x"], "per second"),
        (["check", "--tld", "info", *SEL, "--axfr", "info=ns1.example"], "--axfr"),
        (["check", "--tld", "info", *SEL, "--axfr", "info=127.0.0.1@70000"], "port"),
        (["check", "--tld", "info", *SEL, "--zone-file", "info=/nonexistent/x"], "no such file"),
        (["check", "--tld", "info", *SEL, "--zone-file", "info"], "KEY=VALUE"),
        (["check", "--tld", "info", *SEL, "--zone-file", f"info={notzone}"], "no NS records"),
        (["check", "--tld", "info", *SEL, "--zone-dir", str(tmp / "none")], "--zone-dir"),
        (["check", "--tld", "in fo", *SEL, "--auth-dns"], "--tld"),
        (["check", "--tld", "info", *SEL, "--auth-dns", "--workers", "0"], "--workers"),
        (["check", "--tld", "info", *SEL, "--tld-server", "info=127.0.0.1"], "need --auth-dns"),
        (["check", "--tld", "info", *SEL, "--rdap", "--rdap-server", "info=ftp://x"], "http"),
        (["check", "--tld", "zz", *SEL, "--zone-file", f"zz={zone}"], "no selected variant"),
        (["check", "--tld", "info", *SEL, "--auth-dns", "--start", "2026-13-01"], "--start"),
        (["check", "--tld", "info", *SEL, "--auth-dns", "--published", "soon"], "--published"),
        (["check", "--tld", "info", "--family", "nosuch", "--auth-dns"], "nosuch"),
        (
            ["check", "--tld", "info", *SEL, "--zone-file", z, "--sinkholes", str(badjson)],
            "sinkholes",
        ),
        (
            ["check", "--tld", "info", *SEL, "--zone-file", z, "--watch-store", str(csvstore)],
            "w.csv",
        ),
        (["serve", "--tld", "info", *SEL, "--zone-file", z, "--interval", "0"], "--interval"),
        (["report"], "no watch store"),
        (["report", "--format", "xml"], "--format"),
        (["history", "x.info"], "no watch store"),
        (["rdap-bootstrap", "--from", str(tmp / "absent.json")], "--from"),
        (["rdap-bootstrap", "--from", str(badjson)], "not an RDAP bootstrap"),
    ]


def test_bad_arguments_one_line_exit_2(
    tmp_path: Path,
    home: Path,
    zone: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for args, needle in _bad_cases(tmp_path, zone):
        code, out, err = run(["watch", *args], monkeypatch, capsys)
        lines = err.strip().splitlines()
        assert code == 2, (args, err)
        assert len(lines) == 1 and needle in lines[0], (args, err)
        assert "Traceback" not in err and out == "", args
        assert not (home / "watch.duckdb").exists(), args
        assert not (home / "watch" / "dns.json").exists(), args


def test_serve_runs_the_check_repeatedly_with_history(
    home: Path, zone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(
        ["watch", "serve", "--tld", "info", *SEL, "--zone-file", f"info={zone}",
         "--interval", "1", "--checks", "2"],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, err
    # each line stamped with its UTC time, as a daemon's log
    assert [ln.split(" ", 1)[1].split(":")[0] for ln in err.splitlines()] == ["check 1", "check 2"]
    for ln in err.splitlines():
        assert dt.datetime.fromisoformat(ln.split(" ", 1)[0]).tzinfo is not None, ln
    con = duckdb.connect(str(home / "watch.duckdb"), read_only=True)
    try:
        checks = con.execute("SELECT count(*) FROM checks WHERE finished IS NOT NULL").fetchone()
        per_name = con.execute(
            "SELECT count(DISTINCT check_id), count(*) FROM verdicts GROUP BY domain"
        ).fetchall()
    finally:
        con.close()
    assert checks == (2,)
    assert set(per_name) == {(2, 2)}  # every name has a verdict in each check


def test_rdap_bootstrap_refresh_from_file(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["watch", "rdap-bootstrap"], monkeypatch, capsys)
    assert code == 0 and "shipped data/dns.json: publication 2021-05-11T21:00:02Z" in out
    # the shipped file is years old: say so, and how to refresh it
    assert "days old" in err and "rdap-bootstrap --from https://data.iana.org/rdap/dns.json" in err
    fresh = tmp_path / "new.json"
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh.write_text(
        f'{{"version": "1.0", "publication": "{yesterday}", "description": "x",'
        ' "services": [[["info", "biz"], ["https://rdap.example/"]]]}'
    )
    code, out, err = run(["watch", "rdap-bootstrap", "--from", str(fresh)], monkeypatch, capsys)
    assert code == 0, err
    assert yesterday[:10] in out and "2 TLDs" in out
    assert (home / "watch" / "dns.json").read_text() == fresh.read_text()
    code, out, err = run(["watch", "rdap-bootstrap"], monkeypatch, capsys)
    assert code == 0 and yesterday[:10] in out and "days old" not in err


def test_a_source_that_fails_leaves_names_unknown_not_free(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A refused transfer is no evidence that a name is free: every name is 'unknown', with
    the reason kept, and the check still completes."""
    from tests.export.dns_servers import free_port

    port = free_port()  # nothing listens there
    code, out, err = run(
        ["watch", "check", "--tld", "info", *SEL, "--axfr", f"info=127.0.0.1@{port}", "--json"],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, err
    import datetime as dt
    import json

    from dgawatch.families import select_variants

    (variant,) = select_variants(["conficker"], "a")
    info = {n for n in variant.domains(dt.date(2026, 12, 10)) if n.endswith(".info")}
    states = json.loads(out)["states"]
    assert states["unknown"] == len(info) and sum(states.values()) == len(info)
    con = duckdb.connect(str(home / "watch.duckdb"), read_only=True)
    try:
        details = con.execute("SELECT DISTINCT detail FROM observations").fetchall()
    finally:
        con.close()
    assert len(details) == 1 and "AXFR of info from 127.0.0.1" in details[0][0]


def test_serve_reports_alerts_as_check_does(
    home: Path, zone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The unattended loop is where an alert matters most: it gets the ALERT line too."""
    from dgawatch.watch import cli as watch_cli

    def found_alerts(_plan: object) -> dict[str, object]:
        states = {"free": 5, "alert": 2}
        return {"check_id": 7, "names": 7, "states": states, "store": "w.duckdb"}

    monkeypatch.setattr(watch_cli, "_check_once", found_alerts)
    for cmd in (["check"], ["serve", "--interval", "1", "--checks", "1"]):
        code, _out, err = run(
            ["watch", *cmd, "--tld", "info", *SEL, "--zone-file", f"info={zone}"],
            monkeypatch, capsys,
        )  # fmt: skip
        assert code == 0, err
        assert "ALERT: 2 names registered after publication" in err, (cmd, err)
