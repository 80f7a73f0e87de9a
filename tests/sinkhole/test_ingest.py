"""`sinkhole ingest`: dnstap of a production authoritative server into the event store."""

import datetime as dt
import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import dns.exception
import dns.message
import dns.query
import pytest

from dgawatch.errors import InputError
from dgawatch.families.base import Variant
from dgawatch.sinkhole.ingest import ingest
from dgawatch.sinkhole.store import connect, count_events, read_ack
from tests.needs import missing
from tests.sinkhole.conftest import DGAWATCH

FIXTURE = Path(__file__).parent.parent / "readers" / "fixtures" / "unbound.dnstap"


@dataclass(frozen=True)
class _Listed:
    """A stand-in variant whose day list is fixed: the names of the fixture."""

    names: tuple[str, ...]
    family: str = "testfam"
    name: str = "v1"

    def is_active(self, day: dt.date) -> bool:
        return True

    def domains(self, day: dt.date) -> list[str]:
        return list(self.names)


def _variant(*names: str) -> Variant:
    return cast(Variant, _Listed(names))


def test_fixture_attributed(tmp_path: Path) -> None:
    v = _variant("kxcvbnmqwerty.info", "example.com")
    result = ingest([FIXTURE], [v], tmp_path)
    # 6 queries; www/mail/nothing.example.com and kxcvbnmqwerty.info fall under the set
    assert (result.read, result.stored, result.not_sinkholed) == (6, 5, 1)
    assert result.report.total_bad == 0
    con = connect(tmp_path)
    rows = con.execute(
        "SELECT proto, src_ip, domain, family, variant, qname, qtype, rcode FROM events ORDER BY ts"
    ).fetchall()
    assert {r[0] for r in rows} == {"dns/dnstap"} and {r[1] for r in rows} == {"127.0.0.1"}
    assert ("kxcvbnmqwerty.info", "testfam", "v1", "kxcvbnmqwerty.info", "A", "NXDOMAIN") in [
        r[2:] for r in rows
    ]
    assert sorted(r[2] for r in rows).count("example.com") == 4
    assert read_ack(tmp_path, "ingest").events == 5  # type: ignore[union-attr]


def test_bad_frames_counted_or_fatal_with_strict(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    damaged = tmp_path / "damaged.dnstap"
    # the 3rd data frame's protobuf mangled (length prefix kept), and the file cut short
    first = 4 + 4 + int.from_bytes(data[4:8], "big")  # after the START control frame
    pos = first
    for _ in range(2):
        pos += 4 + int.from_bytes(data[pos : pos + 4], "big")
    n = int.from_bytes(data[pos : pos + 4], "big")
    body = b"\xff" * n
    damaged.write_bytes(data[: pos + 4] + body + data[pos + 4 + n : len(data) - 30])
    v = _variant("kxcvbnmqwerty.info", "example.com")
    result = ingest([damaged], [v], tmp_path / "store")
    assert result.report.total_bad >= 2  # the mangled frame and the truncated end
    assert 0 < result.stored <= 5 and result.read <= 6
    assert count_events(tmp_path / "store") == result.stored
    with pytest.raises(InputError, match="strict"):
        ingest([damaged], [v], tmp_path / "strict", strict=True)


def test_a_directory_with_a_file_that_is_not_dnstap_ingests_nothing(tmp_path: Path) -> None:
    """Refused before anything is stored (it stopped at the file, the ones before it stored:
    a rerun after moving it stored their events twice), naming the file; compressed dnstap
    and an empty file (nothing logged yet) pass."""
    import gzip

    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.dnstap").write_bytes(FIXTURE.read_bytes())
    (logs / "b.txt").write_text("notes of the night shift\n")
    (logs / "c.dnstap.gz").write_bytes(gzip.compress(FIXTURE.read_bytes()))
    (logs / "d.dnstap").write_bytes(b"")
    v = _variant("kxcvbnmqwerty.info", "example.com")
    with pytest.raises(InputError) as refused:
        ingest([logs], [v], tmp_path / "store")
    said = str(refused.value)
    assert f"{logs / 'b.txt'}; nothing was ingested" in said and "is not dnstap" in said
    assert "a.dnstap" not in said and "c.dnstap" not in said and "d.dnstap" not in said
    assert not (tmp_path / "store").exists() or count_events(tmp_path / "store") == 0
    (logs / "b.txt").unlink()
    result = ingest([logs], [v], tmp_path / "store")
    assert result.stored == 10 and count_events(tmp_path / "store") == 10  # each once


def test_the_cli_refusal_is_one_line(tmp_path: Path) -> None:
    other = tmp_path / "queries.log"
    other.write_text("this is no dnstap\n")
    done = subprocess.run(
        [DGAWATCH, "sinkhole", "ingest", str(FIXTURE), str(other), "--family", "conficker",
         "--dir", str(tmp_path / "store")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert str(other) in done.stderr and not (tmp_path / "store").exists()


def test_cli_on_fixture(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            DGAWATCH,
            "sinkhole",
            "ingest",
            str(FIXTURE),
            "--family",
            "conficker",
            "--dir",
            str(tmp_path),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["read"] == 6 and doc["stored"] == 0 and doc["not_sinkholed"] == 6


def _nsd_has_dnstap() -> bool:
    nsd = shutil.which("nsd") or "/usr/sbin/nsd"
    try:
        out = subprocess.run([nsd, "-v"], capture_output=True, text=True, timeout=10)
    except OSError:
        return False
    return "--enable-dnstap" in out.stdout + out.stderr


def test_real_nsd_dnstap(tmp_path: Path) -> None:
    """NSD serves the `sinkhole zone` output with dnstap on; its capture is ingested."""
    if not (_nsd_has_dnstap() and shutil.which("fstrm_capture")):
        missing("needs NSD built with dnstap and fstrm_capture (Debian nsd, fstrm-bin)")
    sel = ["--family", "conficker", "--variant", "b", "--max-names-per-day", "5"]
    zone_dir = tmp_path / "zone"
    subprocess.run(
        [DGAWATCH, "sinkhole", "zone", "--address", "192.0.2.1", "--output", str(zone_dir), *sel],
        capture_output=True,
        check=True,
    )
    include = next(zone_dir.glob("nsd.conf*"))
    names = [ln.split('"')[1] for ln in include.read_text().splitlines() if "name:" in ln]
    names = [n for n in names if n != "dgawatch-sinkhole"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sock = tmp_path / "dnstap.sock"
    conf = tmp_path / "nsd.conf"
    conf.write_text(
        f'server:\n  ip-address: 127.0.0.1@{port}\n  username: ""\n  chroot: ""\n'
        f'  zonesdir: "{zone_dir}"\n  pidfile: "{tmp_path}/nsd.pid"\n'
        f'  zonelistfile: "{tmp_path}/zone.list"\n  xfrdfile: "{tmp_path}/xfrd.state"\n'
        f'  xfrdir: "{tmp_path}"\n  database: ""\n  server-count: 1\n  verbosity: 0\n'
        "remote-control:\n  control-enable: no\n"
        f'dnstap:\n  dnstap-enable: yes\n  dnstap-socket-path: "{sock}"\n'
        '  dnstap-send-identity: yes\n  dnstap-identity: "test-nsd"\n'
        "  dnstap-log-auth-query-messages: yes\n  dnstap-log-auth-response-messages: yes\n"
        f'include: "{include}"\n'
    )
    capture = tmp_path / "nsd.dnstap"
    fstrm = subprocess.Popen(
        ["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", str(sock), "-w", str(capture)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nsd = None
    try:
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        nsd = subprocess.Popen(
            [shutil.which("nsd") or "/usr/sbin/nsd", "-d", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        queries = [(names[0], "A"), (f"www.{names[1]}", "A"), (names[2], "AAAA")]
        queries.append(("example.org", "A"))  # not ours: NSD refuses, ingest skips it
        # NSD loads one zone per sinkholed name: on a loaded 2-core machine (CI) that took
        # longer than the 10 s left after the socket wait, so it gets a bound of its own.
        deadline = time.monotonic() + 90
        while True:  # NSD is up once it answers
            try:
                dns.query.udp(dns.message.make_query(names[3], "SOA"), "127.0.0.1", 0.3, port)
                break
            except (dns.exception.Timeout, OSError):
                if time.monotonic() > deadline:
                    raise
        for qname, rdtype in queries:
            dns.query.udp(dns.message.make_query(qname, rdtype), "127.0.0.1", 2, port)
        # NSD hands dnstap messages to its collector process, which writes them through an
        # fstrm queue flushed on a timer (1 s by default); fstrm_capture only writes its file
        # out when it stops. Give the collector a few flush periods before shutting down.
        time.sleep(3)
    finally:
        for p in (nsd, fstrm):  # NSD first, so that its dnstap is flushed
            if p is not None:
                p.terminate()
                p.wait(10)
    store = tmp_path / "store"
    out = subprocess.run(
        [DGAWATCH, "sinkhole", "ingest", str(capture), *sel, "--dir", str(store), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    doc = json.loads(out.stdout)
    assert doc["malformed"] == 0
    assert doc["not_sinkholed"] == 1 and doc["stored"] >= 4  # + the readiness probe(s)
    con = connect(store)
    rows = con.execute(
        "SELECT qname, domain, family, variant, qtype, rcode, src_ip FROM events "
        "WHERE proto = 'dns/dnstap' ORDER BY ts"
    ).fetchall()
    got = {(r[0], r[4]): r for r in rows}
    for qname, rdtype in queries[:3]:
        row = got[(qname, rdtype)]
        assert row[1] == qname.removeprefix("www.")
        assert row[2:4] == ("conficker", "b") and row[5] == "NOERROR" and row[6] == "127.0.0.1"
    stats = subprocess.run(
        [DGAWATCH, "sinkhole", "stats", "--dir", str(store), "--by", "family", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(stats.stdout)["rows"]
