"""Extension-point tests: a module planted on a package's path, as a new family, reader or
engine module would be dropped into the package."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest


@contextmanager
def planted(
    package: ModuleType,
    name: str,
    source: str,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    registry: Callable[..., object],
) -> Iterator[None]:
    """``package.name`` exists (``source``, in ``folder``) while inside; ``registry``'s cache
    is cleared on the way in and out, so it is discovered and then forgotten."""
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
    registry.cache_clear()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        registry.cache_clear()  # type: ignore[attr-defined]
        sys.modules.pop(f"{package.__name__}.{name}", None)
