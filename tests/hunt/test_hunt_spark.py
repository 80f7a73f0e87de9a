"""The Spark engine gives the local engine's findings on the same input (one shared
session, local mode)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dgawatch.families import get_family
from dgawatch.hunt import HuntOptions, hunt_paths
from tests.hunt.logs import Query, utc, zeek_line
from tests.hunt.scenario import build
from tests.hunt.test_unknown_dga import made_up_dga

pytestmark = pytest.mark.slow


def test_spark_and_local_findings_are_identical(spark: Any, tmp_path: Path) -> None:
    from dgawatch.hunt.spark import hunt_spark

    scenario = build(tmp_path / "dns.log")
    options = HuntOptions(variants=tuple(get_family("conficker").variants))
    local = hunt_paths([scenario.path], options)
    remote = hunt_spark([scenario.path], options, spark=spark)
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
        from tests.hunt.logs import Query, utc, zeek_line

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
    """Names scored on the executors, rows clustered by the local engine's collector: the
    same unknown-DGA findings. Conficker names that score as generated are still explained
    by their forecast, also when an unknown-DGA host queries them."""
    from dgawatch.classify import default_model
    from dgawatch.hunt.spark import hunt_spark

    scenario = build(tmp_path / "dns.log")
    names = made_up_dga(dt.date(2014, 11, 16), 40)
    infected = [f"10.1.0.{i}" for i in range(1, 5)]
    queries = [
        Query(utc(2014, 11, 16, 14, j, i), client, names[i * 5 + j])
        for i, client in enumerate(infected)
        for j in range(15)
    ]  # names[:30], each host's 15 overlapping the next host's
    queries += [Query(utc(2014, 11, 16, 15, j, 0), infected[0], q)
                for j, q in enumerate(scenario.b_names)]  # fmt: skip
    with open(scenario.path, "a", encoding="utf-8") as fh:
        fh.writelines(zeek_line(10_000 + n, q) for n, q in enumerate(queries))
    options = HuntOptions(variants=tuple(get_family("conficker").variants), unknown_dga=True)
    local = hunt_paths([scenario.path], options)
    remote = hunt_spark([scenario.path], options, spark=spark)
    assert remote.unknown_dga == local.unknown_dga
    assert remote.findings == local.findings
    (finding,) = remote.unknown_dga
    assert finding.clients == tuple(infected)
    model = default_model()
    cut = model.logit_threshold_for(options.unknown_fpr)
    assert finding.distinct_names == (model.decision_function(names[:30]) > cut).sum()
    assert set(finding.samples) <= set(names)
    # Enough generated-looking names to make 10.0.0.6 and 10.0.0.7 unknown-DGA hosts, and
    # to count for 10.1.0.1, had no forecast explained them.
    for explained in (scenario.b_names, scenario.c_next_day):
        assert (model.decision_function(explained) > cut).sum() >= options.unknown_min_names
