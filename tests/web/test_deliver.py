"""``dgawatch deliver``: daily digests received by a real SMTP server (aiosmtpd on
loopback) and parsed: each organisation gets its own addresses only, new hosts, the
reports as CSV attachments and capability links that the portal serves; a day is delivered
once; temporary SMTP failures are retried, and what still fails is sent by the next run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dgawatch.deliver import deliver, delivered, resolve_link
from dgawatch.orgs import Org, OrgStore, Scope
from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.store import write_events
from dgawatch.web.app import create_app

from .smtp import Mail, smtp_server
from .test_authz_matrix import ADDRS, DAY, DAY2, EVERY, _events

CLI = "from dgawatch.cli import main; main()"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    # DAY: every address; DAY2: the same plus one new address of A.
    extra = [e for e in _events(DAY2) if e.src_ip == ADDRS["a"][0]]
    extra = [type(e)(**{**e.__dict__, "src_ip": "203.0.113.99"}) for e in extra]
    write_events([*_events(DAY), *_events(DAY2), *extra], home / "sinkhole")
    (home / "asn.txt").write_text("198.51.100.0/24 64500\n")
    (home / "cc.txt").write_text("192.0.2.0/24 NL\n")
    with OrgStore(home / "orgs.json").edit() as orgs:
        orgs["org-a"] = Org("org-a", email="noc@a.example",
                            scopes=[Scope("cidr", "203.0.113.0/25", "verified")])  # fmt: skip
        orgs["org-b"] = Org("org-b", email="noc@b.example",
                            scopes=[Scope("asn", "AS64500", "verified")])  # fmt: skip
        orgs["nl-cert"] = Org("nl-cert", role="cert", email="cert@nl.example",
                              scopes=[Scope("country", "NL", "verified")])  # fmt: skip
        orgs["quiet"] = Org("quiet", email="noc@quiet.example",
                            scopes=[Scope("cidr", "10.9.0.0/16", "verified")])  # fmt: skip
        orgs["operator"] = Org("operator", role="admin", email="ops@example")
    return home


def _enrich(home: Path) -> Enricher:
    return Enricher(asn_db=home / "asn.txt", country_db=home / "cc.txt", packages=False)


def _run(home: Path, port: int, day: dt.date = DAY, **kw: object) -> dict[str, str]:
    out = deliver(day, data_dir=home, sinkhole_dir=home / "sinkhole", smtp=("127.0.0.1", port),
                  sender="dgawatch@example", portal_url="http://127.0.0.1:8080",
                  enrich=_enrich(home), pause_s=0.01, **kw)  # type: ignore[arg-type]  # fmt: skip
    return {o.org: o.status for o in out}


def _parse(mail: Mail) -> EmailMessage:
    msg = message_from_bytes(mail[2], policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _attachments(msg: EmailMessage) -> dict[str, list[dict[str, str]]]:
    found = {}
    for part in msg.iter_attachments():
        name = part.get_filename()
        assert name is not None
        found[name] = list(csv.DictReader(io.StringIO(part.get_content())))
    return found


def test_digests_each_organisation_its_own(home: Path) -> None:
    with smtp_server() as (port, inbox):
        assert _run(home, port) == {"org-a": "sent", "org-b": "sent", "nl-cert": "sent",
                                    "quiet": "skipped", "operator": "skipped"}  # fmt: skip
        again = _run(home, port)
        assert set(again.values()) == {"skipped"}  # a day is delivered once
        assert len(inbox) == 3
        nxt = _run(home, port, day=DAY2)
        assert [k for k, v in nxt.items() if v == "sent"] == ["org-a", "org-b", "nl-cert"]
    by_to = {m[1][0]: _parse(m) for m in inbox[:3]}
    for who, to in (("a", "noc@a.example"), ("b", "noc@b.example"), ("cert", "cert@nl.example")):
        msg = by_to[to]
        body = msg.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        mine = set(ADDRS[who])
        assert f"Addresses seen: {len(mine)} (HTTP {len(mine)}, DNS {len(mine)})" in text
        assert {a for a in EVERY if a in msg.as_string()} == mine  # no one else's address
        assert f"New addresses (not seen in the 7 days before): {len(mine)}" in text
        assert "MS08-067" in text  # Conficker remediation
        files = _attachments(msg)
        assert sorted(files) == sorted(f"{msg['X-Dgawatch-Digest'].split()[0]}_{DAY}_{k}.csv"
                                       for k in ("http", "dns"))  # fmt: skip
        for rows in files.values():
            assert {r["src_ip"] for r in rows} == mine
    # Next day: A's one new address is the only new host.
    day2 = next(_parse(m) for m in inbox[3:] if m[1] == ["noc@a.example"])
    text2 = day2.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "New addresses (not seen in the 7 days before): 1\n  203.0.113.99\n" in text2
    assert delivered(home, "org-a", DAY) and delivered(home, "org-a", DAY2)


def test_digest_links_are_served_to_their_holder_only(home: Path) -> None:
    with smtp_server() as (port, inbox):
        _run(home, port, only="org-b")
    text = _parse(inbox[0]).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    links = re.findall(r"http://127\.0\.0\.1:8080(/d/[A-Za-z0-9_-]+/(?:http|dns)\.csv)", text)
    assert len(links) == 2
    token = links[0].split("/")[2]
    assert resolve_link(home, token) == ("org-b", DAY)
    app = create_app(store_path=home / "none.duckdb", sinkhole_dir=home / "sinkhole",
                     enrich=_enrich(home))  # fmt: skip
    with TestClient(app, base_url="http://127.0.0.1") as c:
        for link in links:
            r = c.get(link)
            assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
            rows = list(csv.DictReader(io.StringIO(r.text)))
            assert {row["src_ip"] for row in rows} == set(ADDRS["b"])
        for bad in (links[0].replace(token, token[:-1] + ("A" if token[-1] != "A" else "B")),
                    "/d/x/http.csv", links[0].replace("http.csv", "raw.csv")):  # fmt: skip
            r = c.get(bad)
            assert r.status_code == 404 and not {a for a in EVERY if a in r.text}
        with OrgStore(home / "orgs.json").edit() as orgs:
            orgs["org-b"].revoked = "now"
        assert c.get(links[0]).status_code == 404  # a revoked organisation's links die


def test_temporary_failures_are_retried(home: Path) -> None:
    with smtp_server(fail_first=2) as (port, inbox):
        assert _run(home, port, only="org-a", retries=3)["org-a"] == "sent"
    assert len(inbox) == 1
    with smtp_server(fail_first=10) as (port, inbox):
        assert _run(home, port, only="org-b", retries=1)["org-b"] == "failed"
        assert not inbox and not delivered(home, "org-b", DAY)
    with smtp_server() as (port, inbox):  # the next run sends what failed, only that
        assert _run(home, port) == {"org-a": "skipped", "org-b": "sent", "nl-cert": "sent",
                                    "quiet": "skipped", "operator": "skipped"}  # fmt: skip
        assert sorted(m[1][0] for m in inbox) == ["cert@nl.example", "noc@b.example"]


def test_deliver_command(home: Path) -> None:
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    args = [sys.executable, "-c", CLI, "deliver",
            "--asn-db", str(home / "asn.txt"), "--country-db", str(home / "cc.txt"),
            "--sinkhole-dir", str(home / "sinkhole"), "--retries", "0"]  # fmt: skip
    with smtp_server() as (port, inbox):
        done = subprocess.run([*args, "--date", DAY.isoformat(), "--smtp", f"127.0.0.1:{port}"],
                              capture_output=True,
                              text=True, env=env, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "org-a: sent (noc@a.example)" in done.stdout
        assert len(inbox) == 3
    port = 1  # nothing listens there
    # --day: the old spelling of --date, still accepted
    down = subprocess.run([*args, "--day", DAY2.isoformat(), "--smtp", f"127.0.0.1:{port}"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert down.returncode == 2 and "3 digest(s)" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1 and "Traceback" not in down.stderr
    bad = subprocess.run([*args, "--smtp", "nohost"], capture_output=True, text=True, env=env,
                         timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "--smtp" in bad.stderr


def test_deliver_takes_date_like_the_other_one_day_commands(home: Path) -> None:
    env = dict(os.environ, DGAWATCH_HOME=str(home))

    def deliver(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", CLI, "deliver", *args], capture_output=True,
                              text=True, env=env, timeout=120)  # fmt: skip

    helped = deliver("--help")
    assert helped.returncode == 0 and "--date" in helped.stdout and "--day" not in helped.stdout
    bad = deliver("--date", "2026-13-01")
    assert bad.returncode == 2 and "--date" in bad.stderr and "Traceback" not in bad.stderr
    clash = deliver("--date", DAY.isoformat(), "--day", DAY2.isoformat())
    assert clash.returncode == 2
    assert clash.stderr.strip().endswith("give one (--day is --date's old name)")


def test_remediation_comes_from_the_family_modules() -> None:
    """Each family seen is advised from its own module (``Family.remediation``), once; a
    family without advice of its own and a name no family has add nothing; the advice for
    any family closes the list."""
    from dgawatch.deliver import _remediation
    from dgawatch.families import get_family
    from dgawatch.families.base import Family

    generic = Family.__dataclass_fields__["remediation"].default
    conficker, ramnit = get_family("conficker"), get_family("ramnit")
    assert "MS08-067" in conficker.remediation and "file infector" in ramnit.remediation
    assert get_family("banjori").remediation == generic  # no advice of its own
    got = _remediation({"ramnit", "conficker", "banjori", "no-such-family"})
    assert got == [conficker.remediation, ramnit.remediation, generic]
    assert _remediation(set()) == [generic]


def test_deliver_to_an_ipv6_relay_in_brackets(home: Path) -> None:
    # before: the brackets stayed in the host ('[::1]' looked up as a name), port 0 was taken
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    args = [sys.executable, "-c", CLI, "deliver", "--date", DAY.isoformat(),
            "--asn-db", str(home / "asn.txt"), "--country-db", str(home / "cc.txt"),
            "--sinkhole-dir", str(home / "sinkhole"), "--retries", "0"]  # fmt: skip
    with smtp_server(host="::1") as (port, inbox):
        done = subprocess.run([*args, "--smtp", f"[::1]:{port}"], capture_output=True,
                              text=True, env=env, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert len(inbox) == 3
    zero = subprocess.run([*args, "--smtp", "127.0.0.1:0"], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert zero.returncode == 2 and "port 1-65535" in zero.stderr
