"""Registry go-packs: what a TLD registry needs to pre-empt a DGA's names, month by month.

For each requested registry suffix (``--tld``) a folder holds one names file per calendar
month (sorted, unique), the names already registered that the forecast collides with
(``collisions.csv``, when a list of registered names is given), and the pack has one
``MANIFEST.json`` naming the generator version, the variants, the date range and the count
and SHA-256 of every file. This is how the Conficker Working Group handed registries their
lists in 2009.

A registry runs its second-level suffixes too: ``--tld uk`` keeps every name ending in
``.uk`` (``x.co.uk`` included); ``--tld co.uk`` keeps only ``co.uk`` names (folder
``co.uk``).

Work goes one month at a time: memory holds that month's unique names of the selected
suffixes (about 100 bytes a name) plus the registered names under those suffixes, never the
whole range. Output is deterministic: no timestamps, sorted content, fixed JSON layout.

The registry loop (issue 15): names that must not be blocked (``--allowlist``, the watch's
collisions: :class:`dgawatch.export.Withheld`) are left out and counted in the manifest; a
pack is signed with Ed25519 (``cryptography``) over ``MANIFEST.json``, which holds every
file's SHA-256, so :func:`verify_pack` checks every byte with one signature; each registry's
acknowledgement of a month is recorded in the data directory (:func:`record_ack`); and
:func:`release_names` lists the names whose days have passed, so a registry can free them.
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.name
import dns.tokenizer

from dgawatch import __version__
from dgawatch.days import check_supported
from dgawatch.domain import normalise, registered_domain
from dgawatch.errors import DgawatchError, InputError, unreadable
from dgawatch.families.base import Variant
from dgawatch.forecast import iter_day_lists, some_suffixes, tlds_selecting_nothing
from dgawatch.outfile import atomic_dir, atomic_file, check_output_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from dgawatch.export import Withheld

SCHEMA = "gopack/1"
MANIFEST = "MANIFEST.json"
SIGNATURE = "MANIFEST.sig"
SIGNATURE_SCHEMA = "gopack-signature/1"
ACKS = "gopack-acks.jsonl"
COLLISIONS = "collisions.csv"
COLLISION_FIELDS = ("name", "month", "family", "variant", "first_day")

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Month:
    """The days of one calendar month that the pack covers (the first may start late)."""

    first: dt.date
    last: dt.date

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


#: Longest pack: the supported span of days (1990..2099) holds at most this many months.
MAX_MONTHS = 1320


def months(start: dt.date, count: int) -> list[Month]:
    """``count`` calendar months from ``start``'s month; the first begins on ``start``."""
    if not 1 <= count <= MAX_MONTHS:
        raise InputError(f"--months must be between 1 and {MAX_MONTHS}, not {count}")
    out: list[Month] = []
    first = start
    for _ in range(count):
        nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        out.append(Month(first, nxt - dt.timedelta(days=1)))
        first = nxt
    check_supported(out[-1].last, what="end date")
    return out


def registry_suffix(tld: str) -> str:
    """A ``--tld`` value as a suffix (``uk``, ``co.uk``); also the pack's folder name."""
    name = normalise(tld.strip().strip("."))
    if not all(_LABEL.match(label) for label in name.split(".")):
        raise InputError(f"--tld {tld!r} is not a domain suffix such as 'nl' or 'co.uk'")
    return name


def _check_suffixes(active: Sequence[Variant], suffixes: Sequence[str]) -> None:
    """Refuse, before any generation, a --tld under which no active variant generates names:
    its folder would be empty after minutes of work. Each --tld is its own folder of the
    pack, so every one must select something (``export`` warns on a partial miss instead)."""
    found = tlds_selecting_nothing(active, suffixes)
    if found is not None and found[0]:
        raise InputError(
            f"--tld {', '.join(found[0])}: no selected variant active in that range generates "
            f"names under it (their suffixes: {some_suffixes(found[1])}); give another --tld "
            "or --family"
        )


def _under(name: str, suffixes: Sequence[str]) -> bool:
    return any(name.endswith("." + s) for s in suffixes)


# --- registered names -------------------------------------------------------------------


def is_zone_file(path: Path) -> bool:
    """A zone file starts (after blank and comment lines) with a ``$`` directive or a line
    of several fields; a plain list has one name a line."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            text = line.strip()
            if not text or text[0] in "#;":
                continue
            return text.startswith("$") or len(text.split()) > 1
    return False


def _first_undecodable_line(path: Path) -> int:
    """The number of the first line of ``path`` that is not UTF-8 (0: none, or unreadable)."""
    try:
        with open(path, "rb") as fh:
            for number, raw in enumerate(fh, 1):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    except OSError:
        pass
    return 0


def _plain_names(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = line.strip()
            if text and text[0] != "#":
                yield text


def zone_owner_names(path: Path, text: str | None = None) -> Iterator[str]:
    """Owner names of a master-format zone file (``text``, when given, is its content),
    streamed with dnspython's tokenizer (``$ORIGIN`` and ``@`` followed, record data skipped;
    ``$INCLUDE``/``$GENERATE`` refused)."""
    origin: dns.name.Name | None = None
    with open(path, encoding="utf-8") if text is None else io.StringIO(text) as fh:
        tok = dns.tokenizer.Tokenizer(fh, filename=str(path))
        try:
            while True:
                token = tok.get(want_leading=True)
                if token.is_eof():
                    return
                if token.is_eol() or token.is_whitespace():
                    pass  # blank line, or a record of the previous owner
                elif token.value.upper() == "$ORIGIN":
                    origin = dns.name.from_text(tok.get_string(), origin)
                elif token.value.upper() in ("$INCLUDE", "$GENERATE"):
                    raise InputError(f"{path}: {token.value} is not supported; expand it first")
                elif token.value.startswith("$"):
                    pass  # $TTL and other directives carry no owner name
                else:
                    text = token.value
                    if origin is None and text != "@" and not text.endswith("."):
                        raise InputError(
                            f"{path}:{tok.line_number}: relative owner {text!r} before any "
                            "$ORIGIN; add one or use absolute names (read as a DNS zone file: "
                            "a line has several fields; a plain list holds one name a line)"
                        )
                    if text == "@" and origin is None:
                        raise InputError(f"{path}:{tok.line_number}: '@' before any $ORIGIN")
                    owner = origin if text == "@" else dns.name.from_text(text, origin)
                    assert owner is not None
                    yield owner.to_text(omit_final_dot=True)
                if not (token.is_eol() or token.is_eof()):
                    while not (token := tok.get()).is_eol_or_eof():
                        pass
                    if token.is_eof():
                        return
        except dns.exception.DNSException as exc:
            raise InputError(f"cannot parse zone file {path}: {exc}") from None


def load_registered(path: Path, suffixes: Sequence[str]) -> set[str]:
    """Names in ``path`` (plain list or zone file) under ``suffixes``, with their registered
    domains (a host such as ``ns1.foo.nl`` shows ``foo.nl`` is registered)."""
    try:
        names = zone_owner_names(path) if is_zone_file(path) else _plain_names(path)
        found: set[str] = set()
        for raw in names:
            try:
                name = normalise(raw)
            except InputError:
                continue
            if not _under(name, suffixes):
                continue
            found.add(name)
            reg = registered_domain(name)
            if reg is not None and reg != name and _under(reg, suffixes):
                found.add(reg)
        return found
    except IsADirectoryError:
        raise InputError(f"--exclude-registered {path} is a directory; give a file") from None
    except OSError as exc:
        why = exc.strerror or exc
        raise InputError(f"cannot read --exclude-registered {path}: {why}") from None
    except UnicodeDecodeError:
        line = _first_undecodable_line(path)
        where = f":{line}" if line else ""
        raise InputError(
            f"--exclude-registered {path}{where}: not UTF-8 text; give registered names one a "
            "line, or a DNS zone file"
        ) from None


# --- the pack ---------------------------------------------------------------------------


@dataclass
class _Hashed:
    """A file written in one go, with its count and digest for the manifest."""

    path: str
    count: int
    sha256: str
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, **self.extra, "count": self.count, "sha256": self.sha256}


def _write(root: Path, rel: str, data: bytes, count: int, **extra: str) -> _Hashed:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return _Hashed(rel, count, hashlib.sha256(data).hexdigest(), dict(extra))


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def build_gopack(
    variants: Sequence[Variant],
    tlds: Sequence[str],
    start: dt.date,
    month_count: int,
    output: Path,
    *,
    registered: Path | None = None,
    withheld: Withheld | None = None,
    sign_key: Path | None = None,
    on_month: Callable[[Month, int], None] | None = None,
) -> dict[str, object]:
    """Write the pack to ``output`` (absent or empty) and return its manifest; names of
    ``withheld`` are left out of every file, and ``sign_key`` signs the manifest."""
    suffixes = sorted(dict.fromkeys(registry_suffix(t) for t in tlds))
    if not suffixes:
        raise InputError("give at least one --tld")
    span = months(start, month_count)
    first, last = span[0].first, span[-1].last
    active = [
        v
        for v in variants
        if v.active_from <= last and (v.active_until is None or v.active_until >= first)
    ]
    if not active:
        raise InputError("no selected variant is active in that date range")
    _check_suffixes(active, suffixes)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise InputError(
            f"--output {output} exists and is not an empty directory; a go-pack is written "
            "into a new (or empty) one: give another --output"
        )
    taken = load_registered(registered, suffixes) if registered is not None else None
    key = load_private_key(sign_key) if sign_key is not None else None
    # Built beside the destination and renamed into place once whole (dgawatch.outfile):
    # a failure half-way leaves no partial pack under the requested name.
    with atomic_dir(output, what="a go-pack", must_be_empty=True) as tmp:
        manifest = _build(
            active, suffixes, span, first, last, tmp, registered, taken, withheld, on_month
        )
        if key is not None:
            sign_pack(tmp, key)
        return manifest


def _withheld_entry(withheld: Withheld, kept_out: dict[str, set[str]]) -> dict[str, object]:
    """The manifest's account of the names left out of the pack and why."""
    out: dict[str, set[str]] = {x.reason: set() for x in withheld.lists}
    for names in kept_out.values():
        for name in names:
            out[withheld.reason_of(name.encode("ascii"))].add(name)
    return {
        "lists": [
            {"reason": x.reason, "detail": x.detail, "names_listed": len(x.names)}
            for x in withheld.lists
        ],
        "names": {reason: len(names) for reason, names in out.items()},
        "names_per_tld": {s: len(names) for s, names in kept_out.items()},
    }


def _build(
    active: list[Variant],
    suffixes: list[str],
    span: list[Month],
    first: dt.date,
    last: dt.date,
    output: Path,
    registered: Path | None,
    taken: set[str] | None,
    withheld: Withheld | None,
    on_month: Callable[[Month, int], None] | None,
) -> dict[str, object]:
    files: list[_Hashed] = []
    never = {n.decode("ascii") for n in withheld.names} if withheld else set()
    kept_out: dict[str, set[str]] = {s: set() for s in suffixes}
    collision_rows: dict[str, list[tuple[str, str, str, str, str]]] = {s: [] for s in suffixes}
    for month in span:
        blocked: dict[str, set[str]] = {s: set() for s in suffixes}
        hits: dict[tuple[str, str, str, str], dt.date] = {}
        for v in active:
            days = [d for d in month.days() if v.is_active(d)]
            for dl in iter_day_lists([v], days):
                names = dl.names()
                for s in suffixes:
                    dot = "." + s
                    kept = [n for n in names if n.endswith(dot)]
                    if never and not never.isdisjoint(kept):
                        assert withheld is not None
                        for n in never.intersection(kept):
                            withheld.record(n.encode("ascii"))
                            kept_out[s].add(n)
                        kept = [n for n in kept if n not in never]
                    if taken is None:
                        blocked[s].update(kept)
                        continue
                    for n in kept:
                        if n in taken:
                            hits.setdefault((s, n, v.family, v.name), dl.day)
                        else:
                            blocked[s].add(n)
        total = 0
        for s in suffixes:
            ordered = sorted(blocked[s])
            data = "".join(f"{n}\n" for n in ordered).encode("ascii")
            rel = f"{s}/{month.label}.txt"
            files.append(_write(output, rel, data, len(ordered), tld=s, month=month.label))
            total += len(ordered)
        for (s, n, fam, var), day in sorted(hits.items()):
            collision_rows[s].append((n, month.label, fam, var, day.isoformat()))
        del blocked, hits
        if on_month is not None:
            on_month(month, total)
    if taken is not None:
        for s in suffixes:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(COLLISION_FIELDS)
            writer.writerows(collision_rows[s])
            data = buf.getvalue().encode("ascii")
            files.append(_write(output, f"{s}/{COLLISIONS}", data, len(collision_rows[s]), tld=s))

    manifest: dict[str, object] = {
        "schema": SCHEMA,
        "generator": {"name": "dgawatch", "version": __version__},
        "tlds": suffixes,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "months": [m.label for m in span],
        "families": sorted({v.family for v in active}),
        "variants": [
            {
                "family": v.family,
                "variant": v.name,
                "active_from": v.active_from.isoformat(),
                "active_until": v.active_until.isoformat() if v.active_until else None,
                "parameters": dict(v.parameters),
            }
            for v in active
        ],
        "excluded_registered": None
        if registered is None
        else {
            "file": os.path.basename(registered),
            "sha256": _file_sha256(registered),
            "names_under_tlds": len(taken or ()),
        },
        "withheld": None if not withheld else _withheld_entry(withheld, kept_out),
        "files": [f.to_dict() for f in files],
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# --- signatures (Ed25519, ``cryptography``) ----------------------------------------------


class VerificationError(Exception):
    """A pack that does not verify: tampered, incomplete, or signed by another key. Not a
    user mistake (``DgawatchError``): the CLI reports it with exit status 1."""


def _key_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None


def _short(exc: Exception) -> str:
    """cryptography's reason without its FAQ link and error codes ('Unable to load PEM file.
    See https://... MalformedFraming')."""
    text = str(exc).split(" See http", 1)[0].strip().rstrip(".")
    return text or type(exc).__name__


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file written by :func:`keygen`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _key_bytes(path, "--sign-key")
    if b"PUBLIC KEY-----" in data:
        raise InputError(
            f"--sign-key {path} is a public key; sign with its private half (the file "
            "'dgawatch gopack keygen --output KEY' wrote as KEY, not KEY.pub)"
        )
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--sign-key {path} is not an unencrypted PEM private key ({_short(exc)}); make "
            "one with 'dgawatch gopack keygen'"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"--sign-key {path} is not an Ed25519 key (see 'gopack keygen')")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file (``<key>.pub`` of :func:`keygen`)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = _key_bytes(path, "--key")
    if b"PRIVATE KEY-----" in data:
        raise InputError(
            f"--key {path} is a private key (keep it secret); verify with its public half, "
            f"{path}.pub as 'dgawatch gopack keygen' wrote it"
        )
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--key {path} is not a PEM public key ({_short(exc)}); give the .pub file of "
            "'dgawatch gopack keygen'"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"--key {path} is not an Ed25519 public key")
    return key


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of SHA-256 of the raw 32-byte key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def keygen(path: Path) -> tuple[Path, Path, str]:
    """Write a new Ed25519 key pair: ``path`` (private, PKCS#8 PEM, mode 0600) and
    ``path.pub`` (public, SubjectPublicKeyInfo PEM). Refuses to overwrite either."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    check_output_file(path)  # --output NAME/ is a directory: refused, not a key named NAME
    public = path.with_name(path.name + ".pub")
    for p in (path, public):
        if p.exists() or p.is_symlink():
            raise InputError(f"--output: {p} exists; keys are never overwritten")
    if not path.parent.is_dir():
        raise InputError(f"--output: directory {path.parent} does not exist")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_pem)
        with atomic_file(public) as fh:
            fh.write(public_pem)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InputError(f"cannot write --output {path}: {exc.strerror}") from None
    return path, public, key_id(key.public_key())


def sign_pack(pack: Path, key: Ed25519PrivateKey) -> dict[str, str]:
    """Sign ``MANIFEST.json`` (which holds every file's SHA-256) into ``MANIFEST.sig``."""
    manifest = pack / MANIFEST
    try:
        data = manifest.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{pack} is not a go-pack: cannot read {MANIFEST} ({exc.strerror})"
        ) from None
    doc = {
        "schema": SIGNATURE_SCHEMA,
        "algorithm": "ed25519",
        "key_id": key_id(key.public_key()),
        "signed": MANIFEST,
        "signature": base64.b64encode(key.sign(data)).decode("ascii"),
    }
    with atomic_file(pack / SIGNATURE) as fh:
        fh.write((json.dumps(doc, indent=2) + "\n").encode("ascii"))
    return doc


def _safe_member(pack: Path, rel: object) -> Path:
    """A manifest path as a file inside the pack (no absolute paths, no '..')."""
    if not isinstance(rel, str) or not rel or rel.startswith("/") or ".." in rel.split("/"):
        raise VerificationError(f"{MANIFEST} lists an unsafe path {rel!r}")
    return pack / rel


def verify_pack(pack: Path, key: Ed25519PublicKey) -> dict[str, Any]:
    """Check a pack: the signature over ``MANIFEST.json`` by ``key``, then every listed
    file's SHA-256, and that the pack holds no file the manifest does not list. Returns
    the manifest; raises :class:`VerificationError` naming the first problem."""
    from cryptography.exceptions import InvalidSignature

    if not pack.is_dir():
        raise InputError(f"{pack} is not a directory (give a go-pack directory)")
    try:
        data = (pack / MANIFEST).read_bytes()
        sig_text = (pack / SIGNATURE).read_bytes()
    except FileNotFoundError as exc:
        raise VerificationError(f"{Path(exc.filename).name} is missing (unsigned pack?)") from None
    try:
        sig = json.loads(sig_text)
        signature = base64.b64decode(sig["signature"], validate=True)
        if sig.get("schema") != SIGNATURE_SCHEMA or sig.get("algorithm") != "ed25519":
            raise ValueError("unknown schema or algorithm")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise VerificationError(f"{SIGNATURE} is not a go-pack signature ({exc})") from None
    if sig.get("key_id") != key_id(key):
        raise VerificationError(
            f"signed by key {sig.get('key_id')!r}, not by the given key {key_id(key)}"
        )
    try:
        key.verify(signature, data)
    except InvalidSignature:
        raise VerificationError(f"the signature does not match {MANIFEST}") from None
    manifest = json.loads(data)
    listed = {MANIFEST, SIGNATURE}
    for entry in manifest["files"]:
        path = _safe_member(pack, entry["path"])
        listed.add(entry["path"])
        try:
            digest = _file_sha256(path)
        except OSError:
            raise VerificationError(f"{entry['path']} is missing") from None
        if digest != entry["sha256"]:
            raise VerificationError(f"{entry['path']} differs from its SHA-256 in {MANIFEST}")
    extra = sorted(str(p.relative_to(pack)) for p in pack.rglob("*") if not p.is_dir())
    unlisted = [p for p in extra if p not in listed]
    if unlisted:
        raise VerificationError(f"{unlisted[0]} is not listed in {MANIFEST}")
    return dict(manifest)


def read_manifest(pack: Path) -> dict[str, Any]:
    try:
        doc = json.loads((pack / MANIFEST).read_bytes())
    except OSError as exc:  # (the system's reason in words, not Python's [Errno N] wrapper)
        why = "no such directory" if not pack.exists() else unreadable(pack / MANIFEST, exc)
        raise InputError(f"{pack} is not a go-pack: cannot read its {MANIFEST} ({why})") from None
    except ValueError as exc:
        raise InputError(f"{pack} is not a go-pack: cannot read its {MANIFEST} ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(f"{pack}/{MANIFEST} is not a {SCHEMA} manifest")
    return doc


def pack_id(pack: Path) -> str:
    """A pack's identity: the SHA-256 of its ``MANIFEST.json`` (what the signature covers)."""
    return _file_sha256(pack / MANIFEST)


# --- registry acknowledgements ----------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_month(month: str) -> str:
    if not _MONTH.match(month):
        raise InputError(f"--month {month!r} is not a month such as 2026-03 (YYYY-MM)")
    return month


def acks_path(data: Path | None = None) -> Path:
    from dgawatch.store import data_dir

    return (data or data_dir()) / ACKS


def record_ack(
    tld: str,
    month: str,
    *,
    pack: Path | None = None,
    note: str = "",
    when: dt.datetime | None = None,
    data: Path | None = None,
) -> dict[str, object]:
    """Record that the registry of ``tld`` acknowledged (acted on) ``month`` of a pack: one
    JSON line appended to ``<data dir>/gopack-acks.jsonl``. With ``pack``, the TLD and
    month must be in it and the record names the pack (:func:`pack_id`)."""
    suffix = registry_suffix(tld)
    check_month(month)
    record: dict[str, object] = {"tld": suffix, "month": month}
    if pack is not None:
        manifest = read_manifest(pack)
        if suffix not in manifest["tlds"]:
            raise InputError(
                f"--tld {suffix} is not in the pack {pack} "
                f"(its TLDs: {', '.join(manifest['tlds'])})"
            )
        if month not in manifest["months"]:
            raise InputError(
                f"--month {month} is not in the pack {pack} "
                f"({manifest['months'][0]} .. {manifest['months'][-1]})"
            )
        record["pack"] = pack_id(pack)
    moment = when or dt.datetime.now(dt.UTC)
    record["acked_at"] = moment.astimezone(dt.UTC).isoformat(timespec="seconds")
    if note:
        record["note"] = note
    path = acks_path(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, sort_keys=True) + "\n")
    except OSError as exc:
        raise InputError(f"cannot record the acknowledgement in {path}: {exc.strerror}") from None
    return record


def read_acks(data: Path | None = None) -> list[dict[str, Any]]:
    path = acks_path(data)
    if not path.exists():
        return []
    found = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                found.append(json.loads(line))
            except ValueError:
                raise InputError(f"{path}:{number}: not a JSON record; fix or remove it") from None
    return found


def ack_table(pack: Path | None = None, data: Path | None = None) -> list[dict[str, Any]]:
    """One row per (tld, month): for a pack, every TLD and month of it, acknowledged or not
    (the weakest link shows as ``acked: False``); without, every recorded acknowledgement.
    The latest acknowledgement of a (tld, month) wins; with a pack, only those naming it or
    naming no pack count."""
    acks = read_acks(data)
    if pack is None:
        latest = {(a["tld"], a["month"]): a for a in acks}
        return [{**a, "acked": True} for _, a in sorted(latest.items())]
    manifest = read_manifest(pack)
    ident = pack_id(pack)
    latest = {(a["tld"], a["month"]): a for a in acks if a.get("pack") in (None, ident)}
    rows = []
    for tld in manifest["tlds"]:
        for month in manifest["months"]:
            a = latest.get((tld, month))
            rows.append(
                {
                    "tld": tld,
                    "month": month,
                    "acked": a is not None,
                    "acked_at": a["acked_at"] if a else None,
                    "note": a.get("note", "") if a else "",
                }
            )
    return rows


# --- release lists ----------------------------------------------------------------------


def _pack_variants(manifest: dict[str, Any]) -> list[Variant]:
    """The pack's variants from the registry, refusing ones whose parameters changed."""
    from dgawatch.families import get_family

    found = []
    for v in manifest["variants"]:
        try:
            variant = get_family(v["family"]).variant(v["variant"])
        except DgawatchError:
            raise InputError(
                f"the pack's variant {v['family']}/{v['variant']} is unknown to this dgawatch"
            ) from None
        if dict(variant.parameters) != v["parameters"]:
            raise InputError(
                f"the pack's variant {variant.key} was made with other parameters than this "
                "dgawatch's; release with the version that made it"
            )
        found.append(variant)
    return found


def _listed_text(pack: Path, entry: dict[str, Any]) -> str:
    """A names file of the pack, as its manifest lists it: a file that is missing or whose
    SHA-256 differs (edited, truncated) raises :class:`VerificationError`, so a release is
    never computed from names nobody published, signature key or not."""
    path = _safe_member(pack, entry["path"])
    try:
        data = path.read_bytes()
    except OSError:
        raise VerificationError(f"{entry['path']} is missing or unreadable") from None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        raise VerificationError(f"{entry['path']} differs from its SHA-256 in {MANIFEST}")
    return data.decode("ascii", errors="replace")


def release_names(pack: Path, tld: str, through: dt.date) -> tuple[list[str], dict[str, Any]]:
    """The names of the pack's ``tld`` files whose days have all passed by ``through``: names
    generated on a pack day up to ``through`` and on none after it (to the pack's end), so
    the registry may free them. Withheld and colliding names are in no names file, so they
    are never listed. Returns the sorted names and a summary for the header."""
    manifest = read_manifest(pack)
    suffix = registry_suffix(tld)
    if suffix not in manifest["tlds"]:
        raise InputError(
            f"--tld {suffix} is not in the pack {pack} (its TLDs: {', '.join(manifest['tlds'])})"
        )
    start = dt.date.fromisoformat(manifest["start"])
    end = dt.date.fromisoformat(manifest["end"])
    if through < start:
        raise InputError(f"--through {through} is before the pack's first day {start}")
    variants = _pack_variants(manifest)
    dot = "." + suffix
    passed: set[str] = set()
    by_month = {f.get("month"): f for f in manifest["files"] if f.get("tld") == suffix}
    for label in manifest["months"]:
        entry = by_month.get(label)
        if entry is None:
            continue
        month_first = max(start, dt.date.fromisoformat(label + "-01"))
        nxt = dt.date(month_first.year + month_first.month // 12, month_first.month % 12 + 1, 1)
        month_last = min(end, nxt - dt.timedelta(days=1))
        if month_first > through:
            break
        text = _listed_text(pack, entry)
        if month_last <= through:  # the whole month has passed: its file, as signed
            passed.update(text.split())
        else:  # the month of ``through``: its days so far, generated again
            count = (through - month_first).days + 1
            days = [month_first + dt.timedelta(days=i) for i in range(count)]
            current: set[str] = set()
            for dl in iter_day_lists(variants, days):
                if dl.variant.is_active(dl.day):
                    current.update(n for n in dl.names() if n.endswith(dot))
            passed.update(current.intersection(text.split()))
    later = [through + dt.timedelta(days=i + 1) for i in range((end - through).days)]
    for dl in iter_day_lists(variants, later):
        if passed and dl.variant.is_active(dl.day):
            passed.difference_update(n for n in dl.names() if n.endswith(dot))
    summary = {
        "tld": suffix,
        "through": through.isoformat(),
        "checked_until": end.isoformat(),
        "pack": pack_id(pack),
        "names": len(passed),
    }
    return sorted(passed), summary
