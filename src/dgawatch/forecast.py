"""Forecasting: the day lists of selected variants over a span of days, and their writers.

Work is streamed one (variant, day) list at a time, so a year of Conficker C (18.3 M names)
never sits in memory whole. Compiled generators release the GIL, so days are computed on a
small thread pool while earlier days are being written, in order.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import IO, TYPE_CHECKING, Protocol

from dgawatch.errors import DateError, InputError
from dgawatch.families.base import Variant
from dgawatch.outfile import atomic_file

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("txt", "csv", "jsonl", "parquet")
CSV_HEADER = "day,family,variant,index,domain\n"


@cache
def forecast_schema() -> pa.Schema:
    """Parquet/Arrow schema of a forecast (version 1; documented in README "Schemas").
    Built on first use, as ``SCHEMA``: pyarrow is imported only by the commands that write
    Arrow or Parquet, not by every command that imports this module."""
    import pyarrow as pa

    return pa.schema(
        [
            pa.field("day", pa.date32(), nullable=False),
            pa.field("family", pa.string(), nullable=False),
            pa.field("variant", pa.string(), nullable=False),
            pa.field("index", pa.int32(), nullable=False),
            pa.field("domain", pa.string(), nullable=False),
        ],
        metadata={"dgawatch.schema": "forecast/1"},
    )


def __getattr__(name: str) -> object:
    if name == "SCHEMA":
        return forecast_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class DayList:
    """One variant's names for one day, as ``b"name\\n"`` lines (generation order)."""

    variant: Variant
    day: dt.date
    blob: bytes

    def names(self) -> list[str]:
        return self.blob.decode("ascii").split("\n")[:-1] if self.blob else []


def format_mismatch(fmt: str, output: os.PathLike[str] | str | None) -> str:
    """A warning when ``--output``'s extension names another of FORMATS than ``--format``
    (``--output jan.csv`` alone writes txt: one name a line, no header), else ``""``."""
    if output is None:
        return ""
    ext = os.path.splitext(os.fspath(output))[1].lower().lstrip(".")
    ext = {"json": "jsonl", "ndjson": "jsonl", "pq": "parquet"}.get(ext, ext)
    if ext in FORMATS and ext != fmt:
        return f"warning: writing {fmt} to {output}; give --format {ext} for {ext}"
    return ""


def active_selection(variants: Sequence[Variant], day: dt.date) -> tuple[list[Variant], str]:
    """Every family's selection (no ``--family``): the variants active on ``day`` and a
    one-line note naming the others (empty when none is skipped). DateError when none is
    active: the output was empty, with exit status 0 and a warning."""
    active = [v for v in variants if v.is_active(day)]
    skipped = [v.key for v in variants if not v.is_active(day)]
    if not active:
        first = min(variants, key=lambda v: v.active_from)
        raise DateError(
            f"no variant is active on {day} (the earliest, {first.key}, starts "
            f"{first.active_from}; 'dgawatch families' lists each period)"
        )
    if not skipped:
        return active, ""
    note = f"{len(skipped)} of {len(variants)} variants not active on {day}, skipped: "
    return active, note + ", ".join(skipped)


def check_active(variants: Sequence[Variant], days: Sequence[dt.date]) -> None:
    """Refuse a request reaching outside a variant's active period (DateError)."""
    for v in variants:
        v.check_day(days[0])
        v.check_day(days[-1])


def iter_day_lists(
    variants: Sequence[Variant],
    days: Iterable[dt.date],
    *,
    workers: int | None = None,
) -> Iterator[DayList]:
    """Day lists in (day, variant) order, computed ahead on a thread pool."""
    jobs = [(v, d) for d in days for v in variants]
    if not jobs:
        return
    workers = workers or min(4, os.cpu_count() or 1)
    if workers == 1 or len(jobs) == 1:
        for v, d in jobs:
            yield DayList(v, d, v.domains_blob(d))
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Bounded look-ahead keeps memory flat while the writer catches up.
        ahead = iter(jobs)
        pending: deque[tuple[Variant, dt.date, Future[bytes]]] = deque()
        for v, d in islice(ahead, workers * 2):
            pending.append((v, d, pool.submit(v.domains_blob, d)))
        while pending:
            v, d, future = pending.popleft()
            for nv, nd in islice(ahead, 1):
                pending.append((nv, nd, pool.submit(nv.domains_blob, nd)))
            yield DayList(v, d, future.result())


def iter_sourced_day_lists(
    variants: Sequence[Variant], days: Sequence[dt.date], store: ForecastStoreLike | None
) -> Iterator[DayList]:
    """Like :func:`iter_day_lists`, reading each (variant, day) from ``store`` when it holds
    it and generating it otherwise (same order, same content either way)."""
    if store is None:
        yield from iter_day_lists(variants, days)
        return
    for day in days:
        for v in variants:
            stored = store.day_list(v, day)
            yield stored if stored is not None else DayList(v, day, v.domains_blob(day))


class ForecastStoreLike(Protocol):
    def day_list(self, variant: Variant, day: dt.date) -> DayList | None: ...


def tld_filter(tlds: Sequence[str]) -> Callable[[str], bool] | None:
    """Keep names under any of ``tlds`` (``uk`` keeps ``x.co.uk``; ``co.uk`` only those)."""
    if not tlds:
        return None
    suffixes = tuple("." + suffix(t) for t in tlds)
    return lambda name: name.endswith(suffixes)


def suffix(tld: str) -> str:
    """A ``--tld`` as names end in it: no dots around, lower case, an internationalised one
    in its A-label form (``рф`` -> ``xn--p1ai``); InputError when empty."""
    text = tld.strip().strip(".").lower()
    if not text:
        raise InputError("--tld needs a non-empty suffix such as 'com' or 'co.uk'")
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError:
            raise InputError(f"--tld {tld!r} is not a domain suffix") from None
    return text


def tlds_selecting_nothing(
    variants: Sequence[Variant], tlds: Sequence[str]
) -> tuple[list[str], list[str]] | None:
    """(the wanted suffixes under which no variant generates names, the variants' own suffixes
    sorted), or None when that cannot be told (no ``tlds``, or some variant's suffixes are
    open-ended). ``uk`` counts ``co.uk``, as :func:`tld_filter` keeps it."""
    if not tlds or not variants or any(not v.tlds for v in variants):
        return None
    known = sorted({t.strip(".").lower() for v in variants for t in v.tlds})
    wanted = [suffix(t) for t in tlds]
    missing = [w for w in wanted if not any(k == w or k.endswith("." + w) for k in known)]
    return missing, known


def some_suffixes(known: Sequence[str]) -> str:
    """The first dozen of ``known`` for a message."""
    return ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")


def _selected(dl: DayList, keep: Callable[[str], bool] | None) -> list[tuple[int, str]]:
    names = dl.names()
    if keep is None:
        return list(enumerate(names))
    return [(i, n) for i, n in enumerate(names) if keep(n)]


def write_forecast(
    lists: Iterable[DayList],
    fmt: str,
    out: IO[bytes] | str | os.PathLike[str],
    *,
    tlds: Sequence[str] = (),
    on_day: Callable[[DayList, int], None] | None = None,
) -> int:
    """Write day lists in ``fmt`` to a binary stream or a path; returns names written."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    keep = tld_filter(tlds)
    if isinstance(out, (str, os.PathLike)):  # whole or not at all: see dgawatch.outfile
        with atomic_file(out) as fh:
            return write_forecast(lists, fmt, fh, tlds=tlds, on_day=on_day)
    if fmt == "parquet":
        return _write_parquet(lists, out, keep, on_day)
    return _write_text(lists, fmt, out, keep, on_day)


def _write_text(
    lists: Iterable[DayList],
    fmt: str,
    fh: IO[bytes],
    keep: Callable[[str], bool] | None,
    on_day: Callable[[DayList, int], None] | None,
) -> int:
    total = 0
    if fmt == "csv":
        fh.write(CSV_HEADER.encode())
    for dl in lists:
        if fmt == "txt" and keep is None:
            chunk = dl.blob
            n = chunk.count(b"\n")
        else:
            rows = _selected(dl, keep)
            n = len(rows)
            if fmt == "txt":
                text = "".join(f"{name}\n" for _, name in rows)
            elif fmt == "csv":
                prefix = f"{dl.day.isoformat()},{dl.variant.family},{dl.variant.name},"
                text = "".join(f"{prefix}{i},{name}\n" for i, name in rows)
            else:
                head = (
                    f'{{"day":"{dl.day.isoformat()}","family":{json.dumps(dl.variant.family)},'
                    f'"variant":{json.dumps(dl.variant.name)},"index":'
                )
                text = "".join(f'{head}{i},"domain":"{name}"}}\n' for i, name in rows)
            chunk = text.encode("ascii")
        fh.write(chunk)
        total += n
        if on_day is not None:
            on_day(dl, n)
    fh.flush()
    return total


def day_table(dl: DayList, keep: Callable[[str], bool] | None = None) -> pa.Table:
    import pyarrow as pa

    rows = _selected(dl, keep)
    n = len(rows)
    return pa.table(
        {
            "day": pa.array([dl.day] * n, pa.date32()),
            "family": pa.array([dl.variant.family] * n, pa.string()),
            "variant": pa.array([dl.variant.name] * n, pa.string()),
            "index": pa.array([i for i, _ in rows], pa.int32()),
            "domain": pa.array([name for _, name in rows], pa.string()),
        },
        schema=forecast_schema(),
    )


def _write_parquet(
    lists: Iterable[DayList],
    out: IO[bytes] | str | os.PathLike[str],
    keep: Callable[[str], bool] | None,
    on_day: Callable[[DayList, int], None] | None,
) -> int:
    import pyarrow.parquet as pq

    total = 0
    with pq.ParquetWriter(out, forecast_schema(), compression="zstd") as writer:
        for dl in lists:
            table = day_table(dl, keep)
            writer.write_table(table)
            total += table.num_rows
            if on_day is not None:
                on_day(dl, table.num_rows)
    return total
