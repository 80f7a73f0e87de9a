"""Which family, variant and day generate a name: the CLI's lookup over the store, the
all-time index and (bounded) generation."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
from fastapi import Request

from dgawatch.days import span, today
from dgawatch.domain import normalise, registered_domain
from dgawatch.errors import InputError
from dgawatch.families import choose_variants
from dgawatch.families.base import Variant
from dgawatch.lookup import (
    HIT_SCHEMA,
    PlannedVariant,
    default_window,
    json_lines,
    lookup,
    near_window,
    plan_lookup,
)
from dgawatch.web.common import (
    MAX_FORECAST_DAYS,
    MAX_GENERATED_DAYS,
    MAX_LOOKUP_NAMES,
    Portal,
    check_name,
    day_param,
    int_param,
    multi_param,
    param,
)
from dgawatch.web.pages import Page


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
        check_name(queries[0])  # in a batch it is that name's error line, as the CLI's
        normalise(queries[0])
    families, variant_names = multi_param(request, "family"), multi_param(request, "variant")
    start, end = day_param(request, "start"), day_param(request, "end")
    if param(request, "all") is not None:
        if start is not None or end is not None:
            raise InputError("all looks at whole active periods; drop start/end")
        return _lookup_all_view(queries, choose_variants(families, variant_names), portal)
    explicit = start is not None or end is not None
    if param(request, "days") is not None:
        if start is None or end is not None:
            raise InputError("days counts from start; give start (and not end)")
        end = start + dt.timedelta(days=int_param(request, "days", 1, 1, MAX_FORECAST_DAYS) - 1)
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


_LOOKUP = """{% extends "base.html" %}{% block content %}
<form action="/lookup">
names <textarea name="q" rows="3" cols="30">{{ form.q }}</textarea>
from <input name="start" value="{{ form.start }}" size="10" placeholder="YYYY-MM-DD">
to <input name="end" value="{{ form.end }}" size="10" placeholder="YYYY-MM-DD">
<label><input type="checkbox" name="all" value="1"{% if form.get("all") %} checked{% endif %}>
all time</label>
<input type="submit" value="look up">
</form>
{% if data %}{% if data.get("all") %}
<p>Whole active periods (to today + 1 year), from the all-time index:
{{ data.days_from_index }} variant-day(s) indexed{% if data.days_not_indexed %},
{{ data.days_not_indexed }} not indexed (not searched; run
<code>dgawatch store build --all-time</code>){% endif %}.</p>
{% else %}
<p>Window {{ data.start }} .. {{ data.end }}: {{ data.days_from_store }} day list(s) read from the
store, {{ data.days_from_index }} from the all-time index, {{ data.days_generated }} generated
{% if data.generated %}({{ data.generated.first }} .. {{ data.generated.last }}){% endif %}.
{% if data.days_not_covered %}<strong>{{ "{:,}".format(data.days_not_covered) }} variant-day(s)
not searched</strong> (a web request generates at most {{ max_days }} days; run
<code>dgawatch store build</code> or use <code>dgawatch lookup</code>).{% endif %}</p>{% endif %}
{% for r in data.results %}
<h2 class="mono">{{ r.query }}</h2>
{% if r.get("error") %}<p class="error">{{ r.error }}</p>
{% elif r.matches %}
<p>Registered domain: <code>{{ r.registered_domain }}</code></p>
<table><tr><th>family</th><th>variant</th><th>day</th><th>index</th><th>forecast name</th></tr>
{% for m in r.matches %}<tr>
<td><a href="/families/{{ m.family | urlencode }}">{{ m.family }}</a></td><td>{{ m.variant }}</td>
<td><a href="{{ forecast_url(m.family, m.variant, m.day) }}">{{ m.day }}</a>{% if m.get("last_day")
and m.last_day != m.day %} .. {{ m.last_day }}{% endif %}</td>
<td class="num">{{ m.index }}</td><td class="mono">{{ m.domain }}</td></tr>{% endfor %}
</table>
{% else %}{% if r.get("shape_of") %}<p>Has the shape of {{ r.shape_of | join(", ") }}
(seed unknown).</p>{% endif %}<p class="empty">{% if data.get("all") %}
No registered variant generates it on any indexed day.{% else %}
No registered variant generates it in this window.{% endif %}
Try <a href="/classify?q={{ r.query | urlencode }}">the classifier</a>.</p>{% endif %}
{% endfor %}
{% else %}
<p class="empty">Give a domain name, or several one a line (at most
{{ "{:,}".format(max_names) }}). The
default window is the CLI's, 365 days back to 90 days ahead: the store and the all-time index
answer the days they hold, and at most the {{ max_days }} days nearest to today are generated.</p>
{% endif %}
{% endblock %}"""

PAGES = (
    Page("/lookup", lookup_view, "lookup.html", "Lookup",
         form=("q", "start", "end", "days", "family", "variant", "all"), expensive=True,
         nav="lookup", order=30,
         summary="which family, variant and day generate a name",
         templates={"lookup.html": _LOOKUP}),
)  # fmt: skip
