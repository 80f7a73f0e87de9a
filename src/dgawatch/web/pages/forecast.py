"""A forecast: the names of the selected variants on the selected days, shown (the first
SHOWN_NAMES) and downloadable whole as txt, csv or jsonl through the CLI's writer."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from dgawatch.days import day_range, today
from dgawatch.errors import InputError
from dgawatch.families import choose_variants
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
from dgawatch.web.common import (
    MAX_FORECAST_DAYS,
    MAX_GENERATED_DAYS,
    Portal,
    day_param,
    int_param,
    multi_param,
    param,
    sample_day,
)
from dgawatch.web.guard import Deadline
from dgawatch.web.pages import Page, Route

#: Names a forecast page shows (downloads carry them all).
SHOWN_NAMES = 500
DOWNLOAD_FORMATS = {"txt": "text/plain", "csv": "text/csv", "jsonl": "application/x-ndjson"}
#: Most names a download generates (day lists the store does not hold): a month of
#: Conficker C; a family with more names a day gets fewer days.
MAX_GENERATED_NAMES = 1_600_000
#: Time budget of one download's generation (beyond it: 503, nothing sent).
DOWNLOAD_BUDGET_S = 20.0
#: A download is assembled here (memory up to this size, then a temporary file) so that
#: a slow reader holds no expensive slot.
SPOOL_BYTES = 8 << 20


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
    if not any(multi_param(request, k) for k in FORECAST_FORM):
        return None
    families, names, tlds = (
        multi_param(request, "family"),
        multi_param(request, "variant"),
        multi_param(request, "tld"),
    )
    variants = choose_variants(families, names)
    _check_tlds(variants, tlds)
    start = day_param(request, "day") or day_param(request, "start")
    if param(request, "day") and param(request, "start"):
        raise InputError("give day or start, not both")
    every = not families or "all" in families
    if start is None:
        start = sample_day(variants[0]) if len(variants) == 1 else today()
    end = day_param(request, "end")
    if end is not None:
        if param(request, "days"):
            raise InputError("give end or days, not both")
        if end < start:
            raise InputError(f"end {end} is before start {start}")
        n = (end - start).days + 1
        if n > MAX_FORECAST_DAYS:
            raise InputError(f"day..end spans {n} days; at most {MAX_FORECAST_DAYS}")
    else:
        n = int_param(request, "days", 1, 1, MAX_FORECAST_DAYS)
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


_FORECAST = """{% extends "base.html" %}{% block content %}
<form action="/forecast">
family <input name="family" value="{{ form.family }}" size="14" placeholder="all">
variant <input name="variant" value="{{ form.variant }}" size="8" placeholder="all">
day <input name="day" value="{{ form.day }}" size="10" placeholder="YYYY-MM-DD">
days <input name="days" value="{{ form.days }}" size="3">
tld <input name="tld" value="{{ form.tld }}" size="6">
<input type="submit" value="show">
</form>
{% if data %}
<p>{{ data.lists }} day list(s) of {{ data.variants | join(", ") }} from {{ data.start }}
to {{ data.end }} ({{ "{:,}".format(data.names_per_day) }} names a day{% if data.tlds %}, kept
under {{ data.tlds | join(", ") }}{% endif %}). Download all names:
{% for fmt, url in data.downloads.items() %}<a href="{{ url }}">{{ fmt }}</a> {% endfor %}</p>
<p>The first {{ "{:,}".format(data.names | length) }} names{% if not data.shown_complete %}
(generating stopped at the portal's bound of {{ max_days }} day lists; the downloads read the
rest from the store or are refused){% endif %}:</p>
<table><tr><th>day</th><th>variant</th><th>index</th><th>domain</th></tr>
{% for n in data.names %}<tr><td>{{ n.day }}</td><td>{{ n.family }}/{{ n.variant }}</td>
<td class="num">{{ n.index }}</td><td class="mono">{{ n.domain }}</td></tr>{% endfor %}
</table>
{% else %}
<p class="empty">Pick families and variants (none = all; repeat <code>family=</code> in the
address for several), a day and an optional TLD.</p>
{% endif %}
{% endblock %}"""

PAGES = (
    Page("/forecast", forecast_view, "forecast.html", "Forecast", form=FORECAST_FORM,
         expensive=True, nav="forecast", order=20,
         summary="one variant's names for a day, as txt or csv",
         templates={"forecast.html": _FORECAST},
         extra_routes=tuple(Route(f"/forecast.{fmt}", _download(fmt)) for fmt in DOWNLOAD_FORMATS)),
)  # fmt: skip
