"""The bad-input summary of a capture counts packets, not lines ("2 packet(s)",
"packet 3"); a text log still counts lines; a capture's cut file header is said as such."""

from __future__ import annotations

import struct

from dgawatch.hunt.output import report_lines
from tests.readers import pcapgen as g
from tests.readers.helpers import read

T0 = 1_700_000_000


def _packet(ts: int, qname: str, cut: int | None = None) -> g.Packet:
    wire = g.query(qname).to_wire()
    wire = wire[:cut] if cut is not None else wire
    return g.Packet(ts, g.link(g.udp("10.0.0.9", 1025, "10.0.0.1", 53, wire), g.ETHERNET))


def test_capture_bad_input_is_counted_in_packets(tmp_path) -> None:
    p = tmp_path / "bad.pcap"
    good = _packet(T0, "ok.example")
    g.write_pcap(str(p), [good, _packet(T0 + 1, "x.example", cut=15), good])
    with open(p, "ab") as f:
        f.write(struct.pack("<IIII", T0, 0, 100, 100) + b"\0" * 10)  # cut short
    _, report = read(p)
    lines = report_lines(report)
    assert any(ln.startswith(f"{p}: 1 packet(s): malformed DNS message: ") for ln in lines)
    assert any(ln.startswith("  packet 2: ") for ln in lines)
    assert "  packet 4: '10 of 100 packet bytes'" in lines
    assert not any("line" in ln for ln in lines)


def test_cut_capture_header_is_not_a_packet(tmp_path) -> None:
    p = tmp_path / "cut.pcap"
    g.write_pcap(str(p), [_packet(T0, "ok.example")])
    p.write_bytes(p.read_bytes()[:20])
    _, report = read(p)
    assert report_lines(report) == [
        f"{p}: truncated pcap file header",
        "  file header: '20 of 24 bytes'",
    ]


def test_text_log_still_counts_lines(tmp_path) -> None:
    p = tmp_path / "q.csv"
    p.write_text("ts,client,qname,rcode\n1700000000,10.0.0.1,a.example,NOERROR\nbroken\n")
    _, report = read(p)
    lines = report_lines(report)
    assert any(ln.startswith(f"{p}: 1 line(s): ") for ln in lines)
    assert any(ln.startswith("  line 3: ") for ln in lines)
