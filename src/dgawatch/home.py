"""Where dgawatch keeps its data (kept free of heavy imports: every command reads it)."""

from __future__ import annotations

import os
from pathlib import Path

#: Derived data that can be rebuilt at any time (lists, parsed tables), in the data dir.
CACHE_DIR = "list-cache-v1"


def data_dir() -> Path:
    """``$DGAWATCH_HOME``, else ``$XDG_DATA_HOME/dgawatch``, else ``~/.local/share/dgawatch``."""
    home = os.environ.get("DGAWATCH_HOME")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "dgawatch"


def cache_root() -> Path | None:
    """Where derived data is cached (``$DGAWATCH_LIST_CACHE``, else
    ``<data dir>/list-cache-v1``), or None when the cache is off (``off``, ``0``, ``no``)."""
    env = os.environ.get("DGAWATCH_LIST_CACHE")
    if env is not None and env.strip().lower() in ("", "0", "off", "no", "false"):
        return None
    if env:
        return Path(env)
    return data_dir() / CACHE_DIR
