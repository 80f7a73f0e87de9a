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

import datetime as dt
import json
import logging
import tempfile
from collections.abc import Callable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from dgawatch import __version__
from dgawatch.days import day_range, parse_day, today
from dgawatch.domain import normalise, registered_domain
from dgawatch.errors import DgawatchError, InputError, StoreError
from dgawatch.families import all_families, all_variants, get_family, select_variants
from dgawatch.families.base import Variant
from dgawatch.forecast import CSV_HEADER, DayList, check_active, iter_sourced_day_lists
from dgawatch.forecast import write_forecast as _write_forecast
from dgawatch.lookup import lookup, plan_lookup
from dgawatch.store import ForecastStore, default_store_path
from dgawatch.web.guard import Busy, Deadline, HostAllowlist, Limiter, SecurityHeaders
from dgawatch.web.sinkhole_cache import SinkholeAggregates

log = logging.getLogger("dgawatch.web")

#: Names a forecast page shows (downloads carry them all).
SHOWN_NAMES = 500
#: Longest forecast download, in days.
MAX_FORECAST_DAYS = 366
#: Web lookups without a window look this far back and ahead (the CLI's 365/90 would mean
#: generating ~450 days of every family on one request when no store holds them).
WEB_BACK_DAYS = 7
WEB_AHEAD_DAYS = 7
#: Most days a lookup window may span when day lists must be generated on demand.
MAX_GENERATED_DAYS = 31
DOWNLOAD_FORMATS = {"txt": "text/plain", "csv": "text/csv", "jsonl": "application/x-ndjson"}
#: Benign false-positive rate whose calibrated threshold decides "generated".
CLASSIFY_FPR = 1e-3
#: Expensive requests (forecast, lookup, classify, sinkhole, downloads) served at once;
#: more wait up to EXPENSIVE_WAIT_S for a slot, then get 503 with Retry-After.
EXPENSIVE_SLOTS = 2
EXPENSIVE_WAIT_S = 0.5
#: Most names a download generates (day lists the store does not hold): a month of
#: Conficker C; a family with more names a day gets fewer days.
MAX_GENERATED_NAMES = 1_600_000
#: Time budget of one download's generation (beyond it: 503, nothing sent).
DOWNLOAD_BUDGET_S = 20.0
#: A download is assembled here (memory up to this size, then a temporary file) so that
#: a slow reader holds no expensive slot.
SPOOL_BYTES = 8 << 20

View = Callable[[Request, "Portal"], dict[str, Any] | list[Any]]


class WebError(DgawatchError):
    """An error with an HTTP status other than 400."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Portal:
    """Where the portal reads from (fixed when the app is created)."""

    def __init__(self, store_path: Path | None = None, sinkhole_dir: Path | None = None) -> None:
        self.store_path = store_path or default_store_path()
        if sinkhole_dir is None:
            from dgawatch.sinkhole.store import default_dir

            sinkhole_dir = default_dir()
        self.sinkhole_dir = sinkhole_dir
        self.sinkhole = SinkholeAggregates(sinkhole_dir)
        self.limiter = Limiter(EXPENSIVE_SLOTS, EXPENSIVE_WAIT_S)

    def open_store(self) -> ForecastStore | None:
        """The forecast store read-only, or None when there is none (or it is locked)."""
        if not self.store_path.exists():
            return None
        try:
            return ForecastStore(self.store_path, read_only=True)
        except StoreError as exc:
            log.warning("forecast store unavailable, generating instead: %s", exc)
            return None


# -- parameters ---------------------------------------------------------------------------


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() if value is not None and value.strip() else None


def _day(request: Request, name: str) -> dt.date | None:
    text = _param(request, name)
    return None if text is None else parse_day(text, what=name)


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = _param(request, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{name} must be a whole number, got {text!r}") from None
    if not lo <= value <= hi:
        raise InputError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _sample_day(v: Variant) -> dt.date:
    """A day the variant is active on: today if it still is, else its last or first day."""
    now = today()
    if v.is_active(now):
        return now
    return v.active_until if v.active_until and v.active_until < now else v.active_from


# -- views --------------------------------------------------------------------------------


def home_view(request: Request, portal: Portal) -> dict[str, Any]:
    store: dict[str, Any] = {"present": False}  # no server paths in answers
    fs = portal.open_store()
    if fs is None:
        store["message"] = (
            "No forecast store."
            if not portal.store_path.exists()
            else "The forecast store cannot be opened right now."
        )
    else:
        with fs:
            store.update(present=True, lists=fs.summary())
    return {
        "version": __version__,
        "families": len(all_families()),
        "variants": len(all_variants()),
        "store": store,
        "pages": ["/families", "/forecast", "/lookup", "/classify", "/sinkhole"],
    }


def families_view(request: Request, portal: Portal) -> list[dict[str, object]]:
    return [f.to_dict() for f in all_families()]


def family_view(request: Request, portal: Portal) -> dict[str, Any]:
    family = get_family(request.path_params["family"])
    doc: dict[str, Any] = family.to_dict()
    for v, vd in zip(family.variants, doc["variants"], strict=True):
        vd["sample_day"] = _sample_day(v).isoformat()
    return doc


def _forecast_selection(request: Request) -> tuple[list[Variant], list[dt.date]] | None:
    family = _param(request, "family")
    if family is None:
        if any(_param(request, k) for k in ("variant", "day", "days")):
            raise InputError("family is required")
        return None
    fam = get_family(family)
    variant = _param(request, "variant")
    if variant is None and len(fam.variants) > 1:
        known = ", ".join(v.name for v in fam.variants)
        raise InputError(f"family {fam.name!r} has several variants; give variant= ({known})")
    variants = select_variants([fam.name], variant or fam.variants[0].name)
    start = _day(request, "day") or _sample_day(variants[0])
    days = day_range(start, _int(request, "days", 1, 1, MAX_FORECAST_DAYS))
    check_active(variants, days)
    return variants, days


def _forecast_query(variants: list[Variant], days: list[dt.date]) -> str:
    v = variants[0]
    params = {"family": v.family, "variant": v.name, "day": days[0].isoformat()}
    if len(days) > 1:
        params["days"] = str(len(days))
    return urlencode(params)


def forecast_view(request: Request, portal: Portal) -> dict[str, Any]:
    selection = _forecast_selection(request)
    if selection is None:
        raise InputError("family is required (and variant, when it has several; day: YYYY-MM-DD)")
    variants, days = selection
    names: list[dict[str, object]] = []
    fs = portal.open_store()
    try:
        for dl in iter_sourced_day_lists(variants, days, fs):
            for index, name in enumerate(dl.names()[: SHOWN_NAMES - len(names)]):
                names.append(
                    {"day": dl.day.isoformat(), "family": dl.variant.family,
                     "variant": dl.variant.name, "index": index, "domain": name}
                )  # fmt: skip
            if len(names) >= SHOWN_NAMES:
                break
    finally:
        if fs is not None:
            fs.close()
    query = _forecast_query(variants, days)
    return {
        "variants": [v.key for v in variants],
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "days": len(days),
        "lists": len(days) * len(variants),
        "names_per_day": variants[0].domains_per_day,
        "shown": len(names),
        "names": names,
        "downloads": {fmt: f"/forecast.{fmt}?{query}" for fmt in DOWNLOAD_FORMATS},
    }


def lookup_view(request: Request, portal: Portal) -> dict[str, Any]:
    q = _param(request, "q")
    if q is None:
        raise InputError("q (the domain name to look up) is required")
    name = normalise(q)  # an invalid name is the visitor's error (400), not an empty answer
    start, end = _day(request, "start"), _day(request, "end")
    if _param(request, "all") is not None:
        if start is not None or end is not None:
            raise InputError("all looks at whole active periods; drop start/end")
        family = _param(request, "family")
        variants = select_variants([family] if family else None, _param(request, "variant"))
        return _lookup_all_view(q, name, variants, portal)
    if start is None and end is None:
        now = today()
        start, end = now - dt.timedelta(days=WEB_BACK_DAYS), now + dt.timedelta(days=WEB_AHEAD_DAYS)
    start, end = start or end, end or start
    assert start is not None and end is not None
    if end < start:
        raise InputError(f"end {end} is before start {start}")
    family = _param(request, "family")
    variants = select_variants([family] if family else None, _param(request, "variant"))
    fs = portal.open_store()
    try:
        too_long = (end - start).days + 1 > MAX_GENERATED_DAYS
        plan = plan_lookup(variants, start=start, end=end, store=fs)
        if too_long and any(p.to_generate for p in plan):
            raise InputError(
                f"window {start}..{end} is longer than {MAX_GENERATED_DAYS} days and the "
                "forecast store does not hold it; narrow it, or run 'dgawatch store build'"
            )
        result = lookup([q], variants, plan=plan, store=fs)
    finally:
        if fs is not None:
            fs.close()
    doc = {
        "query": q,
        "name": name,
        "registered_domain": registered_domain(name),
        "matches": [h.to_dict() for h in result.hits.get(q, [])],
    }
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days_from_store": result.days_from_store,
        "days_generated": result.days_generated,
        "results": [doc],
    }


def _lookup_all_view(
    q: str, name: str, variants: list[Variant], portal: Portal
) -> dict[str, Any]:
    """``all=1``: each variant's whole active period, from the all-time index only (a web
    request never generates years of lists); days the index lacks are counted."""
    from dgawatch.index import INDEX_DIR, AllTimeIndex, lookup_all

    index = AllTimeIndex(portal.store_path.parent / INDEX_DIR)
    result = lookup_all([q], variants, index=index, generate_missing=False)
    doc = {
        "query": q,
        "name": name,
        "registered_domain": registered_domain(name),
        "matches": [h.to_dict() for h in result.hits.get(q, [])],
        "shape_of": result.shapes.get(q, []),
    }
    return {
        "all": True,
        "days_from_index": result.days_from_index,
        "days_not_indexed": sum(len(index.missing_days(v)) for v in variants),
        "results": [doc],
    }


def classify_view(request: Request, portal: Portal) -> dict[str, Any]:
    q = _param(request, "q")
    if q is None:
        raise InputError("q (the domain name to score) is required")
    name = normalise(q)
    try:
        from dgawatch.classify import default_model

        model = default_model()
        scores, families, family_scores = model.classify([name])
    except Exception as exc:  # a missing or unreadable model must not take the portal down
        log.warning("classifier unavailable: %s", exc)
        return {"domain": name, "available": False, "error": f"{type(exc).__name__}: {exc}"}
    try:
        threshold: float | None = model.threshold_for(CLASSIFY_FPR)
    except DgawatchError:
        threshold = None
    score = float(scores[0])
    return {
        "domain": name,
        "available": True,
        "score": score,
        "family": families[0],
        "family_score": float(family_scores[0]),
        "fpr": CLASSIFY_FPR,
        "threshold": threshold,
        "generated": None if threshold is None else score > threshold,
    }


def sinkhole_view(request: Request, portal: Portal) -> dict[str, Any]:
    """Per-day figures from the incrementally refreshed cache (never a store scan per
    request; see :mod:`dgawatch.web.sinkhole_cache`)."""
    from dgawatch.sinkhole.stats import UNIT_OBSERVED

    figures = portal.sinkhole.figures()
    return {"unit": UNIT_OBSERVED} | figures


# -- downloads ----------------------------------------------------------------------------


def _generate_download(
    portal: Portal, variants: list[Variant], days: list[dt.date], fmt: str
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The forecast in ``fmt`` through the CLI's writer (so the bytes are those of
    ``dgawatch forecast --format fmt``), assembled within DOWNLOAD_BUDGET_S; at most
    MAX_GENERATED_DAYS of it generated, the rest read from the store."""
    fs = portal.open_store()
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(SPOOL_BYTES)  # noqa: SIM115 - handed to the response, closed by _chunks
    try:
        covered = {v.key: fs.covered_days(v) for v in variants} if fs is not None else {}
        missing = [(v, d) for v in variants for d in days if d not in covered.get(v.key, ())]
        names = sum(v.domains_per_day for v, _d in missing)
        if len(missing) > MAX_GENERATED_DAYS or names > MAX_GENERATED_NAMES:
            raise InputError(
                f"{len(missing)} of these day lists ({names:,} names) are not in the forecast "
                f"store; a download generates at most {MAX_GENERATED_DAYS} of them and "
                f"{MAX_GENERATED_NAMES:,} names: narrow days=, or run 'dgawatch store build'"
            )
        deadline = Deadline(DOWNLOAD_BUDGET_S)
        if fmt == "csv":
            spool.write(CSV_HEADER.encode())
        for dl in iter_sourced_day_lists(variants, days, fs):
            spool.write(_one_list(dl, fmt))
            deadline.check("this download")
    except BaseException:
        spool.close()
        raise
    finally:
        if fs is not None:
            fs.close()
    spool.seek(0)
    return spool


def _chunks(spool: tempfile.SpooledTemporaryFile[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(1 << 20):
            yield chunk
    finally:
        spool.close()


def _one_list(dl: DayList, fmt: str) -> bytes:
    buf = BytesIO()
    _write_forecast([dl], fmt, buf)
    data = buf.getvalue()
    # The writer opens every csv with its header; the stream has written it once already.
    return data[len(CSV_HEADER) :] if fmt == "csv" else data


def _download(fmt: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        portal: Portal = request.app.state.portal
        selection = _forecast_selection(request)
        if selection is None:
            raise InputError("family is required")
        variants, days = selection
        v = variants[0]
        filename = f"{v.family}_{v.name}_{days[0].isoformat()}"
        if len(days) > 1:
            filename += f"_{len(days)}d"
        portal.limiter.acquire()
        try:
            spool = _generate_download(portal, variants, days, fmt)
        finally:
            portal.limiter.release()
        return StreamingResponse(
            _chunks(spool),
            media_type=DOWNLOAD_FORMATS[fmt],
            headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
        )

    return handler


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

    html = render("error.html", title=f"Error {status}", message=message, json_url=None)
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
    return {n: request.query_params.get(n, "") for n in names}


def _limited(view: View) -> View:
    """``view`` run in one of the portal's few expensive slots (else 503, see Limiter)."""

    def run(request: Request, portal: Portal) -> dict[str, Any] | list[Any]:
        portal.limiter.acquire()
        try:
            return view(request, portal)
        finally:
            portal.limiter.release()

    return run


def _page(
    view: View,
    template: str,
    title: Callable[[Request], str],
    *,
    form: tuple[str, ...] = (),
    expensive: bool = False,
) -> tuple[Callable[[Request], Response], Callable[[Request], Response]]:
    """The HTML and JSON handlers of one view. ``form``: the page's query parameters; with
    none of them given the HTML page shows its empty form (JSON says what is missing).
    ``expensive``: the view may compute for long, so it runs in a limited slot."""
    from dgawatch.web.templates import render

    if expensive:
        view = _limited(view)

    def as_json(request: Request) -> Response:
        data = view(request, request.app.state.portal)
        return JSONResponse(jsonable_encoder(data))

    def as_html(request: Request) -> Response:
        blank = bool(form) and not any(_param(request, n) for n in form)
        data = None if blank else view(request, request.app.state.portal)
        html = render(
            template,
            title=title(request),
            data=data,
            form=_form(request, "q", "start", "end", "family", "variant", "day", "days", "all"),
            json_url=_json_url(request),
            max_days=MAX_GENERATED_DAYS,
            default_back=WEB_BACK_DAYS,
            default_ahead=WEB_AHEAD_DAYS,
        )
        return HTMLResponse(html)

    return as_html, as_json


def create_app(
    store_path: Path | None = None,
    sinkhole_dir: Path | None = None,
    allowed_hosts: tuple[str, ...] = (),
) -> FastAPI:
    """The portal over the forecast store at ``store_path`` and the sinkhole event store in
    ``sinkhole_dir`` (defaults: those under the data directory). Requests whose Host is
    not loopback or one of ``allowed_hosts`` are refused (421)."""
    app = FastAPI(
        title="dgawatch",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.portal = Portal(store_path, sinkhole_dir)

    pages: list[tuple[str, str, View, str, Callable[[Request], str], tuple[str, ...]]] = [
        ("/", "/index", home_view, "home.html", lambda r: "Overview", ()),
        ("/families", "/families", families_view, "families.html", lambda r: "Families", ()),
        (
            "/families/{family}",
            "/families/{family}",
            family_view,
            "family.html",
            lambda r: f"Family {get_family(r.path_params['family']).name}",
            (),
        ),
        ("/forecast", "/forecast", forecast_view, "forecast.html", lambda r: "Forecast",
         ("family", "variant", "day", "days")),
        ("/lookup", "/lookup", lookup_view, "lookup.html", lambda r: "Lookup",
         ("q", "start", "end", "family", "variant", "all")),
        ("/classify", "/classify", classify_view, "classify.html", lambda r: "Classify", ("q",)),
        ("/sinkhole", "/sinkhole", sinkhole_view, "sinkhole.html", lambda r: "Sinkhole", ()),
    ]  # fmt: skip
    # JSON routes first, so that "/families/x.json" is not read as the family "x.json".
    expensive = {forecast_view, lookup_view, classify_view, sinkhole_view}
    handlers = [
        (path, base, *_page(view, t, title, form=form, expensive=view in expensive))
        for path, base, view, t, title, form in pages
    ]
    for _path, base, _html, as_json in handlers:
        app.add_api_route(base + ".json", as_json, methods=["GET"])
        app.add_api_route("/api" + ("" if base == "/index" else base), as_json, methods=["GET"])
    for fmt in DOWNLOAD_FORMATS:
        app.add_api_route(f"/forecast.{fmt}", _download(fmt), methods=["GET"])
    for path, _base, as_html, _json in handlers:
        app.add_api_route(path, as_html, methods=["GET"], response_class=HTMLResponse)

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
