"""The dashboard and the self-test in a real browser: Debian's headless Chromium driven by
Playwright (``executable_path``; Playwright's own browsers are never downloaded), the portal
served by uvicorn on loopback, and for the self-test a real ``dgawatch sinkhole serve``.
The visitor's resolver is played by Chromium's ``--host-resolver-rules``: the canary names
map to the sinkhole (a resolver without the block list) or to NXDOMAIN (with it).
Screenshots are written under the test's tmp directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from dgawatch.web.app import create_app
from dgawatch.web.pages import all_pages
from dgawatch.web.pages.dashboard import DATASETS
from dgawatch.web.pages.selftest import PROBE_PATH, make_pages
from tests.needs import missing
from tests.servers import running
from tests.web.test_dashboard import app, base, home, serving  # noqa: F401 (fixtures)

DGAWATCH = str(Path(sys.executable).parent / "dgawatch")


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        missing("Debian's chromium is not installed (scripts/apt-packages.txt)")
    return found


@contextmanager
def chromium(*args: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", *args])
        try:
            yield browser
        finally:
            browser.close()


def _csp_errors(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "Refused" in m]


def test_dashboard_pages_render_their_charts(base: str, tmp_path: Path) -> None:  # noqa: F811
    doc = httpx.get(base + "/dashboard.json", timeout=120).json()
    charts = {c["name"]: c["chart"] for c in doc["charts"]}
    assert all(charts.values()), "every chart has data in this store"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text))
        page.goto(base + "/dashboard", timeout=120_000)
        # Lines per series, a point per row, a band per series with an interval.
        rows = charts["addresses"]
        series = {r["series"] for r in rows}
        banded = {r["series"] for r in rows if r["low"] is not None}
        sec = "section#addresses svg"
        assert page.locator(f"{sec} g.mark-line.role-mark path").count() == len(series)
        assert page.locator(f"{sec} g.mark-symbol.role-mark path").count() == len(rows)
        assert page.locator(f"{sec} g.mark-area.role-mark path").count() == len(banded) > 0
        for name in ("families", "countries", "asns", "tlds"):
            bars = page.locator(f"section#{name} svg g.mark-rect.role-mark path").count()
            assert bars == len(charts[name]), name
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        for name, ds in DATASETS.items():
            page.goto(f"{base}/dashboard/{name}?_size=10", timeout=120_000)
            assert page.locator(f"figure svg {ds.marks}").count() > 0, name
            table = httpx.get(f"{base}/dashboard/{name}.json?_size=10", timeout=60).json()
            assert page.locator("table.data tr").count() == 1 + len(table["rows"]), name
            page.screenshot(path=str(tmp_path / f"dashboard-{name}.png"), full_page=True)
        # Sorting through the header link, no script involved.
        page.goto(f"{base}/dashboard/countries", timeout=120_000)
        page.click("table.data th a:text('addresses')")
        values = [int(v) for v in page.locator("table.data td.num").all_inner_texts()]
        assert values == sorted(values)
    assert not _csp_errors(console), console


# -- the self-test ----------------------------------------------------------------------------


@contextmanager
def sinkhole(datadir: Path) -> Iterator[int]:
    """``dgawatch sinkhole serve`` for two families on loopback; yields its HTTP port."""
    env = dict(os.environ, DGAWATCH_HOME=str(datadir))
    serve = [DGAWATCH, "sinkhole", "serve", "--sinkhole-dir", str(datadir / "sinkhole"),
             "--address", "127.0.0.1", "--listen", "127.0.0.1", "--dns-port", "0",
             "--http-port", "0", "--family", "conficker", "--family", "cryptolocker",
             "--max-names-per-day", "5"]  # fmt: skip
    with running(serve, wait=15, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "no output")
        yield int(json.loads(line)["listening"]["http"][0])


def probes_seen(datadir: Path, nonce: str) -> list[dict[str, Any]]:
    """The sinkhole's HTTP events of one page load's probes."""
    seen = []
    for f in (datadir / "sinkhole").glob("events-*.jsonl"):
        for line in f.read_text().splitlines():
            doc = json.loads(line)
            if doc.get("proto") == "http" and doc.get("path") == PROBE_PATH + nonce:
                seen.append(doc)
    return seen


def run_selftest(browser: Any, url: str, shot: Path) -> tuple[str, str, list[str]]:
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(url, timeout=60_000)
    page.wait_for_selector("#verdict:not([data-verdict=''])", timeout=30_000)
    verdict = page.get_attribute("#verdict", "data-verdict") or ""
    shown = page.locator(f"#verdict p[data-for={verdict}]").inner_text()
    probe = page.get_attribute("tr[data-kind=control]", "data-probe") or ""
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    assert not _csp_errors(console), console
    return verdict, probe.rsplit("/", 1)[1], [shown]


def test_selftest_tells_a_blocking_resolver_from_an_open_one(tmp_path: Path) -> None:
    datadir = tmp_path / "datadir"
    datadir.mkdir()
    with sinkhole(datadir) as port:
        pages = (*(p for p in all_pages() if p.path != "/selftest"), *make_pages(http_port=port))
        with serving(create_app(datadir / "f.duckdb", datadir / "sinkhole", pages=pages)) as url:
            doc = httpx.get(url + "/selftest.json", timeout=60).json()
            names = [c["name"] for c in doc["canaries"]]
            assert len(names) == 2 and doc["control"]["address"] == "127.0.0.1"
            assert {c["family"] for c in doc["canaries"]} == {"conficker", "cryptolocker"}

            def rules(target: str) -> str:
                return "--host-resolver-rules=" + ", ".join(f"MAP {n} {target}" for n in names)

            # A resolver without the block list: the names lead to the sinkhole.
            with chromium(rules("127.0.0.1")) as browser:
                shot = tmp_path / "selftest-exposed.png"
                verdict, nonce, text = run_selftest(browser, url + "/selftest", shot)
            assert verdict == "exposed" and "does NOT apply" in text[0]
            hosts = sorted(str(e["host"]).rsplit(":", 1)[0] for e in probes_seen(datadir, nonce))
            assert hosts == sorted([*names, "127.0.0.1"])

            # A resolver applying it: NXDOMAIN for the names; the control still answers.
            with chromium(rules("~NOTFOUND")) as browser:
                shot = tmp_path / "selftest-protected.png"
                verdict, nonce, text = run_selftest(browser, url + "/selftest", shot)
                # Without JavaScript the page says why it cannot tell and how to check.
                ctx = browser.new_context(java_script_enabled=False)
                page = ctx.new_page()
                page.goto(url + "/selftest", timeout=60_000)
                body = page.inner_text("body")
                ctx.close()
            assert verdict == "protected" and "applies the block list" in text[0]
            assert [e["host"].rsplit(":", 1)[0] for e in probes_seen(datadir, nonce)] == [
                "127.0.0.1"
            ]
            assert "needs JavaScript" in body and all(f"dig +short {n} A" in body for n in names)


def test_selftest_without_a_reachable_sinkhole_is_inconclusive(tmp_path: Path) -> None:
    """The names fail to load, but so does the sinkhole's own address: the page must not
    call that 'protected'."""
    from dgawatch.days import today
    from dgawatch.families import get_family
    from dgawatch.sinkhole.names import write_held
    from dgawatch.sinkhole.plan import AddressPlan, write_plan
    from tests.web.test_dashboard import free_port

    store = tmp_path / "sinkhole"
    store.mkdir()
    write_held(store, today().isoformat(), {"cryptolocker/default": 5}, 5)
    variant = get_family("cryptolocker").variant("default")
    write_plan(store, AddressPlan.assign([variant], ["127.0.0.1"], []), since_ms=0)
    port = free_port()  # nothing listens there
    pages = (*(p for p in all_pages() if p.path != "/selftest"), *make_pages(http_port=port))
    with serving(create_app(tmp_path / "f.duckdb", store, pages=pages)) as url:
        names = [
            c["name"] for c in httpx.get(url + "/selftest.json", timeout=60).json()["canaries"]
        ]
        rules = "--host-resolver-rules=" + ", ".join(f"MAP {n} ~NOTFOUND" for n in names)
        with chromium(rules) as browser:
            shot = tmp_path / "selftest-inconclusive.png"
            verdict, _nonce, text = run_selftest(browser, url + "/selftest", shot)
    assert names and verdict == "inconclusive" and "Inconclusive" in text[0]
