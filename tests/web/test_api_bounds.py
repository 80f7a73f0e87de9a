"""The reports API's work per request is bounded: a report holds one of the portal's few
expensive slots (beyond them 503 + Retry-After at once, while cheap pages keep answering),
reads at most MAX_DAYS days and returns at most ``limit`` rows (``truncated`` says so)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

import dgawatch.web.app as web_app
from dgawatch.web.scope import ScopedData

from .test_authz_matrix import DATE, DAY, World, _app, call, world  # noqa: F401
from .test_portal import serve_in_thread


def test_reports_hold_a_limited_slot(world: World, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    release = threading.Event()
    entered = threading.Semaphore(0)
    real = ScopedData.report

    def held(self: ScopedData, *a: Any, **kw: Any) -> Any:
        entered.release()
        release.wait(30)
        return real(self, *a, **kw)

    monkeypatch.setattr(ScopedData, "report", held)
    enrich = _app(world).state.portal.scoped.enrich
    with serve_in_thread(store_path=world.home / "none.duckdb",
                         sinkhole_dir=world.home / "sinkhole", enrich=enrich) as url, \
            httpx.Client(base_url=url, timeout=30) as c, ThreadPoolExecutor(8) as pool:  # fmt: skip
        slots = web_app.EXPENSIVE_SLOTS
        busy = [pool.submit(call, c, world, "a", "reports/download", {"date": DATE})
                for _ in range(slots)]  # fmt: skip
        for _ in range(slots):
            assert entered.acquire(timeout=20)
        more = [call(c, world, "b", "reports/download", {"date": DATE}) for _ in range(2)]
        cheap = c.get("/families.json")
        release.set()
        served = [f.result() for f in busy]
    assert [r.status_code for r in more] == [503, 503]
    assert all(r.headers["retry-after"].isdigit() for r in more)
    assert cheap.status_code == 200
    assert [r.status_code for r in served] == [200] * slots


def test_limit_truncates(world: World) -> None:  # noqa: F811
    from fastapi.testclient import TestClient

    with TestClient(_app(world), base_url="http://127.0.0.1") as c:
        doc = call(c, world, "admin", "reports/download",
                   {"date": DAY.isoformat(), "type": "dns", "limit": 3}).json()  # fmt: skip
        assert doc["truncated"] is True and len(doc["rows"]) == 3
        full = call(c, world, "admin", "reports/download",
                    {"date": DAY.isoformat(), "type": "dns"}).json()  # fmt: skip
        assert full["truncated"] is False and len(full["rows"]) == 9
        too_long = call(c, world, "admin", "reports/stats", {"date": "2026-01-01:2026-02-01"})
        assert too_long.status_code == 400 and "at most 31" in too_long.text
