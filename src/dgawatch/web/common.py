"""What every portal page shares: where the portal reads from (:class:`Portal`), the
limits of one request, and the parsing of query parameters (a bad value is an
:class:`~dgawatch.errors.InputError`, answered 400)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request

from dgawatch.days import parse_day, today
from dgawatch.errors import DgawatchError, InputError, StoreError
from dgawatch.families.base import Variant
from dgawatch.store import ForecastStore, default_store_path
from dgawatch.web.guard import Limiter
from dgawatch.web.sinkhole_cache import SinkholeAggregates

log = logging.getLogger("dgawatch.web")


#: Longest forecast download, in days.
MAX_FORECAST_DAYS = 366
#: Most days a lookup window may span when day lists must be generated on demand. A lookup
#: without start/end uses the CLI's window (today-365..today+90): the store and the all-time
#: index answer the days they hold, and only today +- lookup.NEAR_DAYS days are generated
#: (one name against every family: ~5 CPU-s without a store); the answer counts the
#: variant-days left uncovered.
MAX_GENERATED_DAYS = 31
#: Most names one lookup request takes (repeated q= and/or one per line in q).
MAX_LOOKUP_NAMES = 1_000
#: Expensive requests (forecast, lookup, classify, sinkhole, downloads) served at once;
#: more wait up to EXPENSIVE_WAIT_S for a slot, then get 503 with Retry-After.
EXPENSIVE_SLOTS = 2
EXPENSIVE_WAIT_S = 0.5
#: Expensive requests of signed callers (organisations: reports, /my, digest links) served
#: at once, in slots of their own: a flood of anonymous expensive requests never turns a
#: network owner away, and theirs never the public's.
SIGNED_SLOTS = 2

View = Callable[[Request, "Portal"], dict[str, Any] | list[Any]]


class WebError(DgawatchError):
    """An error with an HTTP status other than 400."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Portal:
    """Where the portal reads from (fixed when the app is created)."""

    def __init__(
        self,
        store_path: Path | None = None,
        sinkhole_dir: Path | None = None,
        *,
        accounts_dir: Path | None = None,
        enrich: Any = None,
        isolate_counts: bool = False,
    ) -> None:
        from dgawatch.orgs import FILE_NAME, OrgStore
        from dgawatch.web.scope import ScopedData

        self.store_path = store_path or default_store_path()
        if sinkhole_dir is None:
            from dgawatch.sinkhole.store import default_dir

            sinkhole_dir = default_dir()
        self.sinkhole_dir = sinkhole_dir
        self.sinkhole = SinkholeAggregates(sinkhole_dir)
        self.limiter = Limiter(EXPENSIVE_SLOTS, EXPENSIVE_WAIT_S)
        #: The signed callers' own slots (SIGNED_SLOTS).
        self.signed_limiter = Limiter(SIGNED_SLOTS, EXPENSIVE_WAIT_S)
        #: Where ``dgawatch org`` and ``dgawatch deliver`` keep the organisations and the
        #: delivery ledger (default: beside the store, the data directory).
        self.accounts_dir = accounts_dir or self.store_path.parent
        #: The organisations (read per request: a revocation applies at once).
        self.orgs = OrgStore(self.accounts_dir / FILE_NAME)
        #: Every read of rows naming an address (the one scope filter).
        self.scoped = ScopedData(sinkhole_dir, enrich)
        #: Pages' per-address counting runs in a worker process (the served portal).
        self.isolate_counts = isolate_counts
        #: Called when the portal stops (worker processes the pages started).
        self.closers: list[Callable[[], None]] = []

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()

    def open_store(self) -> ForecastStore | None:
        """The forecast store read-only, or None when there is none (or it is locked)."""
        if not self.store_path.exists():
            return None
        try:
            return ForecastStore(self.store_path, read_only=True)
        except StoreError as exc:
            log.warning("forecast store unavailable, generating instead: %s", exc)
            return None


# -- parameters ---------------------------------------------------------------------------


def param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() if value is not None and value.strip() else None


def day_param(request: Request, name: str) -> dt.date | None:
    text = param(request, name)
    return None if text is None else parse_day(text, what=name)


def int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = param(request, name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{name} must be a whole number, got {text!r}") from None
    if not lo <= value <= hi:
        raise InputError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def sample_day(v: Variant) -> dt.date:
    """A day the variant is active on: today if it still is, else its last or first day."""
    now = today()
    if v.is_active(now):
        return now
    return v.active_until if v.active_until and v.active_until < now else v.active_from


def multi_param(request: Request, name: str) -> list[str]:
    """Every non-empty value of a repeatable parameter: ``family=a&family=b`` or, as the
    HTML form sends it back, ``family=a,b``."""
    values = request.query_params.getlist(name)
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def check_name(name: str) -> None:
    """The CLI's own validity check (``dgawatch classify`` exits 2 on these names): an
    invalid name is the visitor's error, a 400 with the reason, never a score or an answer."""
    from dgawatch.domain import invalid_reason

    why = invalid_reason(name)
    if why is not None:
        raise InputError(f"{name!r} is not a domain name: {why}")


def limited(view: View, *, signed: bool = False) -> View:
    """``view`` run in one of the portal's few expensive slots (else 503, see Limiter):
    the public's, or the signed callers' (``signed``)."""

    def run(request: Request, portal: Portal) -> dict[str, Any] | list[Any]:
        limiter = portal.signed_limiter if signed else portal.limiter
        limiter.acquire()
        try:
            return view(request, portal)
        finally:
            limiter.release()

    return run
