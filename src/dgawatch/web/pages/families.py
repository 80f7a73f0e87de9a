"""The registered families and each family's variants."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from dgawatch.families import all_families, get_family
from dgawatch.web.common import Portal, sample_day
from dgawatch.web.pages import Page


def families_view(request: Request, portal: Portal) -> list[dict[str, object]]:
    return [f.to_dict() for f in all_families()]


def family_view(request: Request, portal: Portal) -> dict[str, Any]:
    family = get_family(request.path_params["family"])
    doc: dict[str, Any] = family.to_dict()
    for v, vd in zip(family.variants, doc["variants"], strict=True):
        vd["sample_day"] = sample_day(v).isoformat()
    return doc


_FAMILIES = """{% extends "base.html" %}{% block content %}
<table><tr><th>family</th><th>type</th><th>variant</th><th>active</th>
<th>names/day</th><th>TLDs</th></tr>
{% for f in data %}{% for v in f.variants %}<tr>
{% if loop.first %}<td rowspan="{{ f.variants | length }}">
<a href="/families/{{ f.family | urlencode }}">{{ f.family }}</a></td>
<td rowspan="{{ f.variants | length }}">{{ f.generator_type }}</td>{% endif %}
<td>{{ v.variant }}</td>
<td>{{ v.active_from }} .. {{ v.active_until or "open" }}</td>
<td class="num">{{ "{:,}".format(v.domains_per_day) }}</td>
<td class="mono">{{ v.tlds[:8] | join(" ") }}
{% if v.tlds | length > 8 %} ... ({{ v.tlds | length }}){% endif %}</td>
</tr>{% endfor %}{% endfor %}
</table>
{% endblock %}"""

_FAMILY = """{% extends "base.html" %}{% block content %}
<p>{{ data.summary }}</p>
<p>Generator type: {{ data.generator_type }}; time-seeded: {{ "yes" if data.time_seeded else "no" }}
{% if data.aliases %}; aliases: {{ data.aliases | join(", ") }}{% endif %}</p>
{% for v in data.variants %}
<h2>Variant {{ v.variant }}</h2>
<p>{{ v.summary }}</p>
<table>
<tr><th>active</th><td>{{ v.active_from }} .. {{ v.active_until or "open" }}</td></tr>
<tr><th>names per day</th><td>{{ "{:,}".format(v.domains_per_day) }}</td></tr>
<tr><th>new list every</th><td>{% if v.period_days %}{{ v.period_days }} day(s)
{% else %}never (not time-seeded){% endif %}</td></tr>
<tr><th>TLDs</th><td class="mono">{{ v.tlds | join(" ") }}</td></tr>
{% for k, val in v.parameters.items() %}<tr><th>{{ k }}</th><td class="mono">{{ val }}</td></tr>
{% endfor %}
</table>
<p><a href="{{ forecast_url(data.family, v.variant, v.sample_day) }}">forecast for
{{ v.sample_day }}</a></p>
{% endfor %}
{% if data.references %}<h2>References</h2><ul>
{% for r in data.references %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
{% endblock %}"""

PAGES = (
    Page("/families", families_view, "families.html", "Families", nav="families", order=10,
         summary="variants, active periods, names per day, TLDs",
         templates={"families.html": _FAMILIES}),
    Page("/families/{family}", family_view, "family.html",
         lambda r: f"Family {get_family(r.path_params['family']).name}", order=11,
         templates={"family.html": _FAMILY}),
)  # fmt: skip
