"""Does a name look algorithmically generated? The CLI's verdict: an exact forecast match
first (``dgawatch classify``'s own look-up: the store's days of lookup's default window,
lists generated for today +- 7 days only), else the classifier's score and verdict."""

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


def forecast_matches(name: str, portal: Portal) -> tuple[list[dict[str, object]] | None, str]:
    """The exact forecast matches of ``name`` as ``dgawatch classify --json`` gives them
    (its ``forecast``), from the portal's store; (None, why) when the look-up failed (a
    store of another schema, say: logged, the page still answers with the score). Bounded
    as the CLI's: only the candidate variants' lists of today +- 7 days are generated (one
    name: well under a CPU-second), the rest comes from the store, in the request's slot."""
    from dgawatch.classify import cli

    try:
        hits = cli.forecast_hits([name], store_path=portal.store_path)
    except Exception as exc:  # a store or cache problem must not take the page down
        log.warning("forecast look-up for /classify failed: %s: %s", type(exc).__name__, exc)
        return None, "the forecast look-up is unavailable (see the portal's log)"
    return hits.get(name, []), ""


def classify_view(request: Request, portal: Portal) -> dict[str, Any]:
    q = param(request, "q")
    if q is None:
        raise InputError("q (the domain name to score) is required")
    check_name(q)
    name = normalise(q)
    forecast, forecast_error = forecast_matches(name, portal)
    found = {"forecast": forecast, "forecast_error": forecast_error or None}
    try:
        from dgawatch.classify import default_model

        model = default_model()
        scores, families, family_scores = model.classify([name])
    except Exception as exc:  # a missing or unreadable model must not take the portal down
        log.warning("classifier unavailable: %s", exc)
        return {"domain": name, "available": False, "error": f"{type(exc).__name__}: {exc}",
                **found}  # fmt: skip
    try:
        threshold: float | None = model.threshold_for(CLASSIFY_FPR)
    except DgawatchError:
        threshold = None
    score = float(scores[0])
    generated = None if threshold is None else score > threshold
    # As 'dgawatch classify --json': the closest known family only for a name called
    # generated (a benign name resembles no family; naming one reads as an accusation);
    # an exact forecast match names its family and makes the name generated.
    family = families[0] if generated else None
    family_score = float(family_scores[0]) if generated else None
    if forecast:
        family_score = float(family_scores[0])
        family, generated = str(forecast[0]["family"]), True
    return {
        "domain": name,
        "available": True,
        "score": score,
        "family": family,
        "family_score": family_score,
        "fpr": CLASSIFY_FPR,
        "threshold": threshold,
        "generated": generated,
        **found,
    }


_CLASSIFY = """{% extends "base.html" %}{% block content %}
<form action="/classify">
name <input name="q" value="{{ form.q }}" size="30"> <input type="submit" value="score">
</form>
{% if data %}
{% if data.forecast %}
<p><strong>DGA (forecast)</strong>: <span class="mono">{{ data.domain }}</span> is in the
forecast lists of {{ data.forecast | length }} variant{{ "" if data.forecast | length == 1
else "s" }} (exact match, ahead of any model guess):</p>
<table>
<tr><th>family/variant</th><th>index</th><th>name</th><th>days</th></tr>
{% for h in data.forecast %}<tr>
<td><a href="/families/{{ h.family | urlencode }}">{{ h.family }}/{{ h.variant }}</a></td>
<td class="num">{{ h.index }}</td><td class="mono">{{ h.domain }}</td>
<td>{{ h.first_day }}{% if h.last_day != h.first_day %} .. {{ h.last_day }}{% endif %}
({{ h.days }} day{{ "" if h.days == 1 else "s" }})</td></tr>
{% endfor %}</table>
{% elif data.forecast_error %}
<p class="empty">Not looked up in the forecasts: {{ data.forecast_error }}.</p>
{% else %}
<p>No forecast match (the store's days from a year back to 90 days ahead, and the lists of
today &plusmn; 7 days).</p>
{% endif %}
{% if not data.available %}
<p class="empty">The classifier is not available: {{ data.error }}</p>
{% else %}
<table>
<tr><th>name</th><td class="mono">{{ data.domain }}</td></tr>
<tr><th>score (0 = benign, 1 = generated)</th>
<td class="num">{{ "%.4f" | format(data.score) }}</td></tr>
{% if data.generated is not none %}<tr><th>generated at benign FPR {{ data.fpr }}</th>
<td>{{ "yes" if data.generated else "no" }}{% if data.forecast %} (forecast match){% endif
%}</td></tr>{% endif %}
<tr><th>{{ "family" if data.forecast else "closest known family" }}</th>
<td>{% if data.family %}
<a href="/families/{{ data.family | urlencode }}">{{ data.family }}</a>
{% if not data.forecast %}({{ "%.2f" | format(data.family_score) }}){% endif %}
{% else %}-{% endif %}</td></tr>
</table>
{% endif %}
<p><a href="/lookup?q={{ data.domain | urlencode }}">Look it up in the forecasts</a>
(every day the store and the all-time index hold).</p>
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
