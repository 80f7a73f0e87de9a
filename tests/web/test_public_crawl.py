"""No public page can forget the scope: a crawler follows every same-origin link from the
home page and every registered public page (HTML, and both JSON twins), over a sinkhole
store holding many organisations' addresses, as an anonymous visitor; no answer names an
address, and none is a server error."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from fastapi.testclient import TestClient

from dgawatch.web.pages import all_pages

from .test_authz_matrix import EVERY, World, _app, world  # noqa: F401

#: Pages that never read the sinkhole and compute for long per link (names, the model).
SKIP = re.compile(r"^/(forecast|lookup|classify)\b")
MOST = 300


def test_no_public_answer_names_an_address(world: World) -> None:  # noqa: F811
    app = _app(world)
    start = ["/"]
    for page in all_pages():
        if page.access != "public" or "{" in page.path:
            continue
        start += [
            page.path,
            page.base + ".json",
            "/api" + ("" if page.base == "/index" else page.base),
        ]
    seen: set[str] = set()
    queue = deque(start)
    visited = 0
    with TestClient(app, base_url="http://127.0.0.1") as c:
        while queue and visited < MOST:
            url = queue.popleft()
            path = urlsplit(url).path
            if url in seen or SKIP.match(path) or path in ("/logout", "/my"):
                continue
            seen.add(url)
            r = c.get(url)
            visited += 1
            assert r.status_code < 500, url
            body = r.text + str(dict(r.headers))
            assert not {a for a in EVERY if a in body}, url
            if "html" in r.headers.get("content-type", ""):
                for href in re.findall(r'href="([^"#]+)"', r.text):
                    target = urljoin(url, href.replace("&amp;", "&"))
                    if target.startswith("/") and target not in seen:
                        queue.append(target)
    assert visited > 20  # the crawl reached beyond the start pages
    assert any(u.startswith("/dashboard/") for u in seen) or not any(
        p.path.startswith("/dashboard") for p in all_pages()
    )
