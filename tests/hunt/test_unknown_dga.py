"""Unknown-DGA findings: a family the classifier never saw, queried by several clients,
becomes one finding grouping those clients; benign clients do not appear."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dgawatch.classify import DGAClassifier
from dgawatch.hunt import HuntOptions, hunt_paths
from dgawatch.hunt.unknown import shape_of
from tests.classify.conftest import benign_sample, dga_sample
from tests.hunt.logs import Query, utc, write_zeek


def made_up_dga(day: dt.date, n: int) -> list[str]:
    """A toy DGA written for this test (in no registry): an LCG over the date, 12 letters."""
    x = day.toordinal() * 7919
    out = []
    for _ in range(n):
        label = ""
        for _ in range(12):
            x = (x * 1103515245 + 12345) % 2**31
            label += "abcdefghijklmnopqrstuvwxyz"[(x >> 16) % 26]
        out.append(label + ".xyz")
    return out


def test_unknown_dga_groups_infected_clients(tmp_path: Path) -> None:
    benign = benign_sample(4000)
    train_dga = dga_sample("cryptolocker", 3) + dga_sample("qakbot", 1) + dga_sample("ramnit", 1)
    model = DGAClassifier(bits=16, family_bits=12, epochs=4).fit(
        benign[:3000] + train_dga,
        [0] * 3000 + [1] * len(train_dga),
        family=[None] * 3000 + ["cryptolocker"] * len(train_dga),
    )
    model.calibrate(benign[3000:])
    day = dt.date(2024, 3, 5)  # a Tuesday
    names = made_up_dga(day, 40)
    queries = []
    infected = [f"10.1.0.{i}" for i in range(1, 13)]
    for i, client in enumerate(infected):
        for j in range(12):
            q = names[(i * 3 + j) % len(names)]
            queries.append(Query(utc(2024, 3, 5, 9 + i % 5, j, i), client, q))
    clean = [f"10.2.0.{i}" for i in range(1, 6)]
    for i, client in enumerate(clean):
        for j, q in enumerate(benign[3000 + i * 40 : 3000 + i * 40 + 40]):
            queries.append(Query(utc(2024, 3, 5, 10, j, i), client, q, "NOERROR"))
    log = tmp_path / "dns.log"
    write_zeek(log, queries)
    options = HuntOptions(
        variants=(), window_days=0, unknown_dga=True, unknown_fpr=1e-2, unknown_model=model
    )
    result = hunt_paths([log], options)
    unknown = result.extra["unknown_dga"]
    assert isinstance(unknown, list) and len(unknown) == 1
    finding = unknown[0]
    assert set(finding.clients) == set(infected)
    assert not set(finding.clients) & set(clean)
    assert finding.first_seen.date() == day and finding.nxdomain == finding.queries
    assert finding.shapes == ("alpha/10-14/xyz",)
    assert "12 hosts" in finding.summary and finding.to_dict()["kind"] == "unknown_dga"


def test_shape_of() -> None:
    assert shape_of("www.deadbeef1234.co.uk") == ("hex", "10-14", "co.uk")
    assert shape_of("abc-def.com") == ("alpha-", "5-9", "com")


def test_hunt_cli_reports_unknown_dga_with_shipped_model(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from dgawatch.cli import app

    names = made_up_dga(dt.date(2024, 3, 5), 40)
    queries = [
        Query(utc(2024, 3, 5, 9, j, i), f"10.1.0.{i}", names[(i * 5 + j) % 40])
        for i in range(1, 5)
        for j in range(15)
    ]
    queries += [
        Query(utc(2024, 3, 5, 10, j % 60, 0), "10.2.0.1", q, "NOERROR")
        for j, q in enumerate(benign_sample(3200)[3000:])
    ]
    log = tmp_path / "dns.log"
    write_zeek(log, queries)
    res = CliRunner().invoke(app, ["hunt", str(log), "--json", "--family", "conficker"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout.splitlines()[-1])["summary"]
    (finding,) = summary["unknown_dga"]
    assert finding["clients"] == [f"10.1.0.{i}" for i in range(1, 5)]
    off = CliRunner().invoke(
        app, ["hunt", str(log), "--json", "--family", "conficker", "--no-unknown-dga"]
    )
    assert off.exit_code == 0, off.output
    assert "unknown_dga" not in json.loads(off.stdout.splitlines()[-1])["summary"]
