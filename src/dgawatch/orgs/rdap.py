"""The abuse contact of a network from RDAP (RFC 9083): who may prove a claim on it.

``GET <base>/autnum/<n>`` or ``<base>/ip/<prefix>``; the contact is the e-mail address of
the first entity with the ``abuse`` role, searched breadth-first through nested entities
(RIRs put it under the registrant's entity). The default base is the rdap.org redirector,
which sends each query to the RIR holding the number (RFC 9224 bootstrap on its side); an
operator may give a RIR's own server instead.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from dgawatch.errors import InputError

DEFAULT_BASE = "https://rdap.org"


def _emails(entity: dict[str, Any]) -> list[str]:
    card = entity.get("vcardArray")
    if not (isinstance(card, list) and len(card) == 2 and isinstance(card[1], list)):
        return []
    found = []
    for prop in card[1]:
        if isinstance(prop, list) and len(prop) >= 4 and prop[0] == "email":
            value = prop[3]
            if isinstance(value, str) and "@" in value:
                found.append(value.strip().lower())
    return found


def abuse_email(doc: dict[str, Any]) -> str | None:
    """The first abuse e-mail address of an RDAP object, breadth-first."""
    queue: deque[dict[str, Any]] = deque(e for e in doc.get("entities", []) if isinstance(e, dict))
    while queue:
        entity = queue.popleft()
        roles = entity.get("roles") or []
        if "abuse" in roles:
            emails = _emails(entity)
            if emails:
                return emails[0]
        queue.extend(e for e in entity.get("entities", []) if isinstance(e, dict))
    return None


def abuse_contact(kind: str, value: str, base: str = DEFAULT_BASE, timeout: float = 10.0) -> str:
    """The abuse e-mail address RDAP gives for ``asn:AS<n>`` or ``cidr:<prefix>``."""
    import httpx

    if kind == "asn":
        path = f"autnum/{value.upper().removeprefix('AS')}"
    elif kind == "cidr":
        path = f"ip/{value}"
    else:
        raise InputError(
            f"RDAP abuse contacts are looked up for AS numbers and prefixes, not {kind}"
        )
    url = f"{base.rstrip('/')}/{path}"
    try:
        r = httpx.get(url, timeout=timeout, follow_redirects=True,
                      headers={"Accept": "application/rdap+json"})  # fmt: skip
    except httpx.HTTPError as exc:
        raise InputError(f"RDAP {url}: {exc}; give --contact instead") from None
    if r.status_code == 404:
        raise InputError(f"RDAP {url}: no such {kind}; check it, or give --contact")
    if r.status_code != 200:
        raise InputError(f"RDAP {url}: HTTP {r.status_code}; give --contact instead")
    try:
        doc = r.json()
    except ValueError:
        raise InputError(f"RDAP {url}: not JSON; give --contact instead") from None
    email = abuse_email(doc) if isinstance(doc, dict) else None
    if email is None:
        raise InputError(f"RDAP {url} names no abuse contact; give --contact")
    return email
