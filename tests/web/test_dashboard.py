"""The dashboard over real HTTP (uvicorn on loopback): a sinkhole event store written by the
simulator, a watch store written through its own API, country/ASN files as an operator
would give them. Expected figures are counted here straight from the store's Parquet
files with pyarrow, never through dgawatch.sinkhole.stats."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import uvicorn

from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.watch.evidence import Verdict
from dgawatch.watch.store import WatchStore
from dgawatch.web.app import create_app
from dgawatch.web.pages import all_pages
from dgawatch.web.pages.dashboard import DATASETS, network_counts

DAYS = (dt.date(2026, 11, 20), dt.date(2026, 11, 21))
COUNTRIES = "0.0.0.0/1 AA\n64.0.0.0/2 BB\n96.0.0.0/3 CC\n"
ASNS = "0.0.0.0/1 AS64500\n64.0.0.0/2 AS64501\n"
#: (tld, family) -> states of its names in the watch check
WATCH = {
    ("com", "conficker"): ["free", "free", "reserved", "sinkholed"],
    ("net", "conficker"): ["sinkholed", "alert"],
    ("com", "necurs"): ["collision", "reserved"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def write_watch(home: Path) -> None:
    now = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
    rows, verdicts, tlds = [], [], {}
    for (tld, family), states in WATCH.items():
        for i, state in enumerate(states):
            name = f"{family}{i}.{tld}"
            rows.append((name, tld, family, "x", DAYS[1]))
            verdicts.append(Verdict(name, state, "test", now))
            tlds[name] = tld
    with WatchStore(home / "watch.duckdb") as ws:
        check = ws.begin_check(now, DAYS[1], DAYS[1], ["com", "net"], ["zone"], rows)
        ws.record(check, tlds, verdicts)
        ws.finish_check(check, now)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dash-home")
    for i, day in enumerate(DAYS):
        b = Botnet(bots=600 + 400 * i, held=60, day=day, seed=7 + i, edge_s=0.0)
        write_store(simulate(b), home / "sinkhole", worker=f"w{i}")
    write_watch(home)
    (home / "cc.txt").write_text(COUNTRIES)
    (home / "asn.txt").write_text(ASNS)
    return home


def make_app(home: Path, pages: tuple[Any, ...] | None = None) -> Any:
    enrich = Enricher(asn_db=home / "asn.txt", country_db=home / "cc.txt", packages=False)
    return create_app(home / "forecast.duckdb", home / "sinkhole", pages=pages, enrich=enrich)


@pytest.fixture(scope="module")
def app(home: Path) -> Any:
    return make_app(home)


@pytest.fixture(scope="module")
def base(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


def get(base: str, path: str) -> httpx.Response:
    return httpx.get(base + path, timeout=120)


def store_table(home: Path) -> Any:
    files = sorted((home / "sinkhole").glob("events-*.parquet"))
    import pyarrow as pa

    return pa.concat_tables([pq.read_table(f, columns=["ts", "proto", "src_ip"]) for f in files])


def distinct_per_day(home: Path, proto: str | None = None) -> dict[str, int]:
    t = store_table(home)
    out: dict[str, set[str]] = {}
    for ts, p, ip in zip(t["ts"].to_pylist(), t["proto"].to_pylist(), t["src_ip"].to_pylist(),
                         strict=True):  # fmt: skip
        if proto is not None and not p.startswith(proto):
            continue
        day = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).date().isoformat()
        out.setdefault(day, set()).add(ip)
    return {d: len(s) for d, s in out.items()}


def test_daily_chart_data_equals_the_stores_counts(home: Path, base: str) -> None:
    doc = get(base, "/dashboard/addresses.json?_size=1000").json()
    rows = doc["rows"]
    for series, proto in (("all sources", None), ("HTTP sources", "http"),
                          ("DNS sources (mostly resolvers)", "dns/")):  # fmt: skip
        got = {r["day"]: r["value"] for r in rows if r["series"] == series}
        assert got == distinct_per_day(home, proto), series
    # The estimates of each simulated list day are drawn with their 95 % interval.
    est = [r for r in rows if r["unit"].startswith("machines") and r["method"] == "k-of-D"]
    assert {d.isoformat() for d in DAYS} <= {r["day"] for r in est}
    assert all(r["low"] < r["value"] < r["high"] for r in est)
    assert doc["chart"] == rows  # the chart draws exactly the table's rows


def expected_networks(home: Path, day: str) -> tuple[dict[str, int], dict[str, int]]:
    cc = [(ipaddress.ip_network(p), v) for p, v in (ln.split() for ln in COUNTRIES.splitlines())]
    asn = [(ipaddress.ip_network(p), v) for p, v in (ln.split() for ln in ASNS.splitlines())]

    def longest(table: list[tuple[Any, str]], ip: str) -> str:
        a = ipaddress.ip_address(ip)
        hits = [(n.prefixlen, v) for n, v in table if a in n]
        return max(hits)[1] if hits else "unknown"

    t = store_table(home)
    start = int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), dt.UTC).timestamp())
    mask = pc.and_(
        pc.greater_equal(t["ts"], start * 1000), pc.less(t["ts"], (start + 86_400) * 1000)
    )
    ips = set(t.filter(mask)["src_ip"].to_pylist())
    countries: dict[str, int] = {}
    asns: dict[str, int] = {}
    for ip in ips:
        c, a = longest(cc, ip), longest(asn, ip)
        countries[c] = countries.get(c, 0) + 1
        asns[a] = asns.get(a, 0) + 1
    return countries, asns


def test_country_and_asn_counts_of_the_chosen_day(home: Path, base: str, app: Any) -> None:
    day = DAYS[0].isoformat()
    countries, asns = expected_networks(home, day)
    doc = get(base, f"/dashboard/countries.json?day={day}").json()
    assert {r["country"]: r["addresses"] for r in doc["rows"]} == countries
    assert "Not normalised" in doc["note"]
    doc = get(base, f"/dashboard/asns.json?day={day}").json()
    assert {r["asn"]: r["addresses"] for r in doc["rows"]} == asns
    # An operator's ASN file has no announced space: said so, nothing invented.
    assert all(r["per_million_announced"] is None for r in doc["rows"])
    assert "Not normalised" in doc["note"]
    # Default day: the last day with events; each day counted once, then cached.
    latest = get(base, "/dashboard/countries.json").json()
    assert {r["day"] for r in latest["rows"]} == {max(distinct_per_day(home))}
    before = network_counts(app.state.portal).computed
    for _ in range(2):
        get(base, f"/dashboard/asns.json?day={day}")
    assert network_counts(app.state.portal).computed == before


def test_watch_protection_table(base: str) -> None:
    doc = get(base, "/dashboard/tlds.json").json()
    got = {(r["tld"], r["family"]): r for r in doc["rows"]}
    assert set(got) == set(WATCH)
    for key, states in WATCH.items():
        for s in ("free", "reserved", "sinkholed", "collision", "alert", "unknown"):
            assert got[key][s] == states.count(s)
            assert got[key][f"share_{s}"] == pytest.approx(states.count(s) / len(states))
    assert sum(r["names"] for r in doc["chart"]) == sum(len(s) for s in WATCH.values())
    svg = get(base, "/dashboard/tlds.svg").text
    assert svg.startswith("<svg") and svg.count("<path") >= len(doc["chart"])


def test_tables_sort_filter_page_and_twins(base: str) -> None:
    day = DAYS[0].isoformat()
    full = get(base, f"/dashboard/countries.json?day={day}&_sort=country").json()
    names = [r["country"] for r in full["rows"]]
    assert names == sorted(names) and full["matched"] == full["total"] == len(names)
    top = get(base, f"/dashboard/countries.json?day={day}&_sort_desc=addresses&_size=1").json()
    assert top["pages"] == len(names) and len(top["rows"]) == 1
    assert top["rows"][0]["addresses"] == max(r["addresses"] for r in full["rows"])
    page2 = get(base, f"/dashboard/countries.json?day={day}&_sort=country&_size=1&_page=2")
    assert page2.json()["rows"] == full["rows"][1:2]
    one = get(base, f"/dashboard/countries.json?day={day}&country=BB").json()
    assert [r["country"] for r in one["rows"]] == ["BB"] and one["total"] == len(names)
    form = get(base, f"/dashboard/countries.json?day={day}&_filter_column=addresses"
                     "&_filter_op=gte&_filter_value=1000000").json()  # fmt: skip
    assert form["matched"] == 0
    assert {"column": "addresses", "op": "gte", "value": "1000000"} in form["filters"]
    csv = get(base, f"/dashboard/countries.csv?day={day}&_sort=country&_size=1")
    lines = csv.text.splitlines()
    assert csv.headers["content-type"].startswith("text/csv")
    assert lines[0] == "day,country,addresses" and len(lines) == 1 + len(names)  # every page
    assert [ln.split(",")[1] for ln in lines[1:]] == names
    html = get(base, f"/dashboard/countries?day={day}&_sort=country").text
    assert "_sort_desc=country" in html and "<svg" in html and "_filter_column" in html
    for bad in ("nosuch__contains=x", "_sort=nosuch", "_page=99", "_size=0", "country__near=x"):
        r = get(base, f"/dashboard/countries.json?day={day}&{bad}")
        assert r.status_code == 400, bad
        assert "error" in r.json()
    assert get(base, "/dashboard/nosuch.json").status_code == 404
    assert get(base, "/dashboard/nosuch").status_code == 404


_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")


def test_public_pages_show_no_address(home: Path, base: str) -> None:
    sources = set(store_table(home)["src_ip"].to_pylist())
    paths = ["/dashboard", "/dashboard.json"]
    for name in DATASETS:
        paths += [f"/dashboard/{name}", f"/dashboard/{name}.json", f"/dashboard/{name}.csv"]
    for path in paths:
        body = get(base, path).text
        assert not set(_IPV4.findall(body)) & sources, path
    assert all(p.access == "public" for p in all_pages() if p.path.startswith("/dashboard"))


def test_expensive_requests_are_bounded(home: Path) -> None:
    """Both expensive slots taken: the dashboard (HTML, JSON, CSV) answers 503 at once,
    a cheap page still answers; a freed slot serves it again."""
    app = make_app(home)
    with serving(app) as url:
        limiter = app.state.portal.limiter
        for _ in range(limiter.slots):
            limiter.acquire()
        try:
            for path in ("/dashboard", "/dashboard.json", "/dashboard/countries.csv",
                         "/dashboard/asns"):  # fmt: skip
                t0 = time.monotonic()
                r = get(url, path)
                assert r.status_code == 503 and r.headers["retry-after"], path
                assert time.monotonic() - t0 < 10
            assert get(url, "/selftest.json").status_code == 200
        finally:
            for _ in range(limiter.slots):
                limiter.release()
        assert get(url, "/dashboard/countries.json").status_code == 200
        # One request counts one day's events, whatever the store holds.
        assert network_counts(app.state.portal).computed == 1


def test_chart_text_is_escaped_in_the_svg() -> None:
    """Labels come from the store; the SVG inlined in the page must not carry markup."""
    from dgawatch.web.charts import bar_chart, svg

    drawn = svg(bar_chart([{"country": "<b onload=x>&", "addresses": 3}], "country", "addresses"))
    assert "<b " not in drawn and "&lt;b onload=x&gt;&amp;" in drawn
    assert "<script" not in drawn and "style=" not in drawn  # nothing the page's CSP refuses


def test_empty_stores(tmp_path: Path) -> None:
    """No sinkhole events, no watch store, no held names: every page says so, no chart."""
    (tmp_path / "sinkhole").mkdir()
    with serving(create_app(tmp_path / "f.duckdb", tmp_path / "sinkhole")) as url:
        html = get(url, "/dashboard").text
        assert "No sinkhole events" in html and "<svg" not in html
        for name in DATASETS:
            doc = get(url, f"/dashboard/{name}.json").json()
            assert doc["rows"] == [] and doc["chart"] == [] and doc["total"] == 0, name
            assert get(url, f"/dashboard/{name}.svg").status_code == 404
            assert get(url, f"/dashboard/{name}.csv").text.count("\n") == 1  # header only
        doc = get(url, "/selftest.json").json()
        assert doc["canaries"] == [] and doc["control"] is None
        assert "holds no names today" in get(url, "/selftest").text
