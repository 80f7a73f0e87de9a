"""Organisations (tenants) of the portal and what each may see.

An organisation claims *scopes*: AS numbers, CIDR prefixes and domains. A claim is pending
until proven: the claimant publishes a token as a DNS TXT record under the domain of the
network's abuse contact (or the claimed domain itself), or receives it by mail at that
abuse contact and gives it back (:mod:`dgawatch.orgs.verify`). Roles:

* ``org``: a network owner; sees the rows naming addresses in its *verified* scopes;
* ``cert``: a national CERT; sees every address the country data places in its country
  (granted by the operator, not by a token);
* ``admin``: the sinkhole operator; sees everything.

Each organisation holds API keys (a key id and a shared secret for HMAC-SHA256
signatures), revocable one by one. Everything lives in one JSON file in the data directory
(``orgs.json``), written whole (temporary file + rename), mode 0600 since it holds the
secrets, under an advisory lock so that two ``dgawatch org`` commands do not lose each
other's change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dgawatch.errors import InputError

ROLES = ("org", "cert", "admin")
SCOPE_KINDS = ("asn", "cidr", "domain", "country")
#: Name of the TXT record (under the verification domain) that carries the token.
TXT_LABEL = "_dgawatch-challenge"
TXT_PREFIX = "dgawatch-verification="
FILE_NAME = "orgs.json"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class Enrich(Protocol):
    """What scope matching needs of :class:`dgawatch.sinkhole.enrich.Enricher`."""

    def asn(self, address: str) -> int | None: ...

    def country(self, address: str) -> str | None: ...


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


#: Two-letter codes people write for a country that the address registries (and so the
#: country look-up) never give: a scope under one of them would match no address.
_NOT_COUNTRIES = {
    "UK": "the United Kingdom's ISO 3166 code is GB (UK is reserved, never assigned)",
    "EL": "Greece's ISO 3166 code is GR (EL is the EU's abbreviation)",
    "EU": "EU is no country; give each member's ISO 3166 code (a cert per country)",
}


def _a_label(name: str) -> str:
    """An internationalised name in its ASCII form (``bücher.example`` ->
    ``xn--bcher-kva.example``), as DNS and RDAP carry it; other text as it is."""
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name  # refused by the caller's pattern


def check_email(value: str, option: str = "--email") -> str:
    """``local@domain`` (the domain a DNS name, internationalised allowed), lower-cased
    domain; InputError naming ``option`` otherwise (a digest to 'noc' would fail daily)."""
    local, at, host = value.strip().rpartition("@")
    domain = _a_label(host.lower().rstrip("."))
    if (
        not at
        or not local
        or any(c in local for c in ' \t\r\n<>,;"')
        or not (_DOMAIN.match(domain) or re.fullmatch(r"[a-z0-9-]{1,63}", domain))
    ):
        raise InputError(f"{option} {value!r} is not an e-mail address (e.g. noc@example.org)")
    return f"{local}@{domain}"


def normalise_scope(kind: str, value: str) -> str:
    """The canonical text of a claimed scope, or InputError saying what is wrong."""
    text = value.strip()
    if kind == "asn":
        digits = text.upper().removeprefix("AS")
        if not digits.isdigit() or not 0 < int(digits) < 2**32:
            raise InputError(f"--asn {value!r} is not an AS number (e.g. AS64500)")
        return f"AS{int(digits)}"
    if kind == "cidr":
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise InputError(f"--cidr {value!r}: {exc}") from None
        if net.prefixlen < (8 if net.version == 4 else 19):
            raise InputError(f"--cidr {net}: too wide a prefix to claim; claim your own blocks")
        return str(net)
    if kind == "domain":
        name = _a_label(text.lower().rstrip("."))
        if not _DOMAIN.match(name):
            raise InputError(f"--domain {value!r} is not a domain name")
        return name
    if kind == "country":
        cc = text.upper()
        if not _COUNTRY.match(cc):
            raise InputError(f"--country {value!r} is not a two-letter country code")
        if cc in _NOT_COUNTRIES:
            raise InputError(f"--country {value!r}: {_NOT_COUNTRIES[cc]}")
        if cc == "AA" or cc == "ZZ" or "QM" <= cc <= "QZ" or cc.startswith("X"):
            raise InputError(
                f"--country {value!r} is a user-assigned code, no country: give the ISO 3166 "
                "code the address registries use (e.g. NL, DE, GB)"
            )
        return cc
    raise InputError(f"unknown scope kind {kind!r} (one of {', '.join(SCOPE_KINDS)})")


@dataclass
class Scope:
    kind: str
    value: str
    status: str = "pending"  # pending | verified | revoked
    #: Where the TXT record must be published (the abuse contact's domain) or mailed.
    contact: str = ""
    token: str = ""
    method: str = ""  # dns | mail | admin
    claimed: str = field(default_factory=now_iso)
    verified: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def verification_domain(self) -> str:
        """The domain whose ``_dgawatch-challenge`` TXT record proves the claim: the
        claimed domain itself, else the domain of the abuse contact's address."""
        if self.kind == "domain":
            return self.value
        return self.contact.rsplit("@", 1)[-1].lower().rstrip(".")

    @property
    def txt_name(self) -> str:
        return f"{TXT_LABEL}.{self.verification_domain}"

    @property
    def txt_value(self) -> str:
        return f"{TXT_PREFIX}{self.token}"

    def public(self) -> dict[str, str]:
        """Without the token."""
        return {"kind": self.kind, "value": self.value, "status": self.status,
                "method": self.method, "contact": self.contact, "claimed": self.claimed,
                "verified": self.verified}  # fmt: skip


@dataclass
class ApiKey:
    key_id: str
    secret: str
    created: str = field(default_factory=now_iso)
    revoked: str = ""

    @property
    def active(self) -> bool:
        return not self.revoked


@dataclass
class Org:
    name: str
    role: str = "org"
    email: str = ""
    scopes: list[Scope] = field(default_factory=list)
    keys: list[ApiKey] = field(default_factory=list)
    created: str = field(default_factory=now_iso)
    revoked: str = ""

    @property
    def active(self) -> bool:
        return not self.revoked

    def verified(self, kind: str | None = None) -> list[Scope]:
        return [
            s for s in self.scopes if s.status == "verified" and (kind is None or s.kind == kind)
        ]

    def scope(self, label: str) -> Scope:
        """The scope ``label`` names (``cidr:192.0.2.0/24``, or the value alone), written
        as ``org add`` takes it (``asn:as64500``, ``domain:bücher.example``)."""
        wanted = {label.strip()}
        kind, sep, value = label.strip().partition(":")
        for k in (kind,) if sep and kind in SCOPE_KINDS else SCOPE_KINDS:
            with contextlib.suppress(InputError):
                wanted.add(f"{k}:{normalise_scope(k, value if sep else label)}")
        for s in self.scopes:
            if s.label in wanted or s.value in wanted:
                return s
        claimed = ", ".join(s.label for s in self.scopes) or "none"
        raise InputError(
            f"organisation {self.name!r} claims no scope {label!r} (its scopes: {claimed})"
        )

    def public(self) -> dict[str, Any]:
        """Everything but secrets and tokens."""
        return {
            "name": self.name,
            "role": self.role,
            "email": self.email,
            "active": self.active,
            "created": self.created,
            "scopes": [s.public() for s in self.scopes],
            "keys": [{"key_id": k.key_id, "created": k.created, "revoked": k.revoked}
                     for k in self.keys],
        }  # fmt: skip


class ScopeMatcher:
    """Whether an address, AS or domain is inside an organisation's verified scopes."""

    def __init__(self, org: Org) -> None:
        self.everything = org.role == "admin" and org.active
        live = org.active
        self.nets = [ipaddress.ip_network(s.value) for s in org.verified("cidr")] if live else []
        self.asns = {int(s.value[2:]) for s in org.verified("asn")} if live else set()
        self.countries = {s.value for s in org.verified("country")} if live else set()
        self.domains = [s.value for s in org.verified("domain")] if live else []

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.nets or self.asns or self.countries or self.domains)

    def address(self, ip: str, enrich: Enrich | None) -> bool:
        if self.everything:
            return True
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        if any(addr in n for n in self.nets):
            return True
        if enrich is not None and self.asns and enrich.asn(ip) in self.asns:
            return True
        return bool(enrich is not None and self.countries and enrich.country(ip) in self.countries)

    def domain(self, name: str) -> bool:
        if self.everything:
            return True
        n = name.lower().rstrip(".")
        return any(n == d or n.endswith("." + d) for d in self.domains)


def default_path() -> Path:
    from dgawatch.store import default_store_path

    return default_store_path().parent / FILE_NAME


class OrgStore:
    """The organisations file. Read with :meth:`load`; change inside :meth:`edit`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()

    def load(self) -> dict[str, Org]:
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise InputError(f"{self.path}: not a readable organisations file ({exc})") from None
        orgs: dict[str, Org] = {}
        try:  # a damaged or hand-edited file is named, never an "unexpected" error
            for o in doc.get("orgs", []):
                org = Org(**{k: v for k, v in o.items() if k not in ("scopes", "keys")})
                org.scopes = [Scope(**s) for s in o.get("scopes", [])]
                org.keys = [ApiKey(**k) for k in o.get("keys", [])]
                if not isinstance(org.name, str):
                    raise TypeError(f"organisation name {org.name!r}")
                orgs[org.name] = org
        except (AttributeError, TypeError) as exc:
            raise InputError(
                f"{self.path}: not an organisations file this dgawatch reads ({exc}); "
                "restore it from a backup (it is left as it is)"
            ) from None
        return orgs

    def _save(self, orgs: dict[str, Org]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"version": 1, "orgs": [asdict(o) for o in orgs.values()]}, indent=1)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @contextlib.contextmanager
    def edit(self) -> Iterator[dict[str, Org]]:
        """The organisations, saved on leaving without an exception (one writer at a time)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(f".{self.path.name}.lock")
        with open(lock, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            orgs = self.load()
            yield orgs
            self._save(orgs)

    def get(self, name: str) -> Org:
        orgs = self.load()
        if name not in orgs:
            raise InputError(f"no organisation {name!r} (see 'dgawatch org list')")
        return orgs[name]

    def by_key(self, key_id: str) -> tuple[Org, ApiKey] | None:
        """The active organisation and active key with this id, else None."""
        for org in self.load().values():
            for key in org.keys:
                if key.key_id == key_id and key.active and org.active:
                    return org, key
        return None


def check_name(name: str) -> str:
    slug = name.strip().lower()
    if not _SLUG.match(slug):
        raise InputError(
            f"organisation name {name!r}: use lower-case letters, digits and '-' (at most 63)"
        )
    return slug


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_key() -> ApiKey:
    return ApiKey(key_id="dgw_" + secrets.token_hex(8), secret=secrets.token_urlsafe(32))
