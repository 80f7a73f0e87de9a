"""UTC calendar days: parsing, ranges and the supported forecasting span.

DGAs are keyed by a calendar date, so dgawatch works in whole UTC days (``datetime.date``);
time zones belong to the log readers, which convert timestamps to UTC first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dgawatch.errors import DateError

#: Days dgawatch will forecast. Generators are pure arithmetic, so the bound only guards
#: against typos such as year 20200; it is far wider than any family's active period.
FIRST_SUPPORTED = dt.date(1990, 1, 1)
LAST_SUPPORTED = dt.date(2099, 12, 31)


def parse_day(text: str, *, what: str = "date") -> dt.date:
    """Parse ``YYYY-MM-DD`` (or ``today``) into a date, with a message naming the problem."""
    value = text.strip()
    if value.lower() == "today":
        return today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise DateError(
            f"{what} {text!r} is not a real calendar date in the form YYYY-MM-DD"
        ) from None
    if len(value) != 10:
        raise DateError(f"{what} {text!r} must be written YYYY-MM-DD")
    check_supported(day, what=what)
    return day


def check_supported(day: dt.date, *, what: str = "date") -> None:
    if not FIRST_SUPPORTED <= day <= LAST_SUPPORTED:
        raise DateError(
            f"{what} {day.isoformat()} is outside the supported span "
            f"{FIRST_SUPPORTED.isoformat()}..{LAST_SUPPORTED.isoformat()}"
        )


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def day_range(start: dt.date, days: int) -> list[dt.date]:
    """``days`` consecutive days from ``start``; ``days`` must be positive."""
    if days < 1:
        raise DateError(f"--days must be at least 1, got {days}")
    end = start + dt.timedelta(days=days - 1) if days <= 100_000 else dt.date.max
    if end > LAST_SUPPORTED:
        room = (LAST_SUPPORTED - start).days + 1
        raise DateError(
            f"{days:,} days from {start.isoformat()} run past {LAST_SUPPORTED.isoformat()}, the "
            f"last supported day; give at most {room:,} day{'s' if room != 1 else ''} from there"
        )
    return [start + dt.timedelta(days=i) for i in range(days)]


def span(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day from ``start`` to ``end`` inclusive."""
    if end < start:
        raise DateError(f"end date {end.isoformat()} is before start date {start.isoformat()}")
    for i in range((end - start).days + 1):
        yield start + dt.timedelta(days=i)
