"""Detecting algorithmically generated domain names, including families nobody has
reverse-engineered yet (design.md: "classifier (unknown DGAs)").

:class:`DGAClassifier` is the estimator; :func:`default_model` loads the model shipped in
this package (offline, from package data); ``dgawatch classify train`` rebuilds it.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dgawatch.classify.model import DGAClassifier, threshold_at_fpr, tpr_at_fpr

__all__ = ["MODEL_FILE", "DGAClassifier", "default_model", "threshold_at_fpr", "tpr_at_fpr"]

MODEL_FILE = "dgawatch-classifier.npz"
_FROM_MODEL = ("DGAClassifier", "threshold_at_fpr", "tpr_at_fpr")


def __getattr__(name: str) -> Any:
    # The model module pulls in NumPy and the feature code; loading it only when used keeps
    # it off the start-up path of every other ``dgawatch`` command (the CLI registers
    # ``classify`` at import time).
    if name in _FROM_MODEL:
        return getattr(importlib.import_module("dgawatch.classify.model"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def default_model() -> DGAClassifier:
    """The shipped model (read once per process)."""
    from dgawatch.classify.model import DGAClassifier

    ref = resources.files("dgawatch.classify") / "model" / MODEL_FILE
    with ref.open("rb") as fh:
        return DGAClassifier.load(fh)
