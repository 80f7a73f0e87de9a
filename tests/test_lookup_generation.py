"""Look-ups answered by generating lists: the column-wise matcher (and the hunt's list cache
it may read) against a plain per-query scan of the generated lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.domain import normalise, registered_domain
from dgawatch.families import get_family
from dgawatch.hunt.listcache import ListCache
from dgawatch.lookup import HIT_SCHEMA, lookup

DAYS = [dt.date(2021, 3, 1), dt.date(2021, 3, 2), dt.date(2021, 3, 3)]


def _variants() -> list:
    return [
        get_family("necurs").variants[0],  # time-seeded
        get_family("ramnit").variants[0],  # static: one list for every day
        get_family("conficker").variant("c"),  # 50,000 names a day
    ]


def _queries() -> list[str]:
    necurs, ramnit, c = _variants()
    n, r, k = necurs.domains(DAYS[1]), ramnit.domains(DAYS[0]), c.domains(DAYS[2])
    return [
        n[0],
        "www." + n[3],  # found through its registered domain
        n[5].upper() + ".",  # normalised
        r[1],
        r[1],  # twice: answered twice
        k[17],
        "mail." + k[40000],
        "google.com",
        "x..com",  # invalid: reported, never matched
        "",
        "www.example.co.uk",
        "a." + n[0],  # registered domain is n[0]'s too
    ]


def _expected(queries: list[str]) -> list[tuple[object, ...]]:
    """Every (query, family, variant, day, index, domain) by scanning each list per query."""
    rows = []
    for v in _variants():
        for day in DAYS:
            names = v.domains(day)
            for q in dict.fromkeys(queries):
                try:
                    name = normalise(q)
                except Exception:
                    continue
                keys = {name, registered_domain(name)}
                for i, generated in enumerate(names):
                    if generated in keys:
                        rows.append((q, v.family, v.name, day, i, generated))
    return sorted(rows)


def _rows(result) -> list[tuple[object, ...]]:
    table = result.table
    assert table.schema == HIT_SCHEMA
    return [tuple(r.values()) for r in table.to_pylist()]


def test_generation_matches_a_plain_scan(tmp_path: Path) -> None:
    queries = _queries()
    expected = _expected(queries)
    assert len({r[0] for r in expected}) == 7  # each forecast query found (and only those)
    plain = lookup(queries, _variants(), days=DAYS)
    assert _rows(plain) == expected
    assert set(plain.invalid) == {"x..com", ""}
    assert plain.days_generated == 9
    # with the hunt's list cache: filled by the first look-up, read by the second
    cache = ListCache(tmp_path / "lists")
    cold = lookup(queries, _variants(), days=DAYS, cache=cache)
    assert _rows(cold) == expected and cold.days_generated == 9
    assert any((tmp_path / "lists").iterdir())
    warm_cache = ListCache(tmp_path / "lists")
    warm = lookup(queries, _variants(), days=DAYS, cache=warm_cache)
    assert _rows(warm) == expected and warm_cache.hits == 7  # 2 x 3 time-seeded, 1 static


def test_generation_with_nothing_to_find() -> None:
    for queries in (["google.com", "bad..name"], ["bad..name"]):
        result = lookup(queries, _variants()[:1], days=DAYS, prune=False)
        assert result.table.num_rows == 0 and result.table.schema == HIT_SCHEMA
        assert result.days_generated == 3 and set(result.invalid) == {"bad..name"}
