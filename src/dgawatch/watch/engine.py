"""One check: the watched names of the coming days, asked of every enabled source, decided
(:func:`dgawatch.watch.evidence.decide`) and recorded with their evidence.

``dgawatch watch check`` runs one; ``dgawatch watch serve --interval`` runs the same
:func:`run_check` again and again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from dgawatch.errors import InputError
from dgawatch.families.base import Variant
from dgawatch.forecast import iter_day_lists
from dgawatch.gopack import registry_suffix
from dgawatch.watch.evidence import STATES, Observation, Verdict, decide
from dgawatch.watch.ratelimit import TokenBucket
from dgawatch.watch.sinkholes import SinkholeList
from dgawatch.watch.store import WatchStore
from dgawatch.watch.zonefile import TransferError, ZoneData

#: The horizon a registry is handed (Conficker's working group worked months ahead).
DEFAULT_DAYS = 90
MAX_DAYS = 3660


@dataclass(frozen=True)
class Watched:
    """A name to check, with the suffix (registry) and the first day that generates it."""

    domain: str
    tld: str
    family: str
    variant: str
    day: dt.date


def watch_list(
    variants: Sequence[Variant], tlds: Sequence[str], start: dt.date, days: int
) -> list[Watched]:
    """The names under ``tlds`` that ``variants`` generate on ``days`` days from ``start``
    (each (name, variant) once, at its first day; inactive variant-days skipped)."""
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    suffixes = sorted({registry_suffix(t) for t in tlds}, key=lambda s: -s.count("."))
    if not suffixes:
        raise InputError("give at least one --tld (the registries whose names are watched)")
    window = [start + dt.timedelta(days=i) for i in range(days)]
    seen: set[tuple[str, str]] = set()
    out: list[Watched] = []
    for v in variants:
        active = [d for d in window if v.is_active(d)]
        if not active:
            continue
        if v.tlds and not any(
            t == s or t.endswith("." + s) or s.endswith("." + t) for t in v.tlds for s in suffixes
        ):
            continue
        for dl in iter_day_lists([v], active):
            for name in dl.names():
                tld = next((s for s in suffixes if name.endswith("." + s)), None)
                if tld is None or (name, v.key) in seen:
                    continue
                seen.add((name, v.key))
                out.append(Watched(name, tld, v.family, v.name, dl.day))
    if not out:
        raise InputError(
            f"no selected variant generates names under --tld {', '.join(suffixes)} in "
            f"{start.isoformat()} .. {window[-1].isoformat()}; give another --tld or --family"
        )
    return out


class NameSource(Protocol):
    name: str

    def observe(self, name: str, suffix: str) -> Observation: ...


@dataclass
class ZoneSource:
    """Zone data loaded once per check, per suffix (file or AXFR), asked in memory."""

    loaders: dict[str, Callable[[set[str]], ZoneData]]
    bucket: TokenBucket = field(default_factory=lambda: TokenBucket(None))
    name: str = "zone"
    _zones: dict[str, ZoneData | str] = field(default_factory=dict)

    def prepare(self, names_by_tld: dict[str, set[str]]) -> None:
        self._zones = {}
        for tld, load in self.loaders.items():
            self.bucket.acquire()
            try:
                self._zones[tld] = load(names_by_tld.get(tld, set()))
            except TransferError as exc:
                self._zones[tld] = str(exc)

    def observe(self, name: str, suffix: str) -> Observation:
        zone = self._zones.get(suffix)
        now = dt.datetime.now(dt.UTC)
        if zone is None:
            return Observation(name, self.name, now, None, detail=f"no zone data for .{suffix}")
        if isinstance(zone, str):
            return Observation(name, self.name, now, None, detail=zone)
        return zone.observe(name, now)


@dataclass(frozen=True)
class CheckResult:
    check_id: int
    names: int
    counts: dict[str, int]
    per_source_seconds: dict[str, float]
    verdicts: tuple[Verdict, ...]
    #: Why sources could not tell (``source: detail`` -> names), most frequent first: a
    #: refused AXFR or an unreachable RDAP server is said, not only counted as unknown.
    unanswered: dict[str, int] = field(default_factory=dict)


def _observe_all(
    source: NameSource, names: Sequence[tuple[str, str]], workers: int
) -> tuple[dict[str, Observation], float]:
    t0 = time.perf_counter()
    if workers <= 1 or isinstance(source, ZoneSource):
        found = [source.observe(n, t) for n, t in names]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            found = list(pool.map(lambda nt: source.observe(*nt), names))
    return {o.name: o for o in found}, time.perf_counter() - t0


def prepare_zones(watched: Sequence[Watched], sources: Sequence[NameSource]) -> dict[str, float]:
    """Load the zone sources' data (files, transfers) for ``watched``; seconds per source.
    Done before a check is recorded: an unreadable zone file is the user's mistake (exit 2)
    and must leave no started check (or new store) behind."""
    by_tld: dict[str, set[str]] = {}
    for w in watched:
        by_tld.setdefault(w.tld, set()).add(w.domain)
    timing = {}
    for source in sources:
        if isinstance(source, ZoneSource):
            t0 = time.perf_counter()
            source.prepare(by_tld)
            timing[source.name] = time.perf_counter() - t0
    return timing


def run_check(
    watched: Sequence[Watched],
    sources: Sequence[NameSource],
    store_path: Path,
    sinkholes: SinkholeList,
    *,
    published: dt.datetime | None = None,
    workers: int = 8,
    start_day: dt.date | None = None,
    end_day: dt.date | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    zones_ready: bool = False,
) -> CheckResult:
    """Check every watched name with every source and record the verdicts.

    The store is opened only to start and to record the check, not while the sources are
    asked (minutes): reports (the portal, ``watch report``) can read it in between."""
    if not sources:
        raise InputError(
            "give at least one source: --zone-file/--zone-dir, --axfr, --auth-dns or --rdap"
        )
    tlds = {w.domain: w.tld for w in watched}
    days = [w.day for w in watched]
    pairs = list(tlds.items())
    seen: dict[str, list[Observation]] = {n: [] for n, _ in pairs}
    timing: dict[str, float] = {}
    if not zones_ready:
        timing.update(prepare_zones(watched, sources))
    started = now()
    with WatchStore(store_path) as store:
        check_id = store.begin_check(
            started,
            start_day or min(days),
            end_day or max(days),
            sorted(set(tlds.values())),
            [s.name for s in sources],
            [(w.domain, w.tld, w.family, w.variant, w.day) for w in watched],
        )
        store.publish(pairs, started, "first watch check")
        if published is not None:
            store.publish(pairs, published, "--published")
        pub = store.published()
        free_after = store.seen_free_after_publication()
    for source in sources:
        found, spent = _observe_all(source, pairs, workers)
        timing[source.name] = timing.get(source.name, 0.0) + spent
        for n, o in found.items():
            seen[n].append(o)
    verdicts = tuple(
        decide(n, seen[n], published=pub[n], sinkholes=sinkholes, seen_free_after=free_after.get(n))
        for n, _ in pairs
    )
    with WatchStore(store_path) as store:
        store.record(check_id, tlds, verdicts)
        store.finish_check(check_id, now())
    counts = {s: 0 for s in STATES}
    for v in verdicts:
        counts[v.state] += 1
    why: Counter[str] = Counter(
        f"{o.source}: {o.detail or 'no answer'}"
        for found in seen.values()
        for o in found
        if o.present is None
    )
    return CheckResult(check_id, len(pairs), counts, timing, verdicts, dict(why.most_common()))
