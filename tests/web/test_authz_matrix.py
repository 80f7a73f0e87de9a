"""Authorisation matrix of the portal (issue 16): every endpoint x {anonymous, org A, org B,
national CERT, admin} x {own data, other's data}. Every cross-scope request is refused
(401/403/404) and no answer (body or headers) names an address outside the caller's scope;
own-scope answers hold exactly the caller's addresses. Signed requests with a wrong key, a
replayed or a stale timestamp, a tampered body or a revoked key are refused; the rate limit
answers 429. The ASGI app is driven through httpx, and one pass runs over a real uvicorn
on loopback."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from dgawatch.orgs import Org, OrgStore, Scope, new_key
from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.store import write_events
from dgawatch.web.app import create_app
from dgawatch.web.auth import WINDOW_S, Authenticator, RateLimit, Unauthorized, sign

from .test_portal import serve_in_thread

DAY = dt.date(2026, 11, 27)
DAY2 = DAY + dt.timedelta(days=1)
#: Sources by owner: A by prefix, B by AS (64500), the CERT by country (NL), nobody's.
ADDRS = {
    "a": [f"203.0.113.{i}" for i in (10, 11, 12)],
    "b": [f"198.51.100.{i}" for i in (20, 21)],
    "cert": [f"192.0.2.{i}" for i in (30, 31)],
    "none": ["100.64.7.7", "2001:db8::77"],
}
EVERY = {a for v in ADDRS.values() for a in v}


def _events(day: dt.date) -> list[SinkholeEvent]:
    t0 = int(dt.datetime.combine(day, dt.time(8), dt.UTC).timestamp() * 1000)
    out = []
    for n, ip in enumerate(sorted(EVERY)):
        out.append(SinkholeEvent(ts=t0 + n * 1000, proto="dns/udp", src_ip=ip, src_port=5353,
                                 dst_ip="192.0.2.53", dst_port=53, domain="abc.com",
                                 family="conficker", variant="c", day=day.isoformat(),
                                 qname="abc.com", qtype="A"))  # fmt: skip
        out.append(SinkholeEvent(ts=t0 + n * 1000 + 500, proto="http", src_ip=ip, src_port=40000,
                                 dst_ip="192.0.2.80", dst_port=80,
                                 request_line="GET /search?q=1 HTTP/1.0", method="GET",
                                 path="/search?q=1", host="abc.com",
                                 headers=(("Host", "abc.com"),), user_agent="Mozilla"))  # fmt: skip
    return out


class World:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.keys: dict[str, tuple[str, str]] = {}
        self.used: set[tuple[str, int, str, str, bytes]] = set()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home = tmp_path_factory.mktemp("authz")
    write_events([*_events(DAY), *_events(DAY2)], home / "sinkhole")
    (home / "asn.txt").write_text("198.51.100.0/24 64500\n203.0.113.0/24 64501\n")
    (home / "cc.txt").write_text("192.0.2.0/24 NL\n203.0.113.0/24 DE\n198.51.100.0/24 FR\n")
    w = World(home)
    orgs = {
        "a": Org(
            "org-a",
            email="noc@a.example",
            scopes=[
                Scope("cidr", "203.0.113.0/25", "verified", method="dns"),
                Scope("cidr", "198.51.100.0/24", "pending"),
            ],
        ),
        "b": Org(
            "org-b",
            email="noc@b.example",
            scopes=[Scope("asn", "AS64500", "verified", method="mail")],
        ),
        "cert": Org(
            "nl-cert",
            role="cert",
            email="cert@nl.example",
            scopes=[Scope("country", "NL", "verified", method="admin")],
        ),
        "admin": Org("operator", role="admin"),
        "empty": Org("org-empty", scopes=[Scope("cidr", "100.64.0.0/16", "pending")]),
    }
    with OrgStore(home / "orgs.json").edit() as stored:
        for who, org in orgs.items():
            key = new_key()
            org.keys.append(key)
            stored[org.name] = org
            w.keys[who] = (key.key_id, key.secret)
        revoked = new_key()
        revoked.revoked = "2026-11-01T00:00:00+00:00"
        stored["org-a"].keys.append(revoked)
        w.keys["a-revoked"] = (revoked.key_id, revoked.secret)
    return w


def _app(w: World, **kw: Any) -> Any:
    return create_app(
        store_path=w.home / "none.duckdb",
        sinkhole_dir=w.home / "sinkhole",
        enrich=Enricher(asn_db=w.home / "asn.txt", country_db=w.home / "cc.txt", packages=False),
        **kw,
    )


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    app = _app(world, rate_limit=RateLimit(burst=10_000, per_s=1000))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def headers(w: World, who: str, method: str, path: str, body: bytes,
            ts: int | None = None, secret: str | None = None) -> dict[str, str]:  # fmt: skip
    if who == "anon":
        return {}
    key_id, real = w.keys[who]
    if ts is None:  # a timestamp this key has not signed this request with (no replay)
        ts = int(time.time())
        while (key_id, ts, method, path, body) in w.used:
            ts -= 1
        w.used.add((key_id, ts, method, path, body))
    return {
        "X-Dgawatch-Key": key_id,
        "X-Dgawatch-Timestamp": str(ts),
        "X-Dgawatch-Signature": sign(secret or real, ts, method, path, body),
    }


def call(c: Any, w: World, who: str, endpoint: str, params: dict[str, Any]) -> httpx.Response:
    path = f"/api/v1/{endpoint}"
    body = json.dumps(params).encode()
    return c.post(path, content=body, headers=headers(w, who, "POST", path, body))


def leaked(r: httpx.Response) -> set[str]:
    text = r.text + json.dumps(dict(r.headers))
    return {a for a in EVERY if a in text}


CALLERS = ("anon", "a", "b", "cert", "admin")
#: What each caller may see.
SEES = {"anon": set(), "a": set(ADDRS["a"]), "b": set(ADDRS["b"]),
        "cert": set(ADDRS["cert"]), "admin": EVERY}  # fmt: skip
#: A target (network, one address) inside each owner's scope.
OWN = {"a": ("cidr:203.0.113.0/25", ADDRS["a"][0]), "b": ("asn:AS64500", ADDRS["b"][0]),
       "cert": ("country:NL", ADDRS["cert"][0])}  # fmt: skip
DATE = f"{DAY}:{DAY2}"


def _requests() -> list[tuple[str, dict[str, Any], str | None, set[str] | None]]:
    """(endpoint, params, owner of the data named (None: the caller's own), the addresses
    the request selects when allowed (None: the caller's whole scope))."""
    reqs: list[tuple[str, dict[str, Any], str | None, set[str] | None]] = [
        ("reports/list", {"date": DATE}, None, None),
        ("reports/stats", {"date": DATE}, None, None),
        ("reports/stats", {"date": DATE, "format": "csv"}, None, None),
        ("key/info", {}, None, None),
        # Names under a verified domain: nobody here has one but the operator.
        ("reports/watch", {}, "domain", None),
    ]
    for kind, fmt in itertools.product(("http", "dns"), ("json", "csv")):
        reqs.append(("reports/download", {"date": DATE, "type": kind, "format": fmt}, None, None))
    for owner, (network, ip) in OWN.items():
        mine = set(ADDRS[owner])
        day_dns = {"date": DAY.isoformat(), "type": "dns", "network": network, "format": "csv"}
        reqs += [
            ("reports/download", {"date": DATE, "type": "http", "network": network}, owner, mine),
            ("reports/download", day_dns, owner, mine),
            ("reports/query", {"date": DATE, "type": "dns", "ip": ip}, owner, {ip}),
            ("reports/query", {"date": DATE, "ip": ip, "format": "csv"}, owner, {ip}),
            ("reports/stats", {"date": DATE, "network": network}, owner, set()),
        ]
    nobody = ADDRS["none"][0]
    reqs.append(("reports/query", {"date": DATE, "ip": nobody}, "none", {nobody}))
    reqs.append(
        ("reports/download", {"date": DATE, "network": "cidr:100.64.0.0/16"}, "none", {nobody})
    )
    # A claims 198.51.100.0/24 without proof, and B's proven scope is its AS, not this
    # prefix: naming it is refused to both (B gets these rows by its AS).
    unproven = {"date": DATE, "network": "cidr:198.51.100.0/24"}
    reqs.append(("reports/download", unproven, "unproven", set(ADDRS["b"])))
    return reqs


def _public(who: str, endpoint: str, params: dict[str, Any]) -> bool:
    """Aggregates without addresses, served to anonymous callers: stats of every source."""
    return who == "anon" and endpoint == "reports/stats" and "network" not in params


def test_matrix(client: TestClient, world: World) -> None:
    refused = cross = owned = public = 0
    for who, (endpoint, params, owner, selects) in itertools.product(CALLERS, _requests()):
        r = call(client, world, who, endpoint, params)
        what = f"{who} {endpoint} {params}"
        assert r.status_code != 500, what
        assert not (leaked(r) - SEES[who]), f"{what} leaks {leaked(r) - SEES[who]}"
        if _public(who, endpoint, params):
            public += 1
            assert r.status_code == 200 and not leaked(r), what
            continue
        own = who != "anon" and (who == "admin" or owner is None or owner == who)
        if not own:
            cross += 1
            assert r.status_code in (401, 403, 404), what
            assert not leaked(r), what
            refused += 1
            continue
        owned += 1
        assert r.status_code == 200, f"{what}: {r.status_code} {r.text[:200]}"
        if endpoint in ("reports/download", "reports/query"):
            wanted = SEES[who] if selects is None else selects
            assert leaked(r) == wanted, f"{what}: {leaked(r)} != {wanted}"
    assert cross >= 60 and owned >= 50 and public == 2
    assert refused == cross  # 100 % of cross-scope requests refused


def test_anonymous_stats_are_the_public_aggregate(client: TestClient, world: World) -> None:
    """An anonymous caller gets per-day counts of every source (what the public sinkhole
    page shows): the same numbers as the operator's, no address; naming a network is
    still refused, and so is every other report."""
    anon = call(client, world, "anon", "reports/stats", {"date": DATE})
    admin = call(client, world, "admin", "reports/stats", {"date": DATE})
    assert anon.status_code == 200 and not leaked(anon)
    assert anon.json()["rows"] == admin.json()["rows"]
    assert [(s["day"], s["addresses"], s["events"]) for s in anon.json()["rows"]] == [
        (DAY.isoformat(), len(EVERY), 2 * len(EVERY)), (DAY2.isoformat(), len(EVERY),
                                                       2 * len(EVERY))]  # fmt: skip
    assert anon.json()["scope"] == "all sources (public aggregate)"
    empty_day = call(client, world, "anon", "reports/stats", {"date": "2026-01-05"}).json()
    assert empty_day["rows"] == [{"day": "2026-01-05", "addresses": 0, "http_addresses": 0,
                                  "dns_addresses": 0, "events": 0}]  # fmt: skip
    named = call(client, world, "anon", "reports/stats", {"date": DATE, "network": OWN["a"][0]})
    assert named.status_code == 401
    for endpoint in ("reports/list", "reports/download", "reports/query", "key/info"):
        assert call(client, world, "anon", endpoint, {"date": DATE}
                    if endpoint != "key/info" else {}).status_code == 401, endpoint  # fmt: skip


def test_rows_and_counts_are_the_callers(client: TestClient, world: World) -> None:
    doc = call(
        client, world, "b", "reports/download", {"date": DAY.isoformat(), "type": "dns"}
    ).json()
    assert [r["src_ip"] for r in doc["rows"]] == sorted(ADDRS["b"])
    assert {r["src_asn"] for r in doc["rows"]} == {64500}
    assert doc["columns"][:3] == ["timestamp", "protocol", "src_ip"]
    stats = call(client, world, "a", "reports/stats", {"date": DATE}).json()["rows"]
    assert [(s["day"], s["addresses"], s["events"]) for s in stats] == [
        (DAY.isoformat(), 3, 6), (DAY2.isoformat(), 3, 6)]  # fmt: skip
    listed = call(client, world, "cert", "reports/list", {"date": DAY.isoformat()}).json()
    assert listed["reports"] == [{"day": DAY.isoformat(), "type": "dns", "rows": 2},
                                 {"day": DAY.isoformat(), "type": "http", "rows": 2}]  # fmt: skip
    csv_text = call(client, world, "a", "reports/download",
                    {"date": DAY.isoformat(), "type": "http", "format": "csv"}).text  # fmt: skip
    assert csv_text.splitlines()[0].startswith("timestamp,protocol,src_ip,src_port,src_asn")
    assert len(csv_text.splitlines()) == 4
    schema = call(client, world, "anon", "reports/schema", {"type": "dns"}).json()
    assert schema["columns"][-3:] == ["query_type", "query", "count"]
    empty = call(client, world, "empty", "reports/list", {"date": DATE})
    assert empty.status_code == 403


def test_public_pages_show_no_address(client: TestClient, world: World) -> None:
    for who in CALLERS:
        for path in ("/", "/sinkhole", "/sinkhole.json", "/api/sinkhole", "/families.json"):
            h = headers(world, who, "GET", path, b"")
            r = client.get(path, headers=h)
            assert r.status_code == 200, (who, path, r.text[:200])
            assert not leaked(r), (who, path)


def test_window_edge(world: World) -> None:
    """On a fixed clock a timestamp exactly WINDOW_S away either way is accepted and one
    second further is refused as stale."""
    auth = Authenticator(OrgStore(world.home / "orgs.json"))
    key_id, secret = world.keys["a"]
    path, body, now = "/api/v1/reports/list", b"{}", 2_000_000_000

    def ask(ts: int) -> str:
        h = {"x-dgawatch-key": key_id, "x-dgawatch-timestamp": str(ts),
             "x-dgawatch-signature": sign(secret, ts, "POST", path, body)}  # fmt: skip
        try:
            caller = auth.caller(h, "POST", path, body, now=now)
            return caller.org.name if caller.org is not None else "anonymous"
        except Unauthorized as e:
            return str(e)

    assert ask(now - WINDOW_S) == ask(now + WINDOW_S) == "org-a"
    for ts in (now - WINDOW_S - 1, now + WINDOW_S + 1):
        assert ask(ts).startswith("stale timestamp"), ts


def test_signatures_refused(client: TestClient, world: World) -> None:
    path = "/api/v1/reports/list"
    body = json.dumps({"date": DATE}).encode()
    # A minute past the window either way, so a slow run (the server reads its clock
    # later than this line) cannot bring "future" back inside it; the exact edge is
    # test_window_edge's, on a fixed clock.
    now = int(time.time())
    cases = {
        "wrong key": headers(world, "a", "POST", path, body, secret="not-the-secret"),
        "stale": headers(world, "a", "POST", path, body, ts=now - WINDOW_S - 60),
        "future": headers(world, "a", "POST", path, body, ts=now + WINDOW_S + 60),
        "revoked key": headers(world, "a-revoked", "POST", path, body),
        "other path": headers(world, "a", "POST", "/api/v1/reports/stats", body),
        "partial": {"X-Dgawatch-Key": world.keys["a"][0]},
    }
    for name, h in cases.items():
        r = client.post(path, content=body, headers=h)
        assert r.status_code == 401, name
        assert not leaked(r), name
    h = headers(world, "a", "POST", path, body)
    tampered = json.dumps({"date": DAY.isoformat()}).encode()
    assert client.post(path, content=tampered, headers=h).status_code == 401
    assert client.post(path, content=body, headers=h).status_code == 200
    replay = client.post(path, content=body, headers=h)
    assert replay.status_code == 401 and "replayed" in replay.text


def test_revocation_applies_at_once(tmp_path: Path, world: World) -> None:
    store = OrgStore(world.home / "orgs.json")
    with store.edit() as orgs:
        key = new_key()
        orgs["org-b"].keys.append(key)
    world.keys["b2"] = (key.key_id, key.secret)
    app = _app(world)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert call(c, world, "b2", "key/info", {}).status_code == 200
        with store.edit() as orgs:
            next(k for k in orgs["org-b"].keys if k.key_id == key.key_id).revoked = "now"
        assert call(c, world, "b2", "key/info", {}).status_code == 401


def test_rate_limit(world: World) -> None:
    app = _app(world, rate_limit=RateLimit(burst=3, per_s=0.01))
    with TestClient(app, base_url="http://127.0.0.1") as c:
        codes = [call(c, world, "b", "reports/schema", {}).status_code for _ in range(5)]
    assert codes[:3] == [200] * 3 and codes[3:] == [429, 429]


def test_bad_bodies(client: TestClient, world: World) -> None:
    for body, status in ((b"[1]", 400), (b"{", 400), (b'{"date": "x"}', 400),
                         (b'{"bogus": 1}', 400), (b'{"date": "2026-01-01:2026-03-01"}', 400),
                         (b"x" * 20000, 413)):  # fmt: skip
        path = "/api/v1/reports/list"
        r = client.post(path, content=body, headers=headers(world, "a", "POST", path, body))
        assert r.status_code == status, body[:40]
        assert r.json()["status"] == status


def test_over_real_uvicorn(world: World) -> None:
    """One pass of the matrix's cross-scope rows and a signed own request over real HTTP."""
    enrich = Enricher(asn_db=world.home / "asn.txt", country_db=world.home / "cc.txt",
                      packages=False)  # fmt: skip
    server = serve_in_thread(
        store_path=world.home / "none.duckdb", sinkhole_dir=world.home / "sinkhole", enrich=enrich
    )
    with server as url, httpx.Client(base_url=url, timeout=30) as c:
        own = call(c, world, "a", "reports/download", {"date": DATE, "type": "http"})
        assert own.status_code == 200 and leaked(own) == set(ADDRS["a"])
        for who, owner in (("a", "b"), ("b", "cert"), ("cert", "a"), ("anon", "a")):
            network, ip = OWN[owner]
            for params in ({"date": DATE, "network": network}, {"date": DATE, "ip": ip}):
                r = call(c, world, who, "reports/query", params)
                assert r.status_code in (401, 403) and not leaked(r), (who, params)


def get(c: Any, w: World, who: str, path: str, params: dict[str, str]) -> httpx.Response:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    full = path + (f"?{query}" if query else "")
    return c.get(full, headers=headers(w, who, "GET", full, b""))


def test_matrix_of_the_organisation_pages(client: TestClient, world: World) -> None:
    """/my (HTML and JSON twins) and /my/report.csv, signed like the API."""
    reqs: list[tuple[str, dict[str, str], str | None, set[str] | None]] = [
        ("/my.json", {"date": DATE}, None, set()),
        ("/api/my", {}, None, set()),
        ("/my", {"date": DATE}, None, set()),
        ("/my/report.csv", {"date": DATE, "type": "dns"}, None, None),
    ]
    for owner, (network, ip) in OWN.items():
        reqs.append(
            ("/my/report.csv", {"date": DATE, "network": network}, owner, set(ADDRS[owner]))
        )
        reqs.append(("/my/report.csv", {"date": DATE, "ip": ip, "type": "dns"}, owner, {ip}))
    cross = 0
    for who, (path, params, owner, selects) in itertools.product(CALLERS, reqs):
        r = get(client, world, who, path, params)
        what = f"{who} {path} {params}"
        assert not (leaked(r) - SEES[who]), what
        if who == "anon" or (owner is not None and owner != who and who != "admin"):
            cross += 1
            assert r.status_code in (401, 403, 404) and not leaked(r), what
            continue
        assert r.status_code == 200, f"{what}: {r.status_code}"
        wanted = SEES[who] if selects is None else selects
        assert leaked(r) == wanted, what
    assert cross == len(reqs) + 3 * (len(reqs) - 4 - 2)  # anon: all; a, b, cert: 4 others'


def test_browser_session(world: World) -> None:
    app = _app(world)
    key_id, secret = world.keys["cert"]
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        assert c.get("/my").status_code == 401
        wrong = c.post("/login", content=f"key_id={key_id}&secret=x{secret}",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert wrong.status_code == 401 and "dgawatch_session" not in wrong.headers.get(
            "set-cookie", ""
        )
        ok = c.post("/login", content=f"key_id={key_id}&secret={secret}",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert ok.status_code == 303 and ok.headers["location"] == "/my"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        page = c.get("/my", params={"date": DATE})
        assert page.status_code == 200 and "nl-cert" in page.text and not leaked(page)
        csv_text = c.get("/my/report.csv", params={"date": DATE, "type": "http"}).text
        assert leaked_text(csv_text) == set(ADDRS["cert"])
        other = c.get("/my/report.csv", params={"date": DATE, "ip": ADDRS["a"][0]})
        assert other.status_code == 403 and not leaked(other)
        forged = c.get(  # (a Cookie header: per-request cookies= is deprecated in httpx)
            "/my", headers={"Cookie": f"dgawatch_session={world.keys['admin'][0]}.9999999999.00"}
        )
        assert forged.status_code == 401
        with OrgStore(world.home / "orgs.json").edit() as orgs:
            next(k for k in orgs["nl-cert"].keys if k.key_id == key_id).revoked = "now"
        try:
            assert c.get("/my").status_code == 401  # the session dies with its key
        finally:
            with OrgStore(world.home / "orgs.json").edit() as orgs:
                next(k for k in orgs["nl-cert"].keys if k.key_id == key_id).revoked = ""
        out = c.post("/logout")
        assert out.status_code == 303 and 'dgawatch_session=""' in out.headers["set-cookie"]


def leaked_text(text: str) -> set[str]:
    return {a for a in EVERY if a in text}


def test_sql_and_python_paths_agree(world: World) -> None:
    """The scope as SQL (IPv4 prefixes, everything, one address) and as Python (AS,
    country, IPv6) select the same rows."""
    from dgawatch.web.scope import Caller, ScopedData

    data = ScopedData(world.home / "sinkhole",
                      Enricher(asn_db=world.home / "asn.txt", country_db=world.home / "cc.txt",
                               packages=False))  # fmt: skip

    def srcs(org: Org, **kw: Any) -> list[str]:
        cols, rows, _t = data.report(Caller.of(org), "dns", [DAY], **kw)
        return sorted(str(r[cols.index("src_ip")]) for r in rows)

    v4 = Org("v4", scopes=[Scope("cidr", "203.0.113.0/25", "verified")])
    asn = Org("as", scopes=[Scope("asn", "AS64501", "verified")])  # 203.0.113.0/24's AS
    v6 = Org("v6", scopes=[Scope("cidr", "2001:db8::/48", "verified"),
                           Scope("cidr", "100.64.0.0/10", "verified")])  # fmt: skip
    admin = Org("op", role="admin")
    assert srcs(v4) == srcs(asn) == sorted(ADDRS["a"])
    assert srcs(v6) == sorted(ADDRS["none"])
    assert srcs(admin) == sorted(EVERY)
    assert srcs(admin, network="cidr:203.0.113.0/28") == sorted(ADDRS["a"])
    assert srcs(admin, network="asn:AS64501") == sorted(ADDRS["a"])
    a0 = ADDRS["a"][0]
    assert srcs(v4, ip=a0) == [a0]
    assert srcs(v4, ip=a0, network="cidr:203.0.113.64/26") == []  # the address is not in it


def test_operator_page(client: TestClient, world: World) -> None:
    """/admin/orgs: the operator only; never a secret or a token."""
    for path in ("/admin/orgs", "/admin/orgs.json", "/api/admin/orgs"):
        codes = {who: get(client, world, who, path, {}).status_code for who in CALLERS}
        assert codes == {"anon": 401, "a": 403, "b": 403, "cert": 403, "admin": 200}, path
    r = get(client, world, "admin", "/admin/orgs.json", {})
    names = [o["name"] for o in r.json()["organisations"]]
    assert {"org-a", "org-b", "nl-cert", "operator"} <= set(names)
    stored = OrgStore(world.home / "orgs.json").load()
    for org in stored.values():
        for key in org.keys:
            assert key.secret not in r.text
        for scope in org.scopes:
            assert not scope.token or scope.token not in r.text


def test_dns_sightings_per_resolver(tmp_path: Path) -> None:
    """type dns_resolvers: one row per (day, resolver, name, type, variant), the first time
    and the number of queries; the rows of a resolver outside the scope are not there."""
    from dgawatch.web.scope import Caller, ScopedData

    t0 = int(dt.datetime.combine(DAY, dt.time(6), dt.UTC).timestamp() * 1000)
    queries = [("203.0.113.53", "abc.com", 0), ("203.0.113.53", "abc.com", 5000),
               ("203.0.113.53", "def.net", 7000), ("203.0.113.53", "abc.com", 9000),
               ("198.51.100.53", "abc.com", 1000)]  # fmt: skip
    write_events([SinkholeEvent(ts=t0 + dt_ms, proto="dns/udp", src_ip=ip, src_port=53000,
                                dst_ip="192.0.2.53", dst_port=53, domain=name,
                                family="conficker", variant="c", day=DAY.isoformat(),
                                qname=name, qtype="A")
                  for ip, name, dt_ms in queries], tmp_path)  # fmt: skip
    org = Org("r", scopes=[Scope("cidr", "203.0.113.0/24", "verified")])
    cols, rows, _t = ScopedData(tmp_path, Enricher(packages=False)).report(
        Caller.of(org), "dns_resolvers", [DAY]
    )
    got = [{c: r[cols.index(c)] for c in ("timestamp", "src_ip", "query", "count")} for r in rows]
    assert got == [
        {"timestamp": f"{DAY} 06:00:00", "src_ip": "203.0.113.53", "query": "abc.com", "count": 3},
        {"timestamp": f"{DAY} 06:00:07", "src_ip": "203.0.113.53", "query": "def.net", "count": 1},
    ]
