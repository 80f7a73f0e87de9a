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
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa
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
from dgawatch.classify.cli import DEFAULT_FPR
from dgawatch.days import day_range, parse_day, span, today
from dgawatch.domain import normalise, registered_domain
from dgawatch.errors import DgawatchError, InputError, StoreError
from dgawatch.families import (
    all_families,
    all_variants,
    choose_variants,
    get_family,
)
from dgawatch.families.base import Variant
from dgawatch.forecast import (
    CSV_HEADER,
    DayList,
    check_active,
    iter_sourced_day_lists,
    some_suffixes,
    tld_filter,
    tlds_selecting_nothing,
)
from dgawatch.forecast import write_forecast as _write_forecast
from dgawatch.lookup import (
    HIT_SCHEMA,
    PlannedVariant,
    default_window,
    json_lines,
    lookup,
    near_window,
    plan_lookup,
)
from dgawatch.store import ForecastStore, default_store_path
from dgawatch.web.guard import Busy, Deadline, HostAllowlist, Limiter, SecurityHeaders
from dgawatch.web.sinkhole_cache import SinkholeAggregates

log = logging.getLogger("dgawatch.web")

#: Names a forecast page shows (downloads carry them all).
SHOWN_NAMES = 500
#: Longest forecast download, in days.
MAX_FORECAST_DAYS = 366
#: Most days a lookup window may span when day lists must be generated on demand. A lookup
#: without start/end uses the CLI's window (today-365..today+90): the store and the all-time
#: index answer the days they hold, and only today +- lookup.NEAR_DAYS days are generated
#: (one name against every family: ~5 CPU-s without a store); the answer counts the
#: variant-days left uncovered.
MAX_GENERATED_DAYS = 31
#: Most names one lookup request takes (repeated q= and/or one per line in q).
MAX_LOOKUP_NAMES = 1_000
DOWNLOAD_FORMATS = {"txt": "text/plain", "csv": "text/csv", "jsonl": "application/x-ndjson"}
#: Benign false-positive rate whose calibrated threshold decides "generated": the CLI's.
CLASSIFY_FPR = DEFAULT_FPR
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


def _params(request: Request, name: str) -> list[str]:
    """Every non-empty value of a repeatable parameter: ``family=a&family=b`` or, as the
    HTML form sends it back, ``family=a,b``."""
    values = request.query_params.getlist(name)
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def _check_tlds(variants: list[Variant], tlds: list[str]) -> None:
    """As ``forecast --tld``: a suffix no selected variant generates names under is refused
    (it would silently select nothing); ``uk`` counts ``co.uk``."""
    tld_filter(tlds)  # an empty suffix is refused here, as in the CLI
    found = tlds_selecting_nothing(variants, tlds)
    if found is not None and found[0] and len(found[0]) == len(tlds):
        raise InputError(
            f"tld {', '.join(found[0])}: no selected variant generates names under it "
            f"(their suffixes: {some_suffixes(found[1])})"
        )


@dataclass(frozen=True)
class Selection:
    """What a forecast page or download covers: the CLI's selection (``dgawatch forecast
    --family ... --variant ... --start ... --days ... --tld ...``)."""

    families: list[str]
    variant_names: list[str]
    variants: list[Variant]
    days: list[dt.date]
    tlds: list[str]

    def query(self) -> str:
        params: list[tuple[str, str]] = [("family", f) for f in self.families]
        params += [("variant", v) for v in self.variant_names]
        params.append(("day", self.days[0].isoformat()))
        if len(self.days) > 1:
            params.append(("days", str(len(self.days))))
        params += [("tld", t) for t in self.tlds]
        return urlencode(params)

    def filename(self) -> str:
        v = self.variants[0]
        if len(self.variants) == 1:
            stem = f"{v.family}_{v.name}"
        elif len({x.family for x in self.variants}) == 1:
            stem = v.family
        else:
            stem = "dgawatch"
        stem += f"_{self.days[0].isoformat()}"
        return stem + (f"_{len(self.days)}d" if len(self.days) > 1 else "")


FORECAST_FORM = ("family", "variant", "day", "start", "end", "days", "tld")


def _forecast_selection(request: Request) -> Selection | None:
    """The selection asked for; None when no forecast parameter is given at all."""
    if not any(_params(request, k) for k in FORECAST_FORM):
        return None
    families, names, tlds = (
        _params(request, "family"),
        _params(request, "variant"),
        _params(request, "tld"),
    )
    variants = choose_variants(families, names)
    _check_tlds(variants, tlds)
    start = _day(request, "day") or _day(request, "start")
    if _param(request, "day") and _param(request, "start"):
        raise InputError("give day or start, not both")
    every = not families or "all" in families
    if start is None:
        start = _sample_day(variants[0]) if len(variants) == 1 else today()
    end = _day(request, "end")
    if end is not None:
        if _param(request, "days"):
            raise InputError("give end or days, not both")
        if end < start:
            raise InputError(f"end {end} is before start {start}")
        n = (end - start).days + 1
        if n > MAX_FORECAST_DAYS:
            raise InputError(f"day..end spans {n} days; at most {MAX_FORECAST_DAYS}")
    else:
        n = _int(request, "days", 1, 1, MAX_FORECAST_DAYS)
    days = day_range(start, n)
    if every:  # as the CLI: with every family, the variants not active on the first day drop out
        variants = [v for v in variants if v.is_active(days[0])]
        if not variants:
            raise InputError(f"no selected variant is active on {days[0]}")
    check_active(variants, days)
    return Selection(families, names, variants, days, tlds)


def forecast_view(request: Request, portal: Portal) -> dict[str, Any]:
    selection = _forecast_selection(request)
    if selection is None:
        raise InputError(
            "give family (repeatable; none or 'all' = every family), variant (repeatable), "
            "day (YYYY-MM-DD), days, tld"
        )
    variants, days = selection.variants, selection.days
    keep = tld_filter(selection.tlds)
    names: list[dict[str, object]] = []
    generated = generated_names = 0
    stopped = False
    fs = portal.open_store()
    try:
        for day in days:
            for v in variants:
                dl = fs.day_list(v, day) if fs is not None else None
                if dl is None:  # generation within the downloads' bound
                    generated += 1
                    generated_names += v.domains_per_day
                    if generated > MAX_GENERATED_DAYS or generated_names > MAX_GENERATED_NAMES:
                        stopped = True
                        break
                    dl = DayList(v, day, v.domains_blob(day))
                for index, name in enumerate(dl.names()):
                    if keep is None or keep(name):
                        names.append(
                            {"day": dl.day.isoformat(), "family": dl.variant.family,
                             "variant": dl.variant.name, "index": index, "domain": name}
                        )  # fmt: skip
                        if len(names) >= SHOWN_NAMES:
                            break
                if len(names) >= SHOWN_NAMES:
                    break
            if stopped or len(names) >= SHOWN_NAMES:
                break
    finally:
        if fs is not None:
            fs.close()
    query = selection.query()
    return {
        "variants": [v.key for v in variants],
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "days": len(days),
        "lists": len(days) * len(variants),
        "tlds": selection.tlds,
        "names_per_day": sum(v.domains_per_day for v in variants),
        "shown": len(names),
        "shown_complete": not stopped,
        "names": names,
        "downloads": {fmt: f"/forecast.{fmt}?{query}" for fmt in DOWNLOAD_FORMATS},
    }


def _lookup_names(request: Request) -> list[str]:
    """Repeated ``q`` and/or one name per line of a ``q``, blank lines dropped, in order."""
    names = [
        line.strip()
        for value in request.query_params.getlist("q")
        for line in value.splitlines()
        if line.strip()
    ]
    if len(names) > MAX_LOOKUP_NAMES:
        raise InputError(
            f"{len(names):,} names; a lookup takes at most {MAX_LOOKUP_NAMES:,} "
            "(use 'dgawatch lookup --file' for more)"
        )
    return names


def _index_hits(
    names: list[str], days: dict[str, set[dt.date]], variants: list[Variant], index: Any
) -> pa.Table:
    """Hits of ``names`` on the given (variant key -> days) from the all-time index, one row
    per day as :func:`dgawatch.lookup.lookup` gives them."""
    from dgawatch.index import lookup_all

    rows: list[tuple[str, str, str, dt.date, int, str]] = []
    chosen = [v for v in variants if days.get(v.key)]
    if chosen:
        found = lookup_all(names, chosen, index=index, generate_missing=False)
        for q, hits in found.hits.items():
            for h in hits:
                wanted = days[f"{h.family}/{h.variant}"]
                for d in span(h.first_day, h.last_day):
                    if d in wanted:
                        rows.append((q, h.family, h.variant, d, h.index, h.domain))
    rows.sort()
    columns: list[list[object]] = [list(c) for c in zip(*rows, strict=True)]
    if not rows:
        columns = [[] for _ in HIT_SCHEMA.names]
    return pa.table(dict(zip(HIT_SCHEMA.names, columns, strict=True)), schema=HIT_SCHEMA)


def lookup_view(request: Request, portal: Portal) -> dict[str, Any]:
    queries = _lookup_names(request)
    if not queries:
        raise InputError(
            "q (the domain name to look up) is required; repeat q= or give one name a line"
        )
    if len(queries) == 1:  # one invalid name is the visitor's error (400), not an answer;
        _check_name(queries[0])  # in a batch it is that name's error line, as the CLI's
        normalise(queries[0])
    families, variant_names = _params(request, "family"), _params(request, "variant")
    start, end = _day(request, "start"), _day(request, "end")
    if _param(request, "all") is not None:
        if start is not None or end is not None:
            raise InputError("all looks at whole active periods; drop start/end")
        return _lookup_all_view(queries, choose_variants(families, variant_names), portal)
    explicit = start is not None or end is not None
    if _param(request, "days") is not None:
        if start is None or end is not None:
            raise InputError("days counts from start; give start (and not end)")
        end = start + dt.timedelta(days=_int(request, "days", 1, 1, MAX_FORECAST_DAYS) - 1)
    if not explicit:
        start, end = default_window()
    start, end = start or end, end or start
    assert start is not None and end is not None
    if end < start:
        raise InputError(f"end {end} is before start {start}")
    variants = choose_variants(families, variant_names)
    from dgawatch.index import INDEX_DIR, AllTimeIndex, day_ranges

    index = AllTimeIndex(portal.store_path.parent / INDEX_DIR)
    now = today()
    near = near_window(now)
    fs = portal.open_store()
    try:
        plan = plan_lookup(variants, start=start, end=end, store=fs)
        from_index: dict[str, set[dt.date]] = {}
        gen_plan: list[PlannedVariant] = []
        uncovered: list[dict[str, object]] = []
        for p in plan:
            indexed = index.covered(p.variant) if p.to_generate else set()
            from_index[p.variant.key] = {d for d in p.to_generate if d in indexed}
            rest = [d for d in p.to_generate if d not in indexed]
            # The CLI's default window: generate only the days nearest to today.
            gen = rest if explicit else [d for d in rest if near[0] <= d <= near[1]]
            gen_plan.append(PlannedVariant(p.variant, p.from_store, gen))
            chosen = set(gen)
            for a, b in day_ranges([d for d in rest if d not in chosen]):
                uncovered.append({"variant": p.variant.key, "first": a.isoformat(),
                                  "last": b.isoformat()})  # fmt: skip
        needs = {d for p in gen_plan for d in p.to_generate}
        if explicit and needs and (end - start).days + 1 > MAX_GENERATED_DAYS:
            raise InputError(
                f"window {start}..{end} is longer than {MAX_GENERATED_DAYS} days and neither "
                "the forecast store nor the all-time index holds it; narrow it, or run "
                "'dgawatch store build'"
            )
        result = lookup(queries, variants, plan=gen_plan, store=fs)
    finally:
        if fs is not None:
            fs.close()
    result.parts.append(_index_hits(queries, from_index, variants, index))
    # The CLI's own JSON lines, so that portal and `dgawatch lookup --json` cannot disagree.
    results = [json.loads(ln) for block in json_lines(queries, result) for ln in block.splitlines()]
    generated = sorted(needs)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days_from_store": result.days_from_store,
        "days_from_index": sum(len(d) for d in from_index.values()),
        "days_generated": result.days_generated,
        "generated": (
            {"first": generated[0].isoformat(), "last": generated[-1].isoformat()}
            if generated
            else None
        ),
        "days_not_covered": sum(
            (dt.date.fromisoformat(str(u["last"])) - dt.date.fromisoformat(str(u["first"]))).days
            + 1
            for u in uncovered
        ),
        "not_covered": uncovered,
        "results": results,
    }


def _lookup_all_view(queries: list[str], variants: list[Variant], portal: Portal) -> dict[str, Any]:
    """``all=1``: each variant's whole active period, from the all-time index only (a web
    request never generates years of lists); days the index lacks are counted."""
    from dgawatch.index import INDEX_DIR, AllTimeIndex, lookup_all

    index = AllTimeIndex(portal.store_path.parent / INDEX_DIR)
    result = lookup_all(queries, variants, index=index, generate_missing=False)
    docs: list[dict[str, Any]] = []
    for q in queries:
        if q in result.invalid:
            docs.append({"query": q, "error": result.invalid[q], "matches": []})
            continue
        name = normalise(q)
        docs.append({
            "query": q,
            "name": name,
            "registered_domain": registered_domain(name),
            "matches": [h.to_dict() for h in result.hits.get(q, [])],
            "shape_of": result.shapes.get(q, []),
        })  # fmt: skip
    return {
        "all": True,
        "days_from_index": result.days_from_index,
        "days_not_indexed": sum(len(index.missing_days(v)) for v in variants),
        "results": docs,
    }


def _check_name(name: str) -> None:
    """The CLI's own validity check (``dgawatch classify`` exits 2 on these names): an
    invalid name is the visitor's error, a 400 with the reason, never a score or an answer."""
    from dgawatch.classify.cli import invalid_reason

    why = invalid_reason(name)
    if why is not None:
        raise InputError(f"{name!r} is not a domain name: {why}")


def classify_view(request: Request, portal: Portal) -> dict[str, Any]:
    q = _param(request, "q")
    if q is None:
        raise InputError("q (the domain name to score) is required")
    _check_name(q)
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
    generated = None if threshold is None else score > threshold
    # As 'dgawatch classify --json': the closest known family only for a name called
    # generated (a benign name resembles no family; naming one reads as an accusation).
    return {
        "domain": name,
        "available": True,
        "score": score,
        "family": families[0] if generated else None,
        "family_score": float(family_scores[0]) if generated else None,
        "fpr": CLASSIFY_FPR,
        "threshold": threshold,
        "generated": generated,
    }


def sinkhole_view(request: Request, portal: Portal) -> dict[str, Any]:
    """Per-day figures from the incrementally refreshed cache (never a store scan per
    request; see :mod:`dgawatch.web.sinkhole_cache`)."""
    from dgawatch.sinkhole.stats import UNIT_OBSERVED

    figures = portal.sinkhole.figures()
    return {"unit": UNIT_OBSERVED} | figures


# -- downloads ----------------------------------------------------------------------------


def _generate_download(
    portal: Portal, selection: Selection, fmt: str
) -> tempfile.SpooledTemporaryFile[bytes]:
    """The forecast in ``fmt`` through the CLI's writer (so the bytes are those of
    ``dgawatch forecast --format fmt``), assembled within DOWNLOAD_BUDGET_S; at most
    MAX_GENERATED_DAYS of it generated, the rest read from the store."""
    variants, days = selection.variants, selection.days
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
            spool.write(_one_list(dl, fmt, selection.tlds))
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


def _one_list(dl: DayList, fmt: str, tlds: list[str]) -> bytes:
    buf = BytesIO()
    _write_forecast([dl], fmt, buf, tlds=tlds)
    data = buf.getvalue()
    # The writer opens every csv with its header; the stream has written it once already.
    return data[len(CSV_HEADER) :] if fmt == "csv" else data


def _download(fmt: str) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        portal: Portal = request.app.state.portal
        selection = _forecast_selection(request)
        if selection is None:
            raise InputError("give family (none or 'all' = every family) and day")
        filename = selection.filename()
        portal.limiter.acquire()
        try:
            spool = _generate_download(portal, selection, fmt)
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
    """The form's fields as given: several names one a line, repeated families/variants/TLDs
    comma-separated (the form splits them again)."""
    sep = {"q": "\n"}
    return {n: sep.get(n, ",").join(request.query_params.getlist(n)) for n in names}


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
            form=_form(
                request, "q", "start", "end", "family", "variant", "day", "days", "all", "tld"
            ),
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
         FORECAST_FORM),
        ("/lookup", "/lookup", lookup_view, "lookup.html", lambda r: "Lookup",
         ("q", "start", "end", "days", "family", "variant", "all")),
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
