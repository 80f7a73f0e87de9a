"""hunt-flows: flows to Conficker C P2P ports (spec §6) flag their source."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from dgawatch.conficker_p2p import ports_near
from dgawatch.hunt.flows import hunt_flows
from dgawatch.readers import InputReport
from shared_data import read_csv
from tests.test_cli import run


def observations() -> list[dict[str, str]]:
    return read_csv("conficker/conficker_c_p2p_ports_nmap_observations.csv")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def write_flows(path: Path) -> dict[str, str]:
    """One infected source per observation connecting to its observed TCP ports and one
    UDP port; clean sources connect to random ports of the same hosts. Returns
    {source: target} of the infected ones."""
    rng = random.Random(4)
    infected = {}
    rows = ["time,src,dst,dport,proto"]
    for i, obs in enumerate(observations()):
        when = parse_time(obs["approx_scan_time_utc"])
        src = f"172.16.0.{i + 1}"
        infected[src] = obs["ip"]
        for port in obs["tcp_ports"].split(";"):
            rows.append(f"{when.timestamp():.3f},{src},{obs['ip']},{port},tcp")
        rows.append(f"{when.isoformat()},{src},{obs['ip']},{obs['udp_ports'].split(';')[1]},udp")
        listening = {p for w in ports_near(obs["ip"], when) for p in (*w.tcp, *w.udp)}
        clean = f"172.16.1.{i + 1}"
        for _ in range(20):
            port = rng.randrange(1024, 65536)
            if port not in listening:
                rows.append(f"{when.timestamp():.3f},{clean},{obs['ip']},{port},tcp")
    rows.append("garbage,line")
    rows.append(f"{when.timestamp():.3f},{clean},not-an-ip,445,tcp")
    path.write_text("\n".join(rows) + "\n")
    return infected


def test_observed_ports_are_flagged_random_ports_not(tmp_path: Path) -> None:
    infected = write_flows(tmp_path / "flows.csv")
    assert len(infected) == 5
    report = InputReport()
    findings = hunt_flows([tmp_path / "flows.csv"], report)
    assert {f.source: f.flows for f in findings} == {src: 3 for src in infected}
    for f in findings:
        assert {h.flow.dst for h in f.evidence} == {infected[f.source]}
        assert {h.kind for h in f.evidence} == {"fixed", "weekly"}
    assert report.total_bad == 2


def test_zeek_conn_log_and_cli_json(tmp_path: Path) -> None:
    obs = observations()[0]
    when = parse_time(obs["approx_scan_time_utc"])
    weekly_tcp = obs["tcp_ports"].split(";")[1]
    fields = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration".split()
    log = tmp_path / "conn.log"
    log.write_text(
        "#separator \\x09\n#path\tconn\n#fields\t" + "\t".join(fields) + "\n"
        f"{when.timestamp():.6f}\tCa\t192.168.9.9\t40000\t{obs['ip']}\t{weekly_tcp}\ttcp\t-\t0.1\n"
        f"{when.timestamp():.6f}\tCb\t192.168.9.8\t40000\t{obs['ip']}\t445\ttcp\t-\t0.1\n"
    )
    lines = run("hunt-flows", str(log), "--json").stdout.splitlines()
    docs = [json.loads(x) for x in lines]
    assert [d["source"] for d in docs[:-1]] == ["192.168.9.9"]
    assert docs[0]["evidence"][0]["dport"] == int(weekly_tcp)
    assert docs[0]["evidence"][0]["where"] == f"{log}:4"


def test_monday_rollover_checks_both_weeks(tmp_path: Path) -> None:
    obs = observations()[0]
    when = parse_time(obs["approx_scan_time_utc"])
    monday = dt.datetime.combine(
        when.date() + dt.timedelta(days=7 - when.weekday()), dt.time(), dt.UTC
    )
    before = monday - dt.timedelta(minutes=5)  # clock 5 minutes slow: still last week's ports
    weekly = ports_near(obs["ip"], monday - dt.timedelta(hours=1))[0].tcp[1]
    path = tmp_path / "f.csv"
    path.write_text(
        "time,src,dst,dport,proto\n"
        f"{(monday + dt.timedelta(minutes=5)).timestamp()},10.9.9.9,{obs['ip']},{weekly},tcp\n"
        f"{(monday + dt.timedelta(hours=2)).timestamp()},10.9.9.8,{obs['ip']},{weekly},tcp\n"
        f"{before.timestamp()},10.9.9.7,{obs['ip']},{weekly},tcp\n"
    )
    found = {f.source for f in hunt_flows([path], InputReport())}
    assert "10.9.9.9" in found and "10.9.9.7" in found
    assert "10.9.9.8" not in found or weekly in ports_near(obs["ip"], monday)[-1].tcp
