"""Proof that a claimant speaks for a network: a token published as a DNS TXT record, or
mailed to the network's abuse contact and given back.

The DNS check asks a configurable resolver (``--resolver ADDRESS[:PORT]``; default: the
system's) for ``_dgawatch-challenge.<domain>`` TXT and looks for
``dgawatch-verification=<token>`` among the strings. The domain is the claimed domain
itself, or, for an AS or a prefix, the domain of its abuse contact (as RDAP/whois gives it;
the operator records it with the claim), so only whoever runs that domain's DNS can prove
the claim.
"""

from __future__ import annotations

import hmac
import smtplib
from email.message import EmailMessage

import dns.exception
import dns.resolver

from dgawatch.errors import InputError
from dgawatch.orgs import Scope


def parse_resolver(text: str) -> tuple[str, int]:
    """``ADDRESS`` or ``ADDRESS:PORT`` or ``[IPv6]:PORT``."""
    import ipaddress

    host, port = text.strip(), 53
    if host.startswith("["):
        inner, _, rest = host[1:].partition("]")
        host = inner
        if rest.startswith(":"):
            port = _port(rest[1:], text)
    elif host.count(":") == 1:
        host, p = host.split(":")
        port = _port(p, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise InputError(f"--resolver {text!r}: give an IP address (optionally :port)") from None
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise InputError(f"--resolver {whole!r}: bad port")
    return int(text)


def txt_strings(name: str, resolver: tuple[str, int] | None, timeout: float = 3.0) -> list[str]:
    """The TXT strings at ``name`` (empty when there are none); InputError when the
    resolver cannot be asked."""
    res = dns.resolver.Resolver(configure=resolver is None)
    if resolver is not None:
        res.nameservers = [resolver[0]]
        res.port = resolver[1]
    res.lifetime = timeout
    try:
        answer = res.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
        raise InputError(f"cannot check {name} TXT: {exc}") from None
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


def dns_proves(scope: Scope, resolver: tuple[str, int] | None) -> bool:
    """Whether the scope's token is published at its TXT name."""
    if not scope.token or not scope.verification_domain:
        return False
    want = scope.txt_value
    found = txt_strings(scope.txt_name, resolver)
    return any(hmac.compare_digest(s.strip().encode(), want.encode()) for s in found)


def mail_token(
    scope: Scope, org_name: str, smtp: tuple[str, int], sender: str, portal_name: str = "dgawatch"
) -> None:
    """Mail the scope's token to its abuse contact (whoever reads that mailbox can prove
    the claim by giving the token back: ``dgawatch org verify --token``)."""
    if "@" not in scope.contact:
        raise InputError(f"{scope.label}: no abuse contact address to mail (--contact)")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = scope.contact
    msg["Subject"] = f"[{portal_name}] confirm {scope.label} for {org_name}"
    msg.set_content(
        f"The organisation {org_name!r} asked to receive {portal_name} sinkhole reports for\n"
        f"{scope.label}, which lists this address as its abuse contact.\n\n"
        f"If that is right, give them this token to confirm:\n\n    {scope.token}\n\n"
        "If not, ignore this message: nothing is shared without it.\n"
    )
    try:
        with smtplib.SMTP(smtp[0], smtp[1], timeout=10) as s:
            s.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise InputError(
            f"cannot mail {scope.contact} through {smtp[0]}:{smtp[1]}: {exc}"
        ) from None
