"""Bambenek Consulting's DGA feed (``dga-feed.txt``): CSV without a header row.

Format, as published (e.g. the feed of 2017-04-13, excerpted in tests/fixtures/feeds/)::

    #############################################################
    ## Domain feed of known DGA domains from -2 to +3 days
    ## Feed generated at: ...
    #############################################################
    wwkahhnyqvxdfq.com,Domain used by Cryptolocker - Flashback DGA for 13 Apr 2017,2017-04-13,http://osint.bambenekconsulting.com/manual/cl.txt

Four comma-separated fields: the name; a description ``Domain used by <family>[ - <variant>]
DGA for <D Mon YYYY>``; the day (``YYYY-MM-DD``, older feeds add `` HH:MM``); a link to the
family's manual page. Comment lines start with ``#``.

dgawatch writes the same four fields: the description names the family and the variant
(``Domain used by conficker - c DGA for 13 Apr 2017``), the link is the family's first public
reference (dgawatch publishes no manual pages of its own), and the header says what
produced the file and for which days.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from dgawatch.families import get_family
from dgawatch.feeds import FeedEntry, records
from dgawatch.feeds.names import valid_name
from dgawatch.forecast import DayList
from dgawatch.readers import InputReport

_DESCRIPTION = re.compile(
    r"^\s*Domain used by (?P<family>.+?)(?:\s+DGA)?(?:\s+for\s+(?P<date>\d{1,2} \w{3} \d{4}))?\s*$",
    re.IGNORECASE,
)
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")


def header(days: list[dt.date]) -> str:
    return (
        "#############################################################\n"
        f"## Domain feed of forecast DGA domains, {days[0]} to {days[-1]} (UTC)\n"
        "## Produced by dgawatch from its reimplemented generators (forecast, not\n"
        "## observed); fields: domain,description,date,reference\n"
        "#############################################################\n"
    )


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def description(family: str, variant: str, day: dt.date) -> str:
    """As the feed words it (English month, whatever the locale)."""
    month = _MONTHS[day.month - 1]
    return f"Domain used by {family} - {variant} DGA for {day.day} {month} {day.year}"


def write(lists: Iterable[DayList], fh: BinaryIO, days: list[dt.date]) -> int:
    """Every name of ``lists`` as one line per (name, variant, day); returns lines written.
    Commas cannot occur in names or descriptions (family and variant names have none)."""
    fh.write(header(days).encode("ascii"))
    total = 0
    for dl in lists:
        if not dl.blob:
            continue
        v = dl.variant
        refs = get_family(v.family).references
        link = refs[0] if refs else ""
        tail = f",{description(v.family, v.name, dl.day)},{dl.day.isoformat()},{link}\n"
        names = dl.blob[:-1].split(b"\n")
        seen: set[bytes] = set()
        out = []
        for n in names:
            if n not in seen:
                seen.add(n)
                out.append(n)
        fh.write(tail.encode("ascii").join(out) + tail.encode("ascii"))
        total += len(out)
    return total


def read(fh: BinaryIO, file: str, report: InputReport) -> Iterator[FeedEntry]:
    """The entries of a Bambenek-format file; malformed lines go to ``report``."""
    for number, text in records(fh, file, report):
        fields = text.split(",")
        if len(fields) < 3:
            report.bad(file, number, "expected domain,description,date[,link]", text)
            continue
        name = valid_name(fields[0])
        if name is None:
            report.bad(file, number, "the first field is not a domain name", text)
            continue
        m = _DAY.match(fields[2].strip())
        day = None
        if m:
            try:
                day = dt.date.fromisoformat(m.group(1))
            except ValueError:
                day = None
        if day is None:
            report.bad(file, number, "the third field is not a YYYY-MM-DD date", text)
            continue
        d = _DESCRIPTION.match(fields[1])
        family = d.group("family").strip() if d else ""
        yield FeedEntry(file, number, name, family, day, day)
