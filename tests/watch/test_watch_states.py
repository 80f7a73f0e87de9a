"""The watch against real registries on loopback: NSD serving simulated .info and .biz
zones (AXFR allowed, contents changed between checks) and an RDAP service. Every state is
planted on names conficker/a really generates on the watched day, and the CLI users run
(``dgawatch watch check``, ``report``) must find each one."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import sys
from pathlib import Path

import pytest

from dgawatch import cli
from dgawatch.families import select_variants
from dgawatch.watch import alert_rows, collision_names, history_rows, report_rows
from tests.watch.fixtures import RdapState, Registry, domain_object, rdap_server, tld_zone

DAY = dt.date(2026, 12, 10)
PUBLISHED = "2020-01-01"  # the go-pack went out on this day


def _names(tld: str) -> list[str]:
    (variant,) = select_variants(["conficker"], "a")
    return sorted(n for n in variant.domains(DAY) if n.endswith("." + tld))


INFO = _names("info")
BIZ = _names("biz")
# planted in the .info zone (DNS sources)
IN_ZONE_RESERVED, REGISTRY_NS, SINK_NS, SINK_ADDR, COLLIDE, LATER_ALERT, LATER_RESERVED = INFO[:7]
# planted in the RDAP service (.biz)
R_COLLIDE, R_ALERT, R_HOLD, R_SINK = BIZ[:4]


def _label(name: str) -> str:
    return name.rsplit(".", 1)[0]


def info_zone(second: bool) -> str:
    records = [
        f'{_label(IN_ZONE_RESERVED)} IN TXT "reserved by the registry"',
        f"{_label(REGISTRY_NS)} IN NS ns1.nic.info.",
        f"{_label(SINK_NS)} IN NS ns1.conficker-sinkhole.com.",
        f"{_label(SINK_ADDR)} IN NS ns1.{_label(SINK_ADDR)}.info.",
        f"ns1.{_label(SINK_ADDR)} IN A 192.0.2.66",
        f"{_label(COLLIDE)} IN NS ns1.example.net.",
        f"{_label(COLLIDE)} IN NS ns2.example.net.",
    ]
    if second:
        records += [
            f"{_label(LATER_ALERT)} IN NS ns1.rendezvous.example.",
            f'{_label(LATER_RESERVED)} IN TXT "blocked for conficker"',
        ]
    return tld_zone("info", records, serial=2 if second else 1)


def rdap_domains() -> dict[str, dict[str, object]]:
    return {
        R_COLLIDE: domain_object(
            R_COLLIDE, created="2019-05-01T10:00:00Z", registrar="Old Shop Registrar",
            ns=["ns1.shop.example"], status=["active"],
        ),
        R_ALERT: domain_object(
            R_ALERT, created="2021-03-01T08:30:00Z", registrar="Fast Anonymous Registrar",
            ns=["ns1.bulletproof.example"], status=["client transfer prohibited"],
        ),
        R_HOLD: domain_object(
            R_HOLD, created="2021-02-01T00:00:00Z", registrar="The Registry",
            ns=[], status=["server hold", "server transfer prohibited"],
        ),
        R_SINK: domain_object(
            R_SINK, created="2021-02-02T00:00:00Z", registrar="Some Registrar",
            ns=["ns1.sinkhole.cert.pl", "ns2.sinkhole.cert.pl"], status=["active"],
        ),
    }  # fmt: skip


def run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["dgawatch", *args])
    code: int | str | None = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return (code if isinstance(code, int) else 1), out.out, out.err


def states(home: Path, check: int | None = None) -> dict[str, str]:
    import duckdb

    con = duckdb.connect(str(home / "watch.duckdb"), read_only=True)
    try:
        latest = check or con.execute("SELECT max(check_id) FROM checks").fetchone()[0]  # type: ignore[index]
        return dict(
            con.execute(
                "SELECT domain, state FROM verdicts WHERE check_id = ?", [latest]
            ).fetchall()
        )
    finally:
        con.close()


def test_every_state_alerts_and_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("DGAWATCH_HOME", str(home))
    mine = tmp_path / "my-sinkholes.csv"
    mine.write_text("kind,value,organisation\naddress,192.0.2.0/24,our own sinkhole\n")
    # every 9th RDAP request is refused with 429 (Retry-After: 0): retried, nothing lost
    rdap = RdapState(domains=rdap_domains(), throttle_every=9, retry_after="0")
    with rdap_server(rdap) as url:
        for second in (False, True):
            registry = Registry(
                tmp_path / f"nsd{int(second)}",
                {"info": info_zone(second), "biz": tld_zone("biz", [])},
            )
            with registry.serving():
                server = f"127.0.0.1@{registry.port}"
                code, out, err = run(
                    ["watch", "check", "--family", "conficker", "--variant", "a", "--tld", "info",
                     "--tld", "biz", "--start", DAY.isoformat(), "--days", "1",
                     "--axfr", f"info={server}", "--auth-dns", "--root-server", server,
                     "--rdap", "--rdap-server", f"info={url}", "--rdap-server", f"biz={url}",
                     "--rate", "rdap=1000", "--rate", "authoritative=1000",
                     "--sinkholes", str(mine), "--published", PUBLISHED, "--json"],
                    monkeypatch, capsys,
                )  # fmt: skip
                assert code == 0, err
                doc = json.loads(out)
                assert doc["names"] == len(INFO) + len(BIZ)
                assert set(doc["names_per_second"]) == {"zone", "authoritative", "rdap"}
            got = states(home)
            planted = {
                IN_ZONE_RESERVED: "reserved", REGISTRY_NS: "reserved", SINK_NS: "sinkholed",
                SINK_ADDR: "sinkholed", COLLIDE: "collision",
                LATER_ALERT: "alert" if second else "free",
                LATER_RESERVED: "reserved" if second else "free",
                R_COLLIDE: "collision", R_ALERT: "alert", R_HOLD: "reserved", R_SINK: "sinkholed",
            }  # fmt: skip
            assert {n: got[n] for n in planted} == planted
            rest = set(got) - set(planted)
            assert {got[n] for n in rest} == {"free"}
            assert len(got) == len(INFO) + len(BIZ)

    # alerts only for registrations after publication, with their evidence
    alerts = {a["domain"]: a for a in alert_rows(home)}
    assert set(alerts) == {LATER_ALERT, R_ALERT}
    assert alerts[R_ALERT]["registrar"] == "Fast Anonymous Registrar"
    assert alerts[R_ALERT]["created"].startswith("2021-03-01T08:30")
    assert alerts[R_ALERT]["ns"] == ["ns1.bulletproof.example"]
    assert alerts[LATER_ALERT]["ns"] == ["ns1.rendezvous.example"]
    assert alerts[LATER_ALERT]["basis"].startswith("seen free at")
    assert collision_names(home) == {COLLIDE, R_COLLIDE}
    assert collision_names(home / "watch.duckdb") == {COLLIDE, R_COLLIDE}

    # history across the two checks
    assert [h["state"] for h in history_rows(home, LATER_ALERT)] == ["free", "alert"]
    assert [h["state"] for h in history_rows(home, LATER_RESERVED)] == ["free", "reserved"]
    assert [h["state"] for h in history_rows(home, COLLIDE)] == ["collision", "collision"]
    # the first check still says what it said then
    assert states(home, 1)[LATER_ALERT] == "free"
    code, out, err = run(["watch", "history", LATER_ALERT, "--json"], monkeypatch, capsys)
    assert code == 0, err
    assert [json.loads(line)["state"] for line in out.splitlines()] == ["free", "alert"]
    assert sum(1 for _, _, status in rdap.log if status == 429) >= 10

    # the weakest-link table
    rows = {r["tld"]: r for r in report_rows(home)}
    assert set(rows) == {"info", "biz"}
    assert rows["info"]["names"] == len(INFO)
    assert rows["info"]["reserved"] == 3 and rows["info"]["sinkholed"] == 2
    assert rows["info"]["collision"] == 1 and rows["info"]["alert"] == 1
    assert rows["info"]["free"] == len(INFO) - 7
    assert rows["biz"]["share_alert"] == pytest.approx(1 / len(BIZ))
    code, out, err = run(["watch", "report", "--json"], monkeypatch, capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "watch-report/1"
    assert {a["domain"] for a in doc["alerts"]} == {LATER_ALERT, R_ALERT}
    code, out, err = run(["watch", "report", "--format", "csv"], monkeypatch, capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("tld,family,names,free,reserved,sinkholed,collision,alert,unknown,")
    assert len(lines) == 3
    code, out, err = run(["watch", "report"], monkeypatch, capsys)
    assert code == 0, err
    assert LATER_ALERT in out and R_ALERT in out and "ALERTS: 2" in out


def test_zone_file_czds_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same zone as a CZDS download (gzip, <tld>.txt.gz, absolute owners) gives the
    same states as the transfer, without any network."""
    home = tmp_path / "home"
    monkeypatch.setenv("DGAWATCH_HOME", str(home))
    czds = tmp_path / "czds"
    czds.mkdir()
    with gzip.open(czds / "info.txt.gz", "wt") as fh:
        fh.write(flat_info_zone())
    code, _out, err = run(
        ["watch", "check", "--family", "conficker", "--variant", "a", "--tld", "info",
         "--start", DAY.isoformat(), "--days", "1", "--zone-dir", str(czds), "--sinkholes",
         str(_user_sinkholes(tmp_path)), "--json"],
        monkeypatch, capsys,
    )  # fmt: skip
    assert code == 0, err
    got = states(home)
    assert got[IN_ZONE_RESERVED] == got[LATER_RESERVED] == got[REGISTRY_NS] == "reserved"
    assert got[SINK_NS] == got[SINK_ADDR] == "sinkholed"
    # one check only: a name registered when first seen is a collision, never an alert
    assert got[COLLIDE] == got[LATER_ALERT] == "collision"
    assert {s for n, s in got.items() if n not in INFO[:7]} == {"free"}


def flat_info_zone() -> str:
    """The second .info zone as ICANN's CZDS writes zones: one record a line, absolute
    owners, tab-separated ``owner ttl class type rdata``."""
    rows = [
        ("info.", "SOA", "ns1.nic.info. hostmaster.nic.info. 2 3600 600 86400 60"),
        ("info.", "NS", "ns1.nic.info."),
        ("ns1.nic.info.", "A", "127.0.0.1"),
        (f"{IN_ZONE_RESERVED}.", "A", "192.0.2.1"),
        (f"{REGISTRY_NS}.", "NS", "ns1.nic.info."),
        (f"{SINK_NS}.", "NS", "ns1.conficker-sinkhole.com."),
        (f"{SINK_ADDR}.", "NS", f"ns1.{SINK_ADDR}."),
        (f"ns1.{SINK_ADDR}.", "A", "192.0.2.66"),
        (f"{COLLIDE}.", "NS", "ns1.example.net."),
        (f"{LATER_ALERT}.", "NS", "ns1.rendezvous.example."),
        (f"{LATER_RESERVED}.", "A", "192.0.2.2"),
    ]
    return "".join(f"{o}\t60\tin\t{t.lower()}\t{r}\n" for o, t, r in rows)


def test_flat_and_master_readers_agree(tmp_path: Path) -> None:
    """The CZDS fast path and the tokenizer read the same zone the same way."""
    from dgawatch.watch.zonefile import _flat_records, _NotFlat, read_zone_file

    flat = tmp_path / "flat.zone"
    flat.write_text(flat_info_zone())
    master = tmp_path / "master.zone"
    master.write_text(
        "$ORIGIN info.\n$TTL 60\n@ IN SOA ns1.nic ( hostmaster.nic 2 3600\n 600 86400 60 )\n"
        + "".join(
            line.replace("\tin\t", " IN ").replace("\t", " ") + "\n"
            for line in flat_info_zone().splitlines()[1:]
        )
    )
    want = set(INFO)
    a, b = read_zone_file(flat, "info", want), read_zone_file(master, "info", want)
    assert a.records == b.records == 11
    for field in ("apex_ns", "delegations", "undelegated", "addresses"):
        assert getattr(a, field) == getattr(b, field), field
    assert a.delegations[SINK_ADDR] == {f"ns1.{SINK_ADDR}"}
    # the flat file really took the fast path, the master file the tokenizer
    with flat.open() as fh:
        assert len(list(_flat_records(fh))) == 11
    with master.open() as fh, pytest.raises(_NotFlat):
        list(_flat_records(fh))


def _user_sinkholes(tmp_path: Path) -> Path:
    path = tmp_path / "sinks.csv"
    path.write_text("address,192.0.2.66\n")
    return path
