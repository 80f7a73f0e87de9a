"""The portal's charts: Vega-Lite specifications built with Altair and rendered to SVG on
the server by vl-convert (Vega's own renderer in an embedded JavaScript engine), so a
page shows its charts without running any script in the visitor's browser.

A chart is drawn from the same rows its page offers as JSON and CSV (its *data twins*):
nothing is drawn that a visitor cannot download. Rendering costs ~0.2 s of CPU per chart
(the first one per process ~2 s, vl-convert's start-up), so SVGs are cached by the
specification's text: the same figures are drawn once.

The SVG vl-convert writes carries presentation attributes only (no ``<style>``, no
``style=`` and no script), so it can be inlined under the portal's Content-Security-Policy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "STATE_COLORS",
    "bar_chart",
    "csv_text",
    "daily_chart",
    "grouped_bar_chart",
    "share_chart",
    "svg",
]

Rows = Sequence[Mapping[str, Any]]

WIDTH = 640
#: Colours of the registration watch's states (protective states cool, risky ones warm).
STATE_COLORS = {
    "reserved": "#2ca02c",
    "sinkholed": "#1f77b4",
    "collision": "#ff7f0e",
    "alert": "#d62728",
    "free": "#9467bd",
    "unknown": "#b0b0b0",
}
_CACHE_SIZE = 128
_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def svg(spec: Mapping[str, Any]) -> str:
    """The SVG of a Vega-Lite specification (cached by its canonical JSON text)."""
    text = json.dumps(spec, sort_keys=True, default=str)
    key = hashlib.sha256(text.encode()).hexdigest()
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
        import vl_convert

        # One rendering at a time: the converter's engine is one per process anyway.
        drawn = vl_convert.vegalite_to_svg(json.loads(text))
        _cache[key] = drawn
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return drawn


def csv_text(columns: Sequence[str], rows: Rows) -> str:
    """``rows`` as CSV with a header line of ``columns`` (lists joined with ``;``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def _values(rows: Rows, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{c: r.get(c) for c in columns} for r in rows]


def daily_chart(rows: Rows, *, title: str = "") -> dict[str, Any]:
    """Distinct addresses per day (one line per series) and, for estimate series, the 95 %
    interval as a band. ``rows``: day, series, value, low, high (low/high None: no band)."""
    import altair as alt

    data = alt.Data(values=_values(rows, ("day", "series", "value", "low", "high")))
    base = alt.Chart(data).encode(
        x=alt.X("day:T", title="UTC day", axis=alt.Axis(format="%Y-%m-%d", labelAngle=-30)),
        color=alt.Color(
            "series:N",
            title=None,
            legend=alt.Legend(orient="bottom", columns=2, columnPadding=24, labelLimit=320),
        ),
    )
    band = (
        base.transform_filter("isValid(datum.low) && isValid(datum.high)")
        .mark_area(opacity=0.25)
        .encode(y=alt.Y("low:Q", title="addresses / machines"), y2="high:Q")
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", title="addresses / machines"),
        tooltip=["day:T", "series:N", "value:Q", "low:Q", "high:Q"],
    )
    chart = alt.layer(band, line).properties(width=WIDTH, height=240, title=title)
    return chart.to_dict(validate=False)


def bar_chart(
    rows: Rows, category: str, value: str, *, title: str = "", value_title: str = ""
) -> dict[str, Any]:
    """Horizontal bars of ``value`` per ``category``, largest first."""
    import altair as alt

    data = alt.Data(values=_values(rows, (category, value)))
    chart = (
        alt.Chart(data)
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=category),
            x=alt.X(f"{value}:Q", title=value_title or value),
            tooltip=[f"{category}:N", f"{value}:Q"],
        )
        .properties(width=WIDTH - 120, height=alt.Step(16), title=title)
    )
    return chart.to_dict(validate=False)


def grouped_bar_chart(
    rows: Rows, x: str, group: str, value: str, *, title: str = "", value_title: str = ""
) -> dict[str, Any]:
    """Bars of ``value`` per ``x`` (a day), side by side per ``group`` (never stacked:
    distinct addresses of two groups do not add up)."""
    import altair as alt

    data = alt.Data(values=_values(rows, (x, group, value)))
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:O", title="UTC day", axis=alt.Axis(labelAngle=-30)),
            xOffset=alt.XOffset(f"{group}:N"),
            y=alt.Y(f"{value}:Q", title=value_title or value),
            color=alt.Color(f"{group}:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=[f"{x}:O", f"{group}:N", f"{value}:Q"],
        )
        .properties(width=WIDTH, height=240, title=title)
    )
    return chart.to_dict(validate=False)


def share_chart(rows: Rows, *, title: str = "") -> dict[str, Any]:
    """One bar per TLD stacked to 100 % by the watch's states. ``rows``: tld, state,
    names (counts; Vega-Lite normalises them)."""
    import altair as alt

    data = alt.Data(values=_values(rows, ("tld", "state", "names")))
    states = list(STATE_COLORS)
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("tld:N", title="TLD"),
            x=alt.X("names:Q", stack="normalize", title="share of forecast names",
                    axis=alt.Axis(format="%")),
            color=alt.Color(
                "state:N",
                scale=alt.Scale(domain=states, range=[STATE_COLORS[s] for s in states]),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("state_order:Q"),
            tooltip=["tld:N", "state:N", "names:Q"],
        )
        .transform_calculate(
            state_order=" + ".join(
                f"(datum.state === '{s}' ? {i} : 0)" for i, s in enumerate(states)
            )
        )
        .properties(width=WIDTH - 120, height=alt.Step(18), title=title)
    )  # fmt: skip
    return chart.to_dict(validate=False)
