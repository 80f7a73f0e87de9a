"""``--allowlist FILE``: one reader (``dgawatch.allowlist``) for export, gopack and hunt, so
the same file means the same names everywhere: plain lists and zone files, gzip and UTF-16,
bad lines named."""

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgawatch.allowlist import read_allowlist
from dgawatch.errors import InputError
from dgawatch.hunt import HuntOptions, hunt_paths
from tests.hunt import netsim


def test_plain_list(tmp_path: Path) -> None:
    p = tmp_path / "allow.txt"
    p.write_text("*.Example.COM.\n# note\n\nfoo.net  # ours\nBücher.de\n", encoding="utf-8")
    names, digest = read_allowlist(p)
    assert names == frozenset({"example.com", "foo.net", "xn--bcher-kva.de"})
    assert len(digest) == 64


def test_gzip_utf16_and_the_same_names(tmp_path: Path) -> None:
    text = "a.example\nb.example\n"
    gz, u16 = tmp_path / "allow.txt.gz", tmp_path / "allow16.txt"
    gz.write_bytes(gzip.compress(text.encode()))
    u16.write_text(text, encoding="utf-16")
    assert read_allowlist(gz)[0] == read_allowlist(u16)[0] == {"a.example", "b.example"}


def test_zone_file_owners_and_their_registered_domains(tmp_path: Path) -> None:
    z = tmp_path / "corp.zone"
    z.write_text(
        "; our zone\n$ORIGIN corp.example.\n$TTL 300\n@ IN SOA ns1 host 1 2 3 4 5\n"
        "www IN A 192.0.2.1\n*.cdn IN CNAME www\nshop.other.example.net. IN A 192.0.2.2\n"
    )
    assert read_allowlist(z)[0] == {
        "corp.example", "www.corp.example", "cdn.corp.example", "shop.other.example.net",
        "example.net",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"good.example\ntwo names.example\n", "allow.txt:2: 'two names.example' is not one name"),
        (b"good.example\nbad..name\n", "allow.txt:2: 'bad..name' is not a valid domain name"),
        (b"ok.example\n\xe9t\xe9.example\n", "--allowlist "),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, data: bytes, needle: str) -> None:
    p = tmp_path / "allow.txt"
    p.write_bytes(data)
    with pytest.raises(InputError, match=needle.replace(".", r"\.").replace("(", r"\(")):
        read_allowlist(p)


def test_hunt_takes_a_zone_file_as_export_does(tmp_path: Path) -> None:
    """A zone of the office's own names given to the hunt allows them (and all below them):
    the infected client whose DGA names the zone lists is no longer reported."""
    day = netsim.simulate(tmp_path / "dns.log", clients=300, seed=2)
    plain = {
        c
        for u in hunt_paths([day.path], HuntOptions(unknown_dga=True)).unknown_dga
        for c in u.clients
    }
    target = sorted(plain)[0]
    zone = tmp_path / "allow.zone"
    zone.write_text(
        "$TTL 60\n" + "".join(f"{n}. IN A 192.0.2.9\n" for n in sorted(day.dga_names[target]))
    )
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "hunt", str(day.path),
         "--json", "--allowlist", str(zone)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.splitlines()[-1])["summary"]
    after = {c for u in summary["unknown_dga"] for c in u["clients"]}
    assert after == plain - {target} and after
