"""``/my``: an organisation's own view in a browser. Sign in at ``/login`` with the key id
and secret of ``dgawatch org key`` (a session cookie: HttpOnly, SameSite=Strict, Secure over
HTTPS, 8 hours, ended by a restart or a revocation); the page then shows the
organisation's scopes, its distinct addresses per day and its reports, each downloadable
as CSV (``/my/report.csv``). Every row comes through the portal's scope filter
(:class:`~dgawatch.web.scope.ScopedData`) with the signed-in caller, exactly as the API's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dgawatch.days import today
from dgawatch.errors import InputError
from dgawatch.web.auth import SESSION_COOKIE, SESSION_S
from dgawatch.web.common import Portal, WebError, param
from dgawatch.web.pages import Page, Route
from dgawatch.web.scope import Caller, parse_days

#: Days the page covers by default (ending today).
DEFAULT_DAYS = 7
#: Watched names shown on the page (``/my/watch.csv`` and the API give up to MAX_ROWS).
WATCH_SHOWN = 200


def _days(request: Request) -> list[dt.date]:
    text = param(request, "date")
    if text is None:
        end = today()
        return [end - dt.timedelta(days=i) for i in range(DEFAULT_DAYS - 1, -1, -1)]
    return parse_days(text)


def my_view(request: Request, portal: Portal) -> dict[str, Any]:
    caller: Caller = request.state.caller
    assert caller.org is not None  # the page is "scoped": _admit refused anonymous callers
    days = _days(request)
    doc: dict[str, Any] = {
        "organisation": caller.org.name,
        "role": caller.role,
        "scopes": [s.public() for s in caller.org.scopes],
        "date": f"{days[0]}:{days[-1]}",
        "stats": portal.scoped.stats(caller, days),
        "reports": portal.scoped.listing(caller, days),
        "watch": None,
    }
    if caller.org.verified("domain"):  # names under its domains in the registration watch
        columns, rows, truncated = portal.scoped.watch_names(
            caller, portal.store_path.parent, limit=WATCH_SHOWN
        )
        doc["watch"] = {"columns": columns, "rows": [dict(zip(columns, r, strict=True))
                        for r in rows], "truncated": truncated}  # fmt: skip
    return doc


def login_view(request: Request, portal: Portal) -> dict[str, Any]:
    caller: Caller = request.state.caller
    return {"signed_in": caller.org is not None, "organisation": caller.name}


async def _sign_in(request: Request) -> Response:
    app = request.app
    peer = request.client.host if request.client else "?"
    app.state.limits.take(f"login:{peer}")
    raw = await request.body()
    if len(raw) > 4096:
        raise WebError("sign-in form too large", 413)
    form = parse_qs(raw.decode("utf-8", "replace"))
    key_id = (form.get("key_id") or [""])[0]
    secret = (form.get("secret") or [""])[0]
    if not key_id or not secret:
        raise InputError("give the key id and the secret of 'dgawatch org key'")
    cookie = app.state.auth.sign_in(key_id, secret)
    answer = RedirectResponse("/my", status_code=303)
    https = request.url.scheme == "https"
    answer.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_S, httponly=True,
                      samesite="strict", secure=https, path="/")  # fmt: skip
    return answer


def _sign_out(request: Request) -> Response:
    answer = RedirectResponse("/", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


async def _report_csv(request: Request) -> Response:
    from dgawatch.web.api import csv_bytes

    app = request.app
    caller: Caller = app.state.caller_of(request)
    portal: Portal = app.state.portal
    kind = param(request, "type") or "http"
    days = parse_days(param(request, "date"))
    network, ip = param(request, "network"), param(request, "ip")

    def work() -> Response:
        portal.signed_limiter.acquire()
        try:
            columns, rows, _t = portal.scoped.report(caller, kind, days, network=network, ip=ip)
        finally:
            portal.signed_limiter.release()
        name = f"{caller.name}_{days[0]}{'_' + str(len(days)) + 'd' if len(days) > 1 else ''}"
        return Response(csv_bytes(columns, rows), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}_{kind}.csv"',
            "Cache-Control": "no-store"})  # fmt: skip

    return await run_in_threadpool(work)


async def _watch_csv(request: Request) -> Response:
    from dgawatch.web.api import csv_bytes

    app = request.app
    caller: Caller = app.state.caller_of(request)
    if caller.org is None:
        raise WebError("sign the request with an organisation's API key", 401)
    portal: Portal = app.state.portal

    def work() -> Response:
        portal.signed_limiter.acquire()
        try:
            columns, rows, _t = portal.scoped.watch_names(caller, portal.store_path.parent)
        finally:
            portal.signed_limiter.release()
        return Response(csv_bytes(columns, rows), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{caller.name}_watch.csv"',
            "Cache-Control": "no-store"})  # fmt: skip

    return await run_in_threadpool(work)


_MY = """{% extends "base.html" %}{% block content %}
<p>Signed in as <strong>{{ data.organisation }}</strong> ({{ data.role }}).
<form action="/logout" method="post"><input type="submit" value="sign out"></form></p>
<h2>Scopes</h2>
<table><tr><th>scope</th><th>status</th><th>how</th></tr>
{% for s in data.scopes %}<tr><td class="mono">{{ s.kind }}:{{ s.value }}</td>
<td>{{ s.status }}</td><td>{{ s.method }}</td></tr>{% endfor %}</table>
<form action="/my">days <input name="date" value="{{ data.date }}" size="22"
placeholder="YYYY-MM-DD:YYYY-MM-DD"> <input type="submit" value="show"></form>
<h2>Your addresses seen by the sinkhole</h2>
<table><tr><th>day</th><th>addresses</th><th>HTTP</th><th>DNS</th><th>events</th></tr>
{% for r in data.stats %}<tr><td>{{ r.day }}</td><td class="num">{{ r.addresses }}</td>
<td class="num">{{ r.http_addresses }}</td><td class="num">{{ r.dns_addresses }}</td>
<td class="num">{{ r.events }}</td></tr>{% endfor %}</table>
<h2>Reports</h2>
{% if data.reports %}<table><tr><th>day</th><th>type</th><th>rows</th><th>download</th></tr>
{% for r in data.reports %}<tr><td>{{ r.day }}</td><td>{{ r.type }}</td>
<td class="num">{{ r.rows }}</td><td><a href="/my/report.csv?date={{ r.day }}&amp;type={{
r.type }}">csv</a></td></tr>{% endfor %}</table>
{% else %}<p class="empty">Nothing seen from your networks on these days.</p>{% endif %}
{% if data.watch is not none %}
<h2>Forecast names under your domains</h2>
<p>The registration watch's latest check: names the DGAs will use under your verified
domains and their state (free names can still be registered by anyone: reserve or block
them). <a href="/my/watch.csv">CSV</a> (all of them).</p>
{% if data.watch.rows %}<table><tr>{% for c in data.watch.columns %}<th>{{ c }}</th>
{% endfor %}</tr>{% for r in data.watch.rows %}<tr>{% for c in data.watch.columns %}
<td>{{ r[c] }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if data.watch.truncated %}<p>More in the CSV.</p>{% endif %}
{% else %}<p class="empty">No watched name under your domains.</p>{% endif %}
{% endif %}
<p>The same through the API for machines: see <code>docs/portal.md</code>.</p>
{% endblock %}"""

_LOGIN = """{% extends "base.html" %}{% block content %}
{% if data.signed_in %}<p>Signed in as {{ data.organisation }}: <a href="/my">your page</a>.</p>
{% endif %}
<p>Network owners and CERTs: sign in with the key id and secret your sinkhole operator gave
you (<code>dgawatch org key</code>) to see the sinkhole's reports for your own networks.</p>
<form action="/login" method="post">
key id <input name="key_id" size="24" autocomplete="username">
secret <input name="secret" type="password" size="44" autocomplete="current-password">
<input type="submit" value="sign in">
</form>
{% endblock %}"""

PAGES = (
    Page("/my", my_view, "my.html", "Your networks", expensive=True, access="scoped",
         order=90, templates={"my.html": _MY},
         extra_routes=(Route("/my/report.csv", _report_csv),
                       Route("/my/watch.csv", _watch_csv))),
    Page("/login", login_view, "login.html", "Sign in", nav="sign in", order=95,
         templates={"login.html": _LOGIN},
         extra_routes=(Route("/login", _sign_in, ("POST",)),
                       Route("/logout", _sign_out, ("POST",)))),
)  # fmt: skip
