"""What the sinkhole saw: aggregate counts per day and family (no address), and the
population estimates."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from dgawatch.web.common import Portal
from dgawatch.web.pages import Page


def sinkhole_view(request: Request, portal: Portal) -> dict[str, Any]:
    """Per-day figures from the incrementally refreshed cache (never a store scan per
    request; see :mod:`dgawatch.web.sinkhole_cache`)."""
    from dgawatch.sinkhole.stats import UNIT_OBSERVED

    figures = portal.sinkhole.figures()
    return {"unit": UNIT_OBSERVED} | figures


_SINKHOLE = """{% extends "base.html" %}{% block content %}
{% if not data.present %}
<p class="empty">No sinkhole events in the event store. Run
<code>dgawatch sinkhole serve</code> or <code>dgawatch sinkhole ingest</code> to collect some.</p>
{% else %}
<p>{{ "{:,}".format(data.events) }} events (figures as of {{ data.as_of }}{% if data.stale %},
being refreshed{% endif %}). Counts are {{ data.unit }}.</p>
<h2>Per day</h2>
<table><tr><th>day</th><th>addresses</th><th>DNS</th><th>HTTP</th><th>events</th></tr>
{% for r in data.by_day %}<tr><td>{{ r.day }}</td><td class="num">{{ r.addresses }}</td>
<td class="num">{{ r.dns_addresses }}</td><td class="num">{{ r.http_addresses }}</td>
<td class="num">{{ r.events }}</td></tr>{% endfor %}
</table>
<h2>Per family</h2>
<table><tr><th>day</th><th>family</th><th>variant</th><th>attribution</th><th>addresses</th>
<th>events</th></tr>
{% for r in data.by_family %}<tr><td>{{ r.day }}</td><td>{{ r.family }}</td>
<td>{{ r.variant }}</td><td>{{ r.attribution }}</td><td class="num">{{ r.addresses }}</td>
<td class="num">{{ r.events }}</td></tr>{% endfor %}
</table>
{% if data.estimates %}<h2>Population estimates</h2>
<table><tr><th>family</th><th>list day</th><th>protocol</th><th>method</th><th>estimate</th>
<th>95% interval</th></tr>
{% for e in data.estimates %}<tr><td>{{ e.family }}/{{ e.variant }}</td><td>{{ e.day }}</td>
<td>{{ e.protocol }}</td><td>{{ e.method }}</td><td class="num">{{ "{:,.0f}".format(e.value) }}</td>
<td>{% if e.ci95 %}{{ "{:,.0f}".format(e.ci95[0]) }} ..
{{ "{:,.0f}".format(e.ci95[1]) }}{% endif %}</td>
</tr>{% endfor %}</table>{% endif %}
{% endif %}
{% endblock %}"""

PAGES = (
    Page("/sinkhole", sinkhole_view, "sinkhole.html", "Sinkhole", expensive=True,
         nav="sinkhole", order=50,
         summary="what the sinkhole saw (aggregate counts only)",
         templates={"sinkhole.html": _SINKHOLE}),
)  # fmt: skip
