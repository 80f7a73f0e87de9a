"""The reports API for machines, after Shadowserver's Reports API: ``POST
/api/v1/reports/{list,download,query,stats,schema}`` and ``/api/v1/key/info`` with a JSON
body, signed with an organisation's key (:mod:`dgawatch.web.auth`); answers in JSON, or
CSV with ``"format": "csv"``. Every row comes through :class:`~dgawatch.web.scope.ScopedData`,
so an organisation gets only its own networks; ``schema`` is public, and so is ``stats``
without a ``network`` for an anonymous caller: per day, the counts of *all* sources (the
public sinkhole page's figures, from its cache; aggregates without addresses are public).

Digest links (``/d/<token>/<type>.csv``) are capability URLs mailed by ``dgawatch
deliver``: the unguessable token stands for (organisation, day) and the rows are read with
that organisation's scope at the time of the request (a revoked organisation's links die).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from dgawatch.errors import InputError
from dgawatch.sinkhole.report import neutralise
from dgawatch.web.auth import Authenticator, RateLimit
from dgawatch.web.common import Portal, WebError
from dgawatch.web.scope import (
    MAX_ROWS,
    REPORT_TYPES,
    STATS_COLUMNS,
    Caller,
    ScopedData,
    parse_days,
)

#: Largest request body (JSON parameters).
MAX_BODY = 16 << 10
PREFIX = "/api/v1"
ENDPOINTS = ("reports/list", "reports/download", "reports/query", "reports/stats",
             "reports/schema", "reports/watch", "key/info")  # fmt: skip
_PARAMS = {
    "reports/list": {"date"},
    "reports/download": {"date", "type", "network", "format", "limit"},
    "reports/query": {"date", "type", "network", "ip", "family", "format", "limit"},
    "reports/stats": {"date", "network", "format"},
    "reports/schema": {"type"},
    "reports/watch": {"format", "limit"},
    "key/info": set(),
}


def csv_bytes(columns: list[str], rows: list[list[object]]) -> bytes:
    """CSV safe to open in a spreadsheet (cells neutralised as the sinkhole's reports)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows([[neutralise(v) for v in row] for row in rows])
    return buf.getvalue().encode()


def _answer(columns: list[str], rows: list[list[object]], fmt: str, **extra: Any) -> Response:
    if fmt == "csv":
        return Response(csv_bytes(columns, rows), media_type="text/csv")
    if fmt != "json":
        raise InputError(f"format {fmt!r}: json or csv")
    return JSONResponse({**extra, "columns": columns,
                         "rows": [dict(zip(columns, r, strict=True)) for r in rows]})  # fmt: skip


def _body(raw: bytes, endpoint: str) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except ValueError:
        raise InputError("the body must be a JSON object") from None
    if not isinstance(doc, dict):
        raise InputError("the body must be a JSON object")
    unknown = sorted(set(doc) - _PARAMS[endpoint])
    if unknown:
        raise InputError(f"unknown parameter(s) {', '.join(unknown)} for {endpoint}")
    for k, v in doc.items():
        if not isinstance(v, str | int) or isinstance(v, bool):
            raise InputError(f"{k} must be a string or a number")
    return doc


def _limit(doc: dict[str, Any]) -> int:
    value = doc.get("limit", MAX_ROWS)
    if not isinstance(value, int) or not 1 <= value <= MAX_ROWS:
        raise InputError(f"limit must be a whole number between 1 and {MAX_ROWS}")
    return value


def public_stats(portal: Portal, days: list[Any]) -> list[dict[str, object]]:
    """Per day, distinct sources (all, HTTP, DNS) and events of every address: the public
    sinkhole page's cached figures, so the answer costs no scan and names no address."""
    wanted = {d.isoformat() for d in days}
    found = {str(r["day"]): r for r in portal.sinkhole.figures()["by_day"]}
    return [{c: (int(found[d][c]) if d in found else 0) if c != "day" else d
             for c in STATS_COLUMNS} for d in sorted(wanted)]  # fmt: skip


def _is_public(endpoint: str, doc: dict[str, Any], caller: Caller) -> bool:
    """An anonymous request for aggregates without addresses (no slot, no scope)."""
    if endpoint == "reports/schema":
        return True
    return endpoint == "reports/stats" and caller.org is None and doc.get("network") is None


def _run(endpoint: str, doc: dict[str, Any], caller: Caller, portal: Portal) -> Response:
    data: ScopedData = portal.scoped
    fmt = str(doc.get("format", "json"))
    if endpoint == "reports/schema":
        kind = str(doc.get("type", "http"))
        if kind not in REPORT_TYPES:
            raise InputError(f"type {kind!r}: choose from {', '.join(REPORT_TYPES)}")
        return JSONResponse({"type": kind, "columns": list(REPORT_TYPES[kind])})
    if endpoint == "key/info":
        m = caller.require()
        assert caller.org is not None
        return JSONResponse({"organisation": caller.org.name, "role": caller.role,
                             "key_id": caller.key_id, "everything": m.everything,
                             "scopes": [s.label for s in caller.org.verified()]})  # fmt: skip
    if endpoint == "reports/watch":
        where = portal.store_path.parent
        columns, rows, truncated = data.watch_names(caller, where, limit=_limit(doc))
        return _answer(columns, rows, fmt, type="watch", truncated=truncated)
    days = parse_days(doc.get("date"))
    network = doc.get("network")
    network = str(network) if network is not None else None
    if endpoint == "reports/list":
        return JSONResponse({"reports": data.listing(caller, days)})
    if endpoint == "reports/stats":
        operator = caller.matcher is not None and caller.matcher.everything
        if _is_public(endpoint, doc, caller) or (operator and network is None):
            # Every source: the public page's cached figures, not a scan of every event.
            per_day = public_stats(portal, days)
            extra = {"scope": "all sources (public aggregate)"} if not operator else {}
            rows = [[r[c] for c in STATS_COLUMNS] for r in per_day]
            return _answer(STATS_COLUMNS, rows, fmt, **extra)
        per_day = data.stats(caller, days, network=network)
        return _answer(STATS_COLUMNS, [[r[c] for c in STATS_COLUMNS] for r in per_day], fmt)
    kind = str(doc.get("type", "http"))
    ip = str(doc["ip"]) if doc.get("ip") is not None else None
    columns, rows, truncated = data.report(
        caller, kind, days, network=network, ip=ip, limit=_limit(doc)
    )
    family = doc.get("family")
    if endpoint == "reports/query" and family is not None:
        at = columns.index("family")
        rows = [r for r in rows if r[at] == family]
    return _answer(columns, rows, fmt, type=kind, truncated=truncated)


def install(app: FastAPI, portal: Portal, auth: Authenticator, limits: RateLimit) -> None:
    """Add the API routes and the digest links to ``app``."""

    def endpoint(name: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> Response:
            raw = await request.body()
            if len(raw) > MAX_BODY:
                raise WebError(f"request body over {MAX_BODY} bytes", 413)
            caller = authenticate(request, raw)
            doc = _body(raw, name)

            def work() -> Response:
                if _is_public(name, doc, caller):  # cached aggregates: no slot
                    return _run(name, doc, caller, portal)
                caller.require()  # 401/403 before taking a slot
                portal.signed_limiter.acquire()
                try:
                    return _run(name, doc, caller, portal)
                finally:
                    portal.signed_limiter.release()

            return await run_in_threadpool(work)

        return handler

    def authenticate(request: Request, raw: bytes) -> Caller:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        caller = auth.caller(headers, request.method, path, raw)
        peer = request.client.host if request.client else "?"
        limits.take(caller.key_id or f"anon:{peer}")
        request.state.caller = caller
        return caller

    for name in ENDPOINTS:
        app.add_api_route(f"{PREFIX}/{name}", endpoint(name), methods=["POST"])

    async def digest_link(request: Request) -> Response:
        from dgawatch.deliver import resolve_link

        kind = request.path_params["kind"]
        peer = request.client.host if request.client else "?"
        limits.take(f"anon:{peer}")
        found = resolve_link(portal.accounts_dir, request.path_params["token"])
        if found is None or kind not in REPORT_TYPES:
            raise WebError("no such page", 404)
        org_name, day = found
        org = portal.orgs.load().get(org_name)
        if org is None or not org.active:
            raise WebError("no such page", 404)

        def work() -> Response:
            caller = Caller.of(org)
            portal.signed_limiter.acquire()
            try:
                columns, rows, _t = portal.scoped.report(caller, kind, [day])
            finally:
                portal.signed_limiter.release()
            return Response(
                csv_bytes(columns, rows),
                media_type="text/csv",
                headers={
                    "Content-Disposition": f'attachment; filename="{org_name}_{day}_{kind}.csv"',
                    "Cache-Control": "no-store",
                },
            )

        return await run_in_threadpool(work)

    app.add_api_route("/d/{token}/{kind}.csv", digest_link, methods=["GET"])
