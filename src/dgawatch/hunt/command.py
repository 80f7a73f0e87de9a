"""What ``dgawatch hunt`` and ``dgawatch hunt-flows`` do, kept out of cli.py (which only
declares the options)."""

from __future__ import annotations

import gc
import io
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from dgawatch.allowlist import read_allowlist
from dgawatch.errors import InputError
from dgawatch.families import select_variants
from dgawatch.hunt import HuntOptions, HuntResult
from dgawatch.hunt.engines import get_engine
from dgawatch.hunt.output import OUTPUT_FORMATS, report_lines, write_findings
from dgawatch.outfile import atomic_file
from dgawatch.readers import InputReport
from dgawatch.store import default_store_path
from dgawatch.words import counted

#: Allocations between two collections of the youngest generation during a hunt.
GC_THRESHOLD = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The modules imported so far stay out of every collection, and collections come less
    often: the hunt makes few cycles but many objects (the unknown-DGA analysis); the
    collector cost ~4 % of a 1 M-line hunt's CPU (bench/bench_hunt.py)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


@_fewer_collections()
def run_hunt(
    paths: Sequence[Path],
    *,
    fmt: str,
    engine: str,
    spark_master: str | None,
    window_days: int,
    families: list[str] | None,
    store: Path | None,
    output: Path | None,
    output_format: str,
    strict: bool,
    out: Console,
    err: Console,
    unknown_dga: bool = True,
    allowlist: Path | None = None,
    column_map: Mapping[str, str] | None = None,
    min_confidence: float = 0.0,
) -> HuntResult:
    if not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"--min-confidence {min_confidence:g} is not within [0, 1]")
    if window_days < 0:
        raise InputError(f"--window-days must be 0 or more, not {window_days}")
    if output_format not in OUTPUT_FORMATS:
        raise InputError(
            f"unknown --format {output_format!r} (choose from {', '.join(OUTPUT_FORMATS)})"
        )
    chosen = get_engine(engine, spark_master)
    if output_format == "parquet" and output is None:
        raise InputError("--format parquet needs --output PATH")
    if store is None and default_store_path().exists():
        store = default_store_path()
    options = HuntOptions(
        variants=tuple(select_variants(families, None)),
        window_days=window_days,
        store=store,
        fmt=fmt,
        strict=strict,
        unknown_dga=unknown_dga,
        column_map=column_map,
        unknown_allowlist=read_allowlist(allowlist)[0] if allowlist is not None else frozenset(),
    )
    result = chosen.run(paths, options, spark_master)
    for line in report_lines(result.report):
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    shown = [f for f in result.findings if f.confidence >= min_confidence]
    weak = [f for f in result.findings if f.confidence < min_confidence]
    err.print(
        f"{counted(result.events, 'query event')}, {counted(len(shown), 'finding')} "
        f"({_lists_line(result)}; engine {result.engine})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    for u in result.unknown_dga:
        err.print(f"unknown DGA: {u.summary}", markup=False, highlight=False, soft_wrap=True)
        for h in u.hosts[:10]:
            err.print(f"  {h.line}", markup=False, highlight=False, soft_wrap=True)
        if len(u.hosts) > 10:
            err.print(f"  ... {len(u.hosts) - 10} more hosts", markup=False)
        err.print(f"  e.g. {', '.join(u.samples[:5])}", markup=False, highlight=False)
    if weak:
        examples = ", ".join(dict.fromkeys(f.evidence[0].qname for f in weak if f.evidence))
        err.print(
            f"{counted(len(weak), 'weak match', 'weak matches')} not listed (confidence < "
            f"{min_confidence:g}: few names that real sites also use, e.g. "
            f"{examples[:120]}); --min-confidence 0 lists them",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    summary = result.summary() | {
        "findings": len(shown),
        "min_confidence": min_confidence,
        "weak_matches": len(weak),
    }
    if not shown and output_format == "table" and output is None:
        # An empty table on stdout reads like a failed run; say what was checked instead.
        clients = f" from {counted(result.clients, 'client')}" if result.clients is not None else ""
        lists = result.lists_from_store + result.lists_from_cache + result.lists_generated
        what = "no findings of a known family" if result.unknown_dga else "no findings"
        err.print(
            f"{what} ({counted(result.events, 'event')}{clients} checked against "
            f"{counted(lists, 'list')})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return result
    write_findings(shown, output_format, summary, output=output, console=out)
    return result


def _lists_line(result: HuntResult) -> str:
    """Where the day lists came from: '3 day lists from the store, 0 from the list cache,
    2 generated'."""
    total = result.lists_from_store + result.lists_from_cache + result.lists_generated
    return (
        f"{counted(total, 'day list')}: {result.lists_from_store:,} from the store, "
        f"{result.lists_from_cache:,} from the list cache, {result.lists_generated:,} generated"
    )


def run_hunt_flows(
    paths: Sequence[Path],
    *,
    output: Path | None,
    as_json: bool,
    strict: bool,
    out: Console,
    err: Console,
) -> None:
    from rich.table import Table

    from dgawatch.hunt.flows import hunt_flows

    report = InputReport(strict=strict)
    findings = hunt_flows(paths, report)
    for line in report_lines(report):
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    if as_json:
        text = "".join(json.dumps(f.to_dict()) + "\n" for f in findings)
        text += json.dumps({"summary": {"findings": len(findings), "input": report.to_dict()}})
        text += "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            with atomic_file(output) as fh:
                fh.write(text.encode("utf-8"))
        return
    if not findings and output is None:
        # As 'hunt': an empty table on stdout reads like a failed run; say what was checked.
        lines, files = sum(report.lines_read.values()), len(report.lines_read)
        err.print(
            f"no findings ({counted(lines, 'line')} of {counted(files, 'file')} checked for "
            "flows to Conficker C's P2P ports)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    table = Table("source", "first seen", "last seen", "flows", "targets", "first evidence")
    for f in findings:
        e = f.evidence[0]
        table.add_row(
            f.source,
            f.first_seen.strftime("%Y-%m-%d %H:%M:%S"),
            f.last_seen.strftime("%Y-%m-%d %H:%M:%S"),
            str(f.flows),
            str(f.targets),
            f"{e.flow.proto}/{e.flow.dport} -> {e.flow.dst} ({e.kind}, "
            f"{e.flow.source_file}:{e.flow.source_line})",
        )
    if output is None:
        out.print(table)
    else:
        buf = io.StringIO()
        Console(file=buf, width=200).print(table)
        with atomic_file(output) as fh:
            fh.write(buf.getvalue().encode("utf-8"))
