"""Reverse lookup of the third-party Conficker C name sets (spec §9, §10.3).

Every name must be found on its matched day *and* index, both by on-demand generation and
through a materialised store (the bulk DuckDB path).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.errors import StoreError
from dgawatch.families import get_family, select_variants
from dgawatch.lookup import lookup
from dgawatch.store import ForecastStore
from shared_data import read_csv

D = dt.date.fromisoformat


def _days(expected: dict[str, set[tuple[str, dt.date, int]]]) -> set[dt.date]:
    return {day for wanted in expected.values() for _, day, _ in wanted}


def _expected(relative: str) -> dict[str, set[tuple[str, dt.date, int]]]:
    out: dict[str, set[tuple[str, dt.date, int]]] = {}
    for row in read_csv(relative):
        for item in row["matched_date_index"].split(";"):
            day, index = item.split("#")
            out.setdefault(row["domain"], set()).add(
                (row["matched_variant"].lower(), D(day), int(index))
            )
    return out


NETLAB = _expected("conficker/conficker_c_netlab360_sample_matched.csv")
PHUNTERLAU = _expected("conficker/conficker_c_phunterlau_matched.csv.gz")


def _found(result_hits: dict, expected: dict) -> list[str]:  # type: ignore[type-arg]
    missing = []
    for domain, wanted in expected.items():
        got = {(h.variant, h.day, h.index) for h in result_hits.get(domain, [])}
        if not wanted <= got:
            missing.append(domain)
    return missing


def test_ground_truth_sizes() -> None:
    assert len(NETLAB) == 191
    assert sum(1 for w in NETLAB.values() for v, _, _ in w if v == "c") == 190
    assert len(PHUNTERLAU) == 10_000


def test_netlab_names_found_by_generation() -> None:
    result = lookup(
        list(NETLAB),
        select_variants(["conficker"]),
        start=D("2014-11-10"),
        end=D("2014-11-30"),
    )
    assert _found(result.hits, NETLAB) == []


def test_phunterlau_names_found_by_generation() -> None:
    """Each name on every listed (day, index), chance collisions on other days included."""
    c = get_family("conficker").variant("c")
    result = lookup(list(PHUNTERLAU), [c], days=_days(PHUNTERLAU))
    assert result.days_generated == len(_days(PHUNTERLAU)) == 36
    assert _found(result.hits, PHUNTERLAU) == []


@pytest.fixture(scope="module")
def c_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "forecast.duckdb"
    days = sorted(_days(PHUNTERLAU) | _days(NETLAB))
    with ForecastStore(path) as store:
        inserted = store.build(select_variants(["conficker"]), days)
    assert len(days) == 57
    assert inserted == len(days) * 50_500
    return path


def test_all_third_party_names_found_through_the_store(c_store: Path) -> None:
    queries = list(PHUNTERLAU) + list(NETLAB)
    with ForecastStore(c_store, read_only=True) as store:
        result = lookup(
            queries,
            select_variants(["conficker"]),
            days=_days(PHUNTERLAU) | _days(NETLAB),
            store=store,
        )
        assert result.days_from_store == 57 * 3
        assert result.days_generated == 0
    assert _found(result.hits, PHUNTERLAU) == []
    assert _found(result.hits, NETLAB) == []


def test_subdomains_resolve_to_the_registered_name(c_store: Path) -> None:
    queries = ["www.xpun.nl", "A.B.XPUN.NL.", "xpun.nl.evil.example", "nl"]
    with ForecastStore(c_store, read_only=True) as store:
        from_store = lookup(
            queries, select_variants(["conficker"], "c"),
            start=D("2014-11-11"), end=D("2014-11-11"), store=store,
        )  # fmt: skip
    generated = lookup(
        queries, select_variants(["conficker"], "c"), start=D("2014-11-11"), end=D("2014-11-11")
    )
    for result in (from_store, generated):
        assert [(h.day, h.index) for h in result.hits["www.xpun.nl"]] == [(D("2014-11-11"), 36177)]
        assert "A.B.XPUN.NL." in result.hits
        assert "xpun.nl.evil.example" not in result.hits
        assert "nl" not in result.hits


def test_store_build_is_idempotent(c_store: Path) -> None:
    with ForecastStore(c_store) as store:
        assert store.build(select_variants(["conficker"], "a"), [D("2014-02-26")]) == 0
        summary = {(r["family"], r["variant"]): r for r in store.summary()}
    assert summary[("conficker", "c")]["days"] == 57
    assert summary[("conficker", "c")]["names"] == 57 * 50_000


def test_duplicate_queries_give_one_set_of_hits(c_store: Path) -> None:
    with ForecastStore(c_store, read_only=True) as store:
        result = lookup(
            ["xpun.nl", "xpun.nl", "XPUN.NL"],
            select_variants(["conficker"], "c"),
            days=[D("2014-11-11")],
            store=store,
        )
    assert result.table.num_rows == 2  # one per distinct query string
    assert [h.index for h in result.hits["xpun.nl"]] == [36177]


def test_store_reindexes_when_the_hash_function_changes(tmp_path: Path) -> None:
    path = tmp_path / "forecast.duckdb"
    a = select_variants(["conficker"], "a")
    with ForecastStore(path) as store:
        store.build(a, [D("2020-01-01")])
        # Simulate a DuckDB whose hash() differs from the one that wrote the store.
        store.con.execute("UPDATE forecast SET h = 0")
        store.con.execute("UPDATE meta SET value = 'other' WHERE key = 'hash_probe'")
    with pytest.raises(StoreError, match="another hash function"):
        ForecastStore(path, read_only=True)
    with ForecastStore(path) as store:  # a writable open re-indexes
        pass
    with ForecastStore(path, read_only=True) as store:
        result = lookup(["fvqcih.net"], a, days=[D("2020-01-01")], store=store)
    assert [(h.day, h.index) for h in result.hits["fvqcih.net"]] == [(D("2020-01-01"), 0)]


def test_store_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "forecast.duckdb"
    with ForecastStore(path) as store:
        store.con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema 99"):
        ForecastStore(path)
    with pytest.raises(StoreError, match="no forecast store"):
        ForecastStore(tmp_path / "missing.duckdb", read_only=True)
