"""The web portal: public pages over the forecast store, the family registry, lookup, the
classifier and the sinkhole's aggregate statistics, every HTML page with a JSON twin
(``.json`` or ``/api/...``); pages are modules of :mod:`dgawatch.web.pages`. Organisations
get the rows naming their own addresses through the signed reports API
(:mod:`dgawatch.web.api`, filtered in :mod:`dgawatch.web.scope`). ``dgawatch web serve``
runs it; :func:`dgawatch.web.app.create_app` builds the ASGI app (imported on use, so
FastAPI stays off the start-up path of other commands)."""
