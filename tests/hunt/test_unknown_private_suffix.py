"""Query-only logs (no rcode): a name under a private suffix of the Public Suffix List is
explained away only when its suffix is popular in the log (:func:`_popular_private`), so a
DGA under a rare one (corebot's ``ddns.net``) is found, while benign dynamic-DNS users and
device clouds (the simulator's ``ddns``) and the cloud one-offs under popular suffixes
(``cloudfront.net``, ``elb.amazonaws.com``...) are not reported. Expected values: counted
by hand, and the simulator's ground truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from dgawatch.hunt import unknown
from dgawatch.hunt.unknown import POPULAR_MIN, _popular_private, explain_arrow
from tests.hunt.netsim import DDNS_PROVIDERS, DEVICE_CLOUDS, simulate
from tests.hunt.test_unknown_fast_path import _collector_findings


def test_a_private_suffix_is_popular_past_ten_clients_and_one_percent() -> None:
    """11 distinct clients under cloudfront.net (one of them twice, a null client and a
    name step 1 was not given beside) make it popular at 300 clients (the cut: 10), 10
    under ddns.net do not; at 2,000 clients (the cut: 1 % = 20) neither is. Public-suffix
    names are never among them."""
    qnames = pa.array(["d1.cloudfront.net", "d2.cloudfront.net", "nas.ddns.net", "x.com"])
    sites, reasons = explain_arrow(qnames)
    clients, names = [], []
    for c in range(11):  # cloudfront: clients 0-10, client 0 under both of its names
        clients.append(c)
        names.append(c % 2)
    clients += [0, -1, 3]
    names += [1, 0, -1]  # (a null client, a name left out: neither counts)
    for c in range(20, 30):  # ddns.net: 10 clients
        clients.append(c)
        names.append(2)
    for c in range(40, 80):  # x.com: 40 clients, public suffix
        clients.append(c)
        names.append(3)
    client_of, name_of = np.array(clients), np.array(names)
    named = np.ones(81, bool)
    named[-1] = False  # (code -1: a null client)
    assert POPULAR_MIN == 10
    got = _popular_private(sites, reasons, name_of, client_of.__getitem__, named, 300)
    assert got.tolist() == [True, True, False, False]
    got = _popular_private(sites, reasons, name_of, client_of.__getitem__, named, 2000)
    assert got.tolist() == [False, False, False, False]
    named[5] = False  # (client 5 null too: 10 clients left under cloudfront.net)
    got = _popular_private(sites, reasons, name_of, client_of.__getitem__, named, 300)
    assert got.tolist() == [False, False, False, False]


@pytest.fixture(scope="module")
def ddns_day(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from dgawatch.readers import InputReport, read_events

    path = Path(tmp_path_factory.mktemp("ddns")) / "dns.log"
    sim = simulate(path, 300, seed=6, answers=False, ddns=0.05)
    return sim, list(read_events([sim.path], "auto", report=InputReport()))


def test_the_simulated_ddns_users_are_in_the_log(ddns_day) -> None:  # type: ignore[no-untyped-def]
    """The counter-case is there: clean clients asking names under the providers, some
    random ids under a device cloud (not infected ones)."""
    sim, batches = ddns_day
    rows = pa.Table.from_batches(batches).select(["client", "qname"]).to_pylist()
    suffixes = tuple(f".{p}" for p, _ in DDNS_PROVIDERS)
    users = {r["client"] for r in rows if r["qname"].endswith(suffixes)}
    clouds = {r["client"] for r in rows if r["qname"].endswith(DEVICE_CLOUDS)}
    assert len(users - set(sim.infected)) >= 12 and len(clouds - set(sim.infected)) >= 2


@pytest.mark.parametrize("coded", [True, False])
def test_a_dga_under_a_rare_private_suffix_is_found_ddns_users_are_not(
    ddns_day, monkeypatch, coded: bool
) -> None:  # type: ignore[no-untyped-def]
    """A query-only day with 5 % of the clients dynamic-DNS users: the corebot host (its
    names all under ddns.net, which 4 of the 300 clients ask for) is found, as are the
    random-label families under public suffixes; no clean host, and none of the ddns and
    device-cloud names in a finding. Coded pairs (the local engine) and string tables (the
    Spark engine's relations) alike."""
    sim, batches = ddns_day
    monkeypatch.setattr(unknown, "CODED", coded)
    _, found = _collector_findings(batches, early=False)
    reported = {c for f in found for c in f.clients}
    corebot = {c for c, style in sim.infected.items() if style == "corebot"}
    assert corebot and corebot <= reported  # (fails when every private suffix is explained)
    assert reported <= set(sim.infected)  # (fails when no private suffix is explained)
    benign = tuple(f".{p}" for p, _ in DDNS_PROVIDERS) + tuple(f".{c}" for c in DEVICE_CLOUDS)
    dga = set().union(*sim.dga_names.values())
    assert not [n for f in found for n in f.names if n.endswith(benign) and n not in dga]


def test_with_every_private_suffix_explained_the_corebot_host_is_missed(
    ddns_day, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The rule is what finds it: with every private suffix popular (the rule before it),
    the corebot host is not reported."""
    sim, batches = ddns_day
    monkeypatch.setattr(unknown, "_popular_private", lambda sites, *_: np.ones(len(sites), bool))
    _, found = _collector_findings(batches, early=False)
    corebot = {c for c, style in sim.infected.items() if style == "corebot"}
    assert corebot and not corebot & {c for f in found for c in f.clients}
