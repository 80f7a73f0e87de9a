"""Inputs built from ground truth: infected clients query names from real Conficker lists
(the netlab 360 sample on its matched days, the generator's lists), benign clients query
names of the 2015 Alexa top list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared_data import data_path, read_csv

ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t2014-11-16-00-00-00\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery"
    "\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers"
    "\tTTLs\trejected\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring"
    "\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
    "\tvector[interval]\tbool\n"
)
HEADER_LINES = ZEEK_HEADER.count("\n")


@dataclass(frozen=True)
class Query:
    ts: dt.datetime
    client: str
    qname: str
    rcode: str = "NXDOMAIN"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def zeek_line(n: int, q: Query) -> str:
    code = {"NOERROR": 0, "NXDOMAIN": 3, "SERVFAIL": 2}[q.rcode]
    answers = "93.184.216.34" if q.rcode == "NOERROR" else "-"
    return (
        f"{q.ts.timestamp():.6f}\tC{n:09d}\t{q.client}\t{50000 + n}\t10.0.0.53\t53\tudp\t{n}"
        f"\t0.02\t{q.qname}\t1\tC_INTERNET\t1\tA\t{code}\t{q.rcode}\tF\tF\tT\tT\t0\t{answers}"
        "\t60.0\tF\n"
    )


def write_zeek(path: Path, queries: list[Query], bad: Sequence[str] = ()) -> dict[Query, int]:
    """Write a Zeek dns.log (time order) with ``bad`` lines at the end; returns each
    query's 1-based line number."""
    lines: dict[Query, int] = {}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(ZEEK_HEADER)
        n = HEADER_LINES
        for i, q in enumerate(sorted(queries, key=lambda q: q.ts)):
            n += 1
            lines[q] = n
            fh.write(zeek_line(i, q))
        for b in bad:
            fh.write(b + "\n")
    return lines


def netlab_names(day: str) -> list[str]:
    """Conficker C names of the netlab 360 sample matched (by the ground-truth file) to
    ``day``."""
    rows = read_csv("conficker/conficker_c_netlab360_sample_matched.csv")
    return [
        r["domain"]
        for r in rows
        if any(m.split("#")[0] == day for m in r["matched_date_index"].split(";"))
    ]


def alexa_names(n: int, start: int = 1000) -> list[str]:
    names = []
    with open(data_path("benign/alexa_top100k_2015-05.csv"), encoding="utf-8") as fh:
        next(fh)
        for i, line in enumerate(fh):
            if i < start:
                continue
            name = line.strip().split(",", 1)[1].split("/", 1)[0].lower()
            names.append(name)
            if len(names) == n:
                break
    return names


def nxdomain_csv(path: Path, day: dt.date, names: Sequence[str], *benign: str) -> Path:
    """A CSV query log: client 10.0.0.9 asks for ``names`` (NXDOMAIN) one a second from noon
    of ``day`` UTC; client 10.0.0.<i+1> asks for each ``benign`` name (NOERROR)."""
    ts = int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp())
    path.write_text(
        "ts,client,qname,rcode\n"
        + "".join(f"{ts + i},10.0.0.9,{n},NXDOMAIN\n" for i, n in enumerate(names))
        + "".join(f"{ts},10.0.0.{i + 1},{n},NOERROR\n" for i, n in enumerate(benign))
    )
    return path
