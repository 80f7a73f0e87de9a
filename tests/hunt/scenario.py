"""One small DNS log with known infections, shared by the local and Spark tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dgawatch.families import get_family
from tests.hunt.logs import Query, alexa_names, netlab_names, utc, write_zeek

C = get_family("conficker").variant("c")
B = get_family("conficker").variant("b")

NETLAB_DAY = "2014-11-16"
BAD_LINES = [
    "notatime\tCx\t10.0.0.66\t1\t10.0.0.53\t53\tudp\t1\t0.1\tbad.example\t1\tC_INTERNET\t1\tA"
    "\t0\tNOERROR\tF\tF\tT\tT\t0\t-\t60.0\tF",
    "1416150000.0\ttoo\tfew\tfields",
]


@dataclass
class Scenario:
    path: Path
    lines: dict[Query, int]
    netlab: list[str]
    c_next_day: list[str]
    b_names: list[str]
    benign: list[str]


def build(path: Path) -> Scenario:
    """Clients and what they do:

    * 10.0.0.5: Conficker C, the 19 netlab names of 2014-11-16 (NXDOMAIN) that day, one of
      them again as ``www.<name>``;
    * 10.0.0.6: Conficker C, 40 names of the 2014-11-17 list asked at 00:10 on 2014-11-18
      (found through the +/-1 day window only);
    * 10.0.0.7: Conficker B, 30 names of the 2014-11-16 list (NXDOMAIN);
    * 10.0.0.8: benign, asks akna.com.br (a 2015 Alexa top-100k site, on C's list of
      2015-05-05) once on that day, NOERROR: a collision;
    * 10.0.0.9: benign, 60 Alexa names on 2014-11-16.
    """
    netlab = netlab_names(NETLAB_DAY)
    queries = [
        Query(utc(2014, 11, 16, 10, i, 0), "10.0.0.5", name) for i, name in enumerate(netlab)
    ]
    queries.append(Query(utc(2014, 11, 16, 11, 0, 0), "10.0.0.5", "www." + netlab[0]))
    c_next = C.domains(dt.date(2014, 11, 17))[100:140]
    queries += [
        Query(utc(2014, 11, 18, 0, 10, i), "10.0.0.6", name) for i, name in enumerate(c_next)
    ]
    b_names = B.domains(dt.date(2014, 11, 16))[:30]
    queries += [
        Query(utc(2014, 11, 16, 12, i, 30), "10.0.0.7", name) for i, name in enumerate(b_names)
    ]
    queries.append(Query(utc(2015, 5, 5, 9, 0, 0), "10.0.0.8", "akna.com.br", "NOERROR"))
    benign = alexa_names(60)
    queries += [
        Query(utc(2014, 11, 16, 13, i, 0), "10.0.0.9", name, "NOERROR")
        for i, name in enumerate(benign)
    ]
    lines = write_zeek(path, queries, BAD_LINES)
    return Scenario(path, lines, netlab, c_next, b_names, benign)
