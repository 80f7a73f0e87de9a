"""The unknown-DGA hunt where addresses are not machines (NAT gateways hiding a hundred
machines each, DHCP renewals mid-day; :mod:`tests.hunt.churn`): every address from which an
infected machine asked DGA names is reported, and no address without an infected machine
behind it. Expected values come from the simulator's ground truth."""

from pathlib import Path

from dgawatch.hunt import HuntOptions, hunt_paths
from tests.hunt import netsim
from tests.hunt.churn import churn


def test_nat_and_dhcp(tmp_path: Path) -> None:
    day = netsim.simulate(tmp_path / "day.log", clients=1000, seed=3, dead=0.002)
    net = churn(day, tmp_path / "churned.log", seed=3, dhcp=0.5, nat_groups=3, nat_size=100)
    infected = set(day.infected)
    # the draw puts infected machines behind NAT and through a renewal (else the test is void)
    assert infected & set(net.behind_nat) and infected & set(net.renewed)
    options = HuntOptions(unknown_dga=True)
    found = hunt_paths([net.path], options).unknown_dga
    flagged = {c for u in found for c in u.clients}
    assert {a for a in flagged if net.clean(a)} == set()
    assert net.infected_addresses(options.unknown_min_names) <= flagged
    # every infected machine is found under one of its addresses
    assert all(any(m in net.machines[a] for a in flagged) for m in infected)
