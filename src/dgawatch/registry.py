"""The one discovery rule of the extension points (families, readers, exporters, portal
pages, hunt engines): every module of the extension's package whose name does not start
with ``_`` is imported, and the package reads what it registers from it (``FAMILY``,
``READERS``, ``EXPORTERS``, ``PAGES``, ``ENGINE``). Adding one is one module plus its test."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Collection, Iterable, Iterator
from types import ModuleType


def modules(package: str, path: Iterable[str], skip: Collection[str] = ()) -> Iterator[ModuleType]:
    """The public modules of ``package`` (its ``__name__`` and ``__path__``), in name order,
    but for those named in ``skip``."""
    for info in pkgutil.iter_modules(path):
        if not info.name.startswith("_") and info.name not in skip:
            yield importlib.import_module(f"{package}.{info.name}")
