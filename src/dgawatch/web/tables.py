"""Tables the way Datasette serves them: sort, filter and page through the query string, the
same rows as JSON and CSV. A page builds a :class:`Table` (its columns and rows, already
computed and bounded) and answers :meth:`Table.query` with the request's parameters.

Query parameters (Datasette's spelling):

* ``_sort=COL`` / ``_sort_desc=COL``: order by a column (ties keep the table's order);
* ``COL=VALUE``: rows whose column equals the value (repeat for any of several values);
  ``COL__contains=TEXT`` (case-insensitive), ``COL__gte=V`` / ``COL__lte=V`` (numbers for
  numeric columns, text otherwise, e.g. ISO days);
* ``_size=N`` (1..``MAX_PAGE_SIZE``) and ``_page=N`` (1-based);
* ``_filter_column=COL&_filter_op=OP&_filter_value=V``: what the HTML filter form sends
  (no script needed); the same as ``COL__OP=V``, and links are written that way.

A parameter naming no column is left to the page (e.g. ``day``); ``COL__op`` with an
unknown column or operator is an error (400), so a typo never silently shows every row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from dgawatch.errors import InputError

__all__ = ["MAX_PAGE_SIZE", "PAGE_SIZE", "TABLE_TEMPLATE", "Column", "Table"]

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1_000
_OPS = ("exact", "contains", "gte", "lte")
_FORM = ("_filter_column", "_filter_op", "_filter_value")
_RESERVED = ("_sort", "_sort_desc", "_size", "_page", *_FORM)


def _last(params: Mapping[str, Sequence[str]], name: str) -> str:
    values = [v for v in params.get(name, ()) if v]
    return values[-1].strip() if values else ""


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool = False
    #: Shown as the header (default: the name).
    label: str = ""


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: str

    @property
    def param(self) -> str:
        return self.column if self.op == "exact" else f"{self.column}__{self.op}"


class Table:
    """Rows (dicts) with named columns; :meth:`query` sorts, filters and pages them."""

    def __init__(self, columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> None:
        self.columns = tuple(columns)
        self.rows = rows
        self._by_name = {c.name: c for c in self.columns}

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    # -- parsing ------------------------------------------------------------------------

    def canonical(self, params: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """``params`` with the filter form's three fields turned into ``COL__OP=V``."""
        out = {k: list(v) for k, v in params.items() if k not in _FORM}
        column = _last(params, "_filter_column")
        value = _last(params, "_filter_value")
        if column and value:
            op = _last(params, "_filter_op") or "exact"
            key = column if op == "exact" else f"{column}__{op}"
            out.setdefault(key, []).append(value)
        return out

    def filters(self, params: Mapping[str, Sequence[str]]) -> list[Filter]:
        found: list[Filter] = []
        for key, values in self.canonical(params).items():
            if key.startswith("_") and key in _RESERVED:
                continue
            column, sep, op = key.partition("__")
            if not sep:
                if column in self._by_name:
                    found += [Filter(column, "exact", v) for v in values if v != ""]
                continue
            if column not in self._by_name:
                raise InputError(f"{key}: no column {column!r} (columns: {', '.join(self.names)})")
            if op not in _OPS:
                raise InputError(f"{key}: unknown filter {op!r} (one of {', '.join(_OPS)})")
            found += [Filter(column, op, v) for v in values if v != ""]
        return found

    def _sort(self, params: Mapping[str, Sequence[str]]) -> tuple[str | None, bool]:
        asc = [v for v in params.get("_sort", ()) if v]
        desc = [v for v in params.get("_sort_desc", ()) if v]
        if asc and desc:
            raise InputError("give _sort or _sort_desc, not both")
        chosen = asc or desc
        name = chosen[-1] if chosen else None
        if name is not None and name not in self._by_name:
            raise InputError(f"_sort: no column {name!r} (columns: {', '.join(self.names)})")
        return name, bool(desc)

    @staticmethod
    def _int(params: Mapping[str, Sequence[str]], name: str, default: int, hi: int) -> int:
        values = [v for v in params.get(name, ()) if v]
        if not values:
            return default
        try:
            value = int(values[-1])
        except ValueError:
            raise InputError(f"{name} must be a whole number, got {values[-1]!r}") from None
        if not 1 <= value <= hi:
            raise InputError(f"{name} must be between 1 and {hi}, got {value}")
        return value

    # -- applying -----------------------------------------------------------------------

    def _key(self, column: Column, value: Any) -> Any:
        if column.numeric:
            return (0, float(value)) if isinstance(value, int | float) else (1, 0.0)
        return (0, "") if value is None else (0, str(value))

    def _test(self, f: Filter) -> Any:
        column = self._by_name[f.column]
        if f.op == "contains":
            needle = f.value.lower()
            return lambda v: v is not None and needle in str(v).lower()
        if column.numeric:
            try:
                number = float(f.value)
            except ValueError:
                raise InputError(f"{f.param}: {f.value!r} is not a number") from None
            if f.op == "exact":
                return lambda v: isinstance(v, int | float) and v == number
            if f.op == "gte":
                return lambda v: isinstance(v, int | float) and v >= number
            return lambda v: isinstance(v, int | float) and v <= number
        if f.op == "exact":
            return lambda v: v is not None and str(v) == f.value
        if f.op == "gte":
            return lambda v: v is not None and str(v) >= f.value
        return lambda v: v is not None and str(v) <= f.value

    def matching(self, params: Mapping[str, Sequence[str]]) -> list[Mapping[str, Any]]:
        """The rows the filters keep, in the requested order (every page: the CSV twin)."""
        filters = self.filters(params)
        exact: dict[str, set[str]] = {}
        tests = []
        for f in filters:
            if f.op == "exact" and not self._by_name[f.column].numeric:
                exact.setdefault(f.column, set()).add(f.value)  # repeated: any of them
            else:
                tests.append((f.column, self._test(f)))
        rows = [
            r
            for r in self.rows
            if all(r.get(c) is not None and str(r.get(c)) in vs for c, vs in exact.items())
            and all(t(r.get(c)) for c, t in tests)
        ]
        sort, desc = self._sort(params)
        if sort is not None:
            column = self._by_name[sort]
            rows.sort(key=lambda r: self._key(column, r.get(sort)), reverse=desc)
        return rows

    def query(self, params: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        """One page of the matching rows, JSON-ready: columns, rows, total (before
        filtering), matched, page, pages, size, sort, desc, filters."""
        rows = self.matching(params)
        size = self._int(params, "_size", PAGE_SIZE, MAX_PAGE_SIZE)
        pages = max(1, math.ceil(len(rows) / size))
        page = self._int(params, "_page", 1, 1_000_000)
        if page > pages:
            raise InputError(f"_page {page}: there are {pages} pages")
        sort, desc = self._sort(params)
        return {
            "columns": self.names,
            "rows": [dict(r) for r in rows[(page - 1) * size : page * size]],
            "total": len(self.rows),
            "matched": len(rows),
            "page": page,
            "pages": pages,
            "size": size,
            "sort": sort,
            "desc": desc,
            "filters": [
                {"column": f.column, "op": f.op, "value": f.value} for f in self.filters(params)
            ],
        }

    # -- links for the HTML table ---------------------------------------------------------

    def links(
        self, path: str, params: Mapping[str, Sequence[str]], doc: Mapping[str, Any]
    ) -> dict[str, Any]:
        """URLs the HTML table needs: per column its sort link, previous/next page, and
        the JSON and CSV twins of exactly these rows, and the fields the filter form
        keeps (every current parameter but the page)."""
        params = self.canonical(params)

        def url(base: str, change: Mapping[str, str | None]) -> str:
            pairs = [(k, v) for k, vs in params.items() if k not in change for v in vs]
            pairs += [(k, v) for k, v in change.items() if v is not None]
            return base + ("?" + urlencode(pairs) if pairs else "")

        sort: dict[str, str] = {}
        for c in self.columns:
            desc = doc["sort"] == c.name and not doc["desc"]
            key, other = ("_sort_desc", "_sort") if desc else ("_sort", "_sort_desc")
            sort[c.name] = url(path, {key: c.name, other: None, "_page": None})
        page = int(doc["page"])
        return {
            "sort": sort,
            "prev": url(path, {"_page": str(page - 1)}) if page > 1 else None,
            "next": url(path, {"_page": str(page + 1)}) if page < int(doc["pages"]) else None,
            "json": url(path + ".json", {}),
            "csv": url(path + ".csv", {"_page": None, "_size": None}),
            "keep": [(k, v) for k, vs in params.items() if k != "_page" for v in vs],
        }  # fmt: skip


#: ``{% import "_table.html" as tables %}`` then ``{{ tables.table(doc, links, numeric) }}``:
#: the filter form, the sortable table, paging and the twins.
TABLE_TEMPLATE = """{% macro table(doc, links, numeric) %}
<form method="get" class="filters">
{% for k, v in links.keep %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
<label>filter <select name="_filter_column">{% for c in doc.columns %}
<option>{{ c }}</option>{% endfor %}</select></label>
<select name="_filter_op" aria-label="operator"><option value="exact">=</option>
<option value="contains">contains</option><option value="gte">&gt;=</option>
<option value="lte">&lt;=</option></select>
<input name="_filter_value" aria-label="value" size="14"> <button>apply</button>
</form>
<p>{{ "{:,}".format(doc.matched) }} of {{ "{:,}".format(doc.total) }} rows
{% for f in doc.filters %}{% if loop.first %} where {% else %} and {% endif %}
<code>{{ f.column }} {{ {"exact": "=", "contains": "contains", "gte": ">=", "lte": "<="}[f.op] }}
{{ f.value }}</code>{% endfor %}
{% if doc.pages > 1 %}, page {{ doc.page }} of {{ doc.pages }}{% endif %} &middot;
<a href="{{ links.json }}">JSON</a> &middot; <a href="{{ links.csv }}">CSV</a></p>
<table class="data"><tr>
{% for c in doc.columns %}<th><a href="{{ links.sort[c] }}">{{ c }}</a>{% if doc.sort == c %}
{{ " \u25be" if doc.desc else " \u25b4" }}{% endif %}</th>{% endfor %}</tr>
{% for r in doc.rows %}<tr>{% for c in doc.columns %}
<td{% if c in numeric %} class="num"{% endif %}>{{ "" if r[c] is none else r[c] }}</td>
{% endfor %}</tr>{% endfor %}
</table>
<p>{% if links.prev %}<a href="{{ links.prev }}" rel="prev">&larr; previous</a>{% endif %}
{% if links.next %} <a href="{{ links.next }}" rel="next">next &rarr;</a>{% endif %}</p>
{% endmacro %}"""
