"""The sinkhole: authoritative DNS and HTTP listeners for forecast names, a durable event
store, attribution, population estimates and per-network reports (issue 5).

Data flow (design.md): :mod:`.names` (the sinkholed set) -> :mod:`.dns` / :mod:`.http`
(listeners, pure handlers) -> :mod:`.store` (durable append-only day files) ->
:mod:`.stats` (distinct addresses, population estimates) and :mod:`.report` (per-network
CSV), with :mod:`.enrich` adding country and ASN offline.
"""
