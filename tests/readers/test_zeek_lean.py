"""The hunt's lean Zeek TSV path (the compiled scanner, ``dgawatch._huntscan.scan_tsv``)
against the general reader: same rows, same reports, whatever the log holds. The general
reader is the oracle: ``read_events(fields=HUNT_FIELDS)`` must equal the full read
projected on those fields, and segments the scanner cannot vouch for must reach the
general reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dgawatch.readers import HUNT_FIELDS, InputReport, read_events, zeek
from tests.hunt.logs import ZEEK_HEADER

#: The Zeek dns.log header of the hunt's test logs, without its ``#open`` line.
HEADER = "".join(h for h in ZEEK_HEADER.splitlines(keepends=True) if not h.startswith("#open"))


def line(ts: str, client: str, query: str, rcode: str = "NOERROR") -> str:
    return (
        f"{ts}\tCuid\t{client}\t5353\t10.0.0.53\t53\tudp\t7\t0.01\t{query}\t1\tC_INTERNET\t1\tA"
        f"\t0\t{rcode}\tF\tF\tT\tT\t0\t1.2.3.4,5.6.7.8\t60.0,60.0\tF\n"
    )


#: What the scanner must read itself, as the general reader would: upper case, trailing
#: dots, no fraction, long fractions, IPv6 and empty clients, a line without a question
#: (skipped), an unset rcode (null), other rcodes, odd but printable characters.
CLEAN = [
    line("1600000000.123456", "10.0.0.1", "WWW.Example.COM."),
    line("1600000001", "2001:db8::1", "a.b.c.d.e.example.co.uk"),
    line("1600000002.5", "10.0.0.2", "-"),
    line("1600000003.000001", "10.0.0.3", "x-y_z.example.net", "-"),
    line("1600000004.9999995", "", "*.wild.example.org", "SERVFAIL"),
    line("1600000005.25", "10.0.0.3", "single", "NXDOMAIN"),
    line("1600000006.1", "10.0.0.4", "(empty)"),
]
#: Changes of header mid-file: another field order, no rcode_name, another unset marker.
SECOND = (
    "#unset_field\tNONE\n#fields\tquery\tid.orig_h\tts\n#types\tstring\taddr\ttime\n"
    "Late.Example.\t10.9.9.9\t1600000100.5\nNONE\t10.9.9.9\t1600000101\n"
    "b.example\t-\t1600000102\n"
)

#: Lines the scanner must leave to the general reader (each reported or normalised there).
ODD = {
    "too few fields": "1600000000.1\tCx\t10.0.0.9\t1\n",
    "not utf-8": line("1600000000.2", "10.0.0.9", "\udcff.example").encode(
        "utf-8", "surrogateescape"
    ),
    "idna name": line("1600000000.3", "10.0.0.9", "WWW.BüCHER.example."),
    "crlf": line("1600000000.4", "10.0.0.9", "crlf.example").replace("\n", "\r\n"),
    "blank line": "\n",
    "exponent time": line("1.6e9", "10.0.0.9", "exp.example"),
    "unset time": line("-", "10.0.0.9", "nots.example"),
    "unset time, no question": line("-", "10.0.0.9", "-"),
    "ancient time": line("99.5", "10.0.0.9", "old.example"),
    "future time": line("99999999999.5", "10.0.0.9", "future.example"),
    "nan time": line("nan", "10.0.0.9", "nan.example"),
    "missing client": line("1600000000.5", "-", "noclient.example"),
    "empty label": line("1600000000.6", "10.0.0.9", "a..example"),
    "leading dot": line("1600000000.7", "10.0.0.9", ".lead.example"),
    "only dots": line("1600000000.8", "10.0.0.9", ".."),
    "space": line("1600000000.9", "10.0.0.9", "sp ace.example"),
    "too long": line("1600000001.1", "10.0.0.9", ("a" * 60 + ".") * 5 + "com"),
}


def _read(path: Path, fields: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    report = InputReport()
    rows: list[dict[str, Any]] = []
    for batch in read_events([path], report=report, fields=fields, batch_size=3):
        rows.extend(batch.select(list(HUNT_FIELDS)).to_pylist())
    return rows, report.to_dict()


def _write(path: Path, *parts: str | bytes) -> Path:
    path.write_bytes(b"".join(p.encode() if isinstance(p, str) else p for p in parts))
    return path


def test_scanner_reads_clean_segments_like_the_general_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _write(tmp_path / "dns.log", HEADER, *CLEAN, SECOND, "#close\tx\n")
    want = _read(log, None)
    calls: list[int] = []
    real = zeek._segment
    monkeypatch.setattr(zeek, "_segment", lambda *a: calls.append(1) or real(*a))
    got = _read(log, HUNT_FIELDS)
    assert got == want
    assert calls == []  # every segment went through the scanner
    rows = want[0]
    assert [r["qname"] for r in rows] == [
        "www.example.com", "a.b.c.d.e.example.co.uk", "x-y_z.example.net",
        "*.wild.example.org", "single", "(empty)", "late.example", "b.example",
    ]  # fmt: skip
    assert [r["rcode"] for r in rows][2:6] == [None, "SERVFAIL", "NXDOMAIN", "NOERROR"]
    assert [r["client"] for r in rows][-3:] == ["10.0.0.4", "10.9.9.9", "-"]  # "-" is set now
    assert rows[-1]["rcode"] is None
    assert [r["source_line"] for r in rows] == [8, 9, 11, 12, 13, 14, 18, 20]
    assert want[1]["malformed"] == []


@pytest.mark.parametrize("kind", sorted(ODD))
def test_segments_the_scanner_cannot_vouch_for_go_to_the_general_reader(
    tmp_path: Path, kind: str
) -> None:
    log = _write(tmp_path / "dns.log", HEADER, *CLEAN[:3], ODD[kind], *CLEAN[3:])
    seg = log.read_bytes().split(b"#types", 1)[1].split(b"\n", 1)[1]
    fields = HEADER.split("#fields\t")[1].split("\n")[0].split("\t")
    state = zeek._TsvState()
    state.fields = fields
    assert zeek._scan(state, seg, 1, str(log)) is None
    assert _read(log, HUNT_FIELDS) == _read(log, None)


def test_scanned_and_general_batches_share_one_schema(tmp_path: Path) -> None:
    """A file the scanner reads and one it leaves to the general reader, in one hunt:
    their batches concatenate (the unknown-DGA stage pools them)."""
    import pyarrow as pa

    clean = _write(tmp_path / "a.log", HEADER, *CLEAN)
    odd = _write(tmp_path / "b.log", HEADER, *CLEAN, ODD["too few fields"])
    batches = list(read_events([clean, odd], report=InputReport(), fields=HUNT_FIELDS))
    assert len({b.schema for b in batches}) == 1
    assert pa.Table.from_batches(batches).num_rows == 2 * (len(CLEAN) - 1)


def test_general_path_when_scanning_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _write(tmp_path / "dns.log", HEADER, *CLEAN, SECOND)
    want = _read(log, HUNT_FIELDS)
    monkeypatch.setattr(zeek, "SCAN", False)
    assert _read(log, HUNT_FIELDS) == want
