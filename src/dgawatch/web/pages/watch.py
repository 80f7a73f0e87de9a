"""``/watch``: the registration watch's latest check (issue 15): the weakest-link table (per
TLD and family, the share of the coming days' names in each state) and the alerts (names
registered by someone else after the list was published), with the evidence. Both are
``dgawatch watch report`` (``report_rows``, ``alert_rows``) of the data directory's watch
store; no address is shown (name servers, registrar and dates only), so the page is public
like the other aggregates."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from dgawatch.web.common import Portal
from dgawatch.web.pages import Page

#: The columns of the weakest-link table, in ``watch report``'s order.
STATES = ("free", "reserved", "sinkholed", "collision", "alert", "unknown")


def watch_view(request: Request, portal: Portal) -> dict[str, Any]:
    from dgawatch.watch import alert_rows, report_rows

    where = portal.store_path.parent
    rows = report_rows(where)
    alerts = alert_rows(where)
    checked = rows[0]["checked_at"] if rows else None
    return {"checked_at": checked, "states": list(STATES), "report": rows, "alerts": alerts}


_WATCH = """{% extends "base.html" %}{% block content %}
{% if not data.report %}
<p>No registration watch check yet: run <code>dgawatch watch check --tld ...</code>
(see the README, "Registration watch").</p>
{% else %}
<p>Latest check: {{ data.checked_at }}. Share of the coming days' names per state; the
weakest links (most names still free) first.</p>
<table><tr><th>TLD</th><th>family</th><th>names</th>
{% for s in data.states %}<th>{{ s }}</th>{% endfor %}</tr>
{% for r in data.report %}<tr><td class="mono">{{ r.tld }}</td><td>{{ r.family }}</td>
<td class="num">{{ "{:,}".format(r.names) }}</td>
{% for s in data.states %}<td class="num">{{ "%.1f" | format(100 * r["share_" ~ s]) }} %</td>
{% endfor %}</tr>{% endfor %}
</table>
<h2>Alerts: registered after publication by someone else</h2>
{% if data.alerts %}
<table><tr><th>domain</th><th>family/variant</th><th>day</th><th>published</th>
<th>registered</th><th>registrar</th><th>name servers</th><th>sources</th><th>basis</th></tr>
{% for a in data.alerts %}<tr><td class="mono">{{ a.domain }}</td>
<td>{{ a.family }}/{{ a.variant }}</td><td>{{ a.day }}</td><td>{{ a.published }}</td>
<td>{{ a.created or "" }}</td><td>{{ a.registrar or "" }}</td>
<td class="mono">{{ (a.ns or []) | join(" ") }}</td><td>{{ (a.sources or []) | join(", ") }}</td>
<td>{{ a.basis }}</td></tr>{% endfor %}
</table>
{% else %}<p>None.</p>{% endif %}
{% endif %}
{% endblock %}"""

PAGES = (
    Page(
        "/watch",
        watch_view,
        "watch.html",
        "Registration watch",
        nav="watch",
        summary="are the coming days' names blocked, and who registered the ones that aren't",
        order=60,
        access="public",
        templates={"watch.html": _WATCH},
    ),
)
