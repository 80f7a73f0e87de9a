"""Blocking and sharing exports of forecasts (resolver policy files, authoritative sinkhole
zones, SOC threat-intel formats, tabular data).

Every format is one module in this package defining ``EXPORTERS`` (a tuple of
:class:`Exporter`); they are discovered like families, so adding a format touches no other
file. An exporter consumes day lists as a stream (``Iterable[DayList]``, in (day, variant)
order) and never needs the whole selection in memory; its output is deterministic (same
input, same bytes, apart from explicitly time-based fields such as an RPZ serial).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import BinaryIO

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

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise InputError(f"unknown policy {self.policy!r} (choose from {', '.join(POLICIES)})")
        if self.policy == "sinkhole" and not (self.address or self.address6):
            raise InputError("--policy sinkhole needs --address (and/or --address6)")


@dataclass
class ExportStats:
    names: int = 0
    files: list[Path] = field(default_factory=list)


#: ``write(day_lists, output, options)``; ``output`` is a binary stream for single-file
#: formats, a directory path for ``writes_directory`` formats.
WriteFn = Callable[[Iterable[DayList], "BinaryIO | Path", ExportOptions], ExportStats]


@dataclass(frozen=True)
class Exporter:
    name: str
    summary: str
    write: WriteFn = field(repr=False)
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


@cache
def all_exporters() -> dict[str, Exporter]:
    found: dict[str, Exporter] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
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


def selected_names(
    lists: Iterable[DayList], tlds: Sequence[str] = ()
) -> Iterator[tuple[DayList, list[tuple[int, str]]]]:
    """Each day list with its (index, name) pairs kept by the ``--tld`` filter."""
    keep = tld_filter(tlds)
    for dl in lists:
        names = dl.names()
        if keep is None:
            yield dl, list(enumerate(names))
        else:
            yield dl, [(i, n) for i, n in enumerate(names) if keep(n)]
