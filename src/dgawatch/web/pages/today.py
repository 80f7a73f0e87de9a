"""``/api/today`` (and ``/today.json``): DGArchive's ``/today`` document, yesterday's, today's
and tomorrow's names per variant (schema in :mod:`dgawatch.feeds.dgarchive`); the same
document as ``dgawatch feed --format dgarchive``. Query: ``date`` (default today, UTC),
``family`` and ``variant`` (repeatable, the CLI's selection)."""

from __future__ import annotations

from fastapi import Request

from dgawatch.errors import InputError
from dgawatch.families import choose_variants
from dgawatch.feeds import today_document, window
from dgawatch.web.common import Portal, day_param, multi_param
from dgawatch.web.pages import Page


def today_view(request: Request, portal: Portal) -> dict[str, list[str]]:
    day = day_param(request, "date")
    variants = choose_variants(
        multi_param(request, "family") or None, multi_param(request, "variant") or None
    )
    days = window(day)
    active = [v for v in variants if any(v.is_active(d) for d in days)]
    if not active:
        raise InputError(f"no selected variant is active on {days[0]}..{days[-1]}")
    return today_document(days[1], active)


PAGES = (
    Page(
        "/today",
        today_view,
        None,
        "Today",
        form=("date", "family", "variant"),
        expensive=True,
        order=90,
        access="public",
    ),
)
