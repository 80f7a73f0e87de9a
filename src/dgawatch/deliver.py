"""``dgawatch deliver``: one digest a day per organisation, by mail.

For each active organisation with a mail address and a verified scope, the digest of a
UTC day says how many of its addresses the sinkhole saw (HTTP and DNS), which are new
(not seen in the 7 days before), what to do per family, and carries the day's reports as
CSV attachments (Shadowserver's columns) plus links to download them again; a link is a
capability URL (a random token; only its SHA-256 is stored) valid for LINK_DAYS days.

Idempotent: a ledger in the data directory (``deliveries.json``) records each
(organisation, day) sent, so running the command again (from cron, after a failure) sends
only what is missing. A message the server refuses for now (4xx, connection trouble) is
retried with a growing pause; one still failing is reported and left for the next run.
The Message-ID is derived from (organisation, day), so a receiver can drop the duplicate
that a crash between sending and recording could cause.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dgawatch.errors import InputError

if TYPE_CHECKING:
    from email.message import EmailMessage

LEDGER = "deliveries.json"
LINK_DAYS = 30
#: Largest report attached (bigger ones go by link only).
ATTACH_ROWS = 20_000
NEW_HOST_DAYS = 7
SHOWN_NEW_HOSTS = 50


def _ledger_path(data_dir: Path) -> Path:
    return data_dir / LEDGER


def _load(data_dir: Path) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(_ledger_path(data_dir).read_text())
    except FileNotFoundError:
        return {"version": 1, "sent": {}, "links": {}}
    except (OSError, ValueError) as exc:
        raise InputError(f"{_ledger_path(data_dir)}: unreadable delivery ledger ({exc})") from None
    return doc


@contextlib.contextmanager
def _edit(data_dir: Path) -> Iterator[dict[str, Any]]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = _ledger_path(data_dir)
    with open(data_dir / f".{LEDGER}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        doc = _load(data_dir)
        yield doc
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resolve_link(
    data_dir: Path, token: str, now: dt.datetime | None = None
) -> tuple[str, dt.date] | None:
    """(organisation, day) of a digest link token still valid, else None."""
    if not token or len(token) > 100:
        return None
    entry = _load(data_dir).get("links", {}).get(_hash(token))
    if entry is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    if dt.datetime.fromisoformat(entry["expires"]) < now:
        return None
    return str(entry["org"]), dt.date.fromisoformat(entry["day"])


def delivered(data_dir: Path, org: str, day: dt.date) -> bool:
    return f"{org}|{day}" in _load(data_dir).get("sent", {})


@dataclass
class Outcome:
    org: str
    status: str  # sent | skipped | failed
    detail: str = ""


def _remediation(families: set[str]) -> list[str]:
    """What to do: each seen family's own advice (``Family.remediation``, in its module)
    where it has one, then the advice that holds for any family."""
    from dgawatch.errors import UnknownFamilyError
    from dgawatch.families import get_family
    from dgawatch.families.base import Family

    generic = str(Family.__dataclass_fields__["remediation"].default)
    texts: list[str] = []
    for name in sorted(families):
        try:
            text = get_family(name).remediation
        except UnknownFamilyError:
            continue
        if text != generic and text not in texts:
            texts.append(text)
    return [*texts, generic]


def build_digest(
    org: Any, day: dt.date, data: Any, portal_url: str, token: str, sender: str
) -> EmailMessage:
    """The digest of ``org`` for ``day`` (``data``: the portal's ScopedData)."""
    from email.message import EmailMessage

    from dgawatch.web.api import csv_bytes
    from dgawatch.web.scope import Caller

    caller = Caller.of(org)
    (stats,) = data.stats(caller, [day])
    reports = {
        kind: data.report(caller, kind, [day], limit=ATTACH_ROWS) for kind in ("http", "dns")
    }
    seen = data.addresses(caller, [day])
    earlier = data.addresses(
        caller, [day - dt.timedelta(days=i) for i in range(1, NEW_HOST_DAYS + 1)]
    )
    new = sorted(seen - earlier)
    families: set[str] = set()
    for _kind, (cols, rows, _t) in reports.items():
        at = cols.index("family")
        families |= {str(r[at]) for r in rows if r[at]}
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = org.email
    msg["Subject"] = (
        f"[dgawatch] {org.name} {day}: {stats['addresses']} address(es) seen by the sinkhole"
    )
    msg["Message-ID"] = f"<digest.{org.name}.{day}@dgawatch>"
    msg["X-Dgawatch-Digest"] = f"{org.name} {day}"
    base = portal_url.rstrip("/")
    lines = [
        f"dgawatch sinkhole digest for {org.name}, UTC day {day}.",
        f"Scope: {', '.join(s.label for s in org.verified())}",
        "",
        f"Addresses seen: {stats['addresses']} (HTTP {stats['http_addresses']}, "
        f"DNS {stats['dns_addresses']}); events: {stats['events']}.",
        f"New addresses (not seen in the {NEW_HOST_DAYS} days before): {len(new)}",
        *[f"  {a}" for a in new[:SHOWN_NEW_HOSTS]],
        *(
            [f"  ... and {len(new) - SHOWN_NEW_HOSTS} more (see the CSV)"]
            if len(new) > SHOWN_NEW_HOSTS
            else []
        ),
        "",
        f"Families: {', '.join(sorted(families)) or 'none'}",
        "",
        "What to do:",
        *[f"- {t}" for t in _remediation(families)],
        "",
        "Reports (Shadowserver event4_sinkhole_http / event4_sinkhole_dns columns):",
    ]
    for kind, (_cols, rows, truncated) in reports.items():
        note = (f" (the first {ATTACH_ROWS:,}; ask the API per network or address for the rest)"
                if truncated else "")  # fmt: skip
        lines.append(f"  {kind}: {len(rows)} row(s){note}: {base}/d/{token}/{kind}.csv")
    lines += ["", f"The links work for {LINK_DAYS} days; keep them private."]
    msg.set_content("\n".join(lines) + "\n")
    for kind, (cols, rows, _t) in reports.items():
        if rows:
            msg.add_attachment(
                csv_bytes(cols, rows),
                maintype="text",
                subtype="csv",
                filename=f"{org.name}_{day}_{kind}.csv",
            )
    return msg


def _send(msg: EmailMessage, smtp: tuple[str, int], retries: int, pause_s: float) -> str:
    """Send, retrying temporary failures; '' when sent, else the last error."""
    import smtplib

    error = ""
    for attempt in range(retries + 1):
        try:
            with smtplib.SMTP(smtp[0], smtp[1], timeout=30) as s:
                s.send_message(msg)
            return ""
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error
            said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
            error = f"{exc.smtp_code} {said}"
            if exc.smtp_code >= 500:  # permanent: retrying will not help
                return error
        except smtplib.SMTPRecipientsRefused as exc:
            return f"recipient refused: {exc.recipients}"
        except (OSError, smtplib.SMTPException) as exc:
            error = str(exc) or type(exc).__name__
        if attempt < retries:
            time.sleep(pause_s * 2**attempt)
    return error


def smtp_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` of ``--smtp`` (an IPv6 address in brackets: ``[::1]:25``)."""
    host, _, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"--smtp {text!r}: give HOST:PORT (port 1-65535; IPv6 as [::1]:25)")
    return host, int(port)


def check_sender(sender: str) -> None:
    """``--sender`` must be one mail address (it is the digests' From:)."""
    from email.utils import parseaddr

    address = parseaddr(sender)[1]
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        raise InputError(
            f"--sender {sender!r}: not a mail address; give one such as dgawatch@example.org"
        )


def check_portal_url(url: str) -> None:
    """``--portal-url`` must be the portal's http(s) address: the digests link to it."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(
            f"--portal-url {url!r}: give the portal's public http(s) address, such as "
            "https://portal.example.org (the digests link to its pages)"
        )


def deliver(
    day: dt.date,
    *,
    data_dir: Path,
    sinkhole_dir: Path,
    smtp: tuple[str, int],
    sender: str,
    portal_url: str,
    only: str | None = None,
    retries: int = 3,
    pause_s: float = 1.0,
    enrich: Any = None,
) -> list[Outcome]:
    """Send the digests of ``day`` not sent yet; one Outcome per organisation."""
    from dgawatch.orgs import FILE_NAME, OrgStore
    from dgawatch.web.scope import ScopedData

    orgs = OrgStore(data_dir / FILE_NAME).load()
    if only is not None and only not in orgs:
        raise InputError(f"--org {only}: no such organisation (see 'dgawatch org list')")
    data = ScopedData(sinkhole_dir, enrich, budget_s=None)  # a batch job: no time budget
    out: list[Outcome] = []
    for org in orgs.values():
        if only is not None and org.name != only:
            continue
        if not org.active or not org.email or org.role == "admin" or not org.verified():
            out.append(Outcome(org.name, "skipped", "no mail address or no verified scope"))
            continue
        if delivered(data_dir, org.name, day):
            out.append(Outcome(org.name, "skipped", f"{day} already delivered"))
            continue
        from dgawatch.web.scope import Caller

        (seen,) = data.stats(Caller.of(org), [day])
        if not seen["addresses"]:
            out.append(Outcome(org.name, "skipped", f"nothing seen on {day}"))
            continue
        token = secrets.token_urlsafe(32)
        msg = build_digest(org, day, data, portal_url, token, sender)
        with _edit(data_dir) as doc:  # the link works as soon as the mail can arrive
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=LINK_DAYS)
            link = {"org": org.name, "day": day.isoformat(), "expires": expires.isoformat()}
            doc.setdefault("links", {})[_hash(token)] = link
        error = _send(msg, smtp, retries, pause_s)
        if error:
            out.append(Outcome(org.name, "failed", error))
            continue
        with _edit(data_dir) as doc:
            doc.setdefault("sent", {})[f"{org.name}|{day}"] = {
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "message_id": msg["Message-ID"], "to": org.email}  # fmt: skip
        out.append(Outcome(org.name, "sent", org.email))
    return out


def deliver_command(
    date: Annotated[
        str | None, typer.Option(help="UTC day to deliver (default: yesterday).")
    ] = None,
    day: Annotated[
        str | None, typer.Option("--day", hidden=True, help="Old spelling of --date.")
    ] = None,
    smtp: Annotated[str, typer.Option(help="SMTP server, HOST:PORT.")] = "127.0.0.1:25",
    sender: Annotated[str, typer.Option(help="From address.")] = "dgawatch@localhost",
    portal_url: Annotated[
        str, typer.Option(help="The portal's public address, for the report links.")
    ] = "http://127.0.0.1:8080",
    org: Annotated[str | None, typer.Option(help="Only this organisation.")] = None,
    retries: Annotated[int, typer.Option(help="Retries of a temporary SMTP failure.")] = 3,
    sinkhole_dir: Annotated[
        Path | None, typer.Option(help="Sinkhole event store directory.")
    ] = None,
    asn_db: Annotated[Path | None, typer.Option(help="Prefix-to-ASN file (pyasn format).")] = None,
    country_db: Annotated[Path | None, typer.Option(help="Prefix-to-country file.")] = None,
) -> None:
    """Mail each organisation its daily digest (once per day; rerun to retry failures)."""
    from rich.console import Console

    from dgawatch.days import parse_day
    from dgawatch.sinkhole.store import default_dir
    from dgawatch.store import default_store_path

    if date is not None and day is not None and date != day:
        raise InputError(f"--date {date} and --day {day}: give one (--day is --date's old name)")
    given, option = (date, "--date") if date is not None else (day, "--day")
    when = (
        parse_day(given, what=option) if given else dt.datetime.now(dt.UTC).date() - dt.timedelta(1)
    )
    relay = smtp_address(smtp)
    if not 0 <= retries <= 10:
        raise InputError("--retries must be between 0 and 10")
    check_sender(sender)
    check_portal_url(portal_url)
    directory = sinkhole_dir or default_dir()
    if not directory.is_dir():
        raise InputError(f"--sinkhole-dir {directory} is not a directory")
    from dgawatch.sinkhole.enrich import Enricher

    enrich = Enricher(asn_db=asn_db, country_db=country_db)
    out = deliver(
        when,
        enrich=enrich,
        data_dir=default_store_path().parent,
        sinkhole_dir=directory,
        smtp=relay,
        sender=sender,
        portal_url=portal_url,
        only=org,
        retries=retries,
    )
    console = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
    if not out:  # said, not a silent exit 0
        Console(stderr=True, highlight=False, markup=False, emoji=False).print(
            f"no organisation to deliver {when} to; add one with 'dgawatch org add NAME "
            "--email ADDRESS --asn N' and verify its claims (see 'dgawatch org --help')",
            soft_wrap=True,
        )
    for o in out:
        console.print(
            f"{o.org}: {o.status}{' (' + o.detail + ')' if o.detail else ''}", markup=False
        )
    failed = [o for o in out if o.status == "failed"]
    if failed:
        raise InputError(f"{len(failed)} digest(s) for {when} not delivered; run again to retry")
