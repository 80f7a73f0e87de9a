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
"""

from __future__ import annotations

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

import dns.exception
import dns.name
import dns.tokenizer

from dgawatch import __version__
from dgawatch.days import check_supported
from dgawatch.domain import normalise, registered_domain
from dgawatch.errors import InputError
from dgawatch.families.base import Variant
from dgawatch.forecast import iter_day_lists, some_suffixes, tlds_selecting_nothing
from dgawatch.outfile import atomic_dir

SCHEMA = "gopack/1"
MANIFEST = "MANIFEST.json"
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


def _plain_names(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = line.strip()
            if text and text[0] != "#":
                yield text


def zone_owner_names(path: Path) -> Iterator[str]:
    """Owner names of a master-format zone file, streamed with dnspython's tokenizer
    (``$ORIGIN`` and ``@`` followed, record data skipped; ``$INCLUDE``/``$GENERATE`` refused)."""
    origin: dns.name.Name | None = None
    with open(path, encoding="utf-8") as fh:
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
                            "$ORIGIN; add one or use absolute names"
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
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None


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
    on_month: Callable[[Month, int], None] | None = None,
) -> dict[str, object]:
    """Write the pack to ``output`` (absent or empty) and return its manifest."""
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
        raise InputError(f"{output} exists and is not an empty directory")
    taken = load_registered(registered, suffixes) if registered is not None else None
    # Built beside the destination and renamed into place once whole (dgawatch.outfile):
    # a failure half-way leaves no partial pack under the requested name.
    with atomic_dir(output, what="a go-pack", must_be_empty=True) as tmp:
        return _build(active, suffixes, span, first, last, tmp, registered, taken, on_month)


def _build(
    active: list[Variant],
    suffixes: list[str],
    span: list[Month],
    first: dt.date,
    last: dt.date,
    output: Path,
    registered: Path | None,
    taken: set[str] | None,
    on_month: Callable[[Month, int], None] | None,
) -> dict[str, object]:
    files: list[_Hashed] = []
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
        "files": [f.to_dict() for f in files],
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
