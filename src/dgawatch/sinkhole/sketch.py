"""Mergeable distinct counts, so several sinkhole operators can add up what they saw
**without exchanging addresses**.

``sinkhole sketch export`` writes, per UTC list day × family/variant × country × ASN, an
Apache DataSketches HyperLogLog sketch (``datasketches``, HLL_8, ``lg_k`` 12 by default)
of the distinct HTTP source addresses attributed by the address plan (the machines, or
their NAT). A sketch holds register values of a 64-bit MurmurHash3 of each address, never
the address (tested: no address of the store appears in an exported file, as text or in the
decoded sketch bytes). ``sinkhole sketch merge`` unions the files of several operators key
by key: the union of sketches is the sketch of the union, so a machine seen by two
operators counts once.

Error: the relative standard error of an HLL_8 sketch at lg_k = 12 is 1.3 % as exported
(HIP estimator) and 1.6 % after a union (about 1.04 / sqrt(2^lg_k); DataSketches'
``get_rel_err``); each row carries the sketch's own 95 % bounds (two standard deviations,
``get_lower_bound(2)`` / ``get_upper_bound(2)``), tested against the exact union of three
stores.

File: JSON (schema ``dgawatch-sketch/1``), sketches base64-encoded, written 0600 and
atomically.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import datasketches as ds

from dgawatch.errors import InputError
from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.report import write_private
from dgawatch.sinkhole.stats import SinkholeStats, day_of_no

SCHEMA = "dgawatch-sketch/1"
DEFAULT_LG_K = 12
#: Standard deviations of the stated bounds (about 95 %).
BOUND_SD = 2
Key = tuple[str, str, str, str, str]  # day, family, variant, country, asn


def relative_error(lg_k: int, unioned: bool = False) -> float:
    """The sketch's relative standard error for ``lg_k`` (DataSketches' table)."""
    return float(ds.hll_sketch.get_rel_err(False, unioned, lg_k, 1))


@dataclass
class SketchSet:
    lg_k: int
    sketches: dict[Key, ds.hll_sketch]
    #: HTTP events read by :func:`export` (of the days asked), and how many of them were
    #: attributed to a family/variant (only those are sketched); 0 for other sets.
    http_events: int = 0
    attributed_events: int = 0

    def rows(self) -> list[dict[str, object]]:
        out = []
        for key, sk in sorted(self.sketches.items()):
            day, family, variant, country, asn = key
            out.append(
                {
                    "day": day,
                    "family": family,
                    "variant": variant,
                    "country": country,
                    "asn": asn,
                    "estimate": sk.get_estimate(),
                    "lower": sk.get_lower_bound(BOUND_SD),
                    "upper": sk.get_upper_bound(BOUND_SD),
                }
            )
        return out

    def to_json(self) -> str:
        return json.dumps(
            {
                "schema": SCHEMA,
                "sketch": "datasketches hll_sketch HLL_8",
                "lg_k": self.lg_k,
                "unit": "distinct HTTP source addresses (machines or their NAT)",
                "relative_standard_error": relative_error(self.lg_k),
                "entries": [
                    {
                        "day": k[0],
                        "family": k[1],
                        "variant": k[2],
                        "country": k[3],
                        "asn": k[4],
                        "hll": base64.b64encode(sk.serialize_compact()).decode("ascii"),
                    }
                    for k, sk in sorted(self.sketches.items())
                ],
            },
            indent=0,
        )

    @classmethod
    def read(cls, path: Path) -> SketchSet:
        try:
            text = path.read_bytes()
        except IsADirectoryError:
            raise InputError(f"{path} is a directory; give sketch files") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
        if not text.strip():
            raise InputError(
                f"{path} is empty; give files that 'dgawatch sinkhole sketch export' wrote"
            )
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise InputError(
                f"{path}: not a sketch file (not JSON: {exc}); give files that "
                "'dgawatch sinkhole sketch export' wrote"
            ) from None
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise InputError(f"{path}: schema is not {SCHEMA}; export it with this version")
        lg_k = doc.get("lg_k")
        if not isinstance(lg_k, int):
            raise InputError(f"{path}: no integer lg_k")
        sketches: dict[Key, ds.hll_sketch] = {}
        for i, e in enumerate(doc.get("entries") or []):
            try:
                key: Key = (e["day"], e["family"], e["variant"], e["country"], e["asn"])
                sk = ds.hll_sketch.deserialize(base64.b64decode(e["hll"], validate=True))
            except Exception as exc:  # any malformed entry is one error, whatever raised
                raise InputError(f"{path}: entry {i + 1} is malformed ({exc})") from None
            sketches[key] = _union(sketches.get(key), sk, lg_k)
        return cls(lg_k, sketches)


def _union(a: ds.hll_sketch | None, b: ds.hll_sketch, lg_k: int) -> ds.hll_sketch:
    if a is None:
        return b
    u = ds.hll_union(lg_k)
    u.update(a)
    u.update(b)
    return u.get_result(ds.tgt_hll_type.HLL_8)


def export(
    directory: Path,
    *,
    days: list[dt.date] | None = None,
    lg_k: int = DEFAULT_LG_K,
    enrich: Enricher | None = None,
) -> SketchSet:
    """Sketches of the store's attributed HTTP sources, per day × variant × country × ASN."""
    if not 4 <= lg_k <= 21:
        raise InputError(f"--lg-k {lg_k}: give 4 to 21")
    enrich = enrich or Enricher()
    with SinkholeStats(directory) as st:
        pairs = st.con.execute(
            f"""SELECT DISTINCT a_day, a_family, a_variant, src_ip FROM http_attr
                WHERE a_family IS NOT NULL {st._days_in("a_day", days, "AND")}"""
        ).fetchall()
        counted = st.con.execute(
            f"""SELECT count(*), count(a_family) FROM http_attr
                {st._days_in("uday", days)}"""
        ).fetchone()
    http_events, attributed = counted if counted is not None else (0, 0)
    sketches: dict[Key, ds.hll_sketch] = {}
    for day, family, variant, ip in pairs:
        asn = enrich.asn(ip)
        key: Key = (
            day_of_no(day).isoformat(),
            family,
            variant,
            enrich.country(ip) or "unknown",
            f"AS{asn}" if asn else "unknown",
        )
        sk = sketches.get(key)
        if sk is None:
            sk = sketches[key] = ds.hll_sketch(lg_k, ds.tgt_hll_type.HLL_8)
        sk.update(ip)
    return SketchSet(lg_k, sketches, http_events=http_events, attributed_events=attributed)


def empty_reason(s: SketchSet) -> str:
    """Why an export wrote no sketch, for its one line ("" when it wrote some)."""
    if s.sketches:
        return ""
    if not s.http_events:
        return "no HTTP events in the store (for the days asked); sketches count HTTP sources"
    return (
        f"{s.http_events:,} HTTP event(s), none attributed to a family/variant: see "
        "'Attribution' in the README; sketches count attributed HTTP sources"
    )


def merge(sets: list[SketchSet]) -> SketchSet:
    if not sets:
        raise InputError("give at least one sketch file")
    lg_k = min(s.lg_k for s in sets)
    out: dict[Key, ds.hll_sketch] = {}
    for s in sets:
        for key, sk in s.sketches.items():
            out[key] = _union(out.get(key), sk, lg_k)
    return SketchSet(lg_k, out)


def rollup(s: SketchSet, by: tuple[str, ...] = ("day", "family", "variant")) -> SketchSet:
    """The same sketches unioned over the dimensions not in ``by`` (e.g. a world total
    per day): unions, not sums, so an address in two ASNs' rows is not counted twice."""
    names = ("day", "family", "variant", "country", "asn")
    out: dict[Key, ds.hll_sketch] = {}
    for key, sk in s.sketches.items():
        d, f, v, c, a = (x if n in by else "*" for n, x in zip(names, key, strict=True))
        k: Key = (d, f, v, c, a)
        out[k] = _union(out.get(k), sk, s.lg_k)
    return SketchSet(s.lg_k, out)


def write(s: SketchSet, target: Path) -> None:
    try:
        write_private(target, s.to_json().encode())
    except OSError as exc:
        raise InputError(f"--output {target}: {exc.strerror}") from None
