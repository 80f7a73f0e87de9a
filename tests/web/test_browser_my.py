"""A network owner in a real browser (Debian's Chromium through Playwright): signs in with
the key id and secret, sees only its own networks' figures on /my, downloads its report,
is refused another's, and signs out. No Content-Security-Policy violation; the screenshot
is a test artefact."""

from __future__ import annotations

from pathlib import Path

from dgawatch.sinkhole.enrich import Enricher

from .test_authz_matrix import ADDRS, DATE, EVERY, World, world  # noqa: F401
from .test_browser import _csp_errors, chromium
from .test_portal import serve_in_thread


def test_sign_in_and_own_reports(world: World, tmp_path: Path) -> None:  # noqa: F811
    enrich = Enricher(asn_db=world.home / "asn.txt", country_db=world.home / "cc.txt",
                      packages=False)  # fmt: skip
    key_id, secret = world.keys["b"]
    server = serve_in_thread(
        store_path=world.home / "none.duckdb", sinkhole_dir=world.home / "sinkhole", enrich=enrich
    )
    with server as url, chromium() as browser:
        page = browser.new_page()
        messages: list[str] = []
        page.on("console", lambda m: messages.append(m.text))
        page.goto(url + "/my")
        assert "sign the request" in page.content()  # 401 page, nothing else
        page.goto(url + "/login")
        page.fill("input[name=key_id]", key_id)
        page.fill("input[name=secret]", secret)
        page.click("input[type=submit]")
        page.wait_for_url(url + "/my")
        page.goto(url + f"/my?date={DATE}")
        text = page.inner_text("main")
        assert "org-b" in text and "asn:AS64500" in text
        assert not {a for a in EVERY if a in page.content()}  # counts only on the page
        rows = page.query_selector_all("main table:nth-of-type(2) tr")
        assert [r.inner_text().split("\t")[1] for r in rows[1:]] == ["2", "2"]
        page.screenshot(path=str(tmp_path / "my.png"), full_page=True)
        link = page.query_selector("a[href^='/my/report.csv']")
        assert link is not None
        csv_answer = page.request.get(url + str(link.get_attribute("href")))
        assert {a for a in EVERY if a in csv_answer.text()} == set(ADDRS["b"])
        other = page.request.get(url + f"/my/report.csv?date={DATE}&ip={ADDRS['a'][0]}")
        assert other.status == 403 and not {a for a in EVERY if a in other.text()}
        page.click("input[value='sign out']")
        page.wait_for_url(url + "/")
        assert page.request.get(url + "/my.json").status == 401
        assert not _csp_errors(messages), messages
