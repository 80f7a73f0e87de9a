"""The Spark engine gives the local engine's findings on the same input (one shared
session, local mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dgawatch.families import get_family
from dgawatch.hunt import HuntOptions, hunt_paths
from tests.hunt.logs import Query, utc, zeek_line
from tests.hunt.netsim import simulate
from tests.hunt.scenario import build

pytestmark = pytest.mark.slow


def test_spark_and_local_findings_are_identical(spark: Any, tmp_path: Path) -> None:
    """Same findings, and the same lists read, from the store and otherwise (a store
    holding Conficker C's lists of the scenario's first days)."""
    import datetime as dt

    from dgawatch.hunt.spark import hunt_spark
    from dgawatch.store import ForecastStore

    scenario = build(tmp_path / "dns.log")
    c = get_family("conficker").variant("c")
    with ForecastStore(tmp_path / "f.duckdb") as store:
        store.build([c], [dt.date(2014, 11, d) for d in range(14, 21)])
    options = HuntOptions(
        variants=tuple(get_family("conficker").variants), store=tmp_path / "f.duckdb"
    )
    local = hunt_paths([scenario.path], options)
    remote = hunt_spark([scenario.path], options, spark=spark)
    assert remote.lists_from_store == local.lists_from_store == 5  # C of 11-15 .. 11-19
    assert remote.findings == local.findings
    assert len(remote.findings) == 4
    assert remote.matches == local.matches
    assert remote.report.total_bad == local.report.total_bad == 2
    assert remote.events == local.events


def test_spark_window_zero_and_static_family(spark: Any, tmp_path: Path) -> None:
    """Window 0 drops the next-day client in both engines; a static (not time-seeded)
    variant matches on any day of its active period."""
    from dgawatch.hunt.spark import hunt_spark

    scenario = build(tmp_path / "dns.log")
    static = next(v for f in [get_family("conficker"), get_family("ramnit")] for v in f.variants
                  if v.period_days == 0)  # fmt: skip
    with open(scenario.path, "a", encoding="utf-8") as fh:
        day = static.active_from
        fh.write(zeek_line(9999, Query(utc(day.year, day.month, day.day, 20, 0, 0), "10.0.0.77",
                                       "www." + static.domains(day)[3])))  # fmt: skip
    variants = (*get_family("conficker").variants, static)
    options = HuntOptions(variants=variants, window_days=0)
    local = hunt_paths([scenario.path], options)
    remote = hunt_spark([scenario.path], options, spark=spark)
    assert remote.findings == local.findings
    clients = {(f.client, f.family) for f in local.findings}
    assert ("10.0.0.77", static.family) in clients
    assert "10.0.0.6" not in {c for c, _ in clients}


def test_spark_and_local_unknown_dgas_are_identical(spark: Any, tmp_path: Path) -> None:
    """A simulated office day plus the Conficker scenario: the same unknown-DGA findings
    from both engines (pairs reduced by Spark SQL, analysed by the local engine's code),
    every infected client and no clean one; Conficker hosts stay explained by their
    forecast, not reported again as unknown."""
    from dgawatch.hunt.spark import hunt_spark

    scenario = build(tmp_path / "scenario.log")
    sim = simulate(tmp_path / "dns.log", 250, seed=21)
    options = HuntOptions(variants=tuple(get_family("conficker").variants), unknown_dga=True)
    paths = [sim.path, scenario.path]
    local = hunt_paths(paths, options)
    remote = hunt_spark(paths, options, spark=spark)
    assert remote.unknown_dga == local.unknown_dga
    assert remote.findings == local.findings
    reported = {c for f in remote.unknown_dga for c in f.clients}
    assert reported == set(sim.infected)
    assert {f.client for f in local.findings} == {"10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8"}


def test_spark_and_local_agree_on_query_only_logs_and_two_dga_hosts(
    spark: Any, tmp_path: Path
) -> None:
    """A query-only day (no rcode) whose infected hosts partly run two DGAs: the same
    unknown-DGA findings from both engines, no clean host, some host split in two."""
    from dgawatch.hunt.spark import hunt_spark

    sim = simulate(tmp_path / "dns.log", 250, seed=22, dual=4, answers=False)
    options = HuntOptions(variants=tuple(get_family("conficker").variants), unknown_dga=True)
    local = hunt_paths([sim.path], options)
    remote = hunt_spark([sim.path], options, spark=spark)
    assert remote.unknown_dga == local.unknown_dga
    reported = [c for f in local.unknown_dga for c in f.clients]
    assert reported and set(reported) <= set(sim.infected)
    assert len(reported) > len(set(reported))  # a two-DGA host in two findings
