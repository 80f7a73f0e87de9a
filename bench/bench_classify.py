"""Classifier benchmark: dgawatch vs the peers dgad 4.1.1 and dgaintel 2.3, same held-out data,
same run.

    .venv/bin/python bench/bench_classify.py [--peers /tmp/peers] [--lofo] [--output DIR]

The evaluation set is the ``eval`` split of :func:`dgawatch.classify.data.build_dataset`
(labels hashed into splits before training, so no evaluation name was trained on): benign
names from ../shared/data/benign and names of every registered family. Each peer runs in its
own virtual environment (``<peers>/dgaintel``: Python 3.11, ``dgaintel==2.3``,
``tensorflow-cpu==2.15.1``; ``<peers>/dgad``: Python 3.10, ``dgad==4.1.1``,
``keras-tcn==3.4.4``, ``tensorflow-cpu==2.15.1``) through a subprocess that reads the names
and writes one score per line; dgad's own TCN model is called in batches instead of its
one-``predict``-per-label loop, scoring a domain by its highest-scoring label as dgad does.
Reported: TPR at FPR 1e-2 and 1e-3 (thresholds on the benign eval names) overall, per family
and on the wordlist family (gozi); dgawatch's leave-one-family-out macro TPR@1e-2
(``--lofo``); throughput (names per second, model loaded, scoring only).

*New builds*: the families' own algorithms with seeds drawn here (:mod:`dgawatch.classify.seeds`,
an rng seed training never uses, 5 builds of 100 names per reseedable family, labels that
occur anywhere in the dataset left out): how each model does on samples of known families
that no published list holds, as a macro average over the families.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dgawatch.classify import default_model
from dgawatch.classify.data import build_dataset
from dgawatch.classify.features import label_of
from dgawatch.classify.seeds import RESEEDABLE, reseeded
from dgawatch.classify.train import CAP, evaluate_scores, leave_one_family_out, lofo_macro
from dgawatch.families import all_families

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", type=Path, default=Path("/tmp/peers"))
    ap.add_argument("--benign", type=Path, default=ROOT.parent / "shared" / "data" / "benign")
    ap.add_argument("--lofo", action="store_true")
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args()

    data = build_dataset(args.benign, cap=CAP)
    ev = data.part("eval")
    benign = [n for n, y in zip(ev.names, ev.y, strict=True) if y == 0]
    dga = [n for n, y in zip(ev.names, ev.y, strict=True) if y == 1]
    fams = [f for f in ev.family if f]
    new, new_fams = new_builds({label_of(n) for n in data.names})
    names = benign + dga + new
    print(
        f"eval: {len(benign):,} benign, {len(dga):,} generated, {len(set(fams))} families; "
        f"new builds: {len(new):,} names of {len(set(new_fams))} families"
    )

    def parts(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        a, b = len(benign), len(benign) + len(dga)
        return scores[:a], scores[a:b], fams, scores[b:]

    results = []
    model = default_model()
    model.decision_function(names[:1000])
    t = time.perf_counter()
    s = model.decision_function(names)
    speed = len(names) / (time.perf_counter() - t)
    results.append(summary("dgawatch", *parts(s), new_fams, speed))
    if args.lofo:
        lofo = leave_one_family_out(data, benign)
        results[0]["lofo_macro_tpr@1e-2"] = lofo_macro(lofo)
        results[0]["lofo"] = lofo

    for peer, code in (("dgaintel", DGAINTEL), ("dgad", DGAD)):
        python = args.peers / peer / "bin" / "python"
        if not python.exists():
            print(f"{peer}: no virtualenv at {python.parent.parent}; skipped")
            continue
        try:
            scores, pspeed, note = run_peer(python, code, names)
        except RuntimeError as exc:
            print(f"{peer}: failed: {exc}")
            continue
        r = summary(peer, *parts(scores), new_fams, pspeed)
        if note:
            r["note"] = f"skipped as too long: {note}"
        results.append(r)

    print(
        f"\n| model | TPR@1e-2 | TPR@1e-3 | wordlist ({', '.join(WORDLIST)}) @1e-2 | "
        "new builds macro @1e-2 / @1e-3 | LOFO macro @1e-2 | names/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        lofo = r.get("lofo_macro_tpr@1e-2")
        print(
            f"| {r['model']} | {r['tpr@1e-2']:.3f} | {r['tpr@1e-3']:.3f} | "
            f"{r['wordlist_tpr@1e-2']:.3f} | {r['new_builds_macro_tpr@1e-2']:.3f} / "
            f"{r['new_builds_macro_tpr@1e-3']:.3f} | {'-' if lofo is None else f'{lofo:.3f}'} | "
            f"{r['names_per_s']:,.0f} |"
        )
    fam_names = sorted(results[0]["families"])
    print("\n| family | " + " | ".join(f"{r['model']} @1e-2 / @1e-3" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for f in fam_names:
        cells = [
            f"{r['families'][f]['0.01']:.3f} / {r['families'][f]['0.001']:.3f}" for r in results
        ]
        print(f"| {f} | " + " | ".join(cells) + " |")
    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
        (args.output / "bench_classify.json").write_text(json.dumps(results, indent=1))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
