"""Domain scopes (issue 16): an organisation with a verified domain (a registry's TLD, a
company's domain) gets the registration watch's names under it, with their state, through
the API (``reports/watch``), ``/my`` and ``/my/watch.csv``; nothing under other domains,
and no sinkhole address (no address is a domain owner's). A real watch store written
through its own API; expected names restated here from what the test wrote."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from dgawatch.orgs import Org, OrgStore, Scope, new_key
from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.store import write_events
from dgawatch.web.app import create_app
from dgawatch.web.auth import RateLimit

from .test_authz_matrix import DATE, DAY, EVERY, World, _events, call, headers
from .test_dashboard import WATCH, write_watch

#: Names write_watch records, by TLD, with their state.
NAMES = {f"{family}{i}.{tld}": state for (tld, family), states in WATCH.items()
         for i, state in enumerate(states)}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home = tmp_path_factory.mktemp("domains")
    write_events(_events(DAY), home / "sinkhole")
    write_watch(home)
    w = World(home)
    orgs = {
        "registry": Org("net-registry", email="ops@nic.example",
                        scopes=[Scope("domain", "net", "verified", method="dns")]),
        "owner": Org("acme", email="noc@acme.example",
                     scopes=[Scope("domain", "acme.example", "verified", method="dns")]),
        "pending": Org("com-registry", email="ops@com.example",
                       scopes=[Scope("domain", "com", "pending")]),
        "net": Org("org-net", email="noc@n.example",
                   scopes=[Scope("cidr", "203.0.113.0/24", "verified", method="dns")]),
        "admin": Org("operator", role="admin"),
    }  # fmt: skip
    with OrgStore(home / "orgs.json").edit() as stored:
        for who, org in orgs.items():
            key = new_key()
            org.keys.append(key)
            stored[org.name] = org
            w.keys[who] = (key.key_id, key.secret)
    return w


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.home / "forecast.duckdb", world.home / "sinkhole",
                     enrich=Enricher(packages=False),
                     rate_limit=RateLimit(burst=10_000, per_s=1000))  # fmt: skip
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_watch_names_under_the_callers_domains(client: TestClient, world: World) -> None:
    doc = call(client, world, "registry", "reports/watch", {}).json()
    got = {r["domain"]: r["state"] for r in doc["rows"]}
    assert got == {n: s for n, s in NAMES.items() if n.endswith(".net")} and got
    assert doc["truncated"] is False and doc["columns"][0] == "domain"
    everything = call(client, world, "admin", "reports/watch", {}).json()
    assert {r["domain"]: r["state"] for r in everything["rows"]} == NAMES
    assert len(call(client, world, "admin", "reports/watch", {"limit": 2}).json()["rows"]) == 2
    none = call(client, world, "owner", "reports/watch", {"format": "csv"})
    assert none.status_code == 200 and none.text.splitlines() == [",".join(doc["columns"])]
    table = call(client, world, "registry", "reports/watch", {"format": "csv"}).text
    assert {r["domain"] for r in csv.DictReader(io.StringIO(table))} == set(got)


def test_others_are_refused(client: TestClient, world: World) -> None:
    assert call(client, world, "anon", "reports/watch", {}).status_code == 401
    for who in ("net", "pending"):  # an address scope only; an unproven domain
        r = call(client, world, who, "reports/watch", {})
        assert r.status_code == 403 and not any(n in r.text for n in NAMES), who


def test_a_domain_owner_sees_no_address(client: TestClient, world: World) -> None:
    """A domain scope selects no sinkhole row: stats are zero, reports empty."""
    stats = call(client, world, "registry", "reports/stats", {"date": DATE}).json()["rows"]
    assert stats and all(r["addresses"] == 0 and r["events"] == 0 for r in stats)
    for kind in ("http", "dns"):
        r = call(client, world, "registry", "reports/download", {"date": DATE, "type": kind})
        assert r.status_code == 200 and r.json()["rows"] == []
        assert not any(a in r.text for a in EVERY)


def _get(client: TestClient, world: World, who: str, path: str) -> httpx.Response:
    return client.get(path, headers=headers(world, who, "GET", path, b""))


def test_my_page_lists_them(client: TestClient, world: World) -> None:
    doc = _get(client, world, "registry", f"/my.json?date={DAY}").json()
    assert {r["domain"] for r in doc["watch"]["rows"]} == {n for n in NAMES if n.endswith(".net")}
    html = _get(client, world, "registry", f"/my?date={DAY}").text
    assert "Forecast names under your domains" in html and "conficker1.net" in html
    assert "conficker0.com" not in html
    rows = _get(client, world, "registry", "/my/watch.csv").text
    assert {r["domain"] for r in csv.DictReader(io.StringIO(rows))} == {
        n for n in NAMES if n.endswith(".net")}  # fmt: skip
    other = _get(client, world, "net", f"/my.json?date={DAY}").json()
    assert other["watch"] is None
    assert _get(client, world, "net", "/my/watch.csv").status_code == 403
    assert client.get("/my/watch.csv").status_code == 401
