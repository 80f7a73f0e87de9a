"""``/selftest``: does *your* resolver apply the dgawatch block list? In the spirit of the
Conficker Working Group's Eye Chart, the visitor's browser tries to reach a few of today's
forecast names that the sinkhole holds (*canaries*) and, as a control, the sinkhole's own
address without any name.

What a browser can tell, and what it cannot:

* Only whether a request *got an answer*. A script's ``fetch`` in ``no-cors`` mode
  succeeds (with an opaque answer) when the name resolved and the sinkhole answered, and
  fails with a network error when it did not resolve (NXDOMAIN from a response-policy
  zone), or when nothing answered. An ``<img>`` cannot tell the two apart here: the
  sinkhole answers text, not an image, so an image fails to load either way.
* Hence the control: the sinkhole's address fetched directly. If it cannot be reached
  (firewall, proxy, an HTTPS page's mixed-content rule, the sinkhole down), the canaries
  say nothing and the page says so ("inconclusive") rather than "protected".
* It tests the resolver *the browser* uses: a browser with its own DNS-over-HTTPS
  resolver may bypass the network's. Without JavaScript nothing can be detected (a page
  cannot learn whether a name resolved); the page then lists the canaries and the ``dig``
  commands that check them by hand.

Each probe that reaches the sinkhole is an HTTP request like a bot's; its path starts
with ``/dgawatch-selftest/`` so that it can be told apart in the event store.

The page carries its own Content-Security-Policy: the portal's, plus this page's one
inline script (by hash) and ``connect-src`` for exactly the canaries' and the control's
origins.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import secrets
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from dgawatch.days import today
from dgawatch.sinkhole.stats import SELFTEST_PATH
from dgawatch.web.common import Portal
from dgawatch.web.pages import Page, Route

#: Canaries shown (one per family, of the families the sinkhole holds today).
CANARIES = 3
#: Probe path prefix (how the sinkhole's events of a self-test are recognised).
PROBE_PATH = SELFTEST_PATH  # the sinkhole's statistics leave these requests out
#: Seconds a probe may take before it counts as not reached.
TIMEOUT_S = 8


@lru_cache(maxsize=64)
def _first_held(family: str, variant: str, day: dt.date, first: int | None) -> str | None:
    """The first name the sinkhole holds of one variant's day list (the names it holds are
    the list's first ``first``, regenerated here as the sinkhole does)."""
    from dgawatch.families import get_family
    from dgawatch.sinkhole.names import held_names

    try:
        v = get_family(family).variant(variant)
    except Exception:  # a held variant this version does not know: no canary from it
        return None
    names = held_names(v, day, 1) if first is None or first >= 1 else []
    return names[0] if names else None


def _origin(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return f"http://{host}" + ("" if port == 80 else f":{port}")


def _control(portal: Portal, keys: list[tuple[str, str]]) -> str | None:
    """An IPv4 address of the sinkhole answering one of the canaries' variants (or any
    variant), from the store's address plan in force."""
    from dgawatch.errors import InputError
    from dgawatch.sinkhole.plan import SHARED, read_plans

    try:
        plans = read_plans(portal.sinkhole_dir)
    except InputError:
        return None
    if not plans:
        return None
    entries = plans[-1][1].entries
    v4 = [e for e in entries if ipaddress.ip_address(e.address).version == 4]
    for e in v4:
        if (e.family, e.variant) in keys or e.family == SHARED:
            return e.address
    return v4[0].address if v4 else None


def probe_plan(portal: Portal, http_port: int, day: dt.date | None = None) -> dict[str, Any]:
    """Today's canaries and the control, with the URLs the page's script fetches."""
    from dgawatch.sinkhole.names import read_held

    day = day or today()
    held, first = read_held(portal.sinkhole_dir, day)
    nonce = secrets.token_hex(8)
    canaries: list[dict[str, Any]] = []
    families: set[str] = set()
    for key in sorted(k for k, n in held.items() if n > 0):
        family, _sep, variant = key.partition("/")
        if family in families or len(canaries) >= CANARIES:
            continue
        name = _first_held(family, variant, day, first)
        if name is None:
            continue
        families.add(family)
        url = f"{_origin(name, http_port)}{PROBE_PATH}{nonce}"
        canaries.append({"name": name, "family": family, "variant": variant, "url": url})
    address = _control(portal, [(c["family"], c["variant"]) for c in canaries])
    control = (
        {"address": address, "url": f"{_origin(address, http_port)}{PROBE_PATH}{nonce}"}
        if address is not None and canaries
        else None
    )
    return {"day": day.isoformat(), "canaries": canaries, "control": control,
            "timeout_s": TIMEOUT_S}  # fmt: skip


_VERDICTS = {
    "protected": "Your resolver applies the block list: none of today's canary names "
    "could be reached, while the sinkhole itself could.",
    "exposed": "Your resolver does NOT apply the block list: today's canary names resolved "
    "and reached the sinkhole. A machine infected with one of these DGAs would reach its "
    "rendezvous names through this resolver.",
    "partial": "Your resolver blocks some of today's canary names but not all: its copy of "
    "the block list is incomplete or out of date.",
    "inconclusive": "Inconclusive: the sinkhole could not be reached even by its address "
    "(a firewall, a proxy, this page served over HTTPS, or the sinkhole is down), so the "
    "canaries tell nothing about your resolver.",
}


def selftest_data(portal: Portal, http_port: int) -> dict[str, Any]:
    plan = probe_plan(portal, http_port)
    return plan | {
        "how": "fetch each url in no-cors mode: success means the name resolved and the "
        "sinkhole answered; a network error means it did not (blocked, or unreachable: "
        "the control tells which)",
        "verdicts": _VERDICTS,
    }


_SCRIPT = """
(function () {
  var rows = document.querySelectorAll("tr[data-probe]");
  var out = document.getElementById("verdict");
  out.querySelector("[data-for=running]").hidden = false;
  function probe(row) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, row.dataset.timeout * 1000);
    return fetch(row.dataset.probe, {mode: "no-cors", cache: "no-store",
        credentials: "omit", referrerPolicy: "no-referrer", signal: ctl.signal})
      .then(function () { return true; }, function () { return false; })
      .then(function (ok) {
        clearTimeout(timer);
        row.dataset.result = ok ? "reached" : "not-reached";
        row.querySelector(".result").textContent = ok ? "reached" : "not reached";
        return {kind: row.dataset.kind, ok: ok};
      });
  }
  Promise.all(Array.prototype.map.call(rows, probe)).then(function (results) {
    var control = results.filter(function (r) { return r.kind === "control"; });
    var canaries = results.filter(function (r) { return r.kind === "canary"; });
    var reached = canaries.filter(function (r) { return r.ok; }).length;
    var verdict = !control.length || !control[0].ok ? "inconclusive"
      : reached === 0 ? "protected" : reached === canaries.length ? "exposed" : "partial";
    out.dataset.verdict = verdict;
    out.querySelector("[data-for=running]").hidden = true;
    out.querySelector("[data-for=" + verdict + "]").hidden = false;
    if (verdict !== "protected") {
      document.getElementById("todo").hidden = false;
    }
  });
})();
"""

SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()

_SELFTEST = """{% extends "base.html" %}{% block content %}
<p>Does the resolver your browser uses apply the dgawatch block list? This page tries to
reach a few of today's ({{ data.day }}) forecast DGA names that the dgawatch sinkhole holds,
and, as a control, the sinkhole's own address. A protected resolver refuses the names
(NXDOMAIN), so they cannot be reached; the control must be reachable for the test to mean
anything.</p>
{% if not data.canaries %}
<p class="empty">The sinkhole holds no names today, so there is nothing to test against.
Start it with <code>dgawatch sinkhole serve</code>.</p>
{% else %}
<div id="verdict" data-verdict="">
<p data-for="running" hidden>Testing&hellip;</p>
{% for key, text in data.verdicts.items() %}
<p data-for="{{ key }}" hidden><strong>{{ text }}</strong></p>
{% endfor %}
<noscript><p><strong>This test needs JavaScript.</strong> A page cannot learn without a
script whether a name resolved (an image would not do: the sinkhole answers text, so an
image fails to load whether the name was blocked or not). Check by hand with the commands
below.</p></noscript>
</div>
<table>
<tr><th>probe</th><th>name or address</th><th>family</th><th>result</th></tr>
{% if data.control %}<tr data-probe="{{ data.control.url }}" data-kind="control"
 data-timeout="{{ data.timeout_s }}"><td>control (no DNS)</td>
<td class="mono">{{ data.control.address }}</td><td></td><td class="result">not tested</td></tr>
{% endif %}
{% for c in data.canaries %}<tr data-probe="{{ c.url }}" data-kind="canary"
 data-timeout="{{ data.timeout_s }}"><td>canary</td><td class="mono">{{ c.name }}</td>
<td>{{ c.family }}/{{ c.variant }}</td><td class="result">not tested</td></tr>
{% endfor %}
</table>
<div id="todo" hidden>
<h2>What to do</h2>
<ul>
<li>Operators of the resolver: load today's block list as a response-policy zone and keep
it current, e.g. <code>dgawatch export --format rpz --start today --days 3 --output
dgawatch.rpz</code> daily (Unbound <code>rpz:</code>, BIND <code>response-policy</code>,
PowerDNS Recursor <code>rpzFile</code>, Knot Resolver <code>policy.rpz</code>).</li>
<li>Everyone else: ask your network operator or ISP to apply it, or use a resolver that
does. If your browser uses its own DNS-over-HTTPS resolver, this page tested that one.</li>
</ul>
</div>
<h2>Check by hand</h2>
<p>A protected resolver answers NXDOMAIN (or its policy's answer) for each canary:</p>
<pre>{% for c in data.canaries %}dig +short {{ c.name }} A
{% endfor %}</pre>
<p>The probes' requests reach the sinkhole like a bot's; their path starts with
<code>/dgawatch-selftest/</code>.</p>
<script>{{ script }}</script>
{% endif %}
{% endblock %}"""


def _csp(plan: dict[str, Any]) -> str:
    from dgawatch.web.templates import style_hashes

    origins = sorted({u.rsplit(PROBE_PATH, 1)[0] for u in _urls(plan)})
    styles = " ".join(f"'sha256-{h}'" for h in style_hashes())
    return (
        f"default-src 'none'; style-src {styles}; script-src 'sha256-{SCRIPT_HASH}'; "
        f"connect-src {' '.join(origins) or chr(39) + 'none' + chr(39)}; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def _urls(plan: dict[str, Any]) -> list[str]:
    urls = [c["url"] for c in plan["canaries"]]
    if plan["control"] is not None:
        urls.append(plan["control"]["url"])
    return urls


def selftest_page(request: Request, http_port: int) -> Response:
    from markupsafe import Markup

    from dgawatch.web.templates import render

    data = selftest_data(request.app.state.portal, http_port)
    html = render("selftest.html", request.app.state.templates, title="Self-test",
                  data=data, json_url="/selftest.json", script=Markup(_SCRIPT))  # fmt: skip
    return HTMLResponse(
        html, headers={"Content-Security-Policy": _csp(data), "Cache-Control": "no-store"}
    )


def make_pages(http_port: int = 80) -> tuple[Page, ...]:
    """The page with its probes on ``http_port`` (the sinkhole's HTTP port: 80, the port
    bots use; tests run a sinkhole on a free port)."""

    def view(request: Request, portal: Portal) -> dict[str, Any]:
        return selftest_data(portal, http_port)

    def page(request: Request) -> Response:
        return selftest_page(request, http_port)

    return (
        Page("/selftest", view, None, "Self-test", nav="self-test", order=48, access="public",
             summary="does your resolver apply the dgawatch block list?",
             templates={"selftest.html": _SELFTEST},
             extra_routes=(Route("/selftest", page),)),
    )  # fmt: skip


PAGES = make_pages()
