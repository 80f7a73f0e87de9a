"""Classifier benchmark: dgawatch vs the peers dgad 4.1.1 and dgaintel 2.3, same held-out data,
same run.

    .venv/bin/python bench/bench_classify.py [--peers /tmp/peers] [--lofo [--lofo-families all|F,G]
        [--lofo-per-family 1500] [--lofo-benign 0]] [--lofo-scores DIR] [--top-sites FILE]
        [--output DIR]
        [--peer-cache DIR|none] [--model FILE]

The peers' virtualenvs are built by ``bench/peers_setup.sh /tmp/peers`` (idempotent).

The evaluation set is the ``eval`` split of :func:`dgawatch.classify.data.build_dataset`
(labels hashed into splits before training, so no evaluation name was trained on): benign
names from ../shared/data/benign and names of every registered family. Each peer runs in its
own virtual environment (``<peers>/dgaintel``: Python 3.11, ``dgaintel==2.3``,
``tensorflow-cpu==2.15.1``; ``<peers>/dgad``: Python 3.10, ``dgad==4.1.1``,
``keras-tcn==3.4.4``, ``tensorflow-cpu==2.15.1``) through a subprocess that reads the names
and writes one score per line; dgad's own TCN model is called in batches instead of its
one-``predict``-per-label loop, scoring a domain by its highest-scoring label as dgad does.
The peers' scores are cached per name under ``--peer-cache`` (default
``$TMPDIR/dgawatch-peer-scores``; a file per peer and scoring code), so a rerun scores only
names it has not scored before. ``--model`` scores another model file instead of the
shipped one. Reported: TPR at FPR 1e-2 and 1e-3 (thresholds on the
benign eval names) overall, per family and on the wordlist families; throughput (names
per second, model loaded, scoring only).

*Leave-one-family-out* (``--lofo``): for each held-out family F, dgawatch is retrained
without F (:func:`dgawatch.classify.train.lofo_runs`: the training split's benign names,
all of them as in the shipped model, + a subsample of 1,500 names per family + 1,500 per
synthetic style, F's reseeded builds left out too) and scores F's eval names and the
benign eval names; the peers score the same names in the same run, and every model's
thresholds are set on those benign eval names (FPR 1e-2 and 1e-3). Reported per family
and as the macro average, for all three models.
The peers cannot be retrained here: they hold out nothing, and their own training data
(public DGA feeds) may well include F, which favours them. By default the held-out families
are :func:`dgawatch.classify.train.lofo_subset` (a seeded draw stratified by generator
type: 3 arithmetic, 1 hash, 1 wordlist, 1 permutation; one retraining at the default size
took 30 minutes on the loaded 2-core dev machine, so a full LOFO of 57 takes hours; at
``--lofo-per-family 300`` with all benign names, 35-90 s quiet and 8-25 min loaded);
``--lofo-families all`` holds out every family, ``--lofo-families F,G`` the families named,
``--lofo-families after-peers`` the families first seen after both peers were published
(:data:`PEERS_PUBLISHED`): the only ones neither peer can have trained on.
``--lofo-per-family`` and ``--lofo-benign`` size each retraining (default 1,500 and 0 =
every benign training name, 66,940; a smaller one trains dgawatch on fewer names and leaves
the peers as they are: fewer benign names cost most at 1e-3, 0.402 at 6,000 and 0.461 at
30,000 on the default subset with 300 names per family; on all 57 families at 1e-3, session
13: 0.692 with 300 names per family and 0.702 with 1,000 under the suffix prior's old cap of
3, 0.680 and 0.706 under the shipped cap of 1; session 14, IDNs unscored: 0.707 with 1,000
and 0.708 with the default 1,500, dgad 0.693, dgaintel 0.649).
The peers are scored first, so each held-out family's line (all three models) is printed
as soon as its retraining ends. A second dgawatch column gives the same retrainings'
scores without their suffix prior (:class:`dgawatch.classify.model.SuffixPrior`, counted
on each retraining's names, so never on the held-out family's). With ``--output DIR``
every run's scores are kept in ``DIR/lofo_scores.npz`` (``benign:<family>``,
``held:<family>``, and their parts: ``lin_``, ``cnn_``, ``prior_`` before each), so a later
combination needs no retraining: ``--lofo-scores DIR`` prints the LOFO table from such a
file, the suffix prior counted afresh by the current code on each retraining's names (the
detectors are what the retraining made; the prior is counted, not trained).

*New builds*: the families' own algorithms with seeds drawn here (:mod:`dgawatch.classify.seeds`,
an rng seed training never uses, 5 builds of 100 names per reseedable family, labels that
occur anywhere in the dataset left out): how each model does on samples of known families
that no published list holds, as a macro average over the families.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from dgawatch.classify import DGAClassifier, default_model, threshold_at_fpr, tpr_at_fpr
from dgawatch.classify.data import Dataset, build_dataset
from dgawatch.classify.features import idn_labels, label_of, split_names
from dgawatch.classify.model import IDN_LOGODDS, SuffixPrior
from dgawatch.classify.seeds import RESEEDABLE, reseeded
from dgawatch.classify.train import (
    CAP,
    FPRS,
    HeldOut,
    evaluate_scores,
    lofo_runs,
    lofo_subset,
    lofo_training_set,
)
from dgawatch.families import all_families, get_family

ROOT = Path(__file__).resolve().parents[1]
WORDLIST = sorted(f.name for f in all_families() if f.generator_type == "wordlist")
#: The rng seed of the new builds (training draws its builds from seed + 1,000,003).
NEW_BUILDS_SEED = 20261127

DGAINTEL = """
import sys, time
import numpy as np
from dgaintel.predict import get_prob
names = [l.strip().lower() for l in open(sys.argv[1])]
get_prob(names[:2], raw=True)
t = time.perf_counter()
out = []
for i in range(0, len(names), 4096):
    out.append(np.asarray(get_prob(names[i:i + 4096], raw=True)).reshape(-1))
dt = time.perf_counter() - t
np.savetxt(sys.argv[2], np.concatenate(out))
print(len(names) / dt)
"""

DGAD = """
import sys, time
import numpy as np
from dgad.prediction import Detective
det = Detective()
names = [l.strip().lower() for l in open(sys.argv[1])]
t = time.perf_counter()
domains, skipped = det.prepare_domains(set(names))
vec, owner = [], []
for d in domains:
    for w in d.words:
        vec.append(w.padded_token_vector)
        owner.append(d.raw)
pred = det.model_binary.data.predict(np.array(vec), batch_size=2048, verbose=0)[:, 0]
best = {}
for raw, s in zip(owner, pred):
    best[raw] = max(best.get(raw, 0.0), float(s))
dt = time.perf_counter() - t
np.savetxt(sys.argv[2], np.array([best.get(n, 1.0) for n in names]))
print(len(names) / dt, len(skipped))
"""


def cached_peer(
    peer: str, python: Path, code: str, names: list[str], cache: Path | None
) -> tuple[np.ndarray, float, str]:
    """:func:`run_peer` with its scores kept per name under ``cache``
    (``<peer>-<hash of its scoring code>.npz``): only names not scored before are sent to
    the peer, so a rerun on the same or a slightly different set of names reads the scores
    instead of scoring again (dgad scores ~200 names/s here; each of its names is scored on
    its own, so a score does not depend on the batch). The speed printed is that of the
    run that scored the most names."""
    if cache is None:
        return run_peer(python, code, names)
    path = cache / f"{peer}-{hashlib.sha256(code.encode()).hexdigest()[:16]}.npz"
    known: dict[str, float] = {}
    speed, note, scored = 0.0, "", 0
    if path.exists():
        with np.load(path) as f:
            known = dict(zip(f["names"].tolist(), f["scores"].tolist(), strict=True))
            speed, note, scored = float(f["speed"]), str(f["note"]), int(f["scored"])
    missing = sorted(set(names) - known.keys())
    if missing:
        scores, run_speed, run_note = run_peer(python, code, missing)
        known.update(zip(missing, scores.tolist(), strict=True))
        if len(missing) >= scored:
            speed, note, scored = run_speed, run_note, len(missing)
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        keys = sorted(known)
        np.savez(
            tmp,
            names=np.array(keys),
            scores=np.array([known[k] for k in keys]),
            speed=speed,
            note=note,
            scored=scored,
        )
        tmp.replace(path)
    print(
        f"{peer}: {len(set(names)) - len(missing):,} names' scores read from {path}, "
        f"{len(missing):,} scored"
    )
    return np.array([known[n] for n in names]), speed, note


def run_peer(python: Path, code: str, names: list[str]) -> tuple[np.ndarray, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst, script = Path(tmp, "in.txt"), Path(tmp, "out.txt"), Path(tmp, "peer.py")
        src.write_text("\n".join(names) + "\n")
        script.write_text(code)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        proc = subprocess.run(
            [str(python), str(script), str(src), str(dst)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        fields = proc.stdout.strip().splitlines()[-1].split()
        return np.loadtxt(dst).reshape(-1), float(fields[0]), " ".join(fields[1:])


def new_builds(taken: set[str]) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(NEW_BUILDS_SEED)
    names: list[str] = []
    fams: list[str] = []
    for family in sorted(RESEEDABLE):
        for name in reseeded(family, rng, 5, 100):
            if label_of(name) not in taken:
                names.append(name)
                fams.append(family)
    return names, fams


def psl_private_owners() -> list[str]:
    """The registrable (ICANN) domain of every private-section entry of the Public Suffix
    List the pinned ``publicsuffixlist`` ships: ~2,100 hosting, dynamic-DNS and platform
    companies' own domains, many short or odd-looking (``0emm.com``, ``123hjemmeside.dk``)."""
    import publicsuffixlist
    from publicsuffixlist import PublicSuffixList

    text = Path(publicsuffixlist.PSLFILE).read_text(encoding="utf-8")
    private = text.split("===BEGIN PRIVATE DOMAINS===", 1)[1].split("===END PRIVATE", 1)[0]
    icann = PublicSuffixList(only_icann=True)
    out: set[str] = set()
    for line in private.splitlines():
        rule = line.strip().lstrip("*.!")
        if not rule or rule.startswith("//"):
            continue
        owner = icann.privatesuffix(rule.encode("idna").decode())
        if owner:
            out.add(owner)
    return sorted(out)


#: The wheel of the HSTS preload list (``bench/peers_setup.sh`` fetches it) and the share of
#: its hosts scored (a stable hash of the name picks them).
HSTS_WHEEL = "hstspreload-2025.1.1-py3-none-any.whl"
HSTS_SHARE = 20


def hsts_hosts(wheel: Path) -> list[str]:
    """Every host of the Chromium HSTS preload list in the ``hstspreload`` wheel: its
    ``hstspreload.bin`` holds, at the spans its module's ``_JUMPTABLE`` lists, entries of a
    flags byte (0x80: a whole host), a length byte and the name; read, never imported."""
    with zipfile.ZipFile(wheel) as z:
        source = z.read("hstspreload/__init__.py").decode()
        blob = z.read("hstspreload/hstspreload.bin")
    table = next(
        ast.literal_eval(node.value)
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "_JUMPTABLE" for t in node.targets)
    )
    hosts: set[str] = set()
    for layer in table:
        for span in layer:
            if span is None:
                continue
            at, end = span[0], span[0] + span[1]
            while at < end:
                flags, size = blob[at], blob[at + 1]
                if flags & 0x80:
                    hosts.add(blob[at + 2 : at + 2 + size].decode("ascii"))
                at += 2 + size
    return sorted(hosts)


def unseen_benign(taken: set[str], top_sites: Path, hsts: Path) -> dict[str, list[str]]:
    """Benign names from sources no model here was trained or calibrated on, one name per
    label and no label the dataset holds: Moz's top 500 (npm ``top-sites`` 1.1.222, October
    2025), one host in :data:`HSTS_SHARE` of the Chromium HSTS preload list (PyPI
    ``hstspreload`` 2025.1.1; both fetched by ``bench/peers_setup.sh``) and the Public Suffix
    List's private section (2026-10)."""
    sources: dict[str, list[str]] = {"psl-private 2026-10": psl_private_owners()}
    if top_sites.exists():
        rows = json.loads(top_sites.read_text(encoding="utf-8"))
        sources["top-sites 2025-10"] = [str(r["rootDomain"]).lower() for r in rows]
    else:
        print(f"no {top_sites} (bench/peers_setup.sh fetches it); top-sites row skipped")
    if hsts.exists():
        sources["hsts-preload 2025-01"] = [
            h
            for h in hsts_hosts(hsts)
            if int(hashlib.sha256(h.encode()).hexdigest(), 16) % HSTS_SHARE == 0
        ]
    else:
        print(f"no {hsts} (bench/peers_setup.sh fetches it); hsts-preload row skipped")
    out: dict[str, list[str]] = {}
    for source, names in sources.items():
        seen = set(taken)
        keep = []
        for name in names:
            label = label_of(name)
            if label and label not in seen:
                seen.add(label)
                keep.append(name)
        out[source] = keep
    return out


def summary(
    name: str,
    benign: np.ndarray,
    dga: np.ndarray,
    fams: list[str],
    new: np.ndarray,
    new_fams: list[str],
    speed: float,
) -> dict:
    ev = evaluate_scores(benign, dga, fams)
    word = np.isin(np.array(fams), WORDLIST)
    word_ev = evaluate_scores(benign, dga[word], [f for f, w in zip(fams, word, strict=True) if w])
    fresh = evaluate_scores(benign, new, new_fams)
    return {
        "model": name,
        "tpr@1e-2": ev.overall[1e-2],
        "tpr@1e-3": ev.overall[1e-3],
        "wordlist_tpr@1e-2": word_ev.overall[1e-2],
        "wordlist_tpr@1e-3": word_ev.overall[1e-3],
        "new_builds_macro_tpr@1e-2": float(np.mean([r[1e-2] for r in fresh.per_family.values()])),
        "new_builds_macro_tpr@1e-3": float(np.mean([r[1e-3] for r in fresh.per_family.values()])),
        "names_per_s": speed,
        "families": {f: {f"{k:g}": v for k, v in r.items()} for f, r in ev.per_family.items()},
    }


#: The peers cannot have trained on a family first seen after they were published (dgaintel
#: 2.3: July 2020, dgad 4.1.1: July 2022, PyPI): ``--lofo-families after-peers`` holds out
#: those, the only families held out from all three models.
PEERS_PUBLISHED = dt.date(2022, 7, 31)


def first_seen(family: str) -> dt.date:
    return min(v.active_from for v in get_family(family).variants)


def lofo_families(which: str, fams: list[str]) -> list[str]:
    if which == "subset":
        return lofo_subset()
    if which == "after-peers":
        return sorted(f for f in set(fams) if first_seen(f) > PEERS_PUBLISHED)
    if which == "all":
        return sorted(set(fams))
    return sorted({get_family(f.strip()).name for f in which.split(",") if f.strip()})


#: The LOFO column of the same retrainings' scores without their suffix prior.
NO_PRIOR = "dgawatch, no suffix prior"


def lofo_row(
    run: HeldOut,
    nb: int,
    dga: list[str],
    fams: list[str],
    peer_scores: dict[str, np.ndarray],
    extra: HeldOut | None = None,
) -> dict[str, dict[str, float]]:
    """TPR per model on one held-out family's eval names; each model's thresholds from its
    own scores of the same ``nb`` benign eval names (``extra``: the same run without its
    suffix prior)."""
    pos = [i for i, f in enumerate(fams) if f == run.family]
    assert [dga[i] for i in pos] == run.names
    row = {"dgawatch": {f"{f:g}": run.tpr(f) for f in FPRS}}
    if extra is not None:
        row[NO_PRIOR] = {f"{f:g}": extra.tpr(f) for f in FPRS}
    for peer, scores in peer_scores.items():
        b, g = scores[:nb], scores[nb:][pos]
        row[peer] = {f"{f:g}": tpr_at_fpr(b, g, f) for f in FPRS}
    return row


def lofo_dgawatch(
    data: Dataset,
    benign: list[str],
    dga: list[str],
    fams: list[str],
    peer_scores: dict[str, np.ndarray],
    families: list[str],
    per_family: int,
    benign_train: int | None,
    params: dict[str, object] | None = None,
) -> tuple[list[HeldOut], dict[str, HeldOut], dict[str, np.ndarray]]:
    """dgawatch retrained without each family in turn (module docstring); a line per family
    with every model's TPR as soon as its retraining ends. Also each run without its
    suffix prior (same retraining, same names), and the parts of every score (``lin_``,
    ``cnn_``, ``prior_`` + ``benign:F`` / ``held:F``)."""
    t = time.perf_counter()
    print(
        f"\nLOFO: holding out {len(families)} families ({per_family} names per family and "
        f"style, {benign_train or 'all'} benign per retraining): {', '.join(families)}",
        flush=True,
    )
    runs = []
    made: list[DGAClassifier] = []

    def make() -> DGAClassifier:
        made.append(DGAClassifier(**{"epochs": 5, **(params or {})}))  # type: ignore[arg-type]
        return made[-1]

    no_prior: dict[str, HeldOut] = {}
    parts: dict[str, np.ndarray] = {}
    for run in lofo_runs(data, benign, families, per_family, benign_train, make):
        runs.append(run)
        model = made.pop()
        prior = {}
        for part, names in (("benign", benign), ("held", run.names)):
            lin, cnn = model.detector_scores(names)
            prior[part] = model.prior_scores(names)
            parts[f"lin_{part}:{run.family}"] = lin
            parts[f"prior_{part}:{run.family}"] = prior[part]
            if cnn is not None:
                parts[f"cnn_{part}:{run.family}"] = cnn
        no_prior[run.family] = HeldOut(
            run.family,
            run.names,
            run.benign_scores - prior["benign"],
            run.scores - prior["held"],
        )
        row = lofo_row(run, len(benign), dga, fams, peer_scores, no_prior[run.family])
        print(
            f"lofo {run.family} ({len(run.names)} names, {time.perf_counter() - t:.0f} s): "
            + ", ".join(f"{m} {r['0.01']:.3f} / {r['0.001']:.3f}" for m, r in row.items()),
            flush=True,
        )
    return runs, no_prior, parts


def lofo_from_scores(
    folder: Path,
    data: Dataset,
    benign: list[str],
    per_family: int,
    benign_train: int | None,
    params: dict[str, object] | None = None,
) -> tuple[list[HeldOut], dict[str, HeldOut]]:
    """A saved LOFO run's detector scores (``folder/lofo_scores.npz`` of ``--output``) with
    the suffix prior counted afresh by the model's own code
    (:class:`dgawatch.classify.model.SuffixPrior`) on each retraining's names: the prior
    is counted, not trained, so this is the run the current recipe gives, without the
    retraining (``per_family`` and ``benign_train`` must be the saved run's). IDN names
    get :data:`dgawatch.classify.model.IDN_LOGODDS`, as the current code gives them."""
    weight = float(DGAClassifier(**(params or {})).suffix_prior)  # type: ignore[arg-type]
    with np.load(folder / "lofo_scores.npz") as z:
        saved = {k: z[k] for k in z.files}
    small = lofo_training_set(data, per_family, benign_train)
    test = data.part("eval")
    benign_labels, benign_suffixes = split_names(benign)
    benign_idn = idn_labels(benign_labels)
    runs, no_prior = [], {}
    for key in sorted(k for k in saved if k.startswith("held:")):
        family = key.partition(":")[2]
        held = [n for n, f in zip(test.names, test.family, strict=True) if f == family]
        sub = small.without(family)
        prior = SuffixPrior.count(split_names(sub.names)[1], sub.y, sub.family)
        held_labels, held_suffixes = split_names(held)
        # IDNs are not scored by the current code (a run saved before it scored them): they
        # get IDN_LOGODDS and nothing of the prior.
        idn = {"benign": benign_idn, "held": idn_labels(held_labels)}
        suffixes = {"benign": benign_suffixes, "held": held_suffixes}
        base, full = {}, {}
        for part in ("benign", "held"):
            saved_base = saved[f"{part}:{family}"] - saved.get(f"prior_{part}:{family}", 0.0)
            base[part] = np.where(idn[part], IDN_LOGODDS, saved_base)
            full[part] = base[part] + np.where(
                idn[part], 0.0, weight * prior.values(suffixes[part])
            )
        no_prior[family] = HeldOut(family, held, base["benign"], base["held"])
        runs.append(HeldOut(family, held, full["benign"], full["held"]))
    print(f"\nLOFO from {folder} ({len(runs)} families; suffix prior {weight:g} counted afresh)")
    return runs, no_prior


#: dgad's names for our families where they differ (its label encoder's classes).
DGAD_ALIASES = {
    "bazarbackdoor": "bazarloader",
    "monerodownloader": "monerominer",
    "unnamed_downloader": "downloader",
}


def dgad_classes(peers: Path) -> set[str] | None:
    """The families dgad's shipped label encoder names (the largest ``encoder_*_classes.npy``
    in its virtualenv), i.e. what dgad most likely trained on; None when it is not there."""
    files = sorted(
        peers.glob("dgad/lib/python*/site-packages/dgad/label_encoders/encoder_*_classes.npy"),
        key=lambda p: int(p.stem.split("_")[1]),
    )
    if not files:
        return None
    return {str(c) for c in np.load(files[-1], allow_pickle=False).tolist()}


def lofo_table(
    runs: list[HeldOut],
    benign: list[str],
    dga: list[str],
    fams: list[str],
    peer_scores: dict[str, np.ndarray],
    dgad_known: set[str] | None = None,
    no_prior: dict[str, HeldOut] | None = None,
) -> dict[str, object]:
    """The LOFO runs beside the peers' scores of the same names, the thresholds of all three
    set on the same benign eval names; with ``dgad_known`` (:func:`dgad_classes`), also the
    macro over the held-out families dgad's label list does not name (unseen by dgad too)."""
    extra = no_prior or {}
    rows = {
        run.family: lofo_row(run, len(benign), dga, fams, peer_scores, extra.get(run.family))
        for run in runs
    }
    models = ["dgawatch", *([NO_PRIOR] if extra else []), *peer_scores]
    macro = {
        m: {f"{f:g}": float(np.mean([r[m][f"{f:g}"] for r in rows.values()])) for f in FPRS}
        for m in models
    }
    print(
        f"\nLOFO ({len(rows)} families held out; dgawatch retrained without each, peers as "
        "shipped; thresholds on the same benign eval names), TPR @1e-2 / @1e-3:"
    )
    print("\n| family | type | names | " + " | ".join(models) + " |")
    print("|---|---|---|" + "---|" * len(models))
    for fam, row in rows.items():
        cells = [f"{row[m]['0.01']:.3f} / {row[m]['0.001']:.3f}" for m in models]
        n = sum(f == fam for f in fams)
        print(f"| {fam} | {get_family(fam).generator_type} | {n} | " + " | ".join(cells) + " |")
    cells = [f"**{macro[m]['0.01']:.3f} / {macro[m]['0.001']:.3f}**" for m in models]
    print(f"| macro ({len(rows)}) | | | " + " | ".join(cells) + " |")
    out: dict[str, object] = {"families": rows, "macro": macro}
    if dgad_known is not None:
        absent = [f for f in rows if DGAD_ALIASES.get(f, f) not in dgad_known]
        if absent:
            sub = {
                m: {f"{f:g}": float(np.mean([rows[a][m][f"{f:g}"] for a in absent])) for f in FPRS}
                for m in models
            }
            cells = [f"**{sub[m]['0.01']:.3f} / {sub[m]['0.001']:.3f}**" for m in models]
            print(
                f"| macro of the {len(absent)} not in dgad's label list | | | "
                + " | ".join(cells)
                + " |"
            )
            out["macro_not_in_dgad_labels"] = {"families": absent, "macro": sub}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", type=Path, default=Path("/tmp/peers"))
    ap.add_argument("--benign", type=Path, default=ROOT.parent / "shared" / "data" / "benign")
    ap.add_argument("--lofo", action="store_true")
    ap.add_argument(
        "--lofo-families",
        default="subset",
        help="'subset' (lofo_subset, the default), 'all', 'after-peers' (first seen after "
        "both peers were published), or a comma-separated list",
    )
    ap.add_argument(
        "--lofo-per-family",
        type=int,
        default=1500,
        help="training names per family and per synthetic style in each retraining",
    )
    ap.add_argument(
        "--lofo-benign",
        type=int,
        default=0,
        help="benign names per retraining (default 0: all of the training split's, as the "
        "shipped model is trained)",
    )
    ap.add_argument(
        "--lofo-params",
        type=json.loads,
        default=None,
        help="DGAClassifier parameters of each retraining, as JSON (e.g. '{\"suffix_bits\": 0}'; "
        "default: the estimator's defaults, epochs 5)",
    )
    ap.add_argument(
        "--lofo-scores",
        type=Path,
        default=None,
        help="no retraining: the LOFO table from a saved run's scores (DIR of an earlier "
        "--output) with the suffix prior counted afresh (give that run's --lofo-per-family)",
    )
    ap.add_argument(
        "--top-sites",
        type=Path,
        default=None,
        help="top-sites.json (default: <peers>/unseen/top-sites.json)",
    )
    ap.add_argument("--output", type=Path, default=None)
    ap.add_argument(
        "--model", type=Path, default=None, help="a model file (default: the shipped model)"
    )
    ap.add_argument(
        "--peer-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "dgawatch-peer-scores",
        help="folder of the peers' cached scores (keyed by peer and names); 'none': no cache",
    )
    args = ap.parse_args()
    if args.lofo_scores and not (args.lofo_scores / "lofo_scores.npz").is_file():
        ap.error(
            f"--lofo-scores {args.lofo_scores}: no lofo_scores.npz there (give the folder "
            "of an earlier run's --output)"
        )
    cache = None if str(args.peer_cache) == "none" else args.peer_cache

    data = build_dataset(args.benign, cap=CAP)
    ev = data.part("eval")
    benign = [n for n, y in zip(ev.names, ev.y, strict=True) if y == 0]
    dga = [n for n, y in zip(ev.names, ev.y, strict=True) if y == 1]
    fams = [f for f in ev.family if f]
    taken = {label_of(n) for n in data.names}
    new, new_fams = new_builds(taken)
    unseen = unseen_benign(
        taken,
        args.top_sites or args.peers / "unseen" / "top-sites.json",
        args.peers / "unseen" / HSTS_WHEEL,
    )
    names = benign + dga + new
    unseen_at: dict[str, slice] = {}
    for source, extra in unseen.items():
        unseen_at[source] = slice(len(names), len(names) + len(extra))
        names += extra
    print(
        f"eval: {len(benign):,} benign, {len(dga):,} generated, {len(set(fams))} families; "
        f"new builds: {len(new):,} names of {len(set(new_fams))} families; unseen benign: "
        + ", ".join(f"{s} {len(v):,}" for s, v in unseen.items())
    )

    under_com = {s: np.array([n.endswith(".com") for n in v]) for s, v in unseen.items()}

    def false_alarms(scores: np.ndarray) -> dict[str, dict[str, float]]:
        """Share of each unseen benign list above the thresholds set on the benign eval;
        at 1e-3 also of its names under .com and under any other suffix."""
        out = {}
        cuts = {f"{f:g}": threshold_at_fpr(scores[: len(benign)], f) for f in FPRS}
        for source, at in unseen_at.items():
            out[source] = {f: float(np.mean(scores[at] > cut)) for f, cut in cuts.items()}
            com, flagged = under_com[source], scores[at] > cuts["0.001"]
            out[source]["com@0.001"] = float(flagged[com].mean()) if com.any() else 0.0
            out[source]["other@0.001"] = float(flagged[~com].mean()) if (~com).any() else 0.0
        return out

    def parts(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        a, b = len(benign), len(benign) + len(dga)
        return scores[:a], scores[a:b], fams, scores[b : b + len(new)]

    results = []
    model = default_model() if args.model is None else DGAClassifier.load(args.model)
    model.decision_function(names[:1000])
    t = time.perf_counter()
    s = model.decision_function(names)
    speed = len(names) / (time.perf_counter() - t)
    results.append(summary("dgawatch", *parts(s), new_fams, speed))
    results[-1]["unseen_fpr"] = false_alarms(s)
    peer_scores: dict[str, np.ndarray] = {}

    for peer, code in (("dgaintel", DGAINTEL), ("dgad", DGAD)):
        python = args.peers / peer / "bin" / "python"
        if not python.exists():
            print(f"{peer}: no virtualenv at {python.parent.parent}; skipped")
            continue
        try:
            scores, pspeed, note = cached_peer(peer, python, code, names, cache)
        except RuntimeError as exc:
            print(f"{peer}: failed: {exc}")
            continue
        peer_scores[peer] = scores
        r = summary(peer, *parts(scores), new_fams, pspeed)
        if note:
            r["note"] = f"skipped as too long: {note}"
        r["unseen_fpr"] = false_alarms(scores)
        results.append(r)

    print(
        f"\n| model | TPR@1e-2 | TPR@1e-3 | wordlist ({', '.join(WORDLIST)}) @1e-2 / @1e-3 | "
        "new builds macro @1e-2 / @1e-3 | names/s |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['model']} | {r['tpr@1e-2']:.3f} | {r['tpr@1e-3']:.3f} | "
            f"{r['wordlist_tpr@1e-2']:.3f} / {r['wordlist_tpr@1e-3']:.3f} | "
            f"{r['new_builds_macro_tpr@1e-2']:.3f} / {r['new_builds_macro_tpr@1e-3']:.3f} | "
            f"{r['names_per_s']:,.0f} |"
        )
    print(
        "\nUnseen benign lists, share flagged at the thresholds for FPR 1e-2 / 1e-3 set on the "
        "benign eval names:"
    )
    print("\n| list | names | " + " | ".join(r["model"] for r in results) + " |")
    print("|---|---|" + "---|" * len(results))
    for source, extra in unseen.items():
        cells = [
            f"{r['unseen_fpr'][source]['0.01']:.4f} / {r['unseen_fpr'][source]['0.001']:.4f}"
            for r in results
        ]
        print(f"| {source} | {len(extra):,} | " + " | ".join(cells) + " |")
    print("\nThe same at 1e-3, names under .com / under any other suffix:")
    for source, extra in unseen.items():
        cells = [
            f"{r['unseen_fpr'][source]['com@0.001']:.4f} / "
            f"{r['unseen_fpr'][source]['other@0.001']:.4f}"
            for r in results
        ]
        com = int(under_com[source].sum())
        print(f"| {source} | {com:,} / {len(extra) - com:,} | " + " | ".join(cells) + " |")
    fam_names = sorted(results[0]["families"])
    print("\n| family | " + " | ".join(f"{r['model']} @1e-2 / @1e-3" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for f in fam_names:
        cells = [
            f"{r['families'][f]['0.01']:.3f} / {r['families'][f]['0.001']:.3f}" for r in results
        ]
        print(f"| {f} | " + " | ".join(cells) + " |")
    report: dict[str, object] = {"models": results}
    if args.lofo_scores:
        runs, no_prior = lofo_from_scores(
            args.lofo_scores,
            data,
            benign,
            args.lofo_per_family,
            args.lofo_benign or None,
            args.lofo_params,
        )
        report["lofo"] = lofo_table(
            runs, benign, dga, fams, peer_scores, dgad_classes(args.peers), no_prior
        )
    elif args.lofo:
        runs, no_prior, lofo_parts = lofo_dgawatch(
            data,
            benign,
            dga,
            fams,
            peer_scores,
            lofo_families(args.lofo_families, fams),
            args.lofo_per_family,
            args.lofo_benign or None,
            args.lofo_params,
        )
        report["lofo"] = lofo_table(
            runs, benign, dga, fams, peer_scores, dgad_classes(args.peers), no_prior
        )
        if args.output:  # every run's scores: later combinations need no retraining
            args.output.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(
                args.output / "lofo_scores.npz",
                **{f"benign:{r.family}": r.benign_scores for r in runs},
                **{f"held:{r.family}": r.scores for r in runs},
                **lofo_parts,
            )
    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "bench_classify.json").write_text(json.dumps(report, indent=1))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
