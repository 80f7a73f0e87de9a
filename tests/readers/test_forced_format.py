"""A file read in a format it is not in (``--input-format``), and how bad lines are shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgawatch.hunt.output import report_lines
from dgawatch.readers import HUNT_FIELDS, FileRefused, InputReport, read_events

FIXTURES = Path(__file__).parent / "fixtures"


def _csv(path: Path, rows: int = 40) -> Path:
    lines = ["timestamp,client_ip,query"]
    lines += [f"{1700000000 + i},10.0.0.{i % 5},host{i}.example.com" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _read(path: Path, fmt: str, report: InputReport, lean: bool = False) -> int:
    fields = HUNT_FIELDS if lean else None
    return sum(b.num_rows for b in read_events(path, fmt, report=report, fields=fields))


@pytest.mark.parametrize("lean", [False, True])
def test_csv_read_as_zeek_is_refused_whole_not_one_long_bad_line(
    tmp_path: Path, lean: bool
) -> None:
    log = _csv(tmp_path / "log.csv")
    report = InputReport()
    with pytest.raises(FileRefused) as exc:
        _read(log, "zeek", report, lean)
    message = str(exc.value)
    assert message.startswith(f"{log}: not a Zeek log (no #fields header")
    assert "\n" not in message and "leave --input-format out" in message
    assert report.total_bad == 0


@pytest.mark.parametrize("fmt", ["bind", "unbound", "pdns-cof", "zeek-json", "dnsmasq"])
def test_forced_format_that_no_line_matches_names_file_and_format(tmp_path: Path, fmt: str) -> None:
    log = _csv(tmp_path / "log.csv")
    with pytest.raises(FileRefused) as exc:
        _read(log, fmt, InputReport())
    message = str(exc.value)
    assert message.startswith(f"{log}: no line reads as {fmt} (")
    assert "leave --input-format out to detect it" in message and "\n" not in message


def test_forced_format_refused_file_in_a_directory_is_skipped(tmp_path: Path) -> None:
    _csv(tmp_path / "a.csv")
    (tmp_path / "b.log").write_bytes((FIXTURES / "bind-query.log").read_bytes())
    report = InputReport()
    rows = _read(tmp_path, "bind", report)
    assert rows > 0
    [reason] = [r for f, r in report.counts if f == str(tmp_path / "a.csv")]
    assert reason.startswith("no line reads as bind") and reason.endswith("; skipped")


def test_forced_format_of_the_right_kind_still_reads(tmp_path: Path) -> None:
    for fmt, name in (
        ("bind", "bind-query.log"),
        ("unbound", "unbound.log"),
        ("zeek", "zeek-dns.log"),
    ):
        report = InputReport()
        assert _read(FIXTURES / name, fmt, report) > 0


def test_empty_file_in_a_forced_format_is_no_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert _read(empty, "bind", InputReport()) == 0


def test_data_before_zeek_fields_header_is_shown_as_its_one_line(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    log.write_text(
        "#separator \\x09\n1\t2\n3\t4\n#fields\tts\tuid\tid.orig_h\tquery\n"
        "1700000000\tC1\t10.0.0.1\texample.com\n"
    )
    report = InputReport()
    assert _read(log, "zeek", report) == 1
    [(_, reason)] = report.counts
    assert reason == "data before the #fields header"
    [item] = report.examples[(str(log), reason)]
    assert item.line == 2 and item.excerpt == "1\t2"


def test_undecodable_bytes_are_escaped_once() -> None:
    report = InputReport()
    report.bad("f.log", 3, "not UTF-8 text", b"\xff\xfe.example\n")
    report.bad("f.log", 4, "odd", "a\\udcff b")  # a real backslash stays one escaped backslash
    first, second = (
        report.examples[("f.log", "not UTF-8 text")][0],
        report.examples[("f.log", "odd")][0],
    )
    assert first.shown == r"'\xff\xfe.example'"
    assert str(first) == r"f.log:3: not UTF-8 text: '\xff\xfe.example'"
    assert second.shown == r"'a\\udcff b'"
    assert r"  line 3: '\xff\xfe.example'" in report_lines(report)
    texts = [e["text"] for m in report.to_dict()["malformed"] for e in m["examples"]]  # type: ignore[attr-defined]
    assert texts == [r"\xff\xfe.example", "a\\udcff b"]


def test_undecodable_zeek_line_is_escaped_once(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    log.write_bytes(
        b"#separator \\x09\n#fields\tts\tuid\tid.orig_h\tquery\n"
        b"1700000000\tC1\t10.0.0.1\t\xff\xfe.example\n1700000000\tC1\t10.0.0.1\tok.example\n"
    )
    report = InputReport()
    assert _read(log, "auto", report) == 1
    [line] = [x for x in report_lines(report) if x.startswith("  line")]
    assert line == r"  line 3: '1700000000\tC1\t10.0.0.1\t\xff\xfe.example'"
