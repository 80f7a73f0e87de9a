"""360 Netlab's DGA feed (``dga.txt``): tab-separated, ``#`` comments.

Format, as published (header of the feed, one of its lines)::

    # DGA Domain List
    # The list contains four columns:
    #       DGA family, Domian, Start and end of valid time(UTC)
    #
    suppobox<TAB>difficultdress.net<TAB>2016-11-12 11:58:56<TAB>2016-11-13 00:04:15

Four fields: family (Netlab's name, lower case, ``gozi_gpl`` style for variants), name, and
the UTC times from which and until which the name is valid (``YYYY-MM-DD HH:MM:SS``).

dgawatch writes one line per (family, name, run of consecutive days on which some variant of
the family generates the name), from 00:00:00 of the first day to 23:59:59 of the last. The
run is followed up to ``period_days`` before and after the window (so a weekly list shows its
whole week); a static list (one list for the whole active period) starts on the variant's
first active day and ends on the window's last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from dgawatch.families.base import Variant
from dgawatch.feeds import FeedEntry, records
from dgawatch.feeds.names import valid_name
from dgawatch.forecast import iter_day_lists
from dgawatch.readers import InputReport

#: Days a run is followed beyond the window at most (a 30-day list shows its whole month).
MAX_FOLLOW = 31

HEADER = (
    "# DGA Domain List (forecast by dgawatch from its reimplemented generators)\n"
    "# The list contains four columns:\n"
    "#       DGA family, Domain, Start and end of valid time(UTC)\n"
    "#\n"
)


def _stamp(day: dt.date, end: bool) -> str:
    return f"{day.isoformat()} {'23:59:59' if end else '00:00:00'}"


def runs(variant: Variant, days: Sequence[dt.date]) -> dict[str, tuple[dt.date, dt.date]]:
    """name -> (first, last day of the run of days holding it that meets ``days``)."""
    if variant.period_days == 0:
        first = variant.active_from
        names = next(iter_day_lists([variant], [days[0]], workers=1)).names()
        return {n: (first, days[-1]) for n in names}
    follow = min(max(variant.period_days - 1, 0), MAX_FOLLOW)
    lo, hi = days[0] - dt.timedelta(days=follow), days[-1] + dt.timedelta(days=follow)
    span = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    span = [d for d in span if variant.is_active(d)]
    by_day: dict[dt.date, set[str]] = {}
    for dl in iter_day_lists([variant], span):
        by_day[dl.day] = set(dl.names())
    out: dict[str, tuple[dt.date, dt.date]] = {}
    for day in days:
        for name in by_day.get(day, ()):
            if name in out and out[name][0] <= day <= out[name][1]:
                continue
            first = last = day
            while (first - dt.timedelta(days=1)) in by_day and name in by_day[
                first - dt.timedelta(days=1)
            ]:
                first -= dt.timedelta(days=1)
            while (last + dt.timedelta(days=1)) in by_day and name in by_day[
                last + dt.timedelta(days=1)
            ]:
                last += dt.timedelta(days=1)
            out[name] = (first, last)
    return out


def write(variants: Sequence[Variant], fh: BinaryIO, days: list[dt.date]) -> int:
    """Lines for the names the variants generate on ``days``; returns lines written."""
    fh.write(HEADER.encode("ascii"))
    total = 0
    for family in dict.fromkeys(v.family for v in variants):
        lines: dict[tuple[str, dt.date, dt.date], None] = {}
        for v in variants:
            if v.family != family or not any(v.is_active(d) for d in days):
                continue
            active = [d for d in days if v.is_active(d)]
            for name, (first, last) in runs(v, active).items():
                lines[(name, first, last)] = None
        text = "".join(
            f"{family}\t{name}\t{_stamp(first, False)}\t{_stamp(last, True)}\n"
            for name, first, last in sorted(lines, key=lambda t: (t[1], t[0]))
        )
        fh.write(text.encode("ascii"))
        total += len(lines)
    return total


def _time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value


def read(fh: BinaryIO, file: str, report: InputReport) -> Iterator[FeedEntry]:
    """The entries of a Netlab-format file; malformed lines go to ``report``."""
    for number, text in records(fh, file, report):
        fields = text.split("\t")
        if len(fields) != 4:
            report.bad(file, number, "expected 4 tab-separated fields", text)
            continue
        name = valid_name(fields[1])
        if name is None:
            report.bad(file, number, "the second field is not a domain name", text)
            continue
        start, end = _time(fields[2]), _time(fields[3])
        if start is None or end is None:
            report.bad(file, number, "start/end are not 'YYYY-MM-DD HH:MM:SS' times", text)
            continue
        if end < start:
            report.bad(file, number, "the end of the valid time is before its start", text)
            continue
        yield FeedEntry(file, number, name, fields[0].strip(), start.date(), end.date())
