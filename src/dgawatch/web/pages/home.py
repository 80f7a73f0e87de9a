"""The overview: what is registered, what the forecast store holds, which pages exist."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from dgawatch import __version__
from dgawatch.families import all_families, all_variants
from dgawatch.web.common import Portal
from dgawatch.web.pages import Page


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
        "pages": [pg.path for pg in request.app.state.pages if pg.nav and pg.path != "/"],
    }


_HOME = """{% extends "base.html" %}{% block content %}
<p>{{ data.families }} DGA families with {{ data.variants }} variants are registered
(<a href="/families">list</a>).</p>
<h2>Forecast store</h2>
{% if data.store.present %}
<p>Day lists held:</p>
{% if data.store.lists %}
<table><tr><th>family</th><th>variant</th><th>first day</th><th>last day</th>
<th>days</th><th>names</th></tr>
{% for r in data.store.lists %}<tr>
<td><a href="/families/{{ r.family | urlencode }}">{{ r.family }}</a></td><td>{{ r.variant }}</td>
<td>{{ r.first_day }}</td><td>{{ r.last_day }}</td>
<td class="num">{{ "{:,}".format(r.days) }}</td><td class="num">{{ "{:,}".format(r.names) }}</td>
</tr>{% endfor %}</table>
{% else %}<p class="empty">The store is empty.</p>{% endif %}
{% else %}
<p class="empty">{{ data.store.message }} Lookups generate day lists on demand instead
(build one with <code>dgawatch store build</code>).</p>
{% endif %}
<h2>Pages</h2>
<ul>
{% for p in nav_pages() if p.summary %}
<li><a href="{{ p.path }}">{{ p.nav }}</a>: {{ p.summary }}</li>
{% endfor %}</ul>
<p>Every page has a JSON twin: add <code>.json</code> to its path, or prefix it with
<code>/api</code>.</p>
{% endblock %}"""

PAGES = (
    Page("/", home_view, "home.html", "Overview", nav="home", order=0,
         templates={"home.html": _HOME}),
)  # fmt: skip
