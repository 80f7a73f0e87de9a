"""``dgawatch org``: the portal's organisations, their claimed scopes and API keys (the
sinkhole operator's administration commands)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from dgawatch.errors import InputError
from dgawatch.orgs import (
    ROLES,
    Org,
    OrgStore,
    Scope,
    check_email,
    check_name,
    new_key,
    new_token,
    normalise_scope,
    now_iso,
)

org_app = typer.Typer(
    help="Organisations of the portal: claimed networks, verification, API keys.",
    no_args_is_help=True,
)
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

AsnOpt = Annotated[list[str] | None, typer.Option("--asn", help="AS number claimed (repeatable).")]
CidrOpt = Annotated[
    list[str] | None, typer.Option("--cidr", help="Address prefix claimed (repeatable).")
]
DomainOpt = Annotated[
    list[str] | None, typer.Option("--domain", help="Domain claimed (repeatable).")
]


def _say(text: str) -> None:
    _out.print(text, markup=False)


@org_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Organisation name (a-z, 0-9, '-').")],
    role: Annotated[str, typer.Option(help="org, cert (a national CERT) or admin.")] = "org",
    country: Annotated[
        str | None, typer.Option(help="Country of a cert (two letters); granted at once.")
    ] = None,
    email: Annotated[str, typer.Option(help="Where daily digests go.")] = "",
    contact: Annotated[
        str,
        typer.Option(
            help="Abuse contact of the claimed networks (default: looked up in RDAP): "
            "its domain carries the TXT record, its mailbox gets --mail tokens."
        ),
    ] = "",
    rdap: Annotated[
        str, typer.Option(help="RDAP server for the abuse contact lookup.")
    ] = "https://rdap.org",
    asn: AsnOpt = None,
    cidr: CidrOpt = None,
    domain: DomainOpt = None,
) -> None:
    """Create an organisation, or add claims to one; print what to publish to prove them."""
    slug = check_name(name)
    email = check_email(email) if email else ""
    if role not in ROLES:
        raise InputError(f"--role {role!r}: choose from {', '.join(ROLES)}")
    if (role == "cert") != (country is not None):
        raise InputError("--country goes with --role cert (and a cert needs one)")
    cc = normalise_scope("country", country) if country is not None else None
    claims = [("asn", a) for a in asn or []] + [("cidr", c) for c in cidr or []]
    claims += [("domain", d) for d in domain or []]
    scopes = [(k, normalise_scope(k, v)) for k, v in claims]
    contacts: dict[tuple[str, str], str] = {}
    for kind, value in scopes:
        if kind == "domain":
            continue
        if contact:
            contacts[kind, value] = check_email(contact, "--contact").lower()
        else:
            from dgawatch.orgs.rdap import abuse_contact

            contacts[kind, value] = abuse_contact(kind, value, rdap)
            _say(f"  {kind}:{value} abuse contact from RDAP: {contacts[kind, value]}")
    with OrgStore().edit() as orgs:
        org = orgs.get(slug)
        if org is None:
            org = orgs[slug] = Org(name=slug, role=role, email=email)
            _say(f"organisation {slug} ({role}) created")
        elif not org.active:
            raise InputError(
                f"organisation {slug!r} was revoked ({org.revoked}); give the new one another name"
            )
        elif role != org.role and role != "org":
            raise InputError(f"{slug} exists with role {org.role}; revoke it to change roles")
        if email:
            org.email = email
        if cc is not None:
            org.scopes.append(Scope("country", cc, "verified", method="admin",
                                    verified=now_iso()))  # fmt: skip
            _say(f"  country:{cc} granted")
        for kind, value in scopes:
            if any(s.kind == kind and s.value == value and s.status != "revoked"
                   for s in org.scopes):  # fmt: skip
                raise InputError(f"{slug} already claims {kind}:{value}")
            scope = Scope(kind, value, contact=contacts.get((kind, value), ""), token=new_token())
            org.scopes.append(scope)
            _say(f'  {scope.label} pending: publish TXT {scope.txt_name} "{scope.txt_value}"')
            if kind != "domain":
                _say(f"    (or 'dgawatch org verify {slug} --mail' mails the token to "
                     f"{scope.contact})")  # fmt: skip


@org_app.command("verify")
def verify(
    name: Annotated[str, typer.Argument(help="Organisation name.")],
    resolver: Annotated[
        str | None, typer.Option(help="Resolver to ask, ADDRESS[:PORT] (default: system's).")
    ] = None,
    token: Annotated[
        str | None, typer.Option(help="Token the abuse contact received by mail.")
    ] = None,
    mail: Annotated[bool, typer.Option("--mail", help="Mail tokens to abuse contacts.")] = False,
    smtp: Annotated[str, typer.Option(help="SMTP server for --mail, HOST:PORT.")] = "127.0.0.1:25",
    sender: Annotated[str, typer.Option(help="From address of --mail.")] = "dgawatch@localhost",
    grant: Annotated[
        bool, typer.Option("--grant", help="Operator's decision: verify every pending claim.")
    ] = False,
) -> None:
    """Check pending claims: TXT records (default), a mailed --token, or --grant."""
    from dgawatch.deliver import smtp_address
    from dgawatch.orgs.verify import dns_proves, mail_token, parse_resolver

    slug = check_name(name)
    where = parse_resolver(resolver) if resolver else None
    relay = smtp_address(smtp) if mail else ("", 0)
    if mail:
        check_email(sender, "--sender")
    failed = 0
    with OrgStore().edit() as orgs:
        if slug not in orgs:
            raise InputError(f"no organisation {slug!r} (see 'dgawatch org list')")
        org = orgs[slug]
        if not org.active:
            raise InputError(f"organisation {slug!r} is revoked; its claims are not verified")
        pending = [s for s in org.scopes if s.status == "pending"]
        if not pending:
            _say(f"{slug}: no pending claim")
            return
        for s in pending:
            if mail:
                mail_token(s, slug, relay, sender)
                _say(f"{s.label}: token mailed to {s.contact}")
                continue
            if grant:
                how = "admin"
            elif token is not None:
                import hmac

                how = "mail" if hmac.compare_digest(token.encode(), s.token.encode()) else ""
            else:
                try:
                    how = "dns" if dns_proves(s, where) else ""
                except InputError as exc:  # the resolver failed: this claim stays pending
                    failed += 1
                    _say(f"{s.label}: not checked ({exc})")
                    continue
            if how:
                s.status, s.method, s.verified = "verified", how, now_iso()
                _say(f"{s.label}: verified ({how})")
            else:
                failed += 1
                _say(f"{s.label}: not proven (TXT {s.txt_name} \"{s.txt_value}\" not found)"
                     if token is None else f"{s.label}: token does not match")  # fmt: skip
    if failed and not mail:
        raise InputError(f"{failed} claim(s) of {slug} not proven; they stay pending")


@org_app.command("list")
def list_orgs(
    as_json: Annotated[bool, typer.Option("--json", help="JSON (no secrets).")] = False,
) -> None:
    """Organisations, their scopes and key ids (never secrets or tokens)."""
    orgs = OrgStore().load()
    if as_json:
        _say(json.dumps([o.public() for o in orgs.values()], indent=1))
        return
    if not orgs:
        _say("no organisations (add one with 'dgawatch org add')")
    for o in orgs.values():
        state = "" if o.active else " REVOKED"
        keys = sum(k.active for k in o.keys)
        _say(f"{o.name} ({o.role}){state} {o.email} keys:{keys}")
        for s in o.scopes:
            _say(f"  {s.label} {s.status}{' (' + s.method + ')' if s.method else ''}")


@org_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="Organisation name.")],
    scope: Annotated[
        str | None, typer.Option(help="Revoke this scope only (e.g. cidr:192.0.2.0/24).")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Revoke this API key only (its id).")] = None,
) -> None:
    """Revoke an organisation (every key with it), one of its scopes or one key."""
    slug = check_name(name)
    with OrgStore().edit() as orgs:
        if slug not in orgs:
            raise InputError(f"no organisation {slug!r} (see 'dgawatch org list')")
        org = orgs[slug]
        if scope is not None:
            claimed = org.scope(scope)
            claimed.status = "revoked"
            _say(f"{slug}: {claimed.label} revoked")
        elif key is not None:
            found = [k for k in org.keys if k.key_id == key]
            if not found:
                raise InputError(f"{slug} has no key {key!r}")
            found[0].revoked = now_iso()
            _say(f"{slug}: key {key} revoked")
        else:
            org.revoked = now_iso()
            for k in org.keys:
                k.revoked = k.revoked or org.revoked
            _say(f"{slug} revoked")


@org_app.command("key")
def key(name: Annotated[str, typer.Argument(help="Organisation name.")]) -> None:
    """Create an API key; its secret is shown once."""
    slug = check_name(name)
    with OrgStore().edit() as orgs:
        if slug not in orgs or not orgs[slug].active:
            raise InputError(f"no active organisation {slug!r} (see 'dgawatch org list')")
        k = new_key()
        orgs[slug].keys.append(k)
        # Shown before the key is saved: when the secret cannot be written (a full disk,
        # a closed pipe) no key exists whose secret nobody saw.
        _say(f"key_id {k.key_id}")
        _say(f"secret {k.secret}")
        _out.file.flush()
    _err.print("store the secret now: it is not shown again", markup=False)
