"""Registry go-packs: Conficker C November 2014 for ``.nl`` and ``.uk``, checked against the
netlab360 ground truth, with collisions from plain lists and zone files, and a manifest
whose hashes are recomputed here."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.families import get_family
from dgawatch.gopack import build_gopack, load_registered, months, zone_owner_names
from shared_data import read_csv

C = get_family("conficker").variant("c")
NOV = dt.date(2014, 11, 1)


def truth(domain: str) -> dt.date:
    rows = read_csv("conficker/conficker_c_netlab360_sample_matched.csv")
    row = next(r for r in rows if r["domain"] == domain)
    return dt.date.fromisoformat(row["matched_date_index"].split("#")[0])


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def check_manifest(pack: Path) -> dict[str, object]:
    """Every file listed with its true count and SHA-256, and nothing else in the pack."""
    manifest = json.loads((pack / "MANIFEST.json").read_text())
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {str(p.relative_to(pack)) for p in pack.rglob("*") if p.is_file()} - {"MANIFEST.json"}
    assert listed == on_disk
    for f in manifest["files"]:
        data = (pack / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
        lines = data.decode("ascii").splitlines()
        assert f["count"] == (len(lines) - 1 if f["path"].endswith(".csv") else len(lines))
    return manifest


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gp") / "pack"
    proc = cli(
        "gopack", "--tld", "nl", "--tld", "uk", "--start", "2014-11-01", "--months", "2",
        "--family", "conficker", "--output", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return out


def test_layout_and_ground_truth(pack: Path) -> None:
    assert sorted(str(p.relative_to(pack)) for p in pack.rglob("*.txt")) == [
        "nl/2014-11.txt", "nl/2014-12.txt", "uk/2014-11.txt", "uk/2014-12.txt",
    ]  # fmt: skip
    assert truth("xpun.nl").strftime("%Y-%m") == "2014-11"
    nl = (pack / "nl/2014-11.txt").read_text().splitlines()
    assert "xpun.nl" in nl
    assert nl == sorted(set(nl)) and all(n.endswith(".nl") for n in nl)
    # co.uk belongs to the uk registry.
    assert truth("hzmb.co.uk").strftime("%Y-%m") == "2014-11"
    uk = (pack / "uk/2014-11.txt").read_text().splitlines()
    assert "hzmb.co.uk" in uk
    assert uk == sorted(set(uk)) and all(n.endswith(".uk") for n in uk)
    assert "xpun.nl" not in uk


def test_month_file_is_the_union_of_the_day_lists(pack: Path) -> None:
    days = [NOV + dt.timedelta(days=i) for i in range(30)]
    expected = sorted({n for d in days for n in C.domains(d) if n.endswith(".nl")})
    assert (pack / "nl/2014-11.txt").read_text().splitlines() == expected


def test_manifest(pack: Path) -> None:
    from dgawatch import __version__

    m = check_manifest(pack)
    assert m["schema"] == "gopack/1"
    assert m["generator"] == {"name": "dgawatch", "version": __version__}
    assert (m["start"], m["end"]) == ("2014-11-01", "2014-12-31")
    assert m["months"] == ["2014-11", "2014-12"] and m["tlds"] == ["nl", "uk"]
    assert m["families"] == ["conficker"]
    assert [v["variant"] for v in m["variants"]] == ["a", "b", "c"]
    assert m["excluded_registered"] is None


def test_deterministic(pack: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_gopack([*get_family("conficker").variants], ["uk", "nl"], NOV, 2, again)
    for p in pack.rglob("*"):
        if p.is_file():
            assert (again / p.relative_to(pack)).read_bytes() == p.read_bytes(), p


ZONE = """\
$ORIGIN nl.
$TTL 3600
@       IN SOA ns1.dns.nl. hostmaster.dns.nl. (
            2014110101 ; serial
            3600 600 2419200 600 )
        IN NS  ns1.dns.nl.
xpun    IN NS  ns1.example.net.   ; a Conficker C name, registered
        IN NS  ns2.example.net.
ns1.{glue} IN A 192.0.2.1
unrelated-name-42 IN NS ns1.example.net.
other.org. IN A 192.0.2.2
"""


def _second_nl_name() -> str:
    return sorted({n for n in C.domains(NOV + dt.timedelta(days=4)) if n.endswith(".nl")})[0]


def test_zone_owner_names(tmp_path: Path) -> None:
    zone = tmp_path / "nl.zone"
    zone.write_text(ZONE.format(glue="abc"))
    assert list(zone_owner_names(zone)) == [
        "nl", "xpun.nl", "ns1.abc.nl", "unrelated-name-42.nl", "other.org",
    ]  # fmt: skip
    assert load_registered(zone, ["nl"]) == {
        "xpun.nl", "ns1.abc.nl", "abc.nl", "unrelated-name-42.nl",
    }  # fmt: skip


def test_zone_with_relative_names_needs_an_origin(tmp_path: Path) -> None:
    zone = tmp_path / "bad.zone"
    zone.write_text("xpun IN NS ns1.example.net.\n")
    with pytest.raises(InputError, match="ORIGIN"):
        list(zone_owner_names(zone))


def test_a_hosts_file_given_as_registered_names_says_how_it_was_read(tmp_path: Path) -> None:
    """A hosts file (address and name a line) is taken for a zone file: the error says why,
    and what a plain list looks like, not only '$ORIGIN'."""
    hosts = tmp_path / "hosts"
    hosts.write_text("# block list\n0.0.0.0 xpun.nl\n")
    with pytest.raises(InputError, match=r"read as a DNS zone file.*one name a line"):
        load_registered(hosts, ["nl"])


@pytest.mark.parametrize("kind", ["zone", "list"])
def test_collisions(kind: str, tmp_path: Path) -> None:
    glue = _second_nl_name()  # registered, seen only through a host below it
    label = glue.removesuffix(".nl")
    registered = tmp_path / f"registered.{kind}"
    if kind == "zone":
        registered.write_text(ZONE.format(glue=label))
    else:
        registered.write_text(f"# registered names\nXPUN.NL\nwww.{glue}\nexample.com\n")
    out = tmp_path / "pack"
    proc = cli(
        "gopack", "--tld", "nl", "--start", "2014-11-01", "--family", "conficker",
        "--output", str(out), "--exclude-registered", str(registered),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    manifest = check_manifest(out)
    assert manifest["excluded_registered"]["file"] == registered.name  # type: ignore[index]

    with open(out / "nl/collisions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["name", "month", "family", "variant", "first_day"]
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"xpun.nl", glue}
    xpun = by_name["xpun.nl"]
    assert (xpun["month"], xpun["family"], xpun["variant"]) == ("2014-11", "conficker", "c")
    first = min(d for d in months(NOV, 1)[0].days() if "xpun.nl" in C.domains(d))
    assert xpun["first_day"] == first.isoformat()
    assert first <= truth("xpun.nl")
    names = (out / "nl/2014-11.txt").read_text().splitlines()
    assert "xpun.nl" not in names and glue not in names
    assert len(names) > 10_000


def test_errors(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    proc = cli("gopack", "--tld", "nl", "--start", "2014-11-01", "--output",
               str(tmp_path / "full"), "--family", "conficker")  # fmt: skip
    assert proc.returncode == 2 and "not an empty directory" in proc.stderr
    proc = cli("gopack", "--tld", "n/l", "--start", "2014-11-01", "--output",
               str(tmp_path / "o"), "--family", "conficker")  # fmt: skip
    assert proc.returncode == 2 and "--tld" in proc.stderr
    assert not os.path.exists(tmp_path / "o")


def test_a_tld_that_selects_nothing_is_refused_before_generating(tmp_path: Path) -> None:
    """QA: '--tld zz' generated every family for a month, then wrote an empty pack, exit 0.
    No registered family generates under .zz (ISO 3166 user-assigned, never delegated)."""
    out = tmp_path / "p6"
    proc = cli("gopack", "--tld", "zz", "--start", "2026-01-01", "--months", "1",
               "--output", str(out))  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--tld zz" in lines[0], proc.stderr
    assert not out.exists()
    # Each --tld is a folder of its own: one empty among useful ones is refused too, by name.
    with pytest.raises(InputError, match=r"--tld zz\b"):
        build_gopack([C], ["nl", "zz"], NOV, 1, tmp_path / "mixed")
    assert not (tmp_path / "mixed").exists()
