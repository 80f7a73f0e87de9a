"""``dgawatch org``: claims proven by a TXT record served by a real NSD on loopback, by a
token mailed to the abuse contact (a real aiosmtpd server) and given back; keys; revocation;
what each role's scope matcher lets through."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dgawatch.orgs import Org, OrgStore, Scope, ScopeMatcher
from tests.export.dns_servers import free_port, need, nsd_conf, running, start_nsd
from tests.web.smtp import smtp_server

CLI = "from dgawatch.cli import main; main()"


def org(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    return subprocess.run([sys.executable, "-c", CLI, "org", *args], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip


def test_claim_proven_by_txt_record_on_a_real_nsd(tmp_path: Path) -> None:
    need("nsd")
    home = tmp_path / "home"
    added = org(home, "add", "acme", "--email", "noc@acme.example", "--contact",
                "abuse@acme.example", "--cidr", "203.0.113.0/24",
                "--domain", "acme.example")  # fmt: skip
    assert added.returncode == 0, added.stderr
    scopes = OrgStore(home / "orgs.json").get("acme").scopes
    cidr, domain = scopes
    assert cidr.txt_name == domain.txt_name == "_dgawatch-challenge.acme.example"
    assert f'"{cidr.txt_value}"' in added.stdout
    # The claimant publishes only the prefix's token (and a decoy) under the contact's domain.
    zone = tmp_path / "acme.example.zone"
    zone.write_text(
        "$TTL 60\n@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n"
        f'_dgawatch-challenge IN TXT "{cidr.txt_value}"\n'
        '_dgawatch-challenge IN TXT "dgawatch-verification=someone-elses"\n'
    )
    port = free_port()
    conf = nsd_conf(tmp_path, port, f'zone:\n    name: "acme.example"\n    zonefile: "{zone}"\n')
    with running(start_nsd(tmp_path, conf, port)) as nsd:
        nsd.wait_ready("ns.acme.example", lambda m: bool(m.answer))
        checked = org(home, "verify", "acme", "--resolver", f"127.0.0.1:{port}")
    assert checked.returncode == 2  # the domain's own token is not published
    assert "1 claim(s) of acme not proven" in checked.stderr
    assert "Traceback" not in checked.stderr and len(checked.stderr.splitlines()) == 1
    assert "cidr:203.0.113.0/24: verified (dns)" in checked.stdout
    after = {s.label: s for s in OrgStore(home / "orgs.json").get("acme").scopes}
    assert after["cidr:203.0.113.0/24"].status == "verified"
    assert after["cidr:203.0.113.0/24"].method == "dns"
    assert after["domain:acme.example"].status == "pending"


def test_token_mailed_to_the_abuse_contact_and_given_back(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert (
        org(home, "add", "beta", "--contact", "abuse@beta.example", "--asn", "AS64500").returncode
        == 0
    )
    with smtp_server() as (port, inbox):
        sent = org(home, "verify", "beta", "--mail", "--smtp", f"127.0.0.1:{port}")
        assert sent.returncode == 0, sent.stderr
    assert len(inbox) == 1 and inbox[0][1] == ["abuse@beta.example"]
    body = message_from_bytes(inbox[0][2]).get_payload(decode=True).decode()
    token = OrgStore(home / "orgs.json").get("beta").scopes[0].token
    assert token in body
    wrong = org(home, "verify", "beta", "--token", "x" + token)
    assert wrong.returncode == 2 and "token does not match" in wrong.stdout
    right = org(home, "verify", "beta", "--token", token)
    assert right.returncode == 0 and "asn:AS64500: verified (mail)" in right.stdout


def test_keys_list_and_revoke(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert org(home, "add", "gamma", "--domain", "gamma.example").returncode == 0
    made = org(home, "key", "gamma")
    key_id = made.stdout.split()[1]
    secret = made.stdout.split()[3]
    store = OrgStore(home / "orgs.json")
    assert store.by_key(key_id) is not None
    listed = org(home, "list", "--json")
    assert secret not in listed.stdout and key_id in listed.stdout
    assert store.get("gamma").scopes[0].token not in listed.stdout
    assert json.loads(listed.stdout)[0]["scopes"][0]["status"] == "pending"
    assert org(home, "revoke", "gamma", "--key", key_id).returncode == 0
    assert store.by_key(key_id) is None
    bad = org(home, "add", "Bad Name!")
    assert bad.returncode == 2 and "organisation name" in bad.stderr
    unreachable = org(home, "add", "x", "--cidr", "10.0.0.0/24", "--rdap", "http://127.0.0.1:1")
    assert unreachable.returncode == 2 and "give --contact" in unreachable.stderr


class FakeEnrich:
    def asn(self, address: str) -> int | None:
        return 64500 if address.startswith("198.51.100.") else None

    def country(self, address: str) -> str | None:
        return "NL" if address.startswith(("198.51.100.", "192.0.2.")) else None


@pytest.mark.parametrize(
    ("role", "scopes", "sees"),
    [
        ("org", [("cidr", "203.0.113.0/25", "verified")], {"203.0.113.5"}),
        ("org", [("cidr", "203.0.113.0/25", "pending")], set()),
        ("org", [("asn", "AS64500", "verified")], {"198.51.100.9"}),
        ("cert", [("country", "NL", "verified")], {"198.51.100.9", "192.0.2.1"}),
        ("admin", [], {"203.0.113.5", "203.0.113.200", "198.51.100.9", "192.0.2.1"}),
        ("org", [("cidr", "203.0.113.0/25", "revoked")], set()),
    ],
)
def test_scope_matcher(role: str, scopes: list[tuple[str, str, str]], sees: set[str]) -> None:
    o = Org("t", role=role, scopes=[Scope(k, v, status) for k, v, status in scopes])
    m = ScopeMatcher(o)
    addresses = {"203.0.113.5", "203.0.113.200", "198.51.100.9", "192.0.2.1"}
    assert {a for a in addresses if m.address(a, FakeEnrich())} == sees
    o.revoked = "now"
    assert not any(ScopeMatcher(o).address(a, FakeEnrich()) for a in addresses)


def _rdap_entity(handle: str, roles: list[str], email: str | None, inner: list[Any]) -> Any:
    card: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", handle]]
    if email:
        card.append(["email", {}, "text", email])
    return {"objectClassName": "entity", "handle": handle, "roles": roles,
            "vcardArray": ["vcard", card], "entities": inner}  # fmt: skip


RDAP = {
    # As RIRs publish them: the abuse role nested under the registrant's entity.
    "/autnum/64500": {
        "objectClassName": "autnum", "handle": "AS64500", "startAutnum": 64500,
        "entities": [_rdap_entity("ORG-B", ["registrant"], "info@b.example",
                                  [_rdap_entity("AB-B", ["abuse"], "Abuse@B.example", [])])],
    },
    "/ip/203.0.113.0/24": {
        "objectClassName": "ip network", "handle": "NET-A", "startAddress": "203.0.113.0",
        "entities": [_rdap_entity("TECH", ["technical"], "tech@a.example", []),
                     _rdap_entity("ABUSE-A", ["abuse"], "abuse@a.example", [])],
    },
    "/ip/198.18.0.0/24": {"objectClassName": "ip network", "handle": "NET-X",
                           "entities": [_rdap_entity("T", ["technical"], "t@x.example", [])]},
}  # fmt: skip


@contextmanager
def rdap_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            doc = RDAP.get(self.path)
            body = json.dumps(doc or {"errorCode": 404}).encode()
            self.send_response(200 if doc else 404)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_abuse_contact_from_rdap(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with rdap_server() as base:
        added = org(home, "add", "ab", "--asn", "AS64500", "--cidr", "203.0.113.0/24",
                    "--rdap", base)  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "asn:AS64500 abuse contact from RDAP: abuse@b.example" in added.stdout
        none = org(home, "add", "cd", "--cidr", "198.18.0.0/24", "--rdap", base)
        unknown = org(home, "add", "ef", "--asn", "AS64511", "--rdap", base)
    scopes = {s.label: s for s in OrgStore(home / "orgs.json").get("ab").scopes}
    assert scopes["asn:AS64500"].txt_name == "_dgawatch-challenge.b.example"
    assert scopes["cidr:203.0.113.0/24"].contact == "abuse@a.example"
    assert none.returncode == 2 and "names no abuse contact" in none.stderr
    assert unknown.returncode == 2 and "no such asn" in unknown.stderr


def test_end_to_end_cli_and_served_api(tmp_path: Path) -> None:
    """`dgawatch org` and `dgawatch web serve` (its --store elsewhere) in one data
    directory: the key made by the CLI signs API requests to the served portal."""
    import datetime as dt
    import time

    import httpx

    from dgawatch.sinkhole.events import SinkholeEvent
    from dgawatch.sinkhole.store import write_events
    from dgawatch.web.auth import sign
    from tests.web.test_portal import _free_port, _wait_up

    home = tmp_path / "home"
    day = dt.date(2026, 11, 27)
    t0 = int(dt.datetime.combine(day, dt.time(9), dt.UTC).timestamp() * 1000)
    write_events([SinkholeEvent(ts=t0 + i, proto="dns/udp", src_ip=ip, src_port=5353,
                                dst_ip="192.0.2.53", dst_port=53, domain="abc.com",
                                family="conficker", variant="c", day=day.isoformat(),
                                qname="abc.com", qtype="A")
                  for i, ip in enumerate(("203.0.113.7", "198.51.100.7"))],
                 home / "sinkhole")  # fmt: skip
    assert org(home, "add", "acme", "--cidr", "203.0.113.0/24", "--contact",
               "abuse@acme.example").returncode == 0  # fmt: skip
    assert org(home, "verify", "acme", "--grant").returncode == 0
    made = org(home, "key", "acme").stdout.split()
    key_id, secret = made[1], made[3]
    port = _free_port()
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    argv = [sys.executable, "-c", CLI, "web", "serve", "--port", str(port),
            "--store", str(tmp_path / "elsewhere" / "forecast.duckdb")]  # fmt: skip
    quiet = subprocess.DEVNULL
    proc = subprocess.Popen(argv, env=env, stdout=quiet, stderr=quiet)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url, proc)
        path = "/api/v1/reports/download"
        body = json.dumps({"date": day.isoformat(), "type": "dns", "format": "csv"}).encode()
        ts = int(time.time())
        r = httpx.post(url + path, content=body, timeout=60, headers={
            "X-Dgawatch-Key": key_id, "X-Dgawatch-Timestamp": str(ts),
            "X-Dgawatch-Signature": sign(secret, ts, "POST", path, body)})  # fmt: skip
        assert r.status_code == 200, r.text
        assert "203.0.113.7" in r.text and "198.51.100.7" not in r.text
        anon = httpx.post(url + path, content=body, timeout=60)
        assert anon.status_code == 401 and "203.0.113.7" not in anon.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
