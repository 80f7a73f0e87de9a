"""Streaming helpers shared by the resolver and zone exporters (not an exporter itself).

Day lists arrive as ``b"name\\n"`` blobs; the fast formats (RPZ, hosts) rewrite a whole
blob with a few ``bytes.replace`` calls instead of touching names one by one, which is what
keeps them within a small factor of writing the bare list. Formats that must name each
domain once (per-name zones, Unbound local zones) use :func:`unique_names`, an external
merge sort whose memory is bounded by ``run_size`` names whatever the selection's size.
"""

from __future__ import annotations

import heapq
import ipaddress
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

from dgawatch.errors import InputError
from dgawatch.forecast import DayList

from . import ExportOptions

#: Names sorted in memory before a run is spilled to a temporary file.
RUN_SIZE = 250_000
#: TTL of every record written (seconds): short, so a withdrawn forecast ages out quickly.
TTL = 300
MAX_SERIAL = 2**32 - 1


def serial(options: ExportOptions) -> int:
    """The SOA serial: ``options.serial``, else the clock in seconds (increases per run)."""
    value = int(time.time()) if options.serial is None else options.serial
    if not 0 <= value <= MAX_SERIAL:
        raise InputError(f"--serial must be between 0 and {MAX_SERIAL}, not {value}")
    return value


def addresses(options: ExportOptions) -> tuple[str | None, str | None]:
    """The sinkhole addresses in canonical text form, checked (IPv4, IPv6)."""
    v4 = v6 = None
    if options.address:
        try:
            v4 = str(ipaddress.IPv4Address(options.address.strip()))
        except ValueError:
            raise InputError(f"--address {options.address!r} is not an IPv4 address") from None
    if options.address6:
        try:
            v6 = str(ipaddress.IPv6Address(options.address6.strip()))
        except ValueError:
            raise InputError(f"--address6 {options.address6!r} is not an IPv6 address") from None
    return v4, v6


def _suffixes(tlds: Iterable[str]) -> tuple[bytes, ...]:
    suffixes = tuple(("." + t.strip().strip(".").lower()).encode("ascii") for t in tlds)
    if any(s == b"." for s in suffixes):
        raise InputError("--tld needs a non-empty suffix such as 'com' or 'co.uk'")
    return suffixes


def name_blobs(lists: Iterable[DayList], tlds: Iterable[str] = ()) -> Iterator[DayList]:
    """The day lists with their blobs reduced to the names under ``tlds`` (all if empty)."""
    suffixes = _suffixes(tlds)
    for dl in lists:
        if not suffixes or not dl.blob:
            yield dl
            continue
        kept = [n for n in dl.blob.split(b"\n")[:-1] if n.endswith(suffixes)]
        yield DayList(dl.variant, dl.day, b"\n".join(kept) + b"\n" if kept else b"")


def prefixed(blob: bytes, prefix: bytes) -> bytes:
    """``prefix`` before every line of a non-empty blob (``a\\nb\\n`` -> ``*.a\\n*.b\\n``)."""
    return prefix + blob[:-1].replace(b"\n", b"\n" + prefix) + b"\n"


def _spill(run: set[bytes], directory: Path, number: int) -> Path:
    path = directory / f"run{number:05d}"
    with open(path, "wb") as fh:
        fh.write(b"\n".join(sorted(run)) + b"\n")
    return path


def _lines(fh: BinaryIO) -> Iterator[bytes]:
    for line in fh:
        yield line[:-1]


def unique_names(
    lists: Iterable[DayList], tlds: Iterable[str] = (), *, run_size: int = RUN_SIZE
) -> Iterator[bytes]:
    """Every distinct name of the selection once, in byte order.

    Exact, deterministic, and bounded: at most ``run_size`` names are held at a time; larger
    selections are sorted in runs spilled to a temporary directory and merged.
    """
    run: set[bytes] = set()
    with ExitStack() as stack:
        directory: Path | None = None
        spilled: list[Path] = []
        for dl in name_blobs(lists, tlds):
            if not dl.blob:
                continue
            run.update(dl.blob.split(b"\n")[:-1])
            if len(run) >= run_size:
                if directory is None:
                    directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                spilled.append(_spill(run, directory, len(spilled)))
                run = set()
        if not spilled:
            yield from sorted(run)
            return
        assert directory is not None
        if run:
            spilled.append(_spill(run, directory, len(spilled)))
            run = set()
        files = [stack.enter_context(open(p, "rb")) for p in spilled]
        previous = None
        for name in heapq.merge(*(_lines(fh) for fh in files)):
            if name != previous:
                yield name
                previous = name
