"""Spark stats over the Parquet that ``sinkhole compact`` writes equal DuckDB's."""

import datetime as dt
import json
from pathlib import Path

import pytest

from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.names import write_held
from dgawatch.sinkhole.plan import write_plan
from dgawatch.sinkhole.simulate import Botnet, events, simulate
from dgawatch.sinkhole.stats import SinkholeStats
from dgawatch.sinkhole.store import compact, list_files, write_events
from tests.sinkhole.test_stats_network import ASNS, COUNTRIES, write_prefixes

DAY = dt.date(2026, 11, 27)


def _all(st: SinkholeStats, enrich: Enricher) -> str:
    doc = {
        "country": st.by_network("country", enrich),
        "asn": st.by_network("asn", enrich),
        "estimates": [e.to_dict() for e in st.estimates()],
        "observed": st.observed(),
        "dns": st.dns_sources(),
        "family": st.by_family(),
        "hours": st.by_time("hour"),
        "days": st.by_time("day"),
    }
    return json.dumps(doc, default=str, sort_keys=True)


@pytest.mark.slow  # a Spark session: about a minute when cold (run in CI too)
def test_spark_equals_duckdb_on_the_compacted_store(tmp_path: Path) -> None:
    b = Botnet(bots=1_500, held=60, day=DAY, seed=9, nat_fraction=0.05, churn_fraction=0.1)
    write_events(events(simulate(b)), tmp_path)
    for o in (-1, 0, 1):
        write_held(tmp_path, (DAY + dt.timedelta(days=o)).isoformat(), {"conficker/c": 60}, 60)
    write_plan(tmp_path, b.address_plan(), since_ms=0)
    compact(tmp_path)
    enrich = Enricher(
        country_db=write_prefixes(tmp_path.parent / "cc.txt", COUNTRIES),
        asn_db=write_prefixes(tmp_path.parent / "asn.txt", ASNS),
        packages=False,
    )
    assert {kind for _d, _w, kind, _p in list_files(tmp_path)} == {"parquet"}
    with SinkholeStats(tmp_path) as st:
        duck = _all(st, enrich)
    with SinkholeStats(tmp_path, engine="spark", spark_master="local[2]") as st:
        spark = _all(st, enrich)
        assert st.skipped == []
    assert spark == duck
    doc = json.loads(duck)
    assert {e["method"] for e in doc["estimates"]} >= {"k-of-D", "chapman"}
    assert doc["dns"] and doc["observed"]
    # the by-network rows are the engine's aggregates (Spark ran the look-up in its
    # executors, pickled there): several countries and ASNs, "unknown" where no prefix holds
    assert len({r["country"] for r in doc["country"]}) >= 4
    assert {r["asn"] for r in doc["asn"]} >= {64500, 64502}
