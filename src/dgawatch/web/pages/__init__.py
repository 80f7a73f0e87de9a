"""The portal's pages: every module in this package that defines ``PAGES`` (a tuple of
:class:`Page`) adds pages, discovered like families and exporters, so adding a page
touches no other file.

A page is one *view* (request and :class:`~dgawatch.web.common.Portal` to a JSON-ready dict
or list) answered at ``path`` as HTML (``template``), at ``<base>.json`` and at
``/api<base>`` as JSON, so the two can never disagree; ``extra_routes`` add what is not a
view (downloads). Modules whose name starts with ``_`` are helpers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType

from fastapi import Request
from fastapi.responses import Response

from dgawatch.web.common import View

__all__ = ["ACCESS", "Page", "Route", "all_pages"]

#: Who may ask for a page's data. ``public``: aggregates without any address (anyone);
#: ``scoped``: rows naming addresses; the view reads them only through
#: :mod:`dgawatch.web.scope` with the caller's scope, so a caller sees only their own
#: networks (anonymous callers see nothing); ``admin``: the sinkhole operator only.
ACCESS = ("public", "scoped", "admin")


@dataclass(frozen=True)
class Route:
    """A route that is not a view: ``handler(request) -> Response`` at ``path``."""

    path: str
    handler: Callable[[Request], Response] | Callable[[Request], Awaitable[Response]]
    methods: tuple[str, ...] = ("GET",)


@dataclass(frozen=True)
class Page:
    #: HTML route, e.g. ``/families/{family}`` (path parameters as Starlette's).
    path: str
    view: View
    #: Template name (in ``templates`` below or :mod:`dgawatch.web.templates`); None: the
    #: page has JSON twins only (no HTML route).
    template: str | None
    #: Heading and <title>: text, or computed from the request (e.g. a family's name).
    title: str | Callable[[Request], str]
    #: The page's query parameters: with none given the HTML page shows its empty form
    #: (the JSON twin still runs the view, which says what is missing).
    form: tuple[str, ...] = ()
    #: The view may compute for long: it runs in one of the portal's few expensive slots.
    expensive: bool = False
    #: Label in the header's navigation (None: not listed).
    nav: str | None = None
    #: One line for the home page's list of pages ("" : not listed).
    summary: str = ""
    #: Place in navigation and route order (lower first).
    order: int = 100
    #: See ACCESS.
    access: str = "public"
    #: JSON base path (default: ``path``; ``/`` is ``/index``, and ``/api`` alone).
    json_base: str | None = None
    #: Jinja2 template texts this page brings (name -> text; may extend ``base.html``).
    templates: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: Further routes (downloads), registered after every JSON route, before HTML routes.
    extra_routes: tuple[Route, ...] = ()

    def __post_init__(self) -> None:
        if self.access not in ACCESS:
            raise ValueError(f"page {self.path}: access must be one of {ACCESS}")

    @property
    def base(self) -> str:
        if self.json_base is not None:
            return self.json_base
        return "/index" if self.path == "/" else self.path

    def title_for(self, request: Request) -> str:
        return self.title(request) if callable(self.title) else self.title


@cache
def all_pages() -> tuple[Page, ...]:
    """Every registered page, by (order, path); a path registered twice is an error."""
    from dgawatch.registry import modules

    found: list[Page] = []
    for module in modules(__name__, __path__):
        found.extend(getattr(module, "PAGES", ()))
    paths = [p.path for p in found]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise RuntimeError(f"portal pages registered twice: {twice}")
    return tuple(sorted(found, key=lambda p: (p.order, p.path)))


def page_templates(pages: tuple[Page, ...] | None = None) -> dict[str, str]:
    """Every template ``pages`` (default: every registered page) bring, by name (a name
    brought twice with different texts is an error)."""
    found: dict[str, str] = {}
    for page in all_pages() if pages is None else pages:
        for name, text in page.templates.items():
            if name in found and found[name] != text:
                raise RuntimeError(f"portal template {name!r} registered twice")
            found[name] = text
    return found
