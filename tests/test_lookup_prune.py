"""Pruning variants before a lookup (``candidate_variants``) changes no answer.

Expected hits come from the generator lists themselves (every active variant, every day of
the window, a name matching when it is the query or the query's registered domain), not
from the lookup code. The sample holds forecast names of several families (``co.uk`` and
``dyndns.org`` suffixes, a static variant, ``www.`` prefixes, upper case and a trailing
dot), benign names and an invalid one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from dgawatch.domain import registered_domain
from dgawatch.families import all_variants, get_family
from dgawatch.forecast import iter_day_lists
from dgawatch.lookup import candidate_variants, lookup

DAY = dt.date(2016, 3, 1)
WINDOW = [DAY, DAY + dt.timedelta(days=1)]
CLI = "from dgawatch.cli import main; main()"


def _name(key: str, day: dt.date, index: int) -> str:
    family, _, variant = key.partition("/")
    v = next(x for x in get_family(family).variants if x.name == variant)
    return v.domains(day)[index]


def _sample() -> list[str]:
    return [
        _name("conficker/c", DAY, 5),
        _name("cryptolocker/default", DAY + dt.timedelta(days=1), 3),  # co.uk
        "www." + _name("padcrypt/2.2.86.1", DAY, 7),
        _name("kraken/v1-a", DAY, 2),  # static, <label>.dyndns.org etc.
        "WWW." + _name("locky/config1", DAY, 1).upper() + ".",
        _name("necurs/magic9", DAY, 11),
        "google.com",
        "xpun.nl",
        "www.bbc.co.uk",
        "nl",
        "bad..name",
    ]


def _expected(queries: list[str]) -> set[tuple[str, str, str, dt.date, int, str]]:
    wanted: dict[str, list[str]] = {}
    for q in queries:
        name = q.lower().rstrip(".")
        if ".." in name:
            continue
        for key in {name, registered_domain(name)} - {None}:
            assert key is not None
            wanted.setdefault(key, []).append(q)
    out = set()
    for v in all_variants():
        days = [d for d in WINDOW if v.is_active(d)]
        for dl in iter_day_lists([v], days):
            for i, n in enumerate(dl.names()):
                for q in wanted.get(n, ()):
                    out.add((q, v.family, v.name, dl.day, i, n))
    return out


def test_pruned_lookup_finds_what_the_lists_hold() -> None:
    queries = _sample()
    result = lookup(queries, all_variants(), start=WINDOW[0], end=WINDOW[-1])
    got = {
        (h.query, h.family, h.variant, h.day, h.index, h.domain)
        for hits in result.hits.values()
        for h in hits
    }
    expected = _expected(queries)
    assert got == expected
    assert {q for q, *_ in expected} == set(queries[:6])  # every forecast name is found
    assert "bad..name" in result.invalid
    # only lists of variants with a .nl or .co.uk name can hold these (75 of 140 are active)
    few = lookup(["www.xpun.nl", "bbc.co.uk"], all_variants(), start=WINDOW[0], end=WINDOW[-1])
    fit = [v for v in all_variants() if {"nl", "co.uk"} & set(v.tlds)]
    assert 0 < few.days_generated <= sum(1 for v in fit for d in WINDOW if v.is_active(d))
    assert not few.hits


def test_candidates_by_tld_and_grammar() -> None:
    every = all_variants()
    nl = [v.key for v in every if "nl" in v.tlds]
    assert "conficker/c" in nl
    found = [v.key for v in candidate_variants(["xpun.nl", "www.xpun.nl."], every)]
    assert set(found) <= set(nl) and "conficker/c" in found
    # a label outside conficker/c's grammar (4..9 lower-case letters) rules it out
    assert "conficker/c" not in [v.key for v in candidate_variants(["x-1.nl"], every)]
    assert candidate_variants(["nl", "bad..name", "", "com"], every) == []


def test_cli_lookup_all_says_what_it_will_generate(tmp_path: Path) -> None:
    """A real process without an all-time index: one line on stderr, before the work,
    with the number of variant-days (the number the run then reports as generated) and
    the command that builds the index for the same families."""
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path))
    v = get_family("dnschanger").variants[0]
    name = v.domains(v.active_from)[2]
    proc = subprocess.run(
        [sys.executable, "-c", CLI, "lookup", "--all", name, "--family", "dnschanger"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    err = " ".join(proc.stderr.split())
    hint = re.search(r"--all: generating ([\d,]+) variant-days \((\d+) lists\)", err)
    done = re.search(r"([\d,]+) generated", err)
    assert hint and done and hint.start() < done.start(), err
    assert hint.group(1) == done.group(1) and hint.group(2) == "1"  # a static list
    assert "'dgawatch store build --all-time --family dnschanger'" in err
    assert "dnschanger" in proc.stdout
