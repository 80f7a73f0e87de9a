"""End to end on loopback: a simulated Conficker C botnet whose DNS reaches a real
``sinkhole serve`` through four caching resolvers, and whose machines then connect over
HTTP from their own 127.x.y.z addresses to the address they were answered."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from dgawatch.sinkhole.plan import read_plans
from dgawatch.sinkhole.simulate import Botnet, drive, ip_text, simulate

DGAWATCH = str(Path(sys.executable).parent / "dgawatch")
PLAN = ("192.0.2.1", "192.0.2.2")


def test_botnet_through_resolvers_to_real_server(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    today = dt.datetime.now(dt.UTC).date()
    srv = server_factory(
        "--address", PLAN[1], "--family", "conficker", "--variant", "c",
        "--max-names-per-day", "60",
    )  # fmt: skip
    b = Botnet(bots=400, held=60, day=today, resolvers=4, skew_sd_s=0, space="loopback", seed=3)
    traffic = simulate(b)
    sent = drive(traffic, srv.dns_port, srv.http_port)
    srv.stop()

    # the plan serve wrote, and the DNS answers followed it (ground truth: name order)
    (_since, plan), *_ = read_plans(srv.directory)
    assert [(e.address, e.half) for e in plan.entries if ":" not in e.address] == [
        (PLAN[0], "a"),
        (PLAN[1], "b"),
    ]
    answered = sent["answered"]
    assert isinstance(answered, dict) and answered
    for i, name in enumerate(b.names[0]):
        if name in answered:
            assert answered[name] == PLAN[i % 2]

    # ground truth of what the sinkhole can see, from the simulator's contacts
    sel = traffic.offset == 0
    src, half = traffic.src[sel].tolist(), traffic.half[sel].tolist()
    a = {ip_text(s) for s, h in zip(src, half, strict=True) if h == 0}
    bb = {ip_text(s) for s, h in zip(src, half, strict=True) if h == 1}

    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path))
    proc = subprocess.run(
        [DGAWATCH, "sinkhole", "stats", "--dir", str(srv.directory), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    est = {e["method"]: e for e in doc["estimates"]}
    assert {e["protocol"] for e in doc["estimates"]} == {"http"}  # DNS: no population
    assert est["k-of-D"]["inputs"]["n_k"] == len(a | bb)
    assert {x: est["chapman"]["inputs"][x] for x in ("n1", "n2", "m")} == {
        "n1": len(a),
        "n2": len(bb),
        "m": len(a & bb),
    }
    for method in ("k-of-D", "chapman"):
        lo, hi = est[method]["ci95"]
        assert lo <= b.bots <= hi, (method, est[method])
    (dns,) = doc["dns_sources"]
    assert (dns["resolvers"], dns["end_hosts"]) == (4, 0)
    assert dns["queries"] == sent["queries"]  # one per resolver per held name per TTL
    assert "not a population" in dns["unit"]
