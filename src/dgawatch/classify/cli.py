"""``dgawatch classify``: score names, rebuild the shipped model, evaluate a model.

``dgawatch classify DOMAIN... | --file F [--threshold T | --fpr F] [--json]`` prints, per
name, the score (0..1, 1 = generated), whether it is over the threshold, and the known
family it most resembles. ``--json``: one object per line,
``{"domain", "score", "family", "family_score"}`` (schema ``classify/1``; ``generated``
is added when a threshold is in force).
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from dgawatch.classify import MODEL_FILE
from dgawatch.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from dgawatch.classify.model import DGAClassifier


class _DefaultToScore(TyperGroup):
    """``dgawatch classify NAME...`` means ``dgawatch classify score NAME...``: anything
    that is not a subcommand's name goes to ``score`` (so a domain literally named
    ``train`` or ``evaluate`` needs ``--file`` or the explicit ``score``)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.list_commands(ctx) and args[0] not in ("--help", "-h"):
            args = ["score", *args]
        return super().parse_args(ctx, args)


classify_app = typer.Typer(
    cls=_DefaultToScore,
    help="Is a domain algorithmically generated? (classifier for unknown DGAs). "
    "Give names, or --file F, to score them.",
    no_args_is_help=True,
)

_out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
_err = Console(stderr=True, highlight=False)
SHIPPED = Path(__file__).resolve().parent / "model" / MODEL_FILE


def _shared_benign() -> Path:
    import os

    root = Path(os.environ.get("DGAWATCH_SHARED", Path.cwd().parent / "shared"))
    return root / "data" / "benign"


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    return [s.strip() for s in text.splitlines() if s.strip() and not s.startswith("#")]


def _model(path: Path | None) -> DGAClassifier:
    from dgawatch.classify import DGAClassifier, default_model

    return default_model() if path is None else DGAClassifier.load(path)


@classify_app.command("score")
def classify(
    domains: Annotated[list[str] | None, typer.Argument(help="Domain names.")] = None,
    file: Annotated[Path | None, typer.Option(help="File with one name per line.")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Score above which a name counts as generated.")
    ] = None,
    fpr: Annotated[
        float | None,
        typer.Option(help="Use the threshold calibrated for this benign false-positive rate."),
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model file (default: shipped).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one per name.")] = False,
) -> None:
    """Score domain names: generated or not, and the closest known family (the default)."""
    if threshold is not None and fpr is not None:
        raise InputError("give --threshold or --fpr, not both")
    clf = _model(model)
    cut = threshold if threshold is not None else (clf.threshold_for(fpr) if fpr else None)
    names = _names(domains or [], file)
    if as_json:
        # Chunk by chunk: a file of any size streams through in bounded memory.
        total = 0
        for chunk in iter(lambda: list(itertools.islice(names, CHUNK)), []):
            total += len(chunk)
            sys.stdout.write(_json_lines(chunk, *clf.classify(chunk), cut))
        if not total:
            raise InputError("give domains as arguments or --file")
        return
    rows = list(names)
    if not rows:
        raise InputError("give domains as arguments or --file")
    scores, fams, fscores = clf.classify(rows)
    table = Table("domain", "score", "generated", "closest family", "family score")
    for name, s, f, fs in zip(rows, scores, fams, fscores, strict=True):
        verdict = "" if cut is None else ("[red]yes[/]" if s > cut else "no")
        table.add_row(name, f"{s:.4f}", verdict, f or "", f"{fs:.3f}")
    _out.print(table)


#: Names scored at a time by ``classify --json``.
CHUNK = 65536


def _names(domains: list[str], file: Path | None) -> Iterator[str]:
    """The argument names, then the file's (one per line; blank and ``#`` lines skipped)."""
    yield from domains
    if file is None:
        return
    try:
        fh = file.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc}") from None
    with fh:
        for line in fh:
            name = line.strip()
            if name and not name.startswith("#"):
                yield name


def _json_lines(
    names: list[str],
    scores: np.ndarray,
    fams: list[str | None],
    fscores: np.ndarray,
    cut: float | None,
) -> str:
    """One ``classify/1`` JSON object per name, exactly as ``json.dumps`` writes it (tested),
    built column by column: ``json.dumps`` per line cost as much as the scoring."""
    family = {f: json.dumps(f) for f in set(fams)}
    if _UNSAFE.search("".join(names)):
        domains = [f'"{n}"' if not _UNSAFE.search(n) else json.dumps(n) for n in names]
    else:  # the usual chunk: every name is written as it is, between quotes
        domains = [f'"{n}"' for n in names]
    columns = [
        domains,
        [repr(round(x, 6)) for x in scores.tolist()],
        [family[f] for f in fams],
        [repr(round(x, 6)) for x in fscores.tolist()],
    ]
    if cut is None:
        line = '{"domain": %s, "score": %s, "family": %s, "family_score": %s}\n'
    else:
        line = '{"domain": %s, "score": %s, "family": %s, "family_score": %s, "generated": %s}\n'
        columns.append(["true" if x > cut else "false" for x in scores.tolist()])
    return "".join([line % row for row in zip(*columns, strict=True)])


#: A character ``json.dumps`` would escape (or that is worth checking for).
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@classify_app.command("train")
def train_cmd(
    output: Annotated[Path, typer.Option(help="Model file to write.")] = SHIPPED,
    benign: Annotated[
        Path | None,
        typer.Option(help="Folder of the benign lists (default ../shared/data/benign)."),
    ] = None,
) -> None:
    """Rebuild the classifier from scratch (deterministic; about 3 minutes on 2 cores)."""
    from dgawatch.classify.train import evaluate_scores, train_model

    folder = benign or _shared_benign()
    if not folder.is_dir():
        raise InputError(f"benign lists not found in {folder}; give --benign FOLDER")
    clf, data = train_model(folder, log=lambda m: _err.print(m, markup=False))
    output.parent.mkdir(parents=True, exist_ok=True)
    clf.save(output)
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
        bool, typer.Option(help="Also leave-one-family-out (retrains 35 times; ~15 min).")
    ] = False,
    lofo_family: Annotated[
        list[str] | None, typer.Option(help="Only these families for --lofo.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
) -> None:
    """TPR at FPR 1e-2 and 1e-3 (thresholds set on the benign file), per family, LOFO."""
    from dgawatch.classify.data import read_benign_file
    from dgawatch.classify.train import evaluate_scores, leave_one_family_out, lofo_macro

    ben = read_benign_file(benign)
    names, fams = _read_dga(dga)
    if not ben or not names:
        raise InputError("both --benign and --dga need at least one name")
    clf = _model(model)
    res = evaluate_scores(clf.decision_function(ben), clf.decision_function(names), fams)
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
        sys.stdout.write(json.dumps(res.to_dict()) + "\n")
        return
    table = Table("family", "names", "TPR@1e-2", "TPR@1e-3", "LOFO TPR@1e-2")
    table.add_row(
        "[bold]all[/]",
        str(res.generated),
        f"{res.overall[1e-2]:.3f}",
        f"{res.overall[1e-3]:.3f}",
        "" if not res.lofo else f"{lofo_macro(res.lofo):.3f} (macro)",
    )
    for f, r in res.per_family.items():
        lo = res.lofo.get(f)
        table.add_row(
            f,
            str(res.sizes[f]),
            f"{r[1e-2]:.3f}",
            f"{r[1e-3]:.3f}",
            "" if lo is None else f"{lo:.3f}",
        )
    _out.print(f"{res.benign:,} benign names set the thresholds")
    _out.print(table)


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
