"""Writing findings: terminal table, JSON lines, CSV, Parquet (schema ``finding/1``), and the
summary of bad input lines.

JSON: one finding per line (:meth:`Finding.to_dict`), then one last line
``{"summary": {...}}`` with the hunt's counts and the input report (bad lines per file and
reason, first examples). CSV: the scalar columns plus ``evidence`` as
``file:line qname rcode`` items joined by `` | ``. Parquet: the same columns with
``evidence`` as a list of structs, metadata ``dgawatch.schema=finding/1``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import pyarrow as pa
from rich.console import Console
from rich.table import Table

from dgawatch.errors import InputError
from dgawatch.formats import HUNT_OUTPUT_FORMATS
from dgawatch.hunt.finding import Finding
from dgawatch.outfile import atomic_file
from dgawatch.readers import InputReport

OUTPUT_FORMATS = HUNT_OUTPUT_FORMATS

SCALAR_COLUMNS = (
    "client",
    "family",
    "variant",
    "first_seen",
    "last_seen",
    "queries",
    "nxdomain",
    "distinct_names",
    "days_active",
    "list_days",
    "first_list_day",
    "last_list_day",
    "confidence",
    "score",
)

EVIDENCE_TYPE = pa.struct(
    [
        ("ts", pa.timestamp("ms", tz="UTC")),
        ("qname", pa.string()),
        ("domain", pa.string()),
        ("rcode", pa.string()),
        ("list_days", pa.list_(pa.date32())),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
    ]
)

FINDING_SCHEMA = pa.schema(
    [
        ("client", pa.string()),
        ("family", pa.string()),
        ("variant", pa.string()),
        ("first_seen", pa.timestamp("ms", tz="UTC")),
        ("last_seen", pa.timestamp("ms", tz="UTC")),
        ("queries", pa.int64()),
        ("nxdomain", pa.int64()),
        ("distinct_names", pa.int64()),
        ("days_active", pa.int64()),
        ("list_days", pa.int64()),
        ("first_list_day", pa.date32()),
        ("last_list_day", pa.date32()),
        ("confidence", pa.float64()),
        ("score", pa.float64()),
        ("evidence", pa.list_(EVIDENCE_TYPE)),
    ],
    metadata={"dgawatch.schema": "finding/1"},
)


def findings_table(findings: Sequence[Finding]) -> pa.Table:
    rows = []
    for f in findings:
        row: dict[str, object] = {c: getattr(f, c) for c in SCALAR_COLUMNS}
        row["evidence"] = [
            {
                "ts": e.ts,
                "qname": e.qname,
                "domain": e.domain,
                "rcode": e.rcode,
                "list_days": list(e.list_days),
                "source_file": e.source_file,
                "source_line": e.source_line,
            }
            for e in f.evidence
        ]
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=FINDING_SCHEMA)


def write_json(findings: Sequence[Finding], summary: dict[str, object], fh: IO[str]) -> None:
    for f in findings:
        fh.write(json.dumps(f.to_dict()) + "\n")
    fh.write(json.dumps({"summary": summary}) + "\n")


def write_csv(findings: Sequence[Finding], fh: IO[str]) -> None:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow([*SCALAR_COLUMNS, "evidence"])
    for f in findings:
        d = f.to_dict()
        evidence = " | ".join(f"{e.where} {e.qname} {e.rcode or '-'}" for e in f.evidence)
        w.writerow([*(d[c] for c in SCALAR_COLUMNS), evidence])


def write_table(findings: Sequence[Finding], console: Console) -> None:
    table = Table(
        "client", "family/variant", "first seen", "last seen", "queries", "names", "days",
        "NX", "confidence", "evidence",
    )  # fmt: skip
    for f in findings:
        first = f.evidence[0] if f.evidence else None
        table.add_row(
            f.client,
            f"{f.family}/{f.variant}",
            f.first_seen.strftime("%Y-%m-%d %H:%M:%S"),
            f.last_seen.strftime("%Y-%m-%d %H:%M:%S"),
            str(f.queries),
            str(f.distinct_names),
            str(f.days_active),
            str(f.nxdomain),
            f"{f.confidence:.3f}",
            f"{first.qname} ({first.where})" if first else "",
        )
    console.print(table)


def write_findings(
    findings: Sequence[Finding],
    fmt: str,
    summary: dict[str, object],
    *,
    output: Path | None,
    console: Console,
) -> None:
    """Write ``findings`` in ``fmt`` to ``output`` (stdout when None)."""
    if fmt not in OUTPUT_FORMATS:
        raise InputError(f"unknown output format {fmt!r} (choose from {', '.join(OUTPUT_FORMATS)})")
    if fmt == "parquet":
        if output is None:
            raise InputError("--output-format parquet needs --output PATH")
        import pyarrow.parquet as pq  # only here: ~15 ms to import, at every hunt before

        with atomic_file(output) as fh:
            pq.write_table(findings_table(findings), fh)
        return
    if fmt == "table" and output is None:
        write_table(findings, console)
        return
    buf = io.StringIO()
    if fmt == "table":
        write_table(findings, Console(file=buf, width=200, highlight=False))
    elif fmt == "json":
        write_json(findings, summary, buf)
    else:
        write_csv(findings, buf)
    if output is None:
        import sys

        sys.stdout.write(buf.getvalue())
    else:
        with atomic_file(output) as fh:
            fh.write(buf.getvalue().encode("utf-8"))


def report_lines(report: InputReport) -> list[str]:
    """The bad-input summary for stderr: counts per file and reason, first examples."""
    lines = []
    for (file, reason), n in sorted(report.counts.items()):
        unit = report.unit(file)  # "packet" in a capture, "line" in a text log
        examples = report.examples.get((file, reason), [])
        if examples and all(b.line == 0 for b in examples):
            # the file's own fault (a capture's header, compression cut short), not a line's
            lines.append(f"{file}: {reason}")
            what = "file" if unit == "line" else "file header"
            lines.extend(f"  {what}: {b.shown}" for b in examples if b.excerpt)
            continue
        lines.append(f"{file}: {n} {unit}(s): {reason}")
        for b in examples:
            lines.append(f"  {unit} {b.line}: {b.shown}")
    return lines
