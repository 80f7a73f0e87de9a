"""Conficker C P2P ports against the five public Nmap observations (spec §6, §10.4)."""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.conficker_p2p import port_allowed, ports, ports_near, week_number
from dgawatch.errors import InputError
from shared_data import read_csv

OBSERVATIONS = read_csv("conficker/conficker_c_p2p_ports_nmap_observations.csv")


def _ports(text: str) -> set[int]:
    return {int(p) for p in text.split(";")}


def test_there_are_five_observations() -> None:
    assert len(OBSERVATIONS) == 5


@pytest.mark.parametrize("row", OBSERVATIONS, ids=lambda r: r["ip"])
def test_observation_reproduced(row: dict[str, str]) -> None:
    when = dt.datetime.fromisoformat(row["approx_scan_time_utc"].replace("Z", "+00:00"))
    week = week_number(when)
    assert week == int(row["week_number"])
    result = ports(row["ip"], week)
    assert set(result.tcp) == _ports(row["tcp_ports"])
    assert set(result.udp) == _ports(row["udp_ports"])
    assert ports(row["ip"], week, sri_rule=False).tcp[0] == result.tcp[0]


def test_excluded_ports() -> None:
    assert sum(1 for p in range(65536) if not port_allowed(p)) == 9152
    assert not any(port_allowed(p) for p in range(2048))


def test_week_rolls_over_on_monday_utc() -> None:
    monday = dt.datetime(2022, 10, 10, tzinfo=dt.UTC)
    assert week_number(monday) == week_number(monday - dt.timedelta(seconds=1)) + 1
    near = ports_near("10.10.10.52", monday + dt.timedelta(minutes=5))
    assert [p.week for p in near] == [week_number(monday) - 1, week_number(monday)]


def test_ipv6_refused() -> None:
    with pytest.raises(InputError, match="IPv4"):
        ports("::1", 2753)
