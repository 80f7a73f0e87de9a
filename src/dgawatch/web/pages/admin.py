"""``/admin/orgs``: the sinkhole operator's view of the organisations (scopes, their proof,
key ids, last digests), never a secret or a token. Operator only (``access="admin"``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from dgawatch.web.common import Portal
from dgawatch.web.pages import Page


def orgs_view(request: Request, portal: Portal) -> dict[str, Any]:
    sent: dict[str, str] = {}
    try:
        ledger = json.loads((portal.accounts_dir / "deliveries.json").read_text())
        for key in ledger.get("sent", {}):
            org, _, day = key.partition("|")
            sent[org] = max(sent.get(org, ""), day)
    except (OSError, ValueError):
        pass
    return {
        "organisations": [
            {**o.public(), "last_digest": sent.get(o.name, "")} for o in portal.orgs.load().values()
        ]
    }


_ORGS = """{% extends "base.html" %}{% block content %}
<table><tr><th>organisation</th><th>role</th><th>mail</th><th>scopes</th><th>keys</th>
<th>last digest</th></tr>
{% for o in data.organisations %}<tr><td>{{ o.name }}{% if not o.active %} (revoked){% endif %}
</td><td>{{ o.role }}</td><td>{{ o.email }}</td>
<td class="mono">{% for s in o.scopes %}{{ s.kind }}:{{ s.value }} {{ s.status }}
{% if s.method %}({{ s.method }}){% endif %}<br>{% endfor %}</td>
<td class="mono">{% for k in o["keys"] %}{{ k.key_id }}{% if k.revoked %} (revoked){% endif %}
<br>{% endfor %}</td><td>{{ o.last_digest }}</td></tr>{% endfor %}
</table>
<p>Change them with <code>dgawatch org add/verify/revoke/key</code>.</p>
{% endblock %}"""

PAGES = (
    Page("/admin/orgs", orgs_view, "admin_orgs.html", "Organisations", access="admin",
         order=99, templates={"admin_orgs.html": _ORGS}),
)  # fmt: skip
