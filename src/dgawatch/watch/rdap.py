"""RDAP (RFC 9083) as a watch source: the registry's own record of a name.

Which server answers for a TLD comes from IANA's bootstrap registry ``dns.json`` (RFC 9224),
shipped in ``data/`` (provenance in ``data/PROVENANCE.md``) and refreshable with
``dgawatch watch rdap-bootstrap --from URL|FILE``; ``--rdap-server SUFFIX=URL`` overrides it.

The client is our own, on httpx, rather than the ``whoisit`` package: whoisit keeps its
bootstrap in one process-wide object that must hold all five IANA registries (we ship and
need only ``dns.json``), accepts plain-http servers only through a global switch, and retries
429s inside urllib3 (on https only) where neither our per-source token bucket nor the check's
evidence can see them. Here a 429 pauses the source's whole bucket until ``Retry-After``
(seconds or an HTTP date; exponential backoff when absent, capped by ``max_retry_after``),
then the request is retried, at most ``retries`` times.

From a domain object: ``events`` (``registration`` -> creation date), ``status``,
``nameservers`` (``ldhName``), ``entities`` with the ``registrar`` role (vCard ``fn``).
404 is a free name.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from dgawatch.errors import InputError, unreadable
from dgawatch.store import data_dir
from dgawatch.watch.evidence import Observation
from dgawatch.watch.ratelimit import TokenBucket

#: RDAP statuses (RFC 9083 section 10.2.2 and RFC 8056) that mean the registry holds the name.
HOLD_STATUSES = frozenset({"server hold", "reserved"})


def user_bootstrap_path() -> Path:
    return data_dir() / "watch" / "dns.json"


def load_bootstrap_text() -> tuple[str, str]:
    """(dns.json text, where it came from): the refreshed copy if there is one."""
    path = user_bootstrap_path()
    if path.is_file():
        return path.read_text("utf-8"), str(path)
    text = resources.files("dgawatch.watch").joinpath("data/dns.json").read_text("utf-8")
    return text, "shipped data/dns.json"


def parse_bootstrap(text: str, where: str) -> dict[str, list[str]]:
    """suffix -> base URLs, checked against RFC 9224's shape."""
    try:
        doc = json.loads(text)
        services = doc["services"]
        out: dict[str, list[str]] = {}
        for entry in services:
            suffixes, urls = entry[0], entry[1]
            for s in suffixes:
                out[str(s).lower()] = [str(u) for u in urls]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputError(f"{where} is not an RDAP bootstrap file (RFC 9224): {exc}") from None
    if not out:
        raise InputError(f"{where} lists no RDAP services")
    return out


def bootstrap_info() -> dict[str, object]:
    text, where = load_bootstrap_text()
    doc = json.loads(text)
    return {
        "source": where,
        "publication": doc.get("publication"),
        "tlds": len(parse_bootstrap(text, where)),
    }


class RdapSource:
    name = "rdap"

    def __init__(
        self,
        *,
        overrides: dict[str, str] | None = None,
        bucket: TokenBucket | None = None,
        retries: int = 4,
        max_retry_after: float = 300.0,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        text, where = load_bootstrap_text()
        self.bootstrap = parse_bootstrap(text, where)
        self.overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        self.bucket = bucket or TokenBucket(None)
        self.retries = retries
        self.max_retry_after = max_retry_after
        self.client = client or httpx.Client(
            timeout=timeout,
            headers={"Accept": "application/rdap+json", "User-Agent": "dgawatch-watch"},
            follow_redirects=True,
        )
        self.rate_limited = 0  # 429 answers seen

    def base_url(self, suffix: str) -> str | None:
        if suffix in self.overrides:
            return self.overrides[suffix]
        labels = suffix.split(".")
        for i in range(len(labels)):  # longest registered suffix first
            urls = self.bootstrap.get(".".join(labels[i:]))
            if urls:
                https = [u for u in urls if u.startswith("https:")]
                return (https or urls)[0]
        return None

    def observe(self, name: str, suffix: str) -> Observation:
        base = self.base_url(suffix)
        if base is None:
            return Observation(
                name,
                self.name,
                _now(),
                None,
                detail=f"no RDAP server for .{suffix} in the bootstrap",
            )
        url = base.rstrip("/") + "/domain/" + name
        backoff = 1.0
        for _attempt in range(self.retries + 1):
            self.bucket.acquire()
            try:
                resp = self.client.get(url)
            except httpx.HTTPError as exc:
                return Observation(
                    name, self.name, _now(), None, detail=f"{type(exc).__name__}: {exc}"
                )
            if resp.status_code == 429:
                self.rate_limited += 1
                wait = _retry_after(resp.headers.get("Retry-After"))
                wait = min(self.max_retry_after, wait if wait is not None else backoff)
                backoff = min(self.max_retry_after, backoff * 2)
                self.bucket.pause_until(time.monotonic() + wait)
                continue
            if resp.status_code == 404:
                return Observation(name, self.name, _now(), False, detail="RDAP 404")
            if resp.status_code != 200:
                return Observation(
                    name, self.name, _now(), None, detail=f"RDAP HTTP {resp.status_code}"
                )
            try:
                return domain_observation(name, resp.json())
            except (ValueError, TypeError, AttributeError) as exc:
                return Observation(name, self.name, _now(), None, detail=f"bad RDAP JSON: {exc}")
        return Observation(
            name, self.name, _now(), None, detail=f"rate limited {self.retries + 1} times"
        )

    def close(self) -> None:
        self.client.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - _now()).total_seconds())


def _parse_time(text: object) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _vcard_fn(entity: dict[str, Any]) -> str | None:
    card = entity.get("vcardArray")
    if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list):
        for prop in card[1]:
            if isinstance(prop, list) and len(prop) >= 4 and prop[0] == "fn":
                return str(prop[3])
    handle = entity.get("handle")
    return str(handle) if handle else None


def domain_observation(name: str, doc: dict[str, Any]) -> Observation:
    """An RFC 9083 domain object as an :class:`Observation`."""
    if doc.get("objectClassName") != "domain":
        raise ValueError(f"objectClassName {doc.get('objectClassName')!r}, not 'domain'")
    created = None
    for event in doc.get("events") or []:
        if event.get("eventAction") == "registration":
            created = _parse_time(event.get("eventDate"))
    status = tuple(str(s).lower() for s in doc.get("status") or [])
    ns = tuple(
        sorted(
            str(n.get("ldhName", "")).lower().rstrip(".")
            for n in doc.get("nameservers") or []
            if n.get("ldhName")
        )
    )
    addrs: list[str] = []
    for n in doc.get("nameservers") or []:
        ips = n.get("ipAddresses") or {}
        addrs += [str(a) for a in (ips.get("v4") or []) + (ips.get("v6") or [])]
    registrar = None
    for ent in doc.get("entities") or []:
        if "registrar" in (ent.get("roles") or []):
            registrar = _vcard_fn(ent)
            break
    held = sorted(HOLD_STATUSES.intersection(status))
    return Observation(
        name, "rdap", _now(), True, registry_hold=bool(held), ns=ns, addresses=tuple(addrs),
        created=created, registrar=registrar, status=status,
        detail=f"status {', '.join(held)}" if held else "registered",
    )  # fmt: skip


def refresh_bootstrap(source: str, *, timeout: float = 30.0) -> dict[str, object]:
    """Fetch ``source`` (a URL or a file), check it, keep it as the data dir's copy."""
    if source.startswith(("http://", "https://")):
        try:
            resp = httpx.get(source, timeout=timeout, follow_redirects=True)
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise InputError(f"--from {source}: {exc}") from None
        text = resp.text
    else:
        try:
            text = Path(source).read_text("utf-8")
        except OSError as exc:  # (in words, not Python's "[Errno 2] ...: 'path'")
            raise InputError(
                f"--from {source}: cannot read it ({unreadable(source, exc)})"
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"--from {source}: cannot read it ({exc})") from None
    parse_bootstrap(text, f"--from {source}")
    target = user_bootstrap_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    from dgawatch.outfile import atomic_file

    with atomic_file(target, "--from") as fh:
        fh.write(text.encode("utf-8"))
    return bootstrap_info()
