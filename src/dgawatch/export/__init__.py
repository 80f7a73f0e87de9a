"""Blocking and sharing exports of forecasts (resolver policy files, authoritative sinkhole
zones, SOC threat-intel formats, tabular data).

Every format is one module in this package defining ``EXPORTERS`` (a tuple of
:class:`Exporter`); they are discovered like families, so adding a format touches no other
file. An exporter consumes day lists as a stream (``Iterable[DayList]``, in (day, variant)
order) and never needs the whole selection in memory; its output is deterministic (same
input, same bytes, apart from explicitly time-based fields such as an RPZ serial).

Names that must never be blocked (issue 15: a forecast name that collides with a real site,
as Conficker's did with the French railways' and Southwest Airlines' domains) are withheld
in ONE place, :meth:`Exporter.write`, before any format sees a day list: a format cannot
forget them. The lists withheld (:class:`Withheld`: the user's ``--allowlist``, the
registration watch's collisions) and, once the stream is consumed, how many names each kept
out are available to the formats for their header, trailer or manifest.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np

from dgawatch.errors import InputError
from dgawatch.forecast import DayList, tld_filter

POLICIES = ("nxdomain", "nodata", "sinkhole")


@dataclass(frozen=True)
class ExportOptions:
    """What every exporter may need; each uses the fields that apply to it."""

    policy: str = "nxdomain"  # nxdomain | nodata | sinkhole
    address: str | None = None  # sinkhole IPv4
    address6: str | None = None  # sinkhole IPv6
    wildcard: bool = False  # also cover subdomains (*.name)
    zone: str = "rpz.dgawatch"  # RPZ zone / policy zone name
    serial: int | None = None  # None: derived from the clock, increasing between runs
    tlds: tuple[str, ...] = ()  # keep only names under these suffixes
    source: str = "dgawatch"  # producer name written into intel formats
    fp_rate: float = 1e-6  # Bloom filter false-positive rate (format bloom; checked there)
    #: Names no output may contain, and why (None: none withheld); see :class:`Withheld`.
    withheld: Withheld | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InputError(
                f"--policy {self.policy!r}: unknown policy (choose from {', '.join(POLICIES)})"
            )
        if self.policy == "sinkhole" and not (self.address or self.address6):
            raise InputError("--policy sinkhole needs --address (and/or --address6)")


@dataclass
class ExportStats:
    names: int = 0
    files: list[Path] = field(default_factory=list)


def check_policy_addresses(options: ExportOptions) -> None:
    """The blocking formats whose answer the policy picks (RPZ, Unbound, hosts): a sinkhole
    address with ``--policy nodata`` is a contradiction, refused (RPZ wrote NODATA and left
    the address out, Unbound wrote ``always_nodata`` plus address records it never serves,
    hosts wrote 0.0.0.0)."""
    if options.policy != "sinkhole" and (options.address or options.address6):
        raise InputError(
            f"--address/--address6 is where --policy sinkhole sends the names; with --policy "
            f"{options.policy} nothing is sent there: leave it out, or give --policy sinkhole"
        )


#: ``write(day_lists, output, options)``; ``output`` is a binary stream for single-file
#: formats, a directory path for ``writes_directory`` formats.
WriteFn = Callable[[Iterable[DayList], "BinaryIO | Path", ExportOptions], ExportStats]


@dataclass(frozen=True)
class Exporter:
    name: str
    summary: str
    #: The format's writer; call :meth:`write`, which withholds ``options.withheld`` first.
    writer: WriteFn = field(repr=False)
    writes_directory: bool = False
    binary: bool = False  # output is not text (e.g. parquet): needs --output
    #: --wildcard applies: the format can cover subdomains (else asking for it is an error,
    #: not a silently ignored option).
    wildcard: bool = False
    #: Raises InputError for options the format cannot write (a sinkhole zone without an
    #: address); called before any output file or directory is created.
    check: Callable[[ExportOptions], None] | None = field(default=None, repr=False)

    def check_options(self, options: ExportOptions) -> None:
        """Refuse options this format cannot write, before anything is created."""
        if self.check is not None:
            self.check(options)

    def write(
        self, lists: Iterable[DayList], output: BinaryIO | Path, options: ExportOptions
    ) -> ExportStats:
        """Write the export, the names of ``options.withheld`` taken out of every day list
        first (the one place they are applied: every format, present and future)."""
        if options.withheld is not None:
            lists = options.withheld.screen(lists)
        return self.writer(lists, output, options)


@cache
def all_exporters() -> dict[str, Exporter]:
    from dgawatch.registry import modules

    found: dict[str, Exporter] = {}
    for module in modules(__name__, __path__):
        for exporter in getattr(module, "EXPORTERS", ()):
            if exporter.name in found:
                raise RuntimeError(f"export format {exporter.name!r} registered twice")
            found[exporter.name] = exporter
    return dict(sorted(found.items()))


def get_exporter(name: str) -> Exporter:
    exporters = all_exporters()
    if name not in exporters:
        raise InputError(f"unknown export format {name!r} (choose from {', '.join(exporters)})")
    return exporters[name]


def positions(dl: DayList) -> Iterable[int]:
    """The index in the generated day list of each name of ``dl`` (withheld names leave gaps:
    an index is evidence, as in STIX, Zeek and MISP descriptions and the tabular schema)."""
    if isinstance(dl, ScreenedDayList):
        return dl.kept.tolist()
    return range(dl.blob.count(b"\n"))


def selected_names(
    lists: Iterable[DayList], tlds: Sequence[str] = ()
) -> Iterator[tuple[DayList, list[tuple[int, str]]]]:
    """Each day list with its (index, name) pairs kept by the ``--tld`` filter."""
    keep = tld_filter(tlds)
    for dl in lists:
        pairs = zip(positions(dl), dl.names(), strict=True)
        if keep is None:
            yield dl, list(pairs)
        else:
            yield dl, [(i, n) for i, n in pairs if keep(n)]


# --- names withheld from every export --------------------------------------------------


@dataclass(frozen=True)
class ScreenedDayList(DayList):
    """A day list with withheld names taken out of ``blob``; ``kept`` holds the generated
    index of each remaining name, ``generated`` the list as generated."""

    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    generated: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class NameList:
    """One reason to withhold names: where the list comes from and the names on it."""

    reason: str  # e.g. "allowlist allow.txt", "watch: registered before publication"
    names: frozenset[bytes]
    detail: str = ""  # provenance for headers, e.g. the file's SHA-256


class Withheld:
    """Names no export may contain, each list with its reason, and how many of them each
    export actually kept out (distinct names, filled in while the day lists stream)."""

    def __init__(self, lists: Sequence[NameList] = ()) -> None:
        self.lists = list(lists)
        self._all: frozenset[bytes] = frozenset().union(*(x.names for x in self.lists))
        self._hit: dict[str, set[bytes]] = {x.reason: set() for x in self.lists}
        self.occurrences = 0

    def __bool__(self) -> bool:
        return bool(self.lists)

    @property
    def names(self) -> frozenset[bytes]:
        return self._all

    @property
    def counts(self) -> dict[str, int]:
        """Distinct names withheld so far, per reason (a name on two lists counts once, for
        the first)."""
        return {reason: len(hit) for reason, hit in self._hit.items()}

    def reason_of(self, name: bytes) -> str:
        return next(x.reason for x in self.lists if name in x.names)

    def record(self, name: bytes) -> None:
        """Count one occurrence of a withheld name (for writers that filter themselves)."""
        self._hit[self.reason_of(name)].add(name)
        self.occurrences += 1

    def screen(self, lists: Iterable[DayList]) -> Iterator[DayList]:
        """The day lists without the withheld names, in order, counting what was withheld."""
        every = self._all
        for dl in lists:
            if not every or not dl.blob:
                yield dl
                continue
            names = dl.blob.split(b"\n")
            names.pop()
            if every.isdisjoint(names):
                yield dl
                continue
            out = np.fromiter((n in every for n in names), bool, len(names))
            gone = np.flatnonzero(out)
            for i in gone.tolist():
                self.record(names[i])
            kept = np.flatnonzero(~out)
            rest = [names[i] for i in kept.tolist()]
            blob = b"\n".join(rest) + b"\n" if rest else b""
            yield ScreenedDayList(dl.variant, dl.day, blob, kept, dl.blob)

    def header(self) -> list[str]:
        """What is withheld and why, known before any name is written (one line a list)."""
        return [
            f"withholding the names of {x.reason} ({_count(len(x.names), 'name')}"
            f"{f', {x.detail}' if x.detail else ''})"
            for x in self.lists
        ]

    def summary(self) -> str:
        """How many names were withheld and why (after the stream has been consumed)."""
        counts = self.counts
        parts = ", ".join(f"{n:,} on {reason}" for reason, n in counts.items())
        return (
            f"withheld {_count(sum(counts.values()), 'distinct name')} "
            f"({_count(self.occurrences, 'occurrence')}): {parts}"
        )

    def comments(self, prefix: str, *, final: bool) -> bytes:
        """Comment lines for a text format: the lists (``final=False``, a header) or the
        counts (``final=True``, a trailer, once the day lists are consumed)."""
        lines = [self.summary()] if final else self.header()
        return "".join(f"{prefix}{line}\n" for line in lines).encode("ascii")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def comments(options: ExportOptions, prefix: str, *, final: bool) -> bytes:
    """:meth:`Withheld.comments` of ``options``, empty when nothing is withheld."""
    if not options.withheld:
        return b""
    return options.withheld.comments(prefix, final=final)


def allowlist(path: Path) -> NameList:
    """``--allowlist FILE``: names never to block (a real site that collides)."""
    from dgawatch.allowlist import read_allowlist

    names, digest = read_allowlist(path)
    return NameList(
        f"allowlist {path.name}",
        frozenset(n.encode("ascii") for n in names),
        f"sha256 {digest[:16]}",
    )


def watch_collisions(where: Path | None = None) -> NameList:
    """``--exclude-collisions``: names the registration watch found registered before the
    forecast was published (a real site at risk of being blocked), from its latest check
    (``dgawatch.watch.collision_names``; ``where``: its data directory or store file)."""
    try:
        collision_names = importlib.import_module("dgawatch.watch").collision_names
        store = importlib.import_module("dgawatch.watch.store").resolve(where)
    except (ImportError, AttributeError):
        raise InputError(
            "--exclude-collisions needs the registration watch ('dgawatch watch'), which is "
            "not available in this installation; use --allowlist FILE instead"
        ) from None
    if not Path(store).exists():
        raise InputError(
            f"--exclude-collisions: no watch store at {store}; run 'dgawatch watch check' "
            "first, or drop --exclude-collisions (--allowlist FILE withholds the names you list)"
        )
    names = collision_names(where)
    return NameList(
        "watch collisions (registered before publication)",
        frozenset(n.strip().rstrip(".").lower().encode("ascii") for n in names),
        "latest 'dgawatch watch' check",
    )


def withheld_from(
    allow: Path | None = None, collisions: bool = False, *, watch: Path | None = None
) -> Withheld | None:
    """The names to withhold for ``--allowlist`` / ``--exclude-collisions`` (None: none)."""
    lists = []
    if allow is not None:
        lists.append(allowlist(allow))
    if collisions:
        lists.append(watch_collisions(watch))
    return Withheld(lists) if lists else None
