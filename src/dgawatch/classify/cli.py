"""``dgawatch classify``: score names, rebuild the shipped model, evaluate a model.

``dgawatch classify DOMAIN... | --file F [--threshold T | --fpr F] [--json] [--no-lookup]``
prints, per name, its verdict: an exact forecast match first (``dgawatch.lookup``: the
store's days of its default window, lists generated for today +- 7 days; family, variant,
day), else generated or benign by the model's score against the
threshold calibrated for benign FPR 1e-3 (or ``--fpr``/``--threshold``), with the known
family it most resembles only for names it calls generated. Invalid names are refused
with the reason (arguments: a one-line error, exit 2; file lines: reported, skipped).
``--json``: one object per line, ``{"domain", "score", "family", "family_score",
"generated", "forecast"}`` (schema ``classify/2``; ``forecast`` is the list of exact
matches, absent with ``--no-lookup``; ``{"domain", "error"}`` for an invalid file line).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from dgawatch.classify import MODEL_FILE
from dgawatch.clihelp import hidden_negation, output_console
from dgawatch.domain import PLAIN_VALID, invalid_reason
from dgawatch.errors import InputError, unreadable

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from dgawatch.classify.model import DGAClassifier


class _DefaultToScore(TyperGroup):
    """``dgawatch classify NAME...`` means ``dgawatch classify score NAME...``: anything
    that is not a subcommand's name goes to ``score`` (so a domain literally named
    ``train`` or ``evaluate`` needs ``--file`` or the explicit ``score``)."""

    default_command = "score"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.list_commands(ctx) and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


classify_app = typer.Typer(
    cls=_DefaultToScore,
    help="Is a domain algorithmically generated? (classifier for unknown DGAs). "
    "Give names, or --file F, to score them.",
    no_args_is_help=True,
)

_out = output_console()  # piped: every value whole
_err = Console(stderr=True, highlight=False)
SHIPPED = Path(__file__).resolve().parent / "model" / MODEL_FILE


def _shared_benign() -> Path:
    import os

    root = Path(os.environ.get("DGAWATCH_SHARED", Path.cwd().parent / "shared"))
    return root / "data" / "benign"


def _cannot_read(path: Path, exc: OSError) -> InputError:
    """One line for a names file that cannot be opened: why in words, no errno wrapper."""
    return InputError(f"cannot read {path}: {unreadable(path, exc)}")


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    return [s.strip() for s in text.splitlines() if s.strip() and not s.startswith("#")]


def _file_data(path: Path) -> bytes:
    """The bytes of ``score --file``'s file as lookup and hunt read theirs
    (:func:`dgawatch.namefile.file_bytes`): ``-`` is standard input, gzip is decompressed,
    a byte-order mark dropped, UTF-16 transcoded; one line naming it when it cannot be read."""
    from dgawatch.namefile import file_bytes

    return file_bytes(path, option="")


def _text(data: bytes) -> io.TextIOWrapper:
    """``data`` as the file of text ``open(path, encoding="utf-8", errors="replace")`` reads
    (the same lines: universal newlines)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace")


def _model(path: Path | None) -> DGAClassifier:
    from dgawatch.classify import DGAClassifier, default_model

    return default_model() if path is None else DGAClassifier.load(path)


#: The benign false-positive rate whose calibrated threshold gives the default verdict.
DEFAULT_FPR = 1e-3


def forecast_hits(
    names: list[str], store_path: Path | None = None
) -> dict[str, list[dict[str, object]]]:
    """Exact forecast matches (:func:`dgawatch.lookup.lookup`, its default window, the
    store at ``store_path`` (default: the data directory's) when there is one) of valid
    names, keyed by name. Variants whose TLD
    set or declared name grammar rules every name out are skipped before generating; the
    generated lists come from the hunt's list cache when it holds them."""
    from dgawatch.families import all_variants
    from dgawatch.hunt.listcache import ListCache
    from dgawatch.lookup import candidate_variants, lookup, near_window, plan_lookup, query_array
    from dgawatch.store import ForecastStore, default_store_path

    queries = query_array(names)
    variants = candidate_variants(queries, all_variants())
    if not variants or not names:
        return {}
    path = store_path or default_store_path()
    store = ForecastStore(path, read_only=True) if path.exists() else None
    # The store answers for every day of lookup's default window it holds; time-seeded
    # lists are generated for today +- NEAR_DAYS only, so a verdict costs seconds, not
    # a CPU-minute (`dgawatch lookup --all` answers for all time). A static variant's one
    # list stands for every day of the window.
    near = near_window()
    # A static variant's list is the same every day: matched for its first day to generate
    # only, each of its hits then stands for all of them (a row per day of the window was
    # 3.4 M rows, then aggregated back, for a million names).
    static: dict[str, list[dt.date]] = {}
    try:
        plan = []
        for p in plan_lookup(variants, store=store):
            if p.variant.period_days != 0:
                days = [d for d in p.to_generate if near[0] <= d <= near[1]]
            elif len(p.to_generate) > 1:
                static[p.variant.key] = p.to_generate
                days = p.to_generate[:1]
            else:
                days = p.to_generate
            plan.append(dataclasses.replace(p, to_generate=days))
        # Lists generated for today's window are kept in the hunt's list cache: the next
        # verdict of the day reads them instead of generating them again.
        result = lookup(
            queries, variants, plan=plan, store=store, cache=ListCache.default(), prune=False
        )
    finally:
        if store is not None:
            store.close()
    spans = _spans(result.table, static)
    out: dict[str, list[dict[str, object]]] = {}
    for row in spans.to_pylist():
        out.setdefault(row["query"], []).append(
            {
                "family": row["family"],
                "variant": row["variant"],
                "index": row["index"],
                "domain": row["domain"],
                "first_day": row["day_min"].isoformat(),
                "last_day": row["day_max"].isoformat(),
                "days": row["weight_sum"],
            }
        )
    return out


def _spans(table: pa.Table, static: dict[str, list[dt.date]]) -> pa.Table:
    """One span per (query, family, variant, index, domain): first and last day and how
    many days, aggregated by Arrow. A hit on a static variant's first generated day (the
    one list matched for ``static[key]``, its days to generate) counts for each of those
    days: it enters as two rows, its first day (weight 1) and its last (the other days)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    weight = np.ones(table.num_rows, np.int64)
    if static and table.num_rows:
        key = pc.binary_join_element_wise(table["family"], table["variant"], "/")
        keys = list(static)
        first = pa.array([static[k][0] for k in keys], pa.date32())
        which = pc.index_in(key, value_set=pa.array(keys, pa.string()))
        rep = np.asarray(pc.fill_null(pc.equal(table["day"], pc.take(first, which)), False))
        rows = np.flatnonzero(rep)
        if len(rows):
            k = np.asarray(which.take(pa.array(rows)))
            last = pa.array([static[keys[i]][-1] for i in k.tolist()], pa.date32())
            extra = table.take(pa.array(rows)).set_column(
                table.schema.get_field_index("day"), "day", last
            )
            weight[rows] = 1
            more = np.array([len(static[keys[i]]) - 1 for i in k.tolist()], np.int64)
            table = pa.concat_tables([table, extra])
            weight = np.concatenate([weight, more])
    table = table.append_column("weight", pa.array(weight))
    return (
        table.group_by(["query", "family", "variant", "index", "domain"])
        .aggregate([("day", "min"), ("day", "max"), ("weight", "sum")])
        .sort_by([(c, "ascending") for c in ("query", "family", "variant", "index", "domain")])
    )


@classify_app.command("score")
def classify(
    domains: Annotated[list[str] | None, typer.Argument(help="Domain names.")] = None,
    files: Annotated[
        list[Path] | None,
        typer.Option("--file", help="File with one name per line ('-': standard input)."),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Score above which a name counts as generated.")
    ] = None,
    fpr: Annotated[
        float | None,
        typer.Option(
            help="Use the threshold calibrated for this benign false-positive rate (default 0.001)."
        ),
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model file (default: shipped).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per name.")] = False,
    no_lookup: Annotated[
        bool,
        typer.Option(
            "--no-lookup",
            help="Skip the exact forecast look-up (store + lists generated for today ± 7 days).",
        ),
    ] = False,
) -> None:
    """Is each name a DGA name? An exact forecast match first (family, variant, day), else
    the model's verdict at the FPR 1e-3 threshold, and the closest known family only for
    names it calls generated."""
    if threshold is not None and fpr is not None:
        raise InputError("give --threshold or --fpr, not both")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise InputError(f"--threshold {threshold:g} is not within [0, 1] (scores are 0..1)")
    if fpr is not None and not 0.0 < fpr < 1.0:
        raise InputError(f"--fpr {fpr:g} is not within (0, 1) (e.g. 0.001)")
    from dgawatch.namefile import one_file

    file = one_file(files, "classify")
    data = _file_data(file) if file is not None else None
    if file is not None:
        check_names_file(file, data=data)
    for name in domains or []:
        why = invalid_reason(name)
        if why is not None:
            raise InputError(f"{name!r} is not a domain name: {why}")
    clf = _model(model)
    cut = threshold if threshold is not None else clf.threshold_for(fpr or DEFAULT_FPR)
    if as_json:
        _score_json(domains or [], file, data, clf, cut, lookup=not no_lookup)
        return
    rows = list(_names(domains or [], file, data))
    if not rows:
        raise InputError("give domains as arguments or --file")
    ok = [n for _, n in rows if invalid_reason(n) is None]
    hits = None if no_lookup else forecast_hits(list(dict.fromkeys(ok)))
    scores, fams, fscores = clf.classify(ok) if ok else _empty()
    scored = {
        n: (float(s), f, float(fs)) for n, s, f, fs in zip(ok, scores, fams, fscores, strict=True)
    }
    suffix = _suffix_notes(clf, ok)
    note = " (--threshold)" if threshold is not None else f" (FPR {fpr or DEFAULT_FPR:g})"
    table = Table("domain", "verdict", "score", "family", "why")
    for where, name in rows:
        why = invalid_reason(name)
        if why is not None:
            table.add_row(name or "''", "[yellow]invalid[/]", "", "", f"{why} ({where})")
            continue
        s, f, fs = scored[name]
        found = (hits or {}).get(name)
        if found:
            h = found[0]
            more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
            table.add_row(
                name,
                "[red]DGA (forecast)[/]",
                f"{s:.4f}",
                f"{h['family']}/{h['variant']}",
                f"exact match: index {h['index']} of the lists of {h['first_day']}"
                f"..{h['last_day']} ({h['days']} days){more}",
            )
        elif s > cut:
            table.add_row(
                name,
                "[red]generated[/]",
                f"{s:.4f}",
                f"{f} ({fs:.2f})" if f else "",
                f"score > {cut:.4f}{note}; family: closest known one{suffix.get(name, '')}",
            )
        else:
            lookup_note = "" if no_lookup else "; no forecast match"
            why = f"score <= {cut:.4f}{note}{lookup_note}{suffix.get(name, '')}"
            table.add_row(name, "benign", f"{s:.4f}", "", why)
    _out.print(table)


#: The least move (log-odds) of the suffix prior that classify's why mentions.
SUFFIX_NOTE = 1.5


def _suffix_notes(clf: DGAClassifier, names: list[str]) -> dict[str, str]:
    """The "why" note of each name whose public suffix moved its score by
    :data:`SUFFIX_NOTE` log-odds or more (the model's suffix prior), e.g. ``; suffix .biz:
    +1.5 log-odds (DGAs favour it)``; .com's small push goes without saying. A name whose
    label is an IDN is not scored (:func:`dgawatch.classify.features.idn_labels`), and its
    note says so and what the label reads."""
    import idna

    from dgawatch.classify.features import idn_labels, split_names

    if not names:
        return {}
    out = {}
    labs, suffixes = split_names(names)
    idn = idn_labels(labs).tolist()
    adds = clf.prior_scores(names).tolist()
    for name, lab, suffix, is_idn, add in zip(names, labs, suffixes, idn, adds, strict=True):
        if is_idn:
            out[name] = f"; IDN label {idna.decode(lab)!r}: not scored (no known DGA makes IDNs)"
        elif abs(add) >= SUFFIX_NOTE:
            whose = "DGAs favour it" if add > 0 else "benign names favour it"
            out[name] = f"; suffix .{suffix}: {add:+.1f} log-odds ({whose})"
    return out


#: Bytes that end lines or count as whitespace for Python but not for Arrow's ASCII trim.
_EXOTIC = re.compile(rb"[\r\x0b\x0c\x1c-\x1f]")


def _read_plain(raw: bytes) -> tuple[pa.Array, np.ndarray] | None:
    """(names, their 1-based line numbers) of a plain ASCII file's bytes with ``\n`` line
    ends, as :func:`_names` reads it (stripped; blank and ``#`` lines left out), split by
    Arrow without a Python string per line; None for any other file (read line by line)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    data = np.frombuffer(raw, np.uint8)
    if not raw.isascii() or _EXOTIC.search(raw) or len(raw) >= 1 << 31:
        return None
    ends = np.flatnonzero(data == 0x0A) + 1
    if len(ends) == 0 or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(raw))
    lines = pc.ascii_trim_whitespace(lines)
    keep = pc.and_(pc.greater(pc.binary_length(lines), 0), pc.invert(pc.starts_with(lines, "#")))
    keep_np = np.asarray(keep)
    return lines.filter(keep), np.flatnonzero(keep_np) + 1


def _score_json(
    domains: list[str],
    file: Path | None,
    raw: bytes | None,
    clf: DGAClassifier,
    cut: float,
    *,
    lookup: bool,
) -> None:
    """``classify --json``: one ``classify/2`` line per name, in input order. Each distinct
    valid name is scored (and looked up) once, its line written wherever it occurs: a file
    of a million names from a log holds far fewer distinct ones."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = _read_plain(raw) if raw is not None else None
    if file is None or plain is not None:
        from_file, line_no = plain if plain is not None else (pa.array([], pa.string()), None)
        names = pa.concat_arrays([pa.array(domains, pa.string()), from_file])

        def where(i: int) -> str:
            if i < len(domains):
                return f"argument {i + 1}"
            assert line_no is not None
            return f"{file}:{line_no[i - len(domains)]}"

    else:
        rows = list(_names(domains, file, raw))
        names = pa.array([n for _, n in rows], pa.string())

        def where(i: int) -> str:
            return rows[i][0]

    total = len(names)
    if not total:
        raise InputError("give domains as arguments or --file")
    sure = pc.and_(
        pc.match_substring_regex(names, PLAIN_VALID),
        pc.less_equal(pc.utf8_length(pc.utf8_rtrim(names, characters=".")), 253),
    )
    suspects = np.flatnonzero(~np.asarray(sure))
    invalid: dict[int, str] = {}
    for i, n in zip(suspects.tolist(), names.take(pa.array(suspects)).to_pylist(), strict=True):
        why = invalid_reason(n)
        if why is not None:
            invalid[i] = why
    ok = np.ones(total, bool)
    ok[list(invalid)] = False
    valid = names.filter(pa.array(ok))
    distinct = pc.unique(valid)  # in order of first occurrence
    unique = distinct.to_pylist()
    hits = forecast_hits(unique) if lookup else None
    scores, fams, fscores = clf.classify(unique) if unique else _empty()
    text = _json_lines(unique, scores, fams, fscores, cut, hits)
    report = _InvalidReport()
    errors = []
    for i, why in invalid.items():
        n = names[i].as_py()
        report(where(i), n, why)
        errors.append(json.dumps({"domain": n, "error": why}) + "\n")
    lines = pa.array([*text.splitlines(True), *errors], pa.large_string())  # may pass 2 GiB
    # each row's line: its distinct name's, or its own error line
    which = np.empty(total, np.int64)
    which[ok] = np.asarray(pc.index_in(valid, value_set=distinct))
    which[list(invalid)] = len(unique) + np.arange(len(invalid))
    out = sys.stdout.buffer
    sys.stdout.flush()
    for lo in range(0, total, CHUNK):
        block = lines.take(pa.array(which[lo : lo + CHUNK]))
        offsets = np.frombuffer(block.buffers()[1], np.int64, len(block) + 1, block.offset * 8)
        data = block.buffers()[2]
        if data is not None:
            out.write(memoryview(data)[offsets[0] : offsets[-1]])
    out.flush()
    report.close()


#: Invalid file lines reported one by one on stderr; the rest are counted.
MAX_LINE_MESSAGES = 10
#: Lines of a file looked at before scoring, and the share of them that may be invalid.
PROBE_LINES = 1000
MAX_INVALID_SHARE = 0.5


class _InvalidReport:
    """Writes the first :data:`MAX_LINE_MESSAGES` invalid-line messages, then a count: a
    file of a million bad lines must not flood the terminal."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, where: str, name: str, why: str) -> None:
        self.count += 1
        if self.count <= MAX_LINE_MESSAGES:
            sys.stderr.write(f"{where}: {name!r} is not a domain name: {why}\n")

    def close(self) -> None:
        if self.count > MAX_LINE_MESSAGES:
            more = self.count - MAX_LINE_MESSAGES
            sys.stderr.write(f"... and {more:,} more invalid lines ({self.count:,} in all)\n")


def _field(line: str, csv_field: int | None) -> str:
    if csv_field is None:
        return line
    parts = line.split(",")
    return parts[csv_field].strip() if len(parts) > csv_field else ""


def check_names_file(
    path: Path,
    csv_field: int | None = None,
    what: str = "domain names",
    min_lines: int = 20,
    data: bytes | None = None,
) -> None:
    """Refuse (one-line :class:`InputError`) a file that holds no names or no valid one, or
    whose first :data:`PROBE_LINES` lines are mostly not names (a log, a CSV of another
    shape): scoring it would only write one error per line. ``csv_field``: the
    comma-separated field holding the name on lines that have a comma; files shorter than
    ``min_lines`` are refused only when they hold no valid name (each bad line is reported,
    cheaply). ``data``: the file's bytes, when read already (``-`` is standard input)."""
    try:
        fh = path.open(encoding="utf-8", errors="replace") if data is None else _text(data)
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    with fh:
        lines: list[str] = []
        for raw in fh:
            line = raw.strip()
            if line and not line.startswith("#"):
                lines.append(line)
                if len(lines) >= PROBE_LINES:
                    break
    if not lines:
        raise InputError(f"{path} holds no names (only blank or # lines); give one name a line")
    fields = [_field(x, csv_field if "," in x else None) for x in lines]
    bad = [
        x
        for x, f in zip(lines, fields, strict=True)
        if f != "domain" and invalid_reason(f) is not None
    ]
    if len(lines) >= min_lines and len(bad) > MAX_INVALID_SHARE * len(lines):
        first = bad[0]
        shape = (
            "tab-separated columns (a log?)"
            if "\t" in first
            else "comma-separated columns"
            if "," in first
            else "not one name a line"
        )
        raise InputError(
            f"{path}: {len(bad)} of its first {len(lines)} lines are not {what}; "
            f"it looks like {shape}: {first[:60]!r}"
        )
    if bad and len(bad) == len(lines):  # a short file (a long one is refused above)
        first = bad[0]
        why = invalid_reason(_field(first, csv_field if "," in first else None))
        raise InputError(
            f"{path} holds no valid {what} ({len(lines):,} lines, all invalid; the first, "
            f"{first[:60]!r}: {why}); give one name a line"
        )


def _empty() -> tuple[np.ndarray, list[str | None], np.ndarray]:
    import numpy as np

    return np.zeros(0), [], np.zeros(0)


#: Names scored at a time by ``classify --json``.
CHUNK = 65536


def _names(
    domains: list[str], file: Path | None, data: bytes | None = None
) -> Iterator[tuple[str, str]]:
    """(where, name): the argument names, then the file's (one per line; blank and ``#``
    lines skipped; ``data``: its bytes, when read already)."""
    for i, d in enumerate(domains, 1):
        yield f"argument {i}", d
    if file is None:
        return
    try:
        fh = file.open(encoding="utf-8", errors="replace") if data is None else _text(data)
    except OSError as exc:
        raise _cannot_read(file, exc) from None
    with fh:
        for n, line in enumerate(fh, 1):
            name = line.strip()
            if name and not name.startswith("#"):
                yield f"{file}:{n}", name


def _json_lines(
    names: list[str],
    scores: np.ndarray,
    fams: list[str | None],
    fscores: np.ndarray,
    cut: float | None,
    hits: dict[str, list[dict[str, object]]] | None = None,
) -> str:
    """One ``classify/2`` JSON object per name, exactly as ``json.dumps`` writes it (tested),
    built column by column: ``json.dumps`` per line cost as much as the scoring. The
    closest family is only named for a name over the threshold; an exact forecast match
    (``hits``, when the look-up ran) names its family and makes the name generated."""
    values = scores.tolist()
    if cut is not None:
        fams = [f if v > cut else None for f, v in zip(fams, values, strict=True)]
    generated = [cut is not None and v > cut for v in values]
    forecast: list[str] = []
    if hits is not None:
        for i, n in enumerate(names):
            found = hits.get(n, [])
            forecast.append(json.dumps(found) if found else "[]")
            if found:
                fams[i] = str(found[0]["family"])
                generated[i] = True
    family = {f: json.dumps(f) for f in set(fams)}
    if _UNSAFE.search("".join(names)):
        domains = [f'"{n}"' if not _UNSAFE.search(n) else json.dumps(n) for n in names]
    else:  # the usual chunk: every name is written as it is, between quotes
        domains = [f'"{n}"' for n in names]
    columns = [
        domains,
        [repr(round(x, 6)) for x in values],
        [family[f] for f in fams],
        [
            "null" if f is None else repr(round(x, 6))
            for f, x in zip(fams, fscores.tolist(), strict=True)
        ],
    ]
    line = '{"domain": %s, "score": %s, "family": %s, "family_score": %s'
    if cut is not None:
        line += ', "generated": %s'
        columns.append(["true" if g else "false" for g in generated])
    if hits is not None:
        line += ', "forecast": %s'
        columns.append(forecast)
    line += "}\n"
    return "".join([line % row for row in zip(*columns, strict=True)])


#: A character ``json.dumps`` would escape (or that is worth checking for).
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@classify_app.command("train")
def train_cmd(
    output: Annotated[
        Path | None,
        typer.Option(
            help="Model file to write (default: DATA_DIR/dgawatch-classifier.npz, not the "
            "shipped model; to rebuild the shipped one give --output "
            "src/dgawatch/classify/model/dgawatch-classifier.npz in a checkout).",
        ),
    ] = None,
    benign: Annotated[
        Path | None,
        typer.Option(help="Folder of the benign lists (default ../shared/data/benign)."),
    ] = None,
) -> None:
    """Rebuild the classifier from scratch (deterministic; about 3 minutes on 2 cores; needs
    PyTorch, the 'train' extra). Writes to the data directory unless --output says where."""
    import importlib.util

    # Checked before the minute of data preparation that would precede the import.
    if importlib.util.find_spec("torch") is None:
        raise InputError(
            "classify train needs PyTorch: pip install 'dgawatch[train]' (or torch), then rerun"
        )
    from dgawatch.classify.train import evaluate_scores, train_model
    from dgawatch.outfile import atomic_file, check_output_file
    from dgawatch.store import data_dir

    if output is None:
        output = data_dir() / MODEL_FILE
        output.parent.mkdir(parents=True, exist_ok=True)
    # before the training's minutes: a missing directory, NAME/ or a directory is one line
    check_output_file(output)

    folder = benign or _shared_benign()
    if not folder.is_dir():
        raise InputError(f"benign lists not found in {folder}; give --benign FOLDER")
    clf, data = train_model(folder, log=lambda m: _err.print(m, markup=False))
    with atomic_file(output) as fh:  # a whole model file or none
        clf.save(fh)
    ev = data.part("eval")
    scores = clf.decision_function(ev.names)
    fam = [f or "" for f in ev.family]
    res = evaluate_scores(scores[ev.y == 0], scores[ev.y == 1], [f for f in fam if f]).to_dict()
    _err.print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB); held-out TPR {res['tpr']}")


@classify_app.command("evaluate")
def evaluate_cmd(
    benign: Annotated[Path, typer.Option(help="Benign names, one per line (or rank,domain).")],
    dga: Annotated[Path, typer.Option(help="Generated names: one per line, or family,domain.")],
    model: Annotated[Path | None, typer.Option(help="Model file (default: shipped).")] = None,
    lofo: Annotated[
        bool,
        typer.Option(
            "--lofo",
            hidden_negation("--no-lofo"),
            help="Also leave-one-family-out (retrains 35 times; ~15 min).",
        ),
    ] = False,
    lofo_family: Annotated[
        list[str] | None, typer.Option(help="Only these families for --lofo.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """TPR at FPR 1e-2 and 1e-3 (thresholds set on the benign file), per family, LOFO.

    A threshold at FPR f needs at least 1/f benign names (1,000 for 1e-3): with fewer, that
    FPR is not measured (said on stderr; null in JSON, n/a in the table), and a file too
    small for 1e-2 is refused."""
    from dgawatch.classify.data import read_benign_file
    from dgawatch.classify.train import FPRS, evaluate_scores, leave_one_family_out, lofo_macro

    check_names_file(benign, csv_field=1, what="names (or rank,domain)", min_lines=1)
    check_names_file(dga, csv_field=1, what="names (or family,domain)", min_lines=1)
    ben = read_benign_file(benign)
    names, fams = _read_dga(dga)
    if not ben or not names:
        raise InputError("both --benign and --dga need at least one name")
    fprs, unmeasured = measurable_fprs(len(ben), FPRS)
    if not fprs:
        raise InputError(
            f"--benign {benign} holds {len(ben):,} names: too few to set a threshold at FPR "
            f"{max(FPRS):g} (it needs at least {min_benign(max(FPRS)):,}, 1/FPR; "
            f"{min_benign(min(FPRS)):,} for {min(FPRS):g}); give a larger benign file"
        )
    for f, why in unmeasured.items():
        sys.stderr.write(f"note: TPR@{f:g} not measured: {why}\n")
    clf = _model(model)
    res = evaluate_scores(clf.decision_function(ben), clf.decision_function(names), fams, fprs)
    if lofo:
        folder = _shared_benign()
        if not folder.is_dir():
            raise InputError(f"--lofo retrains and needs the benign lists in {folder}")
        from dgawatch.classify.data import build_dataset

        data = build_dataset(folder, cap=3000)
        res.lofo = leave_one_family_out(
            data, ben, lofo_family, log=lambda m: _err.print(m, markup=False)
        )
    if as_json:
        doc = res.to_dict()
        if unmeasured:  # the same keys as ever, null where not measured, and why
            for f in unmeasured:
                doc["tpr"][f"{f:g}"] = None  # type: ignore[index]
                for fam in doc["families"].values():  # type: ignore[attr-defined]
                    fam[f"tpr@{f:g}"] = None
            doc["not_measured"] = {f"{f:g}": why for f, why in unmeasured.items()}
        sys.stdout.write(json.dumps(doc) + "\n")
        return

    def tpr(r: dict[float, float], f: float) -> str:
        return f"{r[f]:.3f}" if f in r else "n/a"

    table = Table("family", "names", "TPR@1e-2", "TPR@1e-3", "LOFO TPR@1e-2")
    table.add_row(
        "[bold]all[/]",
        str(res.generated),
        tpr(res.overall, 1e-2),
        tpr(res.overall, 1e-3),
        "" if not res.lofo else f"{lofo_macro(res.lofo):.3f} (macro)",
    )
    for family, r in res.per_family.items():
        lo = res.lofo.get(family)
        table.add_row(
            family,
            str(res.sizes[family]),
            tpr(r, 1e-2),
            tpr(r, 1e-3),
            "" if lo is None else f"{lo:.3f}",
        )
    few = ", ".join(f"{f:g}" for f in unmeasured)
    gaps = f" (too few for FPR {few}: n/a)" if few else ""
    _out.print(f"{res.benign:,} benign names set the thresholds{gaps}")
    _out.print(table)


def min_benign(fpr: float) -> int:
    """The fewest benign names that set a threshold at ``fpr``: 1/fpr (below it the
    threshold is the highest benign score whatever the FPR asked, which measures FPR 0)."""
    return math.ceil(1 / fpr - 1e-9)


def measurable_fprs(benign: int, fprs: Sequence[float]) -> tuple[list[float], dict[float, str]]:
    """The FPRs whose thresholds ``benign`` names can set, and why each other one cannot."""
    ok = [f for f in fprs if benign >= min_benign(f)]
    why = {
        f: f"needs at least {min_benign(f):,} benign names (1/FPR); --benign holds {benign:,}"
        for f in fprs
        if f not in ok
    }
    return ok, why


def _read_dga(path: Path) -> tuple[list[str], list[str]]:
    """Names and families of a ``family,domain[,...]`` CSV (header optional) or a plain list
    (family ``?``)."""
    lines = _read_lines(path)
    if lines and "," in lines[0]:
        rows = list(csv.reader(lines))
        if rows and rows[0][:2] == ["family", "domain"]:
            rows = rows[1:]
        rows = [r for r in rows if len(r) >= 2 and r[1]]
        return [r[1] for r in rows], [r[0] for r in rows]
    return lines, ["?"] * len(lines)
