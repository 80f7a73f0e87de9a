"""Does a name look algorithmically generated? The CLI's classifier and verdict."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from dgawatch.classify.cli import DEFAULT_FPR
from dgawatch.domain import normalise
from dgawatch.errors import DgawatchError, InputError
from dgawatch.web.common import Portal, check_name, log, param
from dgawatch.web.pages import Page

#: Benign false-positive rate whose calibrated threshold decides "generated": the CLI's.
CLASSIFY_FPR = DEFAULT_FPR


def classify_view(request: Request, portal: Portal) -> dict[str, Any]:
    q = param(request, "q")
    if q is None:
        raise InputError("q (the domain name to score) is required")
    check_name(q)
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

PAGES = (
    Page("/classify", classify_view, "classify.html", "Classify", form=("q",), expensive=True,
         nav="classify", order=40,
         summary="does a name look algorithmically generated?",
         templates={"classify.html": _CLASSIFY}),
)  # fmt: skip
