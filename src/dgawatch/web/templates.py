"""The portal's HTML: Jinja2 templates kept in this module (no template files to ship, no
JavaScript, no build step), rendered with autoescaping on so that nothing a visitor types
reaches the page unescaped."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape

_BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - dgawatch</title>
{% if json_url %}<link rel="alternate" type="application/json" href="{{ json_url }}">{% endif %}
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 0 1rem;
       color: #1d2329; }
header { border-bottom: 1px solid #ccd; margin-bottom: 1rem; padding: .6rem 0; }
header a { margin-right: 1rem; }
a { color: #0b5394; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #e3e6ea; padding: .25rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, monospace; }
form { margin: .5rem 0 1rem; }
input { font: inherit; padding: .15rem .3rem; }
.error { background: #fdecea; border: 1px solid #e0b4b4; padding: .6rem; }
.empty { color: #5a6570; font-style: italic; }
.names { columns: 4 16rem; font-family: ui-monospace, monospace; font-size: 13px; }
footer { border-top: 1px solid #ccd; color: #5a6570; margin-top: 2rem; padding: .6rem 0; }
</style>
</head>
<body>
<header><strong>dgawatch</strong> &nbsp;
<a href="/">home</a><a href="/families">families</a><a href="/forecast">forecast</a>
<a href="/lookup">lookup</a><a href="/classify">classify</a><a href="/sinkhole">sinkhole</a>
</header>
<main>
<h1>{{ title }}</h1>
{% block content %}{% endblock %}
</main>
<footer>Read-only view. {% if json_url %}This page as JSON:
<a href="{{ json_url }}">{{ json_url }}</a>{% endif %}</footer>
</body>
</html>
"""

_ERROR = """{% extends "base.html" %}{% block content %}
<p class="error">{{ message }}</p>
{% endblock %}"""

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
<li><a href="/families">families</a>: variants, active periods, names per day, TLDs</li>
<li><a href="/forecast">forecast</a>: one variant's names for a day, as txt or csv</li>
<li><a href="/lookup">lookup</a>: which family, variant and day generate a name</li>
<li><a href="/classify">classify</a>: does a name look algorithmically generated?</li>
<li><a href="/sinkhole">sinkhole</a>: what the sinkhole saw (aggregate counts only)</li>
</ul>
<p>Every page has a JSON twin: add <code>.json</code> to its path, or prefix it with
<code>/api</code>.</p>
{% endblock %}"""

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

_CLASSIFY = """{% extends "base.html" %}{% block content %}
<form action="/classify">
name <input name="q" value="{{ form.q }}" size="30"> <input type="submit" value="score">
</form>
{% if data and not data.available %}
<p class="empty">The classifier is not available: {{ data.error }}</p>
{% elif data %}
<table>
<tr><th>name</th><td class="mono">{{ data.domain }}</td></tr>
<tr><th>score (0 = benign, 1 = generated)</th>
<td class="num">{{ "%.4f" | format(data.score) }}</td></tr>
{% if data.generated is not none %}<tr><th>generated at benign FPR {{ data.fpr }}</th>
<td>{{ "yes" if data.generated else "no" }}</td></tr>{% endif %}
<tr><th>closest known family</th><td>{% if data.family %}
<a href="/families/{{ data.family | urlencode }}">{{ data.family }}</a>
({{ "%.2f" | format(data.family_score) }}){% else %}-{% endif %}</td></tr>
</table>
<p><a href="/lookup?q={{ data.domain | urlencode }}">Look it up in the forecasts</a>.</p>
{% else %}
<p class="empty">Give a domain name to score.</p>
{% endif %}
{% endblock %}"""

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

TEMPLATES = {
    "base.html": _BASE,
    "error.html": _ERROR,
    "home.html": _HOME,
    "families.html": _FAMILIES,
    "family.html": _FAMILY,
    "forecast.html": _FORECAST,
    "lookup.html": _LOOKUP,
    "classify.html": _CLASSIFY,
    "sinkhole.html": _SINKHOLE,
}

_env = Environment(
    loader=DictLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_env.globals["forecast_url"] = lambda family, variant, day: (
    "/forecast?" + urlencode({"family": family, "variant": variant, "day": day})
)


def render(name: str, **context: Any) -> str:
    return _env.get_template(name).render(**context)


def style_hashes() -> list[str]:
    """Base64 SHA-256 of each inline ``<style>`` block: the Content-Security-Policy allows
    exactly these and no other style (and no script at all)."""
    import base64
    import hashlib
    import re

    blocks = re.findall(r"<style>(.*?)</style>", _BASE, flags=re.S)
    return [base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() for b in blocks]
