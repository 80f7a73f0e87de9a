"""Leave-one-family-out: the held-out family is never trained on, and the subset of
families a short LOFO holds out is a seeded draw stratified by generator type."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from dgawatch.classify import DGAClassifier
from dgawatch.classify.data import Dataset, split_of
from dgawatch.classify.features import label_of
from dgawatch.classify.train import LOFO_SUBSET, lofo_runs, lofo_subset
from dgawatch.families import get_family


def test_subset_is_stratified_and_seeded() -> None:
    chosen = lofo_subset()
    assert chosen == sorted(set(chosen))
    kinds = Counter(get_family(f).generator_type for f in chosen)
    assert dict(kinds) == {k: v for k, v in LOFO_SUBSET.items() if v}
    assert lofo_subset() == chosen
    assert lofo_subset(seed=12) != chosen
    assert lofo_subset({"wordlist": 5}) == sorted(
        ["bigviktor", "gozi", "ngioweb", "nymaim2", "suppobox"]
    )


class _Spy(DGAClassifier):
    seen: ClassVar[list[list[str]]] = []
    families: ClassVar[list[set[str | None]]] = []

    def fit(
        self,
        X: Sequence[str],
        y: Sequence[int] | np.ndarray,
        family: Sequence[str | None] | None = None,
        **kw: object,
    ) -> _Spy:
        _Spy.seen.append(list(X))
        _Spy.families.append(set(family or ()))
        super().fit(X, y)
        return self


def test_held_out_family_is_never_trained_on(
    small_data: tuple[list[str], list[int], list[str | None]],
) -> None:
    names, y, fams = small_data
    split = [split_of(label_of(n)) for n in names]
    data = Dataset(names, np.array(y), fams, split)
    rows = list(zip(names, fams, split, strict=True))
    benign_eval = [n for n, f, s in rows if f is None and s == "eval"]
    tiny = {"bits": 14, "epochs": 2, "cnn_filters": 0}
    _Spy.seen, _Spy.families = [], []
    runs = list(
        lofo_runs(data, benign_eval, ["necurs", "qadars"], 200, 1000, make=lambda: _Spy(**tiny))
    )
    assert [r.family for r in runs] == ["necurs", "qadars"]
    for run, trained, given in zip(runs, _Spy.seen, _Spy.families, strict=True):
        held = {n for n, f, s in zip(names, fams, split, strict=True) if f == run.family}
        assert run.names == [
            n for n, f, s in zip(names, fams, split, strict=True) if f == run.family and s == "eval"
        ]
        assert not held & set(trained)
        others = {f for n, f in zip(names, fams, strict=True) if n in set(trained)} - {None}
        assert others == {"cryptolocker", "necurs", "qadars"} - {run.family}
        # the family labels go along (the suffix prior counts by them), the held one's never
        assert given == others | {None}
        assert set(trained) <= {n for n, s in zip(names, split, strict=True) if s == "train"}
        assert len(run.benign_scores) == len(benign_eval)
        assert len(run.scores) == len(run.names)
        # a trained detector still separates the family it never saw from benign names
        assert run.tpr(1e-1) > 0.5


def test_every_benign_training_name_is_kept_by_default(
    small_data: tuple[list[str], list[int], list[str | None]],
) -> None:
    """The shipped model trains on every benign name of the train split, and so does a LOFO
    retraining given ``benign_train=None`` (the default; benign breadth sets the 1e-3
    tail); a number caps them."""
    names, y, fams = small_data
    split = [split_of(label_of(n)) for n in names]
    data = Dataset(names, np.array(y), fams, split)
    benign_train = {
        n for n, f, s in zip(names, fams, split, strict=True) if f is None and s == "train"
    }
    tiny = {"bits": 14, "epochs": 1, "cnn_filters": 0}
    _Spy.seen = []
    list(lofo_runs(data, names[:50], ["necurs"], 50, None, make=lambda: _Spy(**tiny)))
    assert benign_train <= set(_Spy.seen[0])
    _Spy.seen = []
    list(lofo_runs(data, names[:50], ["necurs"], 50, 100, make=lambda: _Spy(**tiny)))
    assert len(benign_train & set(_Spy.seen[0])) == 100
