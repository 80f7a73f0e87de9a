"""A read-only web portal over the forecast store, the family registry, lookup, the
classifier and the sinkhole statistics; every HTML page has a JSON twin (``.json`` or
``/api/...``). ``dgawatch web serve`` runs it; :func:`dgawatch.web.app.create_app` builds
the ASGI app (imported on use, so FastAPI stays off the start-up path of other commands)."""
