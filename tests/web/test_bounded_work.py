"""The work of one portal request is bounded (issue 16): what the caches hold is served
without a slot, so a flood of expensive requests never blocks the dashboard; work the
caches lack runs in one of the few expensive slots (503 + Retry-After beyond them); table
pages are capped; a report's queries run within a time budget (DuckDB interrupted, 503)
and read the addresses a scope decides in Python in batches. Behaviour only: no timings."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

import dgawatch.web.scope as scope
from dgawatch.errors import InputError
from dgawatch.web.guard import Deadline
from dgawatch.web.pages.dashboard import network_counts
from dgawatch.web.tables import MAX_PAGE_SIZE, Column, Table

from .test_authz_matrix import DATE, DAY, World, _app, call, headers, world  # noqa: F401
from .test_dashboard import DAYS, get, home, make_app, serving  # noqa: F401


@contextmanager
def all_slots_taken(app: Any, pool: str = "limiter") -> Iterator[None]:
    """Every slot of the public pool (``limiter``) or the signed one (``signed_limiter``)."""
    limiter = getattr(app.state.portal, pool)
    for _ in range(limiter.slots):
        limiter.acquire()
    try:
        yield
    finally:
        for _ in range(limiter.slots):
            limiter.release()


def test_warm_dashboard_takes_no_slot(home: Path) -> None:  # noqa: F811
    """Every expensive slot taken: the dashboard, its largest table page, a wide filter and
    the CSV export are still served from the caches; a day not counted yet is refused
    (503 + Retry-After) until a slot is free."""
    app = make_app(home)
    warm = ["/dashboard", "/dashboard.json", "/dashboard/asns",
            f"/dashboard/asns.json?_size={MAX_PAGE_SIZE}&_sort_desc=addresses",
            "/dashboard/families.json?key__contains=c&addresses__gte=0",
            "/dashboard/countries.csv", "/dashboard/addresses.csv",
            "/dashboard/tlds.json"]  # fmt: skip
    with serving(app) as url:
        latest = get(url, "/dashboard.json").json()["day"]
        assert latest != DAYS[0].isoformat()
        for path in warm:
            assert get(url, path).status_code == 200, path
        nc = network_counts(app.state.portal)
        assert nc.computed == 1
        with all_slots_taken(app):
            for path in warm:
                assert get(url, path).status_code == 200, path
            cold = get(url, f"/dashboard.json?day={DAYS[0]}")
            assert cold.status_code == 503 and cold.headers["retry-after"].isdigit()
            assert get(url, f"/dashboard/countries?day={DAYS[0]}").status_code == 503
            assert get(url, f"/dashboard.json?day={latest}").status_code == 200
        assert get(url, f"/dashboard.json?day={DAYS[0]}").status_code == 200
        assert nc.computed == 2  # each day counted once, the refused request counted nothing


def test_table_pages_are_capped() -> None:
    table = Table([Column("n", numeric=True)], [{"n": i} for i in range(5 * MAX_PAGE_SIZE)])
    page = table.query({"_size": [str(MAX_PAGE_SIZE)], "_page": ["5"]})
    assert len(page["rows"]) == MAX_PAGE_SIZE and page["pages"] == 5
    assert page["rows"][-1] == {"n": 5 * MAX_PAGE_SIZE - 1}
    assert len(table.query({})["rows"]) == 50
    with pytest.raises(InputError, match=f"between 1 and {MAX_PAGE_SIZE}"):
        table.query({"_size": [str(MAX_PAGE_SIZE + 1)]})


def test_table_page_cap_over_http(home: Path) -> None:  # noqa: F811
    with serving(make_app(home)) as url:
        r = get(url, f"/dashboard/asns.json?_size={MAX_PAGE_SIZE + 1}")
        assert r.status_code == 400 and str(MAX_PAGE_SIZE) in r.json()["error"]


def test_reports_past_their_budget_are_503(world: World) -> None:  # noqa: F811
    """A report whose queries outlast the budget is refused with 503 + Retry-After (an
    exact-SQL scope and a scope decided in Python alike), its slot is given back, and the
    same requests within the budget are answered."""
    app = _app(world)
    requests = [("admin", {"date": DATE, "type": "http"}), ("b", {"date": DATE}),
                ("cert", {"date": DATE, "type": "dns", "format": "csv"})]  # fmt: skip
    with TestClient(app, base_url="http://127.0.0.1") as c:
        app.state.portal.scoped.budget_s = 0.0
        for who, params in requests:
            r = call(c, world, who, "reports/download", params)
            assert r.status_code == 503, (who, r.text)
            assert r.headers["retry-after"].isdigit() and "budget" in r.json()["error"]
        stats = call(c, world, "a", "reports/stats", {"date": DATE})
        assert stats.status_code == 503
        app.state.portal.scoped.budget_s = scope.QUERY_BUDGET_S
        for who, params in requests:
            assert call(c, world, who, "reports/download", params).status_code == 200, who
    limiter = app.state.portal.limiter
    for _ in range(limiter.slots):  # every slot was given back
        limiter.acquire()
    for _ in range(limiter.slots):
        limiter.release()


def test_watchdog_interrupts_a_running_query() -> None:
    """A query still running when the budget is spent is interrupted (the watchdog keeps
    interrupting until the request ends, so none escapes between two queries)."""
    con = duckdb.connect()
    done = threading.Event()
    dog = threading.Thread(target=scope._interrupt_when_spent, args=(con, Deadline(0.0), done))
    dog.start()
    failed: list[BaseException] = []

    def endless() -> None:
        try:
            con.execute("SELECT sum(range) FROM range(1000000000000000)").fetchall()
        except BaseException as exc:
            failed.append(exc)

    worker = threading.Thread(target=endless)
    worker.start()
    worker.join(120)
    done.set()
    dog.join()
    assert not worker.is_alive()
    assert len(failed) == 1 and isinstance(failed[0], duckdb.InterruptException)


def test_scope_read_in_batches_gives_the_same_rows(
    world: World,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AS and country scopes are decided per address in Python, a batch at a time: batches
    of one address answer exactly what one batch does."""
    wanted = {}
    with TestClient(_app(world), base_url="http://127.0.0.1") as c:
        for who in ("b", "cert"):
            wanted[who] = call(c, world, who, "reports/download", {"date": DATE}).json()
        monkeypatch.setattr(scope, "ADDRESS_BATCH", 1)
        for who in ("b", "cert"):
            got = call(c, world, who, "reports/download", {"date": DATE}).json()
            assert got == wanted[who] and got["rows"], who


def test_public_stats_take_no_slot(world: World) -> None:  # noqa: F811
    """The anonymous aggregate comes from the public page's cache: served while every slot
    is taken, when an organisation's own stats (a scan) are told to come back."""
    app = _app(world)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert call(c, world, "anon", "reports/stats", {"date": DATE}).status_code == 200
        with all_slots_taken(app, "signed_limiter"):
            anon = call(c, world, "anon", "reports/stats", {"date": DAY.isoformat()})
            assert anon.status_code == 200 and anon.json()["rows"][0]["addresses"] > 0
            busy = call(c, world, "admin", "reports/stats", {"date": DATE})
            assert busy.status_code == 503 and busy.headers["retry-after"].isdigit()


def test_the_public_cannot_crowd_out_network_owners(world: World) -> None:  # noqa: F811
    """Anonymous expensive work and organisations' reports have slots of their own: with
    every public slot taken, an organisation's report, /my and its CSV are served; with
    every signed slot taken, they are refused (503) and an anonymous visitor is not."""
    app = _app(world)
    path = f"/my.json?date={DAY}"
    with TestClient(app, base_url="http://127.0.0.1") as c:
        with all_slots_taken(app, "limiter"):
            r = call(c, world, "a", "reports/download", {"date": DATE, "type": "dns"})
            assert r.status_code == 200 and r.json()["rows"]
            assert c.get(path, headers=headers(world, "a", "GET", path, b"")).status_code == 200
        with all_slots_taken(app, "signed_limiter"):
            r = call(c, world, "a", "reports/download", {"date": DATE})
            assert r.status_code == 503 and r.headers["retry-after"].isdigit()
            mine = c.get(path, headers=headers(world, "a", "GET", path, b""))
            assert mine.status_code == 503
            assert call(c, world, "anon", "reports/stats", {"date": DATE}).status_code == 200
            assert call(c, world, "anon", "reports/download", {"date": DATE}).status_code == 401


def test_text_prefilter_keeps_every_address_of_the_scope() -> None:
    """The string-prefix test that spares IPv4 scopes the exact test is a superset: every
    address inside each net passes it; addresses outside mostly do not."""
    import ipaddress
    import random

    rnd = random.Random(16)
    for text in ("203.0.113.0/25", "11.0.0.0/8", "8.0.0.0/6", "10.1.0.0/16", "1.2.3.4/32",
                 "172.16.0.0/12", "0.0.0.0/1"):  # fmt: skip
        net = ipaddress.ip_network(text)
        starts = scope._text_prefixes([net])  # type: ignore[list-item]
        assert len(starts) <= scope._MAX_PREFIXES
        for _ in range(200):
            inside = str(net.network_address + rnd.randrange(net.num_addresses))
            assert not starts or any(inside.startswith(s) for s in starts), (text, inside)
        outside = str(ipaddress.ip_address(int(net.broadcast_address) + 1))
        if starts and net.prefixlen in (8, 16, 24):
            assert not any(outside.startswith(s) for s in starts), (text, outside)
    assert scope._text_prefixes([ipaddress.ip_network("0.0.0.0/0")]) == []


def test_operator_stats_come_from_the_cache(world: World) -> None:  # noqa: F811
    """The operator's stats of every source are the public page's cached figures (no scan
    of every event, no slot needed for it beyond the API's): equal to the scan's."""
    from dgawatch.orgs import OrgStore
    from dgawatch.web.scope import Caller, parse_days

    app = _app(world)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        answer = call(c, world, "admin", "reports/stats", {"date": DATE}).json()
        operator = OrgStore(world.home / "orgs.json").load()["operator"]
        scan = app.state.portal.scoped.stats(Caller.of(operator), parse_days(DATE))
        assert answer["rows"] == scan and "scope" not in answer
        assert all(r["addresses"] > 0 for r in scan)
        named = call(c, world, "admin", "reports/stats", {"date": DATE, "network": "country:NL"})
        assert named.status_code == 200 and named.json()["rows"] != scan  # a network: scanned


def test_counts_in_a_worker_process_are_the_same_and_stop_with_the_app(
    home: Path,  # noqa: F811
) -> None:
    """As ``dgawatch web serve`` runs it: a day's country/ASN counts made in a worker
    process (the per-address work off the portal's interpreter lock) equal the in-process
    ones, and the worker stops when the portal does."""
    import multiprocessing

    from dgawatch.sinkhole.enrich import Enricher
    from dgawatch.web.app import create_app

    enrich = Enricher(asn_db=home / "asn.txt", country_db=home / "cc.txt", packages=False)
    docs = {}
    for isolated in (False, True):
        app = create_app(home / "forecast.duckdb", home / "sinkhole", enrich=enrich,
                         isolate_counts=isolated)  # fmt: skip
        before = set(multiprocessing.active_children())
        with serving(app) as url:
            docs[isolated] = [get(url, f"/dashboard/{n}.json?day={DAYS[0]}").json()
                              for n in ("countries", "asns")]  # fmt: skip
            started = set(multiprocessing.active_children()) - before
            assert len(started) == (1 if isolated else 0)
            assert network_counts(app.state.portal).computed == 1
        # Stopped with the app: uvicorn's shutdown (the portal's close) ends on the server's
        # thread, and the pool's own thread may reap the worker while close() joins it, so
        # its exit is seen here within a bounded wait, not at once.
        deadline = time.monotonic() + 30
        while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not set(multiprocessing.active_children()) - before
    assert docs[True] == docs[False] and docs[True][0]["rows"]
