"""The local engine over a Zeek dns.log built from ground truth: exact findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.events import QueryEvent, batch_from_events
from dgawatch.families import get_family
from dgawatch.hunt import HuntOptions, HuntResult, hunt_batches, hunt_paths
from tests.hunt.logs import utc
from tests.hunt.scenario import Scenario, build

CONFICKER = tuple(get_family("conficker").variants)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build(tmp_path_factory.mktemp("hunt") / "dns.log")


@pytest.fixture(scope="module")
def result(scenario: Scenario) -> HuntResult:
    return hunt_paths([scenario.path], HuntOptions(variants=CONFICKER))


def by_client(result: HuntResult) -> dict[str, list]:  # type: ignore[type-arg]
    out: dict[str, list] = {}  # type: ignore[type-arg]
    for f in result.findings:
        out.setdefault(f.client, []).append(f)
    return out


def test_exactly_the_infected_clients_and_the_collision(result: HuntResult) -> None:
    found = {(f.client, f.family, f.variant) for f in result.findings}
    assert found == {
        ("10.0.0.5", "conficker", "c"),
        ("10.0.0.6", "conficker", "c"),
        ("10.0.0.7", "conficker", "b"),
        ("10.0.0.8", "conficker", "c"),
    }


def test_netlab_client_counts_times_and_evidence(result: HuntResult, scenario: Scenario) -> None:
    (f,) = by_client(result)["10.0.0.5"]
    assert f.queries == len(scenario.netlab) + 1  # the www.<name> query counts
    assert f.distinct_names == len(scenario.netlab)
    assert f.nxdomain == f.queries
    assert f.days_active == 1
    assert f.first_seen == utc(2014, 11, 16, 10, 0, 0)
    assert f.last_seen == utc(2014, 11, 16, 11, 0, 0)
    assert f.first_list_day <= dt.date(2014, 11, 16) <= f.last_list_day
    assert f.confidence == 1.0
    assert len(f.evidence) == 10
    first = f.evidence[0]
    assert first.qname == scenario.netlab[0]
    assert first.where == f"{scenario.path}:{min(scenario.lines.values())}"
    assert dt.date(2014, 11, 16) in first.list_days
    www = [q for q in scenario.lines if q.qname.startswith("www.")]
    assert len(www) == 1


def test_window_finds_yesterdays_list(result: HuntResult, scenario: Scenario) -> None:
    (f,) = by_client(result)["10.0.0.6"]
    assert f.queries == f.distinct_names == 40
    assert f.first_seen.date() == dt.date(2014, 11, 18)
    assert dt.date(2014, 11, 17) in f.evidence[0].list_days
    assert f.confidence > 0.999
    strict_day = hunt_paths([scenario.path], HuntOptions(variants=CONFICKER, window_days=0))
    assert "10.0.0.6" not in by_client(strict_day)


def test_conficker_b_client(result: HuntResult) -> None:
    (f,) = by_client(result)["10.0.0.7"]
    assert f.queries == f.distinct_names == 30
    assert (f.first_list_day, f.last_list_day) == (dt.date(2014, 11, 16), dt.date(2014, 11, 16))
    assert f.confidence == 1.0


def test_collision_with_a_legitimate_name_is_weak(result: HuntResult) -> None:
    (f,) = by_client(result)["10.0.0.8"]
    assert f.evidence[0].qname == "akna.com.br"
    assert f.queries == 1
    assert f.confidence < 0.1
    assert result.findings[-1] is f  # least certain last


def test_bad_lines_are_counted_not_fatal(result: HuntResult, scenario: Scenario) -> None:
    assert result.report.total_bad == 2
    assert result.events == len(scenario.lines)
    with pytest.raises(InputError):
        hunt_paths([scenario.path], HuntOptions(variants=CONFICKER, strict=True))


def test_batches_built_directly_every_family() -> None:
    """Record batches from any source; default: every registered family."""
    c = get_family("conficker").variant("c")
    name = c.domains(dt.date(2020, 6, 1))[7]
    events = [
        QueryEvent(utc(2020, 6, 1, 8, 0, i), "192.0.2.1", n, "A", "NXDOMAIN", (), None, "x", i)
        for i, n in enumerate([name, "example.com", "www.google.com"])
    ]
    result = hunt_batches([batch_from_events(events)], HuntOptions())
    assert [(f.client, f.family, f.variant, f.queries) for f in result.findings] == [
        ("192.0.2.1", "conficker", "c", 1)
    ]


def test_store_and_generation_agree(scenario: Scenario, result: HuntResult, tmp_path: Path) -> None:
    from dgawatch.store import ForecastStore

    c = get_family("conficker").variant("c")
    with ForecastStore(tmp_path / "f.duckdb") as store:
        store.build([c], [dt.date(2014, 11, 15), dt.date(2014, 11, 16), dt.date(2014, 11, 17)])
    stored = hunt_paths(
        [scenario.path], HuntOptions(variants=CONFICKER, store=tmp_path / "f.duckdb")
    )
    assert stored.lists_from_store == 3
    assert stored.findings == result.findings


def test_events_outside_the_forecastable_span_match_nothing() -> None:
    events = [
        QueryEvent(utc(2150, 1, 1), "192.0.2.9", "abcdefgh.com", "A", None, (), None, "x", 1),
        QueryEvent(utc(1971, 1, 1), "192.0.2.9", "abcdefgh.com", "A", None, (), None, "x", 2),
    ]
    result = hunt_batches([batch_from_events(events)], HuntOptions())
    assert result.findings == [] and result.events == 2


def test_read_ahead_thread_stops_when_the_hunt_fails(tmp_path: Path) -> None:
    """The read-ahead starts with the hunt (before the store is opened) and stops with it,
    also when the hunt fails before its first batch or the consumer leaves early."""
    import threading

    from dgawatch.hunt import prefetch

    def endless():  # type: ignore[no-untyped-def]
        event = QueryEvent(utc(2021, 3, 4), "10.0.0.1", "a.example", "A", None, (), None, "x", 1)
        batch = batch_from_events([event])
        while True:
            yield batch

    def readers() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "dgawatch-read-ahead"]

    ahead = prefetch(endless(), depth=2)
    assert len(readers()) == 1
    next(ahead)
    ahead.close()
    assert readers() == [] and list(ahead) == []
    not_a_store = tmp_path / "store.duckdb"
    not_a_store.write_text("not a DuckDB file")
    with pytest.raises(Exception):  # noqa: B017 - whatever the store says
        hunt_batches(prefetch(endless(), depth=2), HuntOptions(store=not_a_store))
    assert readers() == []
