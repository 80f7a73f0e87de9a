"""Sinkhole zone sets (BIND, NSD, Knot), every generated file through the servers' own
checkers (named-checkzone, named-checkconf, nsd-checkzone, nsd-checkconf, kzonecheck,
knotc conf-check, unbound-checkconf), and the ``export`` command as a script runs it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.export import ExportOptions, get_exporter
from dgawatch.families import get_family
from dgawatch.forecast import DayList
from tests.export.dns_servers import need

C = get_family("conficker").variant("c")
DAY = dt.date(2009, 4, 1)
SINKHOLE = {"policy": "sinkhole", "address": "192.0.2.66", "address6": "2001:db8::66"}
ZONE_CONF = {
    "bind-sinkhole": "named.conf.sinkhole",
    "nsd": "nsd.conf.sinkhole",
    "knot": "knot.conf.sinkhole",
}


@pytest.fixture(scope="module")
def day_list() -> DayList:
    return DayList(C, DAY, C.domains_blob(DAY))


def small(names: list[str]) -> DayList:
    return DayList(C, DAY, ("\n".join(names) + "\n").encode())


def export_dir(fmt: str, lists: list[DayList], out: Path, **opts: object) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    options = ExportOptions(serial=3, **opts)  # type: ignore[arg-type]
    stats = get_exporter(fmt).write(iter(lists), out, options)
    assert [p.name for p in stats.files] == ["sinkhole.zone", ZONE_CONF[fmt]]
    return out


def export_file(fmt: str, lists: list[DayList], out: Path, **opts: object) -> Path:
    with open(out, "wb") as fh:
        get_exporter(fmt).write(iter(lists), fh, ExportOptions(serial=3, **opts))  # type: ignore[arg-type]
    return out


def check(*argv: str) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{argv[0]}: {proc.stdout}{proc.stderr}"
    return proc.stdout + proc.stderr


# --- content -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(ZONE_CONF))
def test_zone_set_names_each_distinct_name_once(tmp_path: Path, fmt: str) -> None:
    out = export_dir(fmt, [small(["efgh.net", "abcd.com", "efgh.net"])], tmp_path, **SINKHOLE)
    conf = (out / ZONE_CONF[fmt]).read_text()
    assert conf.count("abcd.com") == 1 and conf.count("efgh.net") == 1
    assert conf.index("abcd.com") < conf.index("efgh.net")
    assert str(out.resolve() / "sinkhole.zone") in conf
    zone = (out / "sinkhole.zone").read_text().splitlines()
    assert "@ IN SOA @ hostmaster 3 3600 600 604800 300" in zone
    assert [z for z in zone if z.startswith(("@ IN A", "@ IN NS", "*"))] == [
        "@ IN NS @",
        "@ IN A 192.0.2.66",
        "@ IN AAAA 2001:db8::66",
    ]
    wild = export_dir(fmt, [small(["abcd.com"])], tmp_path / "w", wildcard=True, **SINKHOLE)
    assert "* IN AAAA 2001:db8::66" in (wild / "sinkhole.zone").read_text()


def test_zone_sets_are_deterministic(tmp_path: Path, day_list: DayList) -> None:
    for fmt, conf in ZONE_CONF.items():
        a = export_dir(fmt, [day_list], tmp_path / fmt, **SINKHOLE)
        first = (a / conf).read_bytes(), (a / "sinkhole.zone").read_bytes()
        b = export_dir(fmt, [day_list], tmp_path / fmt, **SINKHOLE)
        assert ((b / conf).read_bytes(), (b / "sinkhole.zone").read_bytes()) == first


def test_zone_sets_need_a_sinkhole_address(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="sinkhole address"):
        export_dir("nsd", [small(["abcd.com"])], tmp_path)


# --- the servers' checkers on every generated file ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("wildcard", [False, True])
@pytest.mark.parametrize("policy", ["nxdomain", "nodata", "sinkhole"])
def test_rpz_passes_named_checkzone(
    tmp_path: Path, day_list: DayList, policy: str, wildcard: bool
) -> None:
    need("named-checkzone")
    opts = SINKHOLE if policy == "sinkhole" else {"policy": policy}
    rpz = export_file("rpz", [day_list], tmp_path / "x.rpz", wildcard=wildcard, **opts)
    out = check("named-checkzone", "-k", "fail", "-i", "local", "rpz.dgawatch", str(rpz))
    assert "loaded serial 3" in out


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["nxdomain", "nodata", "sinkhole"])
def test_unbound_passes_unbound_checkconf(tmp_path: Path, day_list: DayList, policy: str) -> None:
    need("unbound-checkconf")
    opts = SINKHOLE if policy == "sinkhole" else {"policy": policy}
    conf = export_file("unbound", [day_list], tmp_path / "dga.conf", **opts)
    assert "no errors" in check("unbound-checkconf", str(conf))


def test_hosts_lines_are_address_and_name(tmp_path: Path, day_list: DayList) -> None:
    hosts = export_file("hosts", [day_list], tmp_path / "hosts", **SINKHOLE)
    lines = hosts.read_text().splitlines()
    assert lines[0].startswith("#") and len(lines) == 1 + 2 * 50_000
    pairs = [line.split(" ") for line in lines[1:]]
    assert {ipaddress.ip_address(addr).exploded for addr, _ in pairs} == {
        "192.0.2.66",
        "2001:0db8:0000:0000:0000:0000:0000:0066",
    }
    assert [name for _, name in pairs] == day_list.names() * 2


@pytest.mark.slow
@pytest.mark.parametrize("wildcard", [False, True])
def test_sinkhole_zone_passes_every_zone_checker(
    tmp_path: Path, day_list: DayList, wildcard: bool
) -> None:
    need("named-checkzone", "nsd-checkzone", "kzonecheck")
    out = export_dir("nsd", [day_list], tmp_path, wildcard=wildcard, **SINKHOLE)
    zone = str(out / "sinkhole.zone")
    for origin in sorted(set(day_list.names()))[::5000]:  # the one file, under many origins
        check("named-checkzone", "-k", "fail", "-n", "fail", "-i", "full", origin, zone)
        check("nsd-checkzone", origin, zone)
        check("kzonecheck", "-o", origin, zone)


@pytest.mark.slow
def test_zone_set_configs_pass_the_config_checkers(tmp_path: Path, day_list: DayList) -> None:
    need("named-checkconf", "nsd-checkconf", "knotc")
    bind = export_dir("bind-sinkhole", [day_list], tmp_path / "bind", **SINKHOLE)
    check("named-checkconf", str(bind / "named.conf.sinkhole"))
    few = export_dir(
        "bind-sinkhole", [small(["abcd.com", "efgh.net"])], tmp_path / "few", **SINKHOLE
    )
    check("named-checkconf", "-z", str(few / "named.conf.sinkhole"))  # also loads each zone

    nsd = export_dir("nsd", [day_list], tmp_path / "nsd", **SINKHOLE)
    main = tmp_path / "nsd.conf"
    main.write_text(
        f'server:\n    zonesdir: "{tmp_path}"\n    database: ""\n'
        f'include: "{nsd / "nsd.conf.sinkhole"}"\n'
    )
    check("nsd-checkconf", str(main))

    knot = export_dir("knot", [day_list], tmp_path / "knot", **SINKHOLE)
    main = tmp_path / "knot.conf"
    main.write_text(  # a main config with its own template and zone sections, as users have
        f'template:\n  - id: default\n    storage: "{tmp_path}"\n'
        f'zone:\n  - domain: example.test\n    file: "{knot / "sinkhole.zone"}"\n'
        f'include: "{knot / "knot.conf.sinkhole"}"\n'
    )
    assert "valid" in check("knotc", "-c", str(main), "conf-check")


# --- the CLI ------------------------------------------------------------------------------


def cli(*args: str, check_rc: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    if check_rc:
        assert proc.returncode == 0, proc.stderr
    return proc


BASE = ("--family", "conficker", "--variant", "c", "--start", "2009-04-01")


def test_cli_rpz_to_file(tmp_path: Path, day_list: DayList) -> None:
    out = tmp_path / "x.rpz"
    proc = cli("export", "rpz", *BASE, "--output", str(out), "--serial", "2009040100")
    distinct = len(set(day_list.names()))  # 49,998: two names recur that day, written once
    assert f"exported {distinct:,} names as rpz" in proc.stderr
    zone = out.read_text()
    assert "hostmaster.localhost. 2009040100 " in zone
    assert zone.count(" CNAME .\n") == distinct
    again = tmp_path / "y.rpz"
    cli("export", "rpz", *BASE, "--output", str(again), "--serial", "2009040100")
    assert again.read_bytes() == out.read_bytes()


def test_cli_nsd_directory_and_hosts_to_stdout(tmp_path: Path) -> None:
    out = tmp_path / "nsd"
    cli("export", "nsd", *BASE, "--address", "192.0.2.66", "--wildcard", "--output", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["nsd.conf.sinkhole", "sinkhole.zone"]
    assert "* IN A 192.0.2.66" in (out / "sinkhole.zone").read_text()
    hosts = cli("export", "hosts", *BASE, "--address", "192.0.2.66", "--tld", "ru").stdout
    lines = hosts.splitlines()[1:]
    assert lines and all(x.startswith("192.0.2.66 ") and x.endswith(".ru") for x in lines)


def test_cli_errors(tmp_path: Path) -> None:
    proc = cli("export", "knot", *BASE, "--output", str(tmp_path / "k"), check_rc=False)
    assert proc.returncode == 2 and "--address" in proc.stderr
    proc = cli("export", "bind-sinkhole", *BASE, "--address", "192.0.2.1", check_rc=False)
    assert proc.returncode == 2 and "give --output" in proc.stderr
    proc = cli("export", "unbound", *BASE, "--policy", "drop", check_rc=False)
    assert proc.returncode == 2 and "unknown policy" in proc.stderr


@pytest.mark.parametrize("fmt", ["nsd", "knot", "bind-sinkhole"])
def test_cli_refusal_creates_no_directory(tmp_path: Path, fmt: str) -> None:
    """QA: 'export --format nsd --output nsdout' without --address refused (exit 2) but left
    an empty nsdout/ behind."""
    out = tmp_path / "nsdout"
    proc = cli("export", "--format", fmt, *BASE, "--output", str(out), check_rc=False)
    assert proc.returncode == 2 and "--address" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()
