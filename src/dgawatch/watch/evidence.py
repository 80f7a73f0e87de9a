"""What one source saw about one name (:class:`Observation`), and the state the watch
gives a name from all of them (:func:`decide`).

States, in the order they are decided:

``unknown``
    no source answered (timeouts, refusals, rate limits past the retries).
``free``
    every source that answered says the name does not exist.
``reserved``
    the registry holds it: RDAP status ``server hold`` or ``reserved``, a delegation only to
    the TLD's own name servers, or the name in the TLD zone without a delegation.
``sinkholed``
    delegated to a known sinkhole name server, or a sinkhole address (``sinkholes.py``).
``collision``
    registered by someone else **before** publication: a real site at risk of being blocked.
``alert``
    registered by someone else **after** publication: a possible rendezvous point.

*Publication* of a name is the earliest of (a) the first ``dgawatch watch check`` whose list
held it (that check is the moment dgawatch handed the name out as "watched") and (b) a date
given with ``--published`` (the day its go-pack or export was sent to the registry). The
order of registration and publication comes from, in this order: the RDAP registration event
(``creation date``); a check after publication that saw the name free (``seen free``: it was
registered after that check); otherwise a name already registered the first time a source saw
it counts as registered before publication (``registered when first seen``), so an alert is
never raised without evidence that the registration is newer than the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from dgawatch.watch.sinkholes import SinkholeList

STATES = ("free", "reserved", "sinkholed", "collision", "alert", "unknown")


@dataclass(frozen=True)
class Observation:
    """One source's answer for one name. ``present`` None = the source could not tell."""

    name: str
    source: str
    observed: dt.datetime
    present: bool | None
    registry_hold: bool = False
    ns: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    created: dt.datetime | None = None
    registrar: str | None = None
    status: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    name: str
    state: str
    basis: str
    published: dt.datetime
    observations: tuple[Observation, ...] = field(default=())

    @property
    def created(self) -> dt.datetime | None:
        dates = [o.created for o in self.observations if o.present and o.created is not None]
        return min(dates) if dates else None

    @property
    def registrar(self) -> str | None:
        return next((o.registrar for o in self.observations if o.present and o.registrar), None)

    @property
    def ns(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for o in self.observations:
            if o.present:
                seen.update(dict.fromkeys(o.ns))
        return tuple(seen)


def decide(
    name: str,
    observations: Sequence[Observation],
    *,
    published: dt.datetime,
    sinkholes: SinkholeList,
    seen_free_after: dt.datetime | None = None,
) -> Verdict:
    """The state of ``name`` from this check's ``observations`` and its history
    (``seen_free_after``: the first earlier check after publication that saw it free)."""
    obs = tuple(observations)
    answered = [o for o in obs if o.present is not None]
    if not answered:
        why = "; ".join(f"{o.source}: {o.detail}" for o in obs if o.detail) or "no source"
        return Verdict(name, "unknown", why, published, obs)
    present = [o for o in answered if o.present]
    if not present:
        return Verdict(
            name, "free", "absent in " + ", ".join(o.source for o in answered), published, obs
        )
    held = [o for o in present if o.registry_hold]
    if held:
        return Verdict(name, "reserved", f"{held[0].source}: {held[0].detail}", published, obs)
    for o in present:
        org = sinkholes.match(o.ns, o.addresses)
        if org is not None:
            return Verdict(name, "sinkholed", f"{o.source}: sinkhole of {org}", published, obs)
    created = [o.created for o in present if o.created is not None]
    if created:
        first = min(created)
        state = "collision" if first < published else "alert"
        return Verdict(name, state, f"creation date {first.isoformat()}", published, obs)
    if seen_free_after is not None:
        return Verdict(
            name,
            "alert",
            f"seen free at {seen_free_after.isoformat()}, after publication",
            published,
            obs,
        )
    return Verdict(
        name, "collision", "registered when first seen (no creation date)", published, obs
    )
