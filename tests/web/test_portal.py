"""The web portal over real HTTP: ``dgawatch web serve`` in a subprocess on loopback, with a
real forecast store and a real sinkhole event store in a temporary data directory."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from dgawatch.families import get_family
from dgawatch.forecast import iter_day_lists, write_forecast
from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.store import write_events
from dgawatch.store import ForecastStore
from dgawatch.web.app import create_app
from tests.needs import missing
from tests.shared_data import read_csv

C = get_family("conficker").variant("c")
STORE_DAY = dt.date(2009, 4, 1)
EVENT_DAY = dt.date(2026, 11, 27)
CLI = "from dgawatch.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(base + "/api", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {base} did not come up")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dgawatch-home")
    with ForecastStore(home / "forecast.duckdb") as store:
        store.build([C], [STORE_DAY])
    t0 = int(dt.datetime.combine(EVENT_DAY, dt.time(10), dt.UTC).timestamp() * 1000)
    events = [
        SinkholeEvent(
            ts=t0 + i * 1000,
            proto="dns/udp",
            src_ip=f"203.0.113.{i}",
            src_port=5353,
            dst_ip="192.0.2.1",
            dst_port=53,
            domain="abc.com",
            family="conficker",
            variant="b",
            day=EVENT_DAY.isoformat(),
            qname="abc.com",
            qtype="A",
        )
        for i in range(7)
    ]
    write_events(events, home / "sinkhole")
    return home


@pytest.fixture(scope="module")
def base(home: Path) -> Iterator[str]:
    """``dgawatch web serve`` on a free loopback port, stopped at the end."""
    port = _free_port()
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "web", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve_in_thread(**kwargs: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(**kwargs), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def get(base: str, path: str, **params: str) -> httpx.Response:
    # No params= at all when there are none: httpx would drop a query already in ``path``.
    if not params:
        return httpx.get(base + path, timeout=60)
    return httpx.get(base + path, params=params, timeout=60)


def test_home_shows_store_and_links(base: str, home: Path) -> None:
    doc = get(base, "/index.json").json()
    assert doc == get(base, "/api").json()
    assert doc["store"]["present"] is True
    assert doc["store"]["lists"] == [
        {
            "family": "conficker",
            "variant": "c",
            "first_day": "2009-04-01",
            "last_day": "2009-04-01",
            "days": 1,
            "names": 50_000,
            "stale": False,  # written by this version's generator
        }
    ]
    page = get(base, "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="/families"' in page.text and "50,000" in page.text
    assert 'href="/index.json"' in page.text


def test_families(base: str) -> None:
    families = get(base, "/families.json").json()
    assert families == get(base, "/api/families").json()
    conficker = next(f for f in families if f["family"] == "conficker")
    assert [v["variant"] for v in conficker["variants"]] == ["a", "b", "c"]
    c = conficker["variants"][2]
    assert c["domains_per_day"] == 50_000 and c["active_from"] == C.active_from.isoformat()
    html = get(base, "/families").text
    assert 'href="/families/conficker"' in html and "50,000" in html

    one = get(base, "/families/conficker.json").json()
    assert one["family"] == "conficker" and len(one["variants"]) == 3
    assert get(base, "/api/families/kido").json()["family"] == "conficker"  # alias
    html = get(base, "/families/conficker").text
    assert "Variant c" in html and "/forecast?family=conficker&amp;variant=c" in html


def test_forecast_page_and_downloads(base: str) -> None:
    q = {"family": "conficker", "variant": "c", "day": "2009-04-01"}
    doc = get(base, "/forecast.json", **q).json()
    assert doc["shown"] == 500 and len(doc["names"]) == 500
    assert doc["names"][0] == {
        "day": "2009-04-01",
        "family": "conficker",
        "variant": "c",
        "index": 0,
        "domain": "oubezepg.com.mx",
    }
    html = get(base, "/forecast", **q).text
    assert "oubezepg.com.mx" in html and doc["names"][499]["domain"] in html
    assert doc["names"] and "/forecast.txt?family=conficker&amp;variant=c" in html

    expected = {}
    for fmt in ("txt", "csv"):
        buf = BytesIO()
        write_forecast(iter_day_lists([C], [STORE_DAY, STORE_DAY + dt.timedelta(days=1)]), fmt, buf)
        expected[fmt] = buf.getvalue()
    txt = get(base, doc["downloads"]["txt"])
    assert txt.status_code == 200 and txt.text.startswith("oubezepg.com.mx\n")
    assert txt.content == expected["txt"][: len(txt.content)]
    assert txt.text.count("\n") == 50_000
    assert 'filename="conficker_c_2009-04-01.txt"' in txt.headers["content-disposition"]
    # Two days: the first from the store, the second generated; same bytes as the CLI writer.
    csv = get(base, "/forecast.csv", **q, days="2")
    assert csv.content == expected["csv"]
    assert csv.text.startswith("day,family,variant,index,domain\n2009-04-01,conficker,c,0,")


def test_lookup_generated_and_from_store(base: str) -> None:
    truth = read_csv("conficker/conficker_c_netlab360_sample_matched.csv")[0]
    assert truth["domain"] == "xpun.nl"
    day, index = truth["matched_date_index"].split("#")
    doc = get(base, "/api/lookup", q="xpun.nl", start=day, end=day).json()
    assert doc == get(base, "/lookup.json", q="xpun.nl", start=day, end=day).json()
    assert doc["days_from_store"] == 0 and doc["days_generated"] > 0
    (result,) = doc["results"]
    assert {"family": "conficker", "variant": "c", "day": day, "index": int(index),
            "domain": "xpun.nl"} in result["matches"]  # fmt: skip
    html = get(base, "/lookup", q="www.xpun.nl", start=day, end=day).text
    assert "xpun.nl" in html and f">{index}<" in html

    stored = get(base, "/api/lookup", q="www.oubezepg.com.mx", start="2009-04-01").json()
    assert stored["days_from_store"] >= 1
    assert stored["results"][0]["matches"][0] == {
        "family": "conficker",
        "variant": "c",
        "day": "2009-04-01",
        "index": 0,
        "domain": "oubezepg.com.mx",
    }
    assert "Give a domain name" in get(base, "/lookup").text  # the empty form


def test_classify(base: str) -> None:
    doc = get(base, "/api/classify", q="xjwqpzkrtvbnhd.ru").json()
    if not doc["available"]:
        missing(f"classifier unavailable: {doc['error']}")
    benign = get(base, "/classify.json", q="google.com").json()
    assert 0 <= benign["score"] < doc["score"] <= 1
    assert benign["generated"] is False
    html = get(base, "/classify", q="google.com").text
    assert "google.com" in html and "closest known family" in html


def test_sinkhole_stats(base: str) -> None:
    doc = get(base, "/sinkhole.json").json()
    assert doc["present"] is True and doc["events"] == 7
    assert doc["by_day"] == [
        {
            "addresses": 7,
            "http_addresses": 0,
            "dns_addresses": 7,
            "events": 7,
            "day": EVENT_DAY.isoformat(),
        }
    ]
    assert doc["estimates"] == []  # DNS gives no population (HTTP only, see sinkhole.stats)
    assert doc["stale"] is False and "directory" not in doc
    html = get(base, "/sinkhole").text
    assert "Per day" in html and "203.0.113" not in html  # aggregates only, no addresses


def test_sinkhole_dir_given_relative(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``web serve --sinkhole-dir sinkhole`` from the store's parent: the per-day views link
    the event files by absolute path (a relative link inside a temporary view dangled: 503)."""
    monkeypatch.chdir(home)
    with serve_in_thread(store_path=home / "forecast.duckdb", sinkhole_dir=Path("sinkhole")) as url:
        doc = get(url, "/sinkhole.json")
        assert doc.status_code == 200, doc.text
        assert doc.json()["events"] == 7
        assert get(url, "/dashboard").status_code == 200


def test_sinkhole_empty_state(tmp_path: Path) -> None:
    with serve_in_thread(store_path=tmp_path / "none.duckdb", sinkhole_dir=tmp_path / "s") as url:
        doc = get(url, "/api/sinkhole").json()
        assert doc["present"] is False and doc["events"] == 0
        assert "No sinkhole events" in get(url, "/sinkhole").text
        home = get(url, "/api").json()
        assert home["store"]["present"] is False
        assert "No forecast store" in get(url, "/").text


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/forecast",
            {"family": "conficker", "variant": "c", "day": "2009-02-30"},
            "real calendar",
        ),
        ("/forecast", {"family": "nosuch", "day": "2009-04-01"}, "unknown family"),
        ("/forecast", {"family": "conficker", "variant": "z"}, "no variant"),
        ("/forecast", {"family": "conficker", "variant": "c", "day": "2008-01-01"}, "before"),
        ("/forecast", {"family": "conficker", "variant": "c", "tld": "zz"}, "no selected variant"),
        ("/forecast", {"family": "conficker", "variant": "c", "days": "x"}, "whole number"),
        ("/families/nosuch", {}, "unknown family"),
        ("/lookup", {"q": "xpun.nl", "start": "2014-11-31"}, "real calendar"),
        ("/lookup", {"q": "xpun.nl", "start": "2014-11-12", "end": "2014-11-11"}, "before"),
        ("/lookup", {"q": "xpun.nl", "start": "2014-01-01", "end": "2014-12-31"}, "31 days"),
        ("/lookup", {"q": "bad..name"}, ""),
        ("/lookup", {"start": "2014-11-11"}, "q (the domain name"),
    ],
)
def test_errors_are_400_in_html_and_json(
    base: str, path: str, params: dict[str, str], message: str
) -> None:
    html = get(base, path, **params)
    assert html.status_code == 400
    assert html.headers["content-type"].startswith("text/html")
    assert message in html.text and "Traceback" not in html.text
    js = get(base, path + ".json", **params)
    assert js.status_code == 400
    assert message in js.json()["error"] and js.json()["status"] == 400
    if path != "/families/nosuch":
        download = get(base, "/forecast.txt", **params) if path == "/forecast" else None
        assert download is None or download.status_code == 400


def test_unknown_page_is_404_both_ways(base: str) -> None:
    assert get(base, "/nope").status_code == 404
    js = get(base, "/api/nope")
    assert js.status_code == 404 and js.json()["error"] == "no such page"
