"""The portal under abuse (issue 14 item 10, issue 17): cached sinkhole figures equal to a
full scan and refreshed only where the store changed, a bounded number of expensive
requests with 503 + Retry-After beyond it while cheap pages keep being served, bounded
downloads, a Host allowlist, security headers, errors in the format asked for and no server
paths in answers. Real servers on loopback, real stores."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import dgawatch.web.app as web_app
import dgawatch.web.pages.forecast as forecast_page
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.stats import SinkholeStats
from dgawatch.sinkhole.store import write_events
from dgawatch.web.sinkhole_cache import SinkholeAggregates

from .test_portal import get, serve_in_thread

SIM_DAY = dt.date(2026, 11, 20)
RAW_DAY = dt.date(2026, 11, 25)


def _dns_events(day: dt.date, n: int, first: int = 0) -> list[SinkholeEvent]:
    t0 = int(dt.datetime.combine(day, dt.time(9), dt.UTC).timestamp() * 1000)
    return [
        SinkholeEvent(
            ts=t0 + i * 1000,
            proto="dns/udp",
            src_ip=f"198.51.100.{i % 250}",
            src_port=5353,
            dst_ip="192.0.2.53",
            dst_port=53,
            domain="abc.com",
            family="conficker",
            variant="b",
            day=day.isoformat(),
            qname="abc.com",
            qtype="A",
        )
        for i in range(first, first + n)
    ]


@pytest.fixture(scope="module")
def sinkhole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of several days: a simulated Conficker C botnet (HTTP with an address plan
    and held names, and DNS; Parquet over three UTC days) plus raw JSON-lines events."""
    directory = tmp_path_factory.mktemp("sinkhole")
    write_store(simulate(Botnet(bots=3000, held=40, day=SIM_DAY)), directory)
    write_events(_dns_events(RAW_DAY, 30), directory)
    return directory


def _full_scan(directory: Path) -> dict[str, Any]:
    with SinkholeStats(directory) as st:
        row = st.con.execute("SELECT count(*) FROM events").fetchone()
        return {
            "events": row[0] if row else 0,
            "by_day": st.by_time("day"),
            "by_family": st.by_family(),
            "estimates": [e.to_dict() for e in st.estimates()],
        }


def _figures(agg: SinkholeAggregates) -> dict[str, Any]:
    figs = agg.figures()
    return {k: figs[k] for k in ("events", "by_day", "by_family", "estimates")}


def test_cached_figures_equal_a_full_scan_and_refresh_only_changed_days(
    sinkhole: Path, tmp_path: Path
) -> None:
    import shutil

    directory = tmp_path / "store"
    shutil.copytree(sinkhole, directory)
    agg = SinkholeAggregates(directory, refresh_interval_s=0.0)
    first = _figures(agg)
    expected = _full_scan(directory)
    assert first == expected
    assert first["estimates"], "the simulated botnet must give HTTP estimates"
    days = len(first["by_day"])
    assert days >= 4 and agg.days_computed == days
    assert _figures(agg) == expected and agg.days_computed == days  # nothing changed
    write_events(_dns_events(RAW_DAY, 20, first=30), directory)  # one day grows
    again = _figures(agg)
    assert again == _full_scan(directory) and again["events"] == expected["events"] + 20
    assert agg.days_computed == days + 1  # only that day was recomputed


@pytest.fixture
def portal(sinkhole: Path, tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(store_path=tmp_path / "none.duckdb", sinkhole_dir=sinkhole) as url:
        yield url


def test_concurrent_expensive_requests_get_503_while_cheap_ones_are_served(
    portal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Expensive work held open: exactly EXPENSIVE_SLOTS downloads run, the others are told
    to come back (503 + Retry-After) instead of queueing, and cheap pages answer meanwhile."""
    gate = threading.Event()
    entered = threading.Semaphore(0)
    real = forecast_page._generate_download

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.release()
        gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(forecast_page, "_generate_download", held)
    q = {"family": "conficker", "variant": "b", "day": "2009-01-08"}
    n = web_app.EXPENSIVE_SLOTS + 2
    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(get, portal, "/forecast.txt", **q) for _ in range(n)]
        for _ in range(web_app.EXPENSIVE_SLOTS):
            assert entered.acquire(timeout=30)
        # The slots are held: the other requests settle on their own, refused.
        deadline = time.monotonic() + 10 * web_app.EXPENSIVE_WAIT_S + 10
        while sum(f.done() for f in futures) < n - web_app.EXPENSIVE_SLOTS:
            assert time.monotonic() < deadline, "requests beyond the slots were not refused"
            time.sleep(0.05)
        refused = [f.result() for f in futures if f.done()]
        pending = [f for f in futures if not f.done()]
        cheap = [get(portal, p) for p in ("/families.json", "/api", "/", "/families/conficker")]
        gate.set()
        served = [f.result() for f in pending]
    assert [r.status_code for r in cheap] == [200, 200, 200, 200]
    assert [r.status_code for r in refused] == [503, 503]
    assert all(r.headers["retry-after"].isdigit() for r in refused)
    assert "busy" in refused[0].text
    assert [r.status_code for r in served] == [200] * web_app.EXPENSIVE_SLOTS
    assert all(r.text.count("\n") == 250 for r in served)  # Conficker B: 250 names a day


def test_download_generation_is_bounded(portal: str, monkeypatch: pytest.MonkeyPatch) -> None:
    r = get(portal, "/forecast.txt", family="pushdo", variant="kz_v1", day="2014-01-01", days="366")
    assert r.status_code == 400 and "at most 31" in r.text
    assert r.headers["content-type"].startswith("text/plain")
    monkeypatch.setattr(forecast_page, "DOWNLOAD_BUDGET_S", 0.0)
    r = get(portal, "/forecast.jsonl", family="conficker", variant="b", day="2009-01-08")
    assert r.status_code == 503 and r.headers["retry-after"].isdigit()
    assert r.json()["status"] == 503 and "budget" in r.json()["error"]


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("txt", "text/plain"), ("csv", "text/plain"), ("jsonl", "application/x-ndjson")],
)
def test_download_errors_come_back_in_the_format_asked_for(
    portal: str, fmt: str, content_type: str
) -> None:
    r = get(portal, f"/forecast.{fmt}", family="nosuch", day="2009-04-01")
    assert r.status_code == 400
    assert r.headers["content-type"].startswith(content_type)
    if fmt == "jsonl":
        assert r.json() == {"error": r.json()["error"], "status": 400}
        assert "unknown family" in r.json()["error"]
    else:
        assert r.text.startswith("error: unknown family") and "<" not in r.text


def test_host_allowlist(sinkhole: Path, tmp_path: Path) -> None:
    kw: dict[str, Any] = {"store_path": tmp_path / "none.duckdb", "sinkhole_dir": sinkhole}
    with serve_in_thread(**kw) as url:
        assert httpx.get(url + "/api", headers={"Host": "localhost:8080"}).status_code == 200
        assert httpx.get(url + "/api", headers={"Host": "[::1]:8080"}).status_code == 200
        rebound = httpx.get(url + "/api", headers={"Host": "attacker.example"})
        assert rebound.status_code == 421 and "--allowed-host" in rebound.text
        assert httpx.get(url + "/", headers={"Host": "portal.example"}).status_code == 421
    with serve_in_thread(**kw, allowed_hosts=("Portal.Example",)) as url:
        assert httpx.get(url + "/", headers={"Host": "portal.example"}).status_code == 200
        assert httpx.get(url + "/", headers={"Host": "other.example"}).status_code == 421


def test_security_headers_on_every_kind_of_answer(portal: str) -> None:
    page = get(portal, "/families")
    (style,) = re.findall(r"<style>(.*?)</style>", page.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    for r in (
        page,
        get(portal, "/families.json"),
        get(portal, "/forecast.txt", family="conficker", variant="b", day="2009-01-08"),
        get(portal, "/nope"),
        get(portal, "/forecast", family="nosuch"),
    ):
        h = r.headers
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
        csp = h["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert f"style-src 'sha256-{digest}'" in csp and "script-src" not in csp


def test_answers_carry_no_server_paths(portal: str, sinkhole: Path, tmp_path: Path) -> None:
    for path in ("/api", "/api/sinkhole", "/", "/sinkhole", "/api/nope"):
        text = get(portal, path).text
        assert str(sinkhole) not in text and str(tmp_path) not in text, path
    doc = get(portal, "/api/sinkhole").json()
    assert doc["present"] is True and doc["events"] > 30 and doc["stale"] is False
