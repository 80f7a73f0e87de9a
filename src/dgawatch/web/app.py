"""The read-only web portal: a FastAPI app whose every HTML page has a JSON twin.

Each page is one *view*, a function from the request to a JSON-ready dict; the same view
answers ``/page`` (HTML, rendered from :mod:`dgawatch.web.templates`), ``/page.json`` and
``/api/page`` (JSON), so the two can never disagree. Errors a visitor can cause (a bad
date, an unknown family, a missing name) are :class:`~dgawatch.errors.DgawatchError` and
come back as 400 with the message, in HTML or JSON after the path; nothing else a visitor
sends reaches a traceback.

The portal reads the forecast store (opened read-only per request, so a running
``dgawatch store build`` only makes it fall back to generation) and the sinkhole event
store; it never writes either. Sinkhole figures are aggregate counts: no victim address
is shown.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dgawatch import __version__
from dgawatch.errors import DgawatchError
from dgawatch.web import api as reports_api
from dgawatch.web.auth import SESSION_COOKIE, Authenticator, RateLimit, TooMany
from dgawatch.web.common import (
    EXPENSIVE_SLOTS,
    EXPENSIVE_WAIT_S,
    MAX_GENERATED_DAYS,
    MAX_LOOKUP_NAMES,
    SIGNED_SLOTS,
    Portal,
    View,
    WebError,
    limited,
    param,
)
from dgawatch.web.guard import Busy, HostAllowlist, SecurityHeaders
from dgawatch.web.pages import Page, all_pages
from dgawatch.web.scope import Caller

__all__ = ["EXPENSIVE_SLOTS", "EXPENSIVE_WAIT_S", "SIGNED_SLOTS", "Portal", "View", "WebError",
           "create_app"]  # fmt: skip

log = logging.getLogger("dgawatch.web")


# -- wiring -------------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.endswith(".json") or path == "/api" or path.startswith("/api/")


def _json_url(request: Request) -> str:
    path = request.url.path.rstrip("/")
    url = (path or "/index") + ".json"
    return url + (f"?{request.url.query}" if request.url.query else "")


def _error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The error in the format the path asks for: JSON for .json and /api, one JSON line
    for .jsonl, plain text for .txt and .csv downloads, else HTML."""
    message = _scrub(request, message)
    path = request.url.path
    if path.endswith(".jsonl"):
        line = json.dumps({"error": message, "status": status}) + "\n"
        return Response(line, status, headers, media_type="application/x-ndjson")
    if path.endswith((".txt", ".csv")):
        return PlainTextResponse(f"error: {message}\n", status, headers)
    if _wants_json(request):
        return JSONResponse({"error": message, "status": status}, status, headers)
    from dgawatch.web.templates import render

    html = render(
        "error.html",
        request.app.state.templates,
        title=f"Error {status}",
        message=message,
        json_url=None,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def _scrub(request: Request, message: str) -> str:
    """No server file path in an answer: the store locations become their role."""
    portal: Portal = request.app.state.portal
    for path, role in (
        (portal.store_path, "<forecast store>"),
        (portal.sinkhole_dir, "<sinkhole store>"),
        (portal.store_path.parent, "<data directory>"),
    ):
        message = message.replace(str(path), role)
    return message


def _form(request: Request, *names: str) -> dict[str, str]:
    """The form's fields as given: several names one a line, repeated families/variants/TLDs
    comma-separated (the form splits them again)."""
    sep = {"q": "\n"}
    return {n: sep.get(n, ",").join(request.query_params.getlist(n)) for n in names}


#: Form fields every page's template may read back (each page's own are added).
_FORM_FIELDS = ("q", "start", "end", "family", "variant", "day", "days", "all", "tld")


def _admit(page: Page, request: Request) -> None:
    """Who may see a page: anyone (public), a signed caller (scoped: the view reads rows
    through the scope filter with ``request.state.caller``), the operator (admin)."""
    caller: Caller = request.app.state.caller_of(request)
    if page.access == "public":
        return
    if caller.org is None:
        raise WebError("sign the request with an organisation's API key", 401)
    if page.access == "admin" and caller.role != "admin":
        raise WebError("for the sinkhole operator only", 403)


def _handlers(page: Page) -> tuple[Callable[[Request], Response], Callable[[Request], Response]]:
    """The HTML and JSON handlers of one page. With none of the page's ``form`` fields
    given the HTML page shows its empty form (JSON says what is missing); an ``expensive``
    view runs in a limited slot."""
    from dgawatch.web.templates import render

    signed = page.access != "public"
    view: View = limited(page.view, signed=signed) if page.expensive else page.view
    fields = tuple(dict.fromkeys((*_FORM_FIELDS, *page.form)))

    def as_json(request: Request) -> Response:
        _admit(page, request)
        data = view(request, request.app.state.portal)
        return JSONResponse(jsonable_encoder(data))

    def as_html(request: Request) -> Response:
        assert page.template is not None
        _admit(page, request)
        blank = bool(page.form) and not any(param(request, n) for n in page.form)
        data = None if blank else view(request, request.app.state.portal)
        html = render(
            page.template,
            request.app.state.templates,
            title=page.title_for(request),
            data=data,
            form=_form(request, *fields),
            json_url=_json_url(request),
            max_days=MAX_GENERATED_DAYS,
            max_names=MAX_LOOKUP_NAMES,
        )
        return HTMLResponse(html)

    return as_html, as_json


def create_app(
    store_path: Path | None = None,
    sinkhole_dir: Path | None = None,
    allowed_hosts: tuple[str, ...] = (),
    pages: tuple[Page, ...] | None = None,
    *,
    accounts_dir: Path | None = None,
    enrich: Any = None,
    rate_limit: RateLimit | None = None,
    isolate_counts: bool = False,
) -> FastAPI:
    """The portal over the forecast store at ``store_path`` and the sinkhole event store in
    ``sinkhole_dir`` (defaults: those under the data directory), with every page of
    :mod:`dgawatch.web.pages`. Requests whose Host is not loopback or one of
    ``allowed_hosts`` are refused (421). ``pages`` replaces the registered pages (benches
    compare a page's old and new view). ``accounts_dir``: where ``dgawatch org`` and
    ``dgawatch deliver`` keep the organisations and the delivery ledger (default: beside
    the store); ``enrich``: country/ASN lookups for scopes (default: the sinkhole's
    Enricher); ``rate_limit``: per-caller limit of signed and API requests;
    ``isolate_counts``: the dashboard counts a day's addresses per country and ASN in a
    worker process (stopped with the app), so that work never holds the interpreter lock
    the other requests need (``dgawatch web serve`` does; the process is started by
    ``spawn``, which imports the ``__main__`` module again: a script calling this needs
    the ``if __name__ == "__main__":`` guard)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            app.state.portal.close()

    app = FastAPI(
        title="dgawatch",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    portal = app.state.portal = Portal(
        store_path, sinkhole_dir, accounts_dir=accounts_dir, enrich=enrich,
        isolate_counts=isolate_counts,
    )  # fmt: skip
    auth = Authenticator(portal.orgs)
    limits = rate_limit or RateLimit()
    reports_api.install(app, portal, auth, limits)

    def caller_of(request: Request) -> Caller:
        """The caller of a GET page (signed over an empty body), rate-limited when signed."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        caller = auth.caller(headers, request.method, path, b"")
        if caller.org is None and SESSION_COOKIE in request.cookies:
            caller = auth.session(request.cookies[SESSION_COOKIE])
        if caller.org is not None:
            limits.take(caller.key_id)
        request.state.caller = caller
        return caller

    app.state.caller_of = caller_of
    app.state.auth = auth
    app.state.limits = limits

    from dgawatch.web.templates import environment

    pages = all_pages() if pages is None else pages
    app.state.pages = pages
    app.state.templates = environment(pages)
    handlers = [(page, *_handlers(page)) for page in pages]
    # JSON routes first, so that "/families/x.json" is not read as the family "x.json".
    for page, _html, as_json in handlers:
        app.add_api_route(page.base + ".json", as_json, methods=["GET"])
        api = "/api" + ("" if page.base == "/index" else page.base)
        app.add_api_route(api, as_json, methods=["GET"])
    for page in pages:
        for route in page.extra_routes:
            app.add_api_route(route.path, route.handler, methods=list(route.methods))
    for page, as_html, _json in handlers:
        if page.template is not None:
            app.add_api_route(page.path, as_html, methods=["GET"], response_class=HTMLResponse)

    @app.exception_handler(TooMany)
    def _too_many(request: Request, exc: TooMany) -> Response:
        return _error(request, 429, str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(Busy)
    def _busy(request: Request, exc: Busy) -> Response:
        return _error(request, 503, str(exc), {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(DgawatchError)
    def _user_error(request: Request, exc: DgawatchError) -> Response:
        return _error(request, exc.status if isinstance(exc, WebError) else 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return _error(request, exc.status_code, message)

    @app.exception_handler(Exception)
    def _bug(request: Request, exc: Exception) -> Response:
        log.error("error serving %s", request.url.path, exc_info=exc)
        return _error(request, 500, "internal error; the server log has the details")

    from dgawatch.web.templates import style_hashes

    app.add_middleware(SecurityHeaders, style_hashes=style_hashes())
    app.add_middleware(HostAllowlist, hosts=allowed_hosts)  # outermost: checked first
    return app
