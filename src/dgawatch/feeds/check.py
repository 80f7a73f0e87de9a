"""Cross-check of a feed file against dgawatch's generators: is each feed name one that
dgawatch generates, for the family and on the day the feed says?

Each name gets one status (report schema ``feed-check/1``):

- ``stated_day``: a variant of the feed's family generates it on a stated day (for a feed
  naming a variant, that variant);
- ``other_variant``: another variant of the feed's family generates it on a stated day;
- ``other_day``: the feed's family generates it, but on other days only (within
  ``near_days`` of the stated ones, or on any day the all-time index holds);
- ``other_family``: only other families generate it (on a stated day, or on any day the
  all-time index holds);
- ``unexplained``: nothing dgawatch has generates it near the stated days (a generator bug,
  or a seed or family dgawatch lacks: ``family_known`` says whether the feed's family maps to
  a registered one).

Work, in three passes: (1) the stated days: each (variant, day) list is generated once, for
the variants whose TLDs and grammar fit some name stated for that day
(:func:`dgawatch.lookup.candidate_variants`), and matched against those names only; a stated
validity longer than ``MAX_STATED_DAYS`` days is sampled on a grid the entries share (a hit
on any day of the validity counts as stated); (2) for the names not explained as stated, the
feed family's lists of the days around them (:func:`dgawatch.lookup.lookup`); (3) the
all-time index where it is built (``dgawatch store build --all-time``; no whole period is
generated here).

Measured (loaded 2-core machine): the whole registry's feed for three days read back,
896,990 Netlab lines in 45 CPU-s (1.4 GB peak with ``--json``), 1,253,203 Bambenek lines in
30 CPU-s (1.5 GB), every name ``stated_day``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from dgawatch.domain import lookup_keys
from dgawatch.families import get_family
from dgawatch.families.base import Variant
from dgawatch.feeds import FeedEntry
from dgawatch.feeds.names import Mapped, map_family
from dgawatch.forecast import iter_day_lists
from dgawatch.lookup import Hit, candidate_variants, lookup

STATUSES = ("stated_day", "other_variant", "other_day", "other_family", "unexplained")
SCHEMA = "feed-check/1"
#: Days generated per entry at most: a longer stated validity (Netlab gives a static list's
#: names years) is sampled (:meth:`FeedEntry.days`); a hit on any day of it counts as stated.
MAX_STATED_DAYS = 8
NEAR_DAYS = 7
MAX_NEAR_DAYS = 366


@dataclass(frozen=True)
class Explained:
    """One feed entry and what dgawatch says about it."""

    entry: FeedEntry
    mapped: Mapped
    status: str
    hit: Hit | None = None  # the (family, variant, day, index) that explains it

    def to_dict(self) -> dict[str, object]:
        e, h = self.entry, self.hit
        return {
            "file": e.file,
            "line": e.line,
            "domain": e.domain,
            "feed_family": e.family,
            "first_day": e.first.isoformat(),
            "last_day": e.last.isoformat(),
            "family_known": self.mapped.family is not None,
            "status": self.status,
            "family": h.family if h else None,
            "variant": h.variant if h else None,
            "day": h.day.isoformat() if h else None,
            "index": h.index if h else None,
        }


@dataclass
class CheckResult:
    rows: list[Explained] = field(default_factory=list)
    days_generated: int = 0

    def summary(self) -> list[dict[str, object]]:
        """Per feed family: dgawatch's family and the count of each status."""
        counts: dict[str, Counter[str]] = {}
        mapped: dict[str, str | None] = {}
        for r in self.rows:
            counts.setdefault(r.entry.family, Counter())[r.status] += 1
            mapped[r.entry.family] = r.mapped.family
        out: list[dict[str, object]] = []
        for fam in sorted(counts):
            c = counts[fam]
            row: dict[str, object] = {"feed_family": fam, "family": mapped[fam]}
            row["names"] = sum(c.values())
            row.update({s: c[s] for s in STATUSES})
            out.append(row)
        return out

    def totals(self) -> dict[str, int]:
        c = Counter(r.status for r in self.rows)
        return {"names": len(self.rows)} | {s: c[s] for s in STATUSES}


@cache
def _family_keys(family: str) -> frozenset[str]:
    """Variant keys selecting ``family`` means (its variants and its declared aliases'
    targets: gameover's post-Tovar list is ``newgoz/default``)."""
    fam = get_family(family)
    chosen = fam.selection() if hasattr(fam, "selection") else fam.variants
    return frozenset(v.key for v in chosen)


def _same_family(mapped: Mapped, hit: Hit) -> bool:
    if mapped.family is None:
        return False
    key = f"{hit.family}/{hit.variant}"
    return (
        hit.family == mapped.family or key == mapped.variant or key in _family_keys(mapped.family)
    )


def _rank(entry: FeedEntry, mapped: Mapped, hit: Hit) -> tuple[int, str]:
    """(preference, status) of one hit for one entry: lower is better."""
    same = _same_family(mapped, hit)
    on_day = entry.states(hit.day)
    if same and on_day:
        if mapped.variant is None or mapped.variant == f"{hit.family}/{hit.variant}":
            return 0, "stated_day"
        return 1, "other_variant"
    if same:
        return 2, "other_day"
    return 3, "other_family"


def _best(entry: FeedEntry, mapped: Mapped, hits: Iterable[Hit]) -> tuple[str, Hit] | None:
    ranked = [(_rank(entry, mapped, h), abs((h.day - entry.first).days), h) for h in hits]
    if not ranked:
        return None
    (_, status), _, hit = min(ranked, key=lambda t: (t[0][0], t[1], t[2]))
    return status, hit


def check(
    entries: Sequence[FeedEntry],
    variants: Sequence[Variant],
    *,
    near_days: int = NEAR_DAYS,
    index_lookup: Callable[[list[str]], dict[str, list[tuple[Hit, dt.date]]]] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> CheckResult:
    """Explain every entry (see the module docstring). ``index_lookup`` answers names from
    the all-time index (no generation), for the names the days near them leave unexplained."""
    result = CheckResult()
    mapped = {e.family: map_family(e.family) for e in entries}
    stated, result.days_generated = _stated_hits(entries, variants, on_stage)
    best: dict[int, tuple[str, Hit]] = {}
    for i, e in enumerate(entries):
        found = _best(e, mapped[e.family], stated.get(e.domain, []))
        if found is not None:
            best[i] = found
    # Names not yet explained as the feed states them: the days around the stated ones,
    # generated for the feed's family only (another family counts on a stated day).
    open_ = [i for i, e in enumerate(entries) if best.get(i, ("",))[0] != "stated_day"]
    groups: dict[str, list[int]] = {}
    for i in open_:
        fam = mapped[entries[i].family].family
        if fam is not None and near_days > 0:
            groups.setdefault(fam, []).append(i)
    for fam, members in sorted(groups.items()):
        keys = _family_keys(fam)
        chosen = [v for v in variants if v.key in keys]
        near: set[dt.date] = set()
        for i in members:
            e = entries[i]
            for d in e.days(MAX_STATED_DAYS):
                near.update(d + dt.timedelta(days=k) for k in range(-near_days, near_days + 1))
        if not near or not chosen:
            continue
        if on_stage:
            on_stage(f"{fam}: generating {len(near)} day(s) near the stated ones")
        names_f = list(dict.fromkeys(entries[i].domain for i in members))
        second = lookup(names_f, chosen, days=sorted(near))
        result.days_generated += second.days_generated
        for i in members:
            e = entries[i]
            hits = [*stated.get(e.domain, []), *second.hits.get(e.domain, [])]
            found = _best(e, mapped[e.family], hits)
            if found is not None:
                best[i] = found
    still = [i for i, e in enumerate(entries) if i not in best or best[i][0] == "other_family"]
    if still and index_lookup is not None:
        more = index_lookup(list(dict.fromkeys(entries[i].domain for i in still)))
        for i in still:
            e = entries[i]
            # an index hit is a run of days: take its day nearest to the stated ones
            hits = [
                dataclasses.replace(h, day=min(max(e.first, h.day), last))
                for h, last in more.get(e.domain, [])
            ]
            if i in best:
                hits.append(best[i][1])
            found = _best(e, mapped[e.family], hits)
            if found is not None:
                best[i] = found
    for i, e in enumerate(entries):
        status, hit = best.get(i, ("unexplained", None))
        result.rows.append(Explained(e, mapped[e.family], status, hit))
    return result


def _stated_hits(
    entries: Sequence[FeedEntry],
    variants: Sequence[Variant],
    on_stage: Callable[[str], None] | None,
) -> tuple[dict[str, list[Hit]], int]:
    """Hits of the entries' names on their own (sampled) stated days: each (variant, day)
    list generated once, only for the variants whose TLDs and grammar fit some name needing
    that day (:func:`dgawatch.lookup.candidate_variants`), and matched against those names
    only (the name itself or its registered domain). Memory: the hits, not the lists."""
    need: dict[dt.date, dict[str, list[str]]] = {}  # day -> forecast name -> feed names
    for e in entries:
        keys = lookup_keys(e.domain)
        for d in e.days(MAX_STATED_DAYS):
            slot = need.setdefault(d, {})
            for k in keys:
                asked = slot.get(k)
                if asked is None:
                    slot[k] = [e.domain]
                elif e.domain not in asked:
                    asked.append(e.domain)
    if on_stage:
        on_stage(f"generating the lists of {len(need)} stated day(s)")
    hits: dict[str, list[Hit]] = {}
    generated = 0
    for day in sorted(need):
        slot = need[day]
        chosen = [v for v in candidate_variants(list(slot), variants) if v.is_active(day)]
        for dl in iter_day_lists(chosen, [day]):
            generated += 1
            names = dl.names()
            if slot.keys().isdisjoint(names):
                continue
            seen: set[str] = set()
            for index, name in enumerate(names):
                if name in slot and name not in seen:
                    seen.add(name)
                    v = dl.variant
                    for q in slot[name]:
                        hits.setdefault(q, []).append(Hit(q, v.family, v.name, day, index, name))
    return hits, generated


def index_hits(
    names: list[str], variants: Sequence[Variant]
) -> dict[str, list[tuple[Hit, dt.date]]]:
    """Runs from the all-time index only (no generation): (hit on the run's first day, the
    run's last day)."""
    from dgawatch.index import AllTimeIndex, lookup_all

    index = AllTimeIndex()
    if not any(index.segments(v) for v in variants):
        return {}
    res = lookup_all(names, variants, index=index, generate_missing=False)
    return {
        q: [(Hit(q, h.family, h.variant, h.first_day, h.index, h.domain), h.last_day) for h in hits]
        for q, hits in res.hits.items()
    }
