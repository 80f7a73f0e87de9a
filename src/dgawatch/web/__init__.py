"""A read-only web portal over the forecast store, the family registry, lookup, the
classifier and the sinkhole statistics; every HTML page has a JSON twin (``.json`` or
``/api/...``). ``dgawatch web serve`` runs it."""

from __future__ import annotations

from dgawatch.web.app import create_app

__all__ = ["create_app"]
