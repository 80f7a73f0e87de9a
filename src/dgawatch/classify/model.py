"""The DGA classifier: an estimator with the scikit-learn contract.

Two detectors and a family head:

* the *linear detector*, a logistic regression (SGD) scoring how likely a name is
  generated, over ``2**bits`` hashed n-gram buckets plus the lexical bins
  (:mod:`dgawatch.classify.features`);
* the *CNN detector* (:mod:`dgawatch.classify.cnn`), a small character CNN trained on the
  same names and weights; the score is the blend ``(1 - cnn_weight) * linear +
  cnn_weight * cnn`` of the two log-odds (both are fitted to the same class-balanced log
  loss, so they share a scale). Measured on the held-out split, the blend at
  ``cnn_weight`` 0.35 beats either detector alone at FPR 1e-3 (README, issue 7 note);
* the *suffix prior*, added to that blend: ``suffix_prior * clip(log-odds of the name's
  public suffix, -2, 1)``, the log-odds counted on the training names (:class:`SuffixPrior`).
  The detectors are trained on labels alone, so their weights never adapt to the suffix; a
  suffix the known families favour raises a name (by at most 1.5 log-odds at the default
  weight), one the benign names favour lowers it (by at most 3). A bare label (the hunt
  scores labels) gets nothing, and has thresholds of its own
  (:meth:`DGAClassifier.calibrate`);
* the *family head*, a multinomial logistic regression over the n-grams folded into
  ``2**family_bits`` buckets, trained on generated names only, naming the known family a
  name most resembles (a resemblance, not an attribution: :mod:`dgawatch.lookup` attributes).

The fitted model is a handful of NumPy arrays; :meth:`DGAClassifier.save` writes them to one
compressed ``.npz`` (no pickle, so loading a model file never runs code) with the parameters
and the calibration thresholds as JSON inside. The detector's weights are kept at float16
precision and the family head as int8 with a scale per family (:func:`quantize_rows`), in
memory as in the file, so a loaded model scores exactly as the fitted one: the shipped file
went from 11.2 to 3.6 MB, its log-odds moving by at most 0.0033.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any

import numpy as np

from dgawatch.classify.cnn import CharCNN, TrainParams, cnn_threads, fit_cnn
from dgawatch.classify.features import (
    Encoded,
    Featurized,
    Featurizer,
    LanguageModel,
    encode,
    idn_labels,
    labels,
    split_names,
)
from dgawatch.errors import InputError, unreadable

FORMAT = "dgawatch-classifier/2"
#: False-positive rates the calibration stores thresholds for.
CALIBRATED_FPRS = (1e-1, 1e-2, 1e-3, 1e-4)
#: :meth:`DGAClassifier.decision_function` of a name whose label is an IDN (``xn--``,
#: :func:`dgawatch.classify.features.idn_labels`): not scored, far below every threshold.
IDN_LOGODDS = -20.0
#: Folds of the cross-fitted language-model measure of training names.
LM_FOLDS = 5


class DGAClassifier:
    """Scores domain names 0..1 (1 = algorithmically generated) and names the closest family.

    ``fit(X, y, family=...)``: ``X`` domain names, ``y`` 1 for generated, 0 for benign,
    ``family`` the family of each generated name (the family head is skipped without it).
    ``cnn_filters=0`` leaves the CNN detector out (a linear model, no PyTorch needed).
    ``tail_weight`` (default 1: off) weighs the lowest ``tail_share`` of benign training
    names by their benign-text likelihood (pinyin abbreviations, hex, consonant clusters)
    that many times: an experiment for unseen families at FPR 1e-3. Measured on the LOFO
    subset (300 names per family, all benign names), 3x moved symmi 0.347 -> 0.373 and
    proslikefan 0.571 -> 0.538; the linear detector alone, banjori 0.08 -> 0.27 but 8 of 12
    other held-out families lower (their macro 0.383 -> 0.389). No net gain: it stays off.
    ``suffix_bits`` (default 0: off) adds the public suffix as evidence to the linear
    detector (:func:`dgawatch.classify.features.suffix_tokens`); measured on the full
    57-family LOFO it gains under DGA-typical TLDs and loses under .com about as much
    (README, "Classifier"): it stays off. ``suffix_prior`` (default 1.5; 0: off) weighs
    the second-stage suffix evidence (:class:`SuffixPrior`); the generated names it counts
    are those with a ``family`` (synthetic training names, whose TLDs are drawn by hand, do
    not count), or all of them when ``fit`` is given no ``family``.
    """

    def __init__(
        self,
        bits: int = 20,
        family_bits: int = 16,
        ngram_max: int = 5,
        lexical: bool = True,
        alpha: float = 1e-5,
        family_alpha: float = 1e-6,
        epochs: int = 5,
        family_epochs: int = 6,
        family_cap: int = 3000,
        cnn_filters: int = 64,
        cnn_hidden: int = 64,
        cnn_embed: int = 24,
        cnn_epochs: int = 6,
        cnn_weight: float = 0.35,
        tail_weight: float = 1.0,
        tail_share: float = 0.05,
        suffix_bits: int = 0,
        suffix_prior: float = 1.5,
        random_state: int | None = 0,
    ) -> None:
        self.bits = bits
        self.family_bits = family_bits
        self.ngram_max = ngram_max
        self.lexical = lexical
        self.alpha = alpha
        self.family_alpha = family_alpha
        self.epochs = epochs
        self.family_epochs = family_epochs
        self.family_cap = family_cap
        self.cnn_filters = cnn_filters
        self.cnn_hidden = cnn_hidden
        self.cnn_embed = cnn_embed
        self.cnn_epochs = cnn_epochs
        self.cnn_weight = cnn_weight
        self.tail_weight = tail_weight
        self.tail_share = tail_share
        self.suffix_bits = suffix_bits
        self.suffix_prior = suffix_prior
        self.random_state = random_state

    # -- scikit-learn plumbing -----------------------------------------------------------

    _PARAMS = (
        "bits",
        "family_bits",
        "ngram_max",
        "lexical",
        "alpha",
        "family_alpha",
        "epochs",
        "family_epochs",
        "family_cap",
        "cnn_filters",
        "cnn_hidden",
        "cnn_embed",
        "cnn_epochs",
        "cnn_weight",
        "tail_weight",
        "tail_share",
        "suffix_bits",
        "suffix_prior",
        "random_state",
    )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self._PARAMS}

    def set_params(self, **params: Any) -> DGAClassifier:
        for k, v in params.items():
            if k not in self._PARAMS:
                raise ValueError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._PARAMS)
        return f"DGAClassifier({args})"

    # -- fitting -------------------------------------------------------------------------

    def fit(
        self,
        X: Sequence[str],
        y: Sequence[int] | np.ndarray,
        family: Sequence[str | None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> DGAClassifier:
        """``log`` (a fit parameter, not an estimator one) hears of each CNN epoch."""
        from sklearn.linear_model import SGDClassifier

        yy = np.asarray(y, dtype=np.int64)
        if len(X) != len(yy):
            raise ValueError("X and y differ in length")
        if set(np.unique(yy).tolist()) != {0, 1}:
            raise ValueError("y needs both classes, 0 (benign) and 1 (generated)")
        labs, suffixes = split_names(X)
        enc = encode(labs)
        lm = LanguageModel.fit(enc.take(np.flatnonzero(yy == 0)))
        self.featurizer_ = Featurizer(self.bits, self.ngram_max, self.lexical, lm, self.suffix_bits)
        # Training rows get their benign log-likelihood from models fitted without them.
        loglik = LanguageModel.cross_fitted(enc, yy == 0, LM_FOLDS) if self.lexical else None
        feats = self.featurizer_.featurize(enc, loglik=loglik, suffixes=suffixes)
        features = self.featurizer_.matrix(feats)
        # Each class weighs the same in total, whatever the mix.
        n_pos = int(yy.sum())
        n_neg = len(yy) - n_pos
        weight = np.where(yy == 1, 0.5 * len(yy) / n_pos, 0.5 * len(yy) / n_neg)
        if self.tail_weight != 1.0:
            weight = weight * _tail_factor(enc, yy, loglik, self.tail_share, self.tail_weight)
        det = SGDClassifier(
            loss="log_loss",
            alpha=self.alpha,
            max_iter=self.epochs,
            tol=None,
            learning_rate="optimal",
            average=True,
            random_state=self.random_state,
        )
        det.fit(features, yy, sample_weight=weight)
        # Rounded to float16 as the model file stores it: a saved and loaded model scores
        # exactly as the fitted one (the rounding moves a log-odds by < 0.01).
        self.coef_ = det.coef_.ravel().astype(np.float16).astype(np.float32)
        self.intercept_ = float(det.intercept_[0])
        # A bare label (no suffix: the hunt scores labels) gets the benign training names'
        # mean suffix contribution: scored as a label under an ordinary benign suffix.
        part = self.featurizer_.suffix_part(feats, self.coef_)
        self.suffix_bare_ = float(part[yy == 0].mean()) if self.suffix_bits else 0.0
        self.classes_ = np.array([0, 1])
        self.prior_ = SuffixPrior.count(suffixes, yy, family)
        self.cnn_: CharCNN | None = None
        if self.cnn_filters > 0:
            params = TrainParams(
                embed=self.cnn_embed,
                filters=self.cnn_filters,
                hidden=self.cnn_hidden,
                epochs=self.cnn_epochs,
            )
            seed = self.random_state or 0
            self.cnn_ = fit_cnn(enc, yy, weight, params, seed, log or (lambda _m: None))
        self.thresholds_: dict[float, float] = {}
        self.label_thresholds_: dict[float, float] = {}
        self.families_: list[str] = []
        self.family_coef_: np.ndarray | None = None
        self.family_scale_: np.ndarray | None = None
        self.family_intercept_: np.ndarray | None = None
        if family is not None:
            self._fit_family(enc, yy, family)
        return self

    def _fit_family(
        self,
        enc: Encoded,
        yy: np.ndarray,
        family: Sequence[str | None],
    ) -> None:
        from sklearn.linear_model import SGDClassifier

        fam = np.array([f or "" for f in family], dtype=object)
        pos = np.flatnonzero((yy == 1) & (fam != ""))
        names = sorted(set(fam[pos].tolist()))
        if len(names) < 2:
            self.families_ = names
            return
        rng = np.random.default_rng(self.random_state)
        keep = []
        for f in names:  # at most family_cap names per family, chosen reproducibly
            rows = pos[fam[pos] == f]
            if len(rows) > self.family_cap:
                rows = np.sort(rng.choice(rows, self.family_cap, replace=False))
            keep.append(rows)
        rows = np.concatenate(keep)
        target = np.searchsorted(np.array(names, dtype=object), fam[rows])
        x = self.featurizer_.transform(enc.take(rows), bits=self.family_bits)
        head = SGDClassifier(
            loss="log_loss",
            alpha=self.family_alpha,
            max_iter=self.family_epochs,
            tol=None,
            average=True,
            random_state=self.random_state,
        )
        head.fit(x, target)
        self.families_ = names
        self.family_coef_, self.family_scale_ = quantize_rows(head.coef_)
        self.family_intercept_ = head.intercept_.astype(np.float32)

    def calibrate(self, benign: Sequence[str], fprs: Sequence[float] = CALIBRATED_FPRS) -> None:
        """Store, for each false-positive rate, the score threshold that benign names
        (held out from training) exceed at most at that rate; and the same for their bare
        labels (no suffix, so no suffix prior), for callers that score labels."""
        scores = self.decision_function(benign)
        self.thresholds_ = {float(f): threshold_at_fpr(scores, f) for f in fprs}
        bare = self.decision_function(labels(benign))
        self.label_thresholds_ = {float(f): threshold_at_fpr(bare, f) for f in fprs}

    # -- scoring -------------------------------------------------------------------------

    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("this DGAClassifier is not fitted yet; call fit() or load()")

    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Log-odds that each name is generated (monotone in :meth:`predict_proba`)."""
        self._check()
        parts = [self._score(c, family=False)[0] for c in _chunks(X)]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _score(
        self, names: Sequence[str], family: bool
    ) -> tuple[np.ndarray, tuple[list[str | None], np.ndarray] | None]:
        """Blended log-odds (plus the suffix prior), and the family head's answer when
        ``family``."""
        linear, cnn, prior, fam, idn = self._parts(names, family)
        score = linear if cnn is None else (1.0 - self.cnn_weight) * linear + self.cnn_weight * cnn
        if prior is not None:
            score += prior
        score[idn] = IDN_LOGODDS
        return score, fam

    def _parts(
        self, names: Sequence[str], family: bool
    ) -> tuple[
        np.ndarray,
        np.ndarray | None,
        np.ndarray | None,
        tuple[list[str | None], np.ndarray] | None,
        np.ndarray,
    ]:
        """(linear log-odds, CNN log-odds, what the suffix prior adds, the family head's
        answer when ``family``, which labels are IDNs (:func:`idn_labels`)); None for a part
        the model has not. On a large batch the
        compiled CNN runs on its own thread (GIL released) while this one does the NumPy
        work of the linear and family heads: on 2 cores, 133 k instead of 83 k names/s."""
        prior = self.suffix_prior and self.prior_.odds
        if self.suffix_bits or prior:
            labs, suffixes = split_names(names)
        else:
            labs, suffixes = labels(names), None
        enc = encode(labs)
        cnn = (
            None
            if self.cnn_ is None
            else _Background(self.cnn_.logits, enc, len(enc) >= _OVERLAP_MIN)
        )
        f = self.featurizer_.featurize(enc, suffixes=suffixes if self.suffix_bits else None)
        fam = self._family(f, names) if family else None
        linear = self.featurizer_.linear(f, self.coef_, self.suffix_bare_) + self.intercept_
        added = None
        if prior and suffixes is not None:
            added = self.suffix_prior * self.prior_.values(suffixes)
        return linear, None if cnn is None else cnn.result(), added, fam, idn_labels(labs, enc)

    def detector_scores(self, X: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """The two detectors' log-odds apart: (linear, CNN); CNN None without one. Their
        blend plus :meth:`prior_scores` is :meth:`decision_function`, except on an IDN
        label (:func:`idn_labels`), which that gives :data:`IDN_LOGODDS`."""
        self._check()
        lin: list[np.ndarray] = []
        cnn: list[np.ndarray] = []
        for chunk in _chunks(X):
            linear, logits, _, _, _ = self._parts(chunk, family=False)
            lin.append(linear)
            if logits is not None:
                cnn.append(logits)
        if not lin:
            return np.zeros(0), None if self.cnn_ is None else np.zeros(0)
        return np.concatenate(lin), np.concatenate(cnn) if cnn else None

    def prior_scores(self, X: Sequence[str]) -> np.ndarray:
        """What the suffix prior adds to each name's log-odds (0 for a bare label)."""
        self._check()
        if not self.suffix_prior:
            return np.zeros(len(X))
        return self.suffix_prior * self.prior_.values(split_names(X)[1])

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def score_names(self, X: Sequence[str]) -> np.ndarray:
        """P(generated) per name (the second column of :meth:`predict_proba`)."""
        return _sigmoid(self.decision_function(X))

    def threshold_for(self, fpr: float | None = None) -> float:
        """The probability threshold calibrated for ``fpr`` (None: 0.5)."""
        if fpr is None:
            return 0.5
        return float(_sigmoid(np.array([self.logit_threshold_for(fpr)]))[0])

    def logit_threshold_for(self, fpr: float, bare: bool = False) -> float:
        """The :meth:`decision_function` threshold calibrated for ``fpr`` (exact where
        probabilities round to 1); ``bare``: the one for bare labels (no suffix)."""
        table = (self.label_thresholds_ or self.thresholds_) if bare else self.thresholds_
        if not table:
            raise InputError("this model has no calibration; give --threshold instead of --fpr")
        known = sorted(table)
        best = min(known, key=lambda f: abs(np.log(f) - np.log(fpr)))
        if not np.isclose(best, fpr, rtol=1e-6):
            raise InputError(
                f"no threshold calibrated for FPR {fpr:g} (calibrated: "
                + ", ".join(f"{f:g}" for f in known)
                + ")"
            )
        return table[best]

    def predict(self, X: Sequence[str], threshold: float = 0.5) -> np.ndarray:
        return (self.score_names(X) > threshold).astype(np.int64)

    def predict_family(self, X: Sequence[str]) -> tuple[list[str | None], np.ndarray]:
        """(closest known family, its softmax probability) per name."""
        self._check()
        labs, suffixes = split_names(X) if self.suffix_bits else (labels(X), None)
        return self._family(self.featurizer_.featurize(encode(labs), suffixes=suffixes), X)

    def _family(
        self, f: Featurized, names: Sequence[str] = ()
    ) -> tuple[list[str | None], np.ndarray]:
        """The most probable family per name. With ``names``, only families one of whose
        variants uses the name's TLD compete (a Conficker C name under ``com.ki`` is not
        called tempedreve, which never uses it); when no known family uses it, all do."""
        n = f.n
        if self.family_coef_ is None or self.family_intercept_ is None:
            only = self.families_[0] if self.families_ else None
            return [only] * n, np.full(n, 1.0 if only else 0.0)
        # The stored (int8, row-scaled) coefficients as float32, transposed once per head.
        source, weights = getattr(self, "_family_weights", (None, None))
        if source is not self.family_coef_:
            source = self.family_coef_
            weights = np.ascontiguousarray(source.T, dtype=np.float32)
            if self.family_scale_ is not None:
                weights *= self.family_scale_
            self._family_weights = (source, weights)
        x = self.featurizer_.matrix(f, bits=self.family_bits)
        z = np.asarray(x @ weights, dtype=np.float64)
        z += self.family_intercept_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        if len(names) == n:
            allowed = family_tld_mask(names, self.families_)
            some = allowed.any(axis=1)
            e[some] *= allowed[some]
        p = e / e.sum(axis=1, keepdims=True)
        best = p.argmax(axis=1)
        return [self.families_[i] for i in best], p[np.arange(n), best]

    def classify(self, X: Sequence[str]) -> tuple[np.ndarray, list[str | None], np.ndarray]:
        """(score, family, family_score) per name, encoding the names once."""
        self._check()
        logits, fams, fscores = [], [], []
        for chunk in _chunks(X):
            logit, fam = self._score(chunk, family=True)
            assert fam is not None
            logits.append(logit)
            fams += fam[0]
            fscores.append(fam[1])
        if not logits:
            return np.zeros(0), [], np.zeros(0)
        return _sigmoid(np.concatenate(logits)), fams, np.concatenate(fscores)

    # -- persistence ---------------------------------------------------------------------

    def save(self, path: str | Path | IO[bytes]) -> None:
        self._check()
        assert self.featurizer_.lm is not None or not self.lexical
        meta = {
            "format": FORMAT,
            "params": self.get_params(),
            "intercept": self.intercept_,
            "suffix_bare": self.suffix_bare_,
            "families": self.families_,
            "thresholds": {repr(k): v for k, v in sorted(self.thresholds_.items())},
            "label_thresholds": {repr(k): v for k, v in sorted(self.label_thresholds_.items())},
            "suffix_odds": dict(sorted(self.prior_.odds.items())),
        }
        arrays: dict[str, np.ndarray] = {
            "meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
            "coef": self.coef_.astype(np.float16),
        }
        if self.featurizer_.lm is not None:
            arrays["lm"] = self.featurizer_.lm.logp
        if self.cnn_ is not None:
            arrays.update(self.cnn_.arrays())
        if self.family_coef_ is not None and self.family_intercept_ is not None:
            arrays["family_coef"] = self.family_coef_
            arrays["family_intercept"] = self.family_intercept_
            if self.family_scale_ is not None:
                arrays["family_scale"] = self.family_scale_
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path | IO[bytes]) -> DGAClassifier:
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = json.loads(arrays["meta"].tobytes().decode())
        except OSError as exc:
            why = unreadable(str(path), exc)
            raise InputError(f"cannot read classifier model {path}: {why}") from None
        except (ValueError, KeyError, UnicodeDecodeError):
            # (numpy's own words invite loading the file's pickles: never)
            raise InputError(
                f"{path} is not a dgawatch classifier model (an .npz file written by "
                "'dgawatch classify train')"
            ) from None
        if meta.get("format") != FORMAT:
            raise InputError(f"{path} is not a {FORMAT} model file")
        # (files before the suffix evidence or prior: none, whatever the defaults now)
        model = cls(**{"suffix_bits": 0, "suffix_prior": 0.0, **meta["params"]})
        lm = LanguageModel(arrays["lm"]) if "lm" in arrays else None
        model.featurizer_ = Featurizer(
            model.bits, model.ngram_max, model.lexical, lm, model.suffix_bits
        )
        model.suffix_bare_ = float(meta.get("suffix_bare", 0.0))
        model.coef_ = arrays["coef"].astype(np.float32)
        model.cnn_ = CharCNN.from_arrays(arrays)
        model.intercept_ = float(meta["intercept"])
        model.classes_ = np.array([0, 1])
        model.families_ = list(meta["families"])
        model.family_coef_ = arrays.get("family_coef")
        model.family_intercept_ = arrays.get("family_intercept")
        model.family_scale_ = arrays.get("family_scale")
        model.thresholds_ = {float(k): float(v) for k, v in _items(meta["thresholds"])}
        model.label_thresholds_ = {
            float(k): float(v) for k, v in _items(meta.get("label_thresholds", {}))
        }
        odds = meta.get("suffix_odds", {})
        model.prior_ = SuffixPrior({str(k): float(v) for k, v in odds.items()})
        return model


#: Each suffix's pseudo-count in :class:`SuffixPrior`, as a share of its class's names:
#: smoothing that does not depend on the class sizes (a suffix neither class used has
#: log-odds 0 however many names of each class there were).
PRIOR_PSEUDO = 1e-4
#: Suffixes the smoothing spreads over (the denominators' ``pseudo * V``).
PRIOR_SUFFIXES = 1000
#: The least and the most a suffix's log-odds can be: what a suffix the benign names favour
#: takes off a name, and what one the known families favour adds. The cap, because the
#: benign top lists hold few names under dynamic-DNS and hosting suffixes (a user's
#: ``jekyll.github.io`` ranks nowhere) and cheap TLDs (popular sites seldom use .tk or
#: .top; the long tail of real sites does), which inflates those suffixes' ratios. Session
#: 13 measured it on an unseen benign list, 8,033 hosts of the 2025 Chromium HSTS preload
#: list (``bench/bench_classify.py``'s hsts-preload row): at the shipped model's 1e-3
#: threshold a cap of 3 flagged 1.29 % of them (.tk names +4.5 log-odds), 1.0 flags 0.54 %;
#: the full 57-family LOFO at 1e-3 is the same within noise (0.702 at 3, 0.706 at 1, 0.692
#: with no positive prior) and in-family TPR at 1e-3 goes 0.805 -> 0.784.
PRIOR_FLOOR, PRIOR_CAP = -2.0, 1.0


class SuffixPrior:
    """What a name's public suffix says of it, learned from the training names: for each
    suffix, ``log P(suffix | generated) - log P(suffix | benign)`` clipped to
    [:data:`PRIOR_FLOOR`, :data:`PRIOR_CAP`], with
    :data:`PRIOR_PSEUDO` smoothing. DGAs favour cheap or lax registries and dynamic-DNS
    zones, and which ones a new family uses is shared with the families already known;
    benign names favour national registries the known families never used (.se, .jp).
    A suffix neither class used (a new family's new TLD) is worth 0: scored on its labels
    alone.

    Chosen on the saved scores of session 10's full 57-family leave-one-family-out
    (README, "Classifier"): weight 1.5 and floor -2 were best over the even-indexed
    families among weights 1-2.5 and floors 0, -1, -2 and none, and held on the others;
    the cap of 3 then cost 0.003 of that LOFO's macro TPR at 1e-3 (0.684 -> 0.681), and
    session 13 lowered it to 1 for an unseen benign list's sake (:data:`PRIOR_CAP`)."""

    def __init__(self, odds: Mapping[str, float]) -> None:
        self.odds = dict(odds)

    @classmethod
    def count(
        cls,
        suffixes: Sequence[str],
        y: np.ndarray,
        family: Sequence[str | None] | None,
    ) -> SuffixPrior:
        """From the training names' suffixes: benign (``y`` 0) against generated names with
        a family (all generated ones when ``family`` is None)."""
        counts: tuple[dict[str, int], dict[str, int]] = ({}, {})
        fams = family if family is not None else ["?"] * len(suffixes)
        for sfx, label, fam in zip(suffixes, y.tolist(), fams, strict=True):
            if label == 1 and not fam:
                continue
            table = counts[label]
            table[sfx] = table.get(sfx, 0) + 1
        total = [sum(t.values()) for t in counts]
        if not all(total):
            return cls({})
        pseudo = [PRIOR_PSEUDO * n for n in total]
        denom = [n + p * PRIOR_SUFFIXES for n, p in zip(total, pseudo, strict=True)]

        def log_p(k: int, sfx: str) -> float:
            return float(np.log((counts[k].get(sfx, 0) + pseudo[k]) / denom[k]))

        seen = (counts[0].keys() | counts[1].keys()) - {""}
        odds = {
            s: min(PRIOR_CAP, max(PRIOR_FLOOR, log_p(1, s) - log_p(0, s))) for s in sorted(seen)
        }
        return cls({s: round(v, 4) for s, v in odds.items() if round(v, 4) != 0})

    def values(self, suffixes: Sequence[str]) -> np.ndarray:
        get = self.odds.get
        return np.fromiter((get(s, 0.0) for s in suffixes), np.float64, len(suffixes))


#: Batches from this size score the CNN on a thread of its own (:meth:`DGAClassifier._score`).
_OVERLAP_MIN = 2048
#: Names scored at a time. The per-character arrays of a chunk (five n-gram ids per
#: character: tens of MB) stay small enough to be reused rather than faulted in afresh;
#: measured, 16,384 names a chunk scored 10-60 % faster than 65,536 or 200,000.
_CHUNK = 16384


def _chunks(X: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(X), _CHUNK):
        yield X[start : start + _CHUNK]


class _Background:
    """``fn(enc)`` on a new thread (a plain thread: a pool would not survive a fork) with
    one C thread fewer, or inline when not ``wanted``; :meth:`result` re-raises."""

    def __init__(self, fn: Callable[..., np.ndarray], enc: Encoded, wanted: bool) -> None:
        self._out: np.ndarray | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if not wanted:
            self._out = fn(enc)
            return

        def run() -> None:
            try:
                self._out = fn(enc, threads=max(1, cnn_threads() - 1))
            except BaseException as exc:  # handed to the caller by result()
                self._error = exc

        self._thread = threading.Thread(target=run, name="dgawatch-cnn", daemon=True)
        self._thread.start()

    def result(self) -> np.ndarray:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._out is not None
        return self._out


def quantize_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``w`` [rows, cols] as int8 with one float32 scale per row (``q * scale`` ~ ``w``):
    the family head in a quarter of float32's bytes. Measured on the shipped model's head,
    the closest family changed for 1.9 % of 20,000 held-out generated names (near ties;
    accuracy 0.698 -> 0.698) and the model file shrank from 11.2 to ~3.5 MB."""
    w = np.asarray(w, dtype=np.float32)
    top = np.abs(w).max(axis=1)
    scale = np.where(top > 0, top / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def _tail_factor(
    enc: Encoded, yy: np.ndarray, loglik: np.ndarray | None, share: float, factor: float
) -> np.ndarray:
    """``factor`` for the benign training names least like benign text (the lowest
    ``share`` of their cross-fitted benign log-likelihood), 1 elsewhere."""
    if loglik is None:
        loglik = LanguageModel.cross_fitted(enc, yy == 0, LM_FOLDS)
    benign = np.flatnonzero(yy == 0)
    cut = np.quantile(loglik[benign], share)
    out = np.ones(len(yy))
    out[benign[loglik[benign] <= cut]] = factor
    return out


def _items(d: Mapping[str, float]) -> list[tuple[str, float]]:
    return list(d.items())


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -500, 500))))


def threshold_at_fpr(benign_scores: np.ndarray, fpr: float) -> float:
    """The smallest threshold ``t`` with ``mean(benign_scores > t) <= fpr``."""
    s = np.sort(np.asarray(benign_scores, dtype=np.float64))[::-1]
    k = int(np.floor(fpr * len(s)))
    if len(s) == 0:
        return float("inf")
    return float(s[min(k, len(s) - 1)])


def tpr_at_fpr(benign_scores: np.ndarray, dga_scores: np.ndarray, fpr: float) -> float:
    t = threshold_at_fpr(benign_scores, fpr)
    return float(np.mean(np.asarray(dga_scores) > t)) if len(dga_scores) else float("nan")


@cache
def _family_suffixes(families: tuple[str, ...]) -> tuple[frozenset[str] | None, ...]:
    """Per family (by name, as the model lists them) the TLDs its registered variants use;
    None where any TLD is possible (a variant without a TLD set, or a family the registry
    no longer has)."""
    from dgawatch.errors import UnknownFamilyError
    from dgawatch.families import get_family

    out: list[frozenset[str] | None] = []
    for name in families:
        try:
            variants = get_family(name).variants
        except UnknownFamilyError:
            out.append(None)
            continue
        if any(not v.tlds for v in variants):
            out.append(None)
        else:
            out.append(frozenset(t for v in variants for t in v.tlds))
    return tuple(out)


def family_tld_mask(names: Sequence[str], families: Sequence[str | None]) -> np.ndarray:
    """``[name, family]``: whether one of the family's variants uses the name's TLD (any
    suffix of the name below its first label: ``com.ki``, ``ki``)."""
    suffix_sets = _family_suffixes(tuple(f or "" for f in families))
    ids: dict[str, int] = {}
    which = [ids.setdefault(n.lower().rstrip(".").partition(".")[2], len(ids)) for n in names]
    rows = np.ones((len(ids), len(families)), bool)
    for tail, i in ids.items():
        rest = tail.split(".")
        tails = {".".join(rest[-k:]) for k in range(1, min(len(rest), 3) + 1)}
        rows[i] = [s is None or not s.isdisjoint(tails) for s in suffix_sets]
    return rows[np.asarray(which, np.intp)] if names else np.ones((0, len(families)), bool)
