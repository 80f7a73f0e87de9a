"""Detecting algorithmically generated domain names, including families nobody has
reverse-engineered yet (design.md: "classifier (unknown DGAs)").

:class:`DGAClassifier` is the estimator; :func:`default_model` loads the model shipped in
this package (offline, from package data); ``dgawatch classify train`` rebuilds it.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from dgawatch.classify.model import DGAClassifier, threshold_at_fpr, tpr_at_fpr

__all__ = ["MODEL_FILE", "DGAClassifier", "default_model", "threshold_at_fpr", "tpr_at_fpr"]

MODEL_FILE = "dgawatch-classifier.npz"


@cache
def default_model() -> DGAClassifier:
    """The shipped model (read once per process)."""
    ref = resources.files("dgawatch.classify") / "model" / MODEL_FILE
    with ref.open("rb") as fh:
        return DGAClassifier.load(fh)
