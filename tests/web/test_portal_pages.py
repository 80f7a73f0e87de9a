"""Pages are an extension point: every module of dgawatch.web.pages defining PAGES is
served as HTML plus two JSON twins, listed in the header and on the home page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request

from dgawatch.web.app import create_app
from dgawatch.web.common import Portal
from dgawatch.web.pages import Page, all_pages


def _hello(request: Request, portal: Portal) -> dict[str, Any]:
    return {"hello": request.query_params.get("who", "world")}


HELLO = Page(
    "/hello",
    _hello,
    "hello.html",
    "Hello",
    nav="hello",
    summary="a page added by a module",
    templates={"hello.html": '{% extends "base.html" %}{% block content %}'
               "<p id=hello>{{ data.hello }}</p>{% endblock %}"},
)  # fmt: skip


def test_registered_pages_are_discovered() -> None:
    paths = [p.path for p in all_pages()]
    for path in ("/", "/families", "/families/{family}", "/forecast", "/lookup", "/classify",
                 "/sinkhole"):  # fmt: skip
        assert path in paths
    assert paths[0] == "/"  # by order


def test_page_added_by_a_module_is_served_with_twins(tmp_path: Path) -> None:
    app = create_app(
        store_path=tmp_path / "none.duckdb",
        sinkhole_dir=tmp_path,
        pages=(*all_pages(), HELLO),
    )
    transport = httpx.ASGITransport(app=app)

    async def fetch() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return [
                await c.get("/hello?who=%3Cb%3E"),
                await c.get("/hello.json?who=x"),
                await c.get("/api/hello?who=y"),
                await c.get("/api"),
                await c.get("/"),
            ]

    import asyncio

    html, js, api, home, home_html = asyncio.run(fetch())
    assert html.status_code == 200
    assert "<p id=hello>&lt;b&gt;</p>" in html.text  # escaped
    assert '<a href="/hello">hello</a>' in html.text  # in the header
    assert js.json() == {"hello": "x"} and api.json() == {"hello": "y"}
    assert "/hello" in home.json()["pages"]
    assert "a page added by a module" in home_html.text


def test_a_page_with_unknown_access_is_refused() -> None:
    with pytest.raises(ValueError):
        Page("/x", _hello, None, "X", access="everyone")
