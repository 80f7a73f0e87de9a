"""The portal's HTML: Jinja2 templates kept in this module (no template files to ship, no
JavaScript, no build step), rendered with autoescaping on so that nothing a visitor types
reaches the page unescaped. The base and error pages are here; every page brings its own
template (:class:`dgawatch.web.pages.Page` ``templates``)."""

from __future__ import annotations

from collections.abc import Sequence
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
{% for p in nav_pages() %}<a href="{{ p.path }}">{{ p.nav }}</a>{% endfor %}
</header>
<main>
<h1>{{ title }}</h1>
{% block content %}{% endblock %}
</main>
<footer>{% if json_url %}This page as JSON:
<a href="{{ json_url }}">{{ json_url }}</a>{% endif %}</footer>
</body>
</html>
"""

_ERROR = """{% extends "base.html" %}{% block content %}
<p class="error">{{ message }}</p>
{% endblock %}"""

#: The shared templates; each page brings its own (dgawatch.web.pages).
TEMPLATES = {
    "base.html": _BASE,
    "error.html": _ERROR,
}


def environment(pages: Sequence[Any]) -> Environment:
    """The Jinja2 environment of a portal serving ``pages`` (their templates, and those
    with a ``nav`` label in the header)."""
    from dgawatch.web.pages import page_templates

    listed = [p for p in pages if p.nav]
    env = Environment(
        loader=DictLoader({**page_templates(tuple(pages)), **TEMPLATES}),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["nav_pages"] = lambda: listed
    env.globals["forecast_url"] = lambda family, variant, day: (
        "/forecast?" + urlencode({"family": family, "variant": variant, "day": day})
    )
    return env


_default: Environment | None = None


def render(name: str, env: Environment | None = None, **context: Any) -> str:
    """Render ``name`` in ``env`` (default: the environment of every registered page)."""
    global _default
    if env is None:
        if _default is None:
            from dgawatch.web.pages import all_pages

            _default = environment(all_pages())
        env = _default
    return env.get_template(name).render(**context)


def style_hashes() -> list[str]:
    """Base64 SHA-256 of each inline ``<style>`` block: the Content-Security-Policy allows
    exactly these and no other style (and no script at all)."""
    import base64
    import hashlib
    import re

    blocks = re.findall(r"<style>(.*?)</style>", _BASE, flags=re.S)
    return [base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() for b in blocks]
