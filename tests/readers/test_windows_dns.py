import gzip
from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.readers import windows_dns
from tests.readers.helpers import FIXTURES, bad, read, utc


def test_windows_debug_log() -> None:
    """Header as in Microsoft's "Message logging key"; packet lines laid out per that key
    (a client query and the server's answer, with the server's own recursion between)."""
    rows, report = read(FIXTURES / "windows-dns.log")
    assert [
        (r["ts"], r["client"], r["qname"], r["qtype"], r["rcode"], r["source_line"]) for r in rows
    ] == [
        (utc(2016, 6, 13, 9, 49, 31), "10.0.0.5", "www.example.com", "A", "NOERROR", 25),
        (utc(2016, 6, 13, 13, 5, 2), "10.0.0.7", "kxcvbnmqwerty.info", "AAAA", "NXDOMAIN", 29),
    ]
    assert bad(report) == [(31, "unrecognised PACKET line")]


# -- the order of day and month is the file's, never the line's (session 8) ----------------


def _log(path: Path, dates: list[str], gz: bool = False) -> Path:
    """A debug log of one client query per date (times 10:00:0k, 24-hour clock)."""
    lines = ["DNS Server log file creation at 1/1/2026 0:00:00 AM", ""]
    for k, date in enumerate(dates):
        lines.append(
            f"{date} 10:00:0{k % 10} 0E60 PACKET  000000F2B8E2A9D0 UDP Rcv 10.0.0.5        "
            f"{k + 1:04x}   Q [0001   D   NOERROR] A      (1)a(7)example(3)com(0)"
        )
    data = ("\r\n".join(lines) + "\r\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _days(path: Path, fmt: str = "auto") -> list[tuple[int, int]]:
    rows, _ = read(path, fmt)
    return [(r["ts"].month, r["ts"].day) for r in rows]


@pytest.mark.parametrize("gz", [False, True])
def test_day_month_file_reads_its_first_days_as_days(tmp_path: Path, gz: bool) -> None:
    # 5/12 comes before the 13/12 that tells: before, 5/12 was read as May 12
    log = _log(tmp_path / "dns.log", ["5/12/2025", "12/12/2025", "13/12/2025", "2/1/2026"], gz)
    assert _days(log) == [(12, 5), (12, 12), (12, 13), (1, 2)]  # fails before (5, 12)


@pytest.mark.parametrize("gz", [False, True])
def test_month_day_file_and_undecided_file_read_as_month_day(tmp_path: Path, gz: bool) -> None:
    log = _log(tmp_path / "us.log", ["12/5/2025", "12/13/2025", "1/2/2026"], gz)
    assert _days(log) == [(12, 5), (12, 13), (1, 2)]
    log = _log(tmp_path / "undecided.log", ["12/5/2025", "12/6/2025"], gz)
    assert _days(log) == [(12, 5), (12, 6)]
    log = _log(tmp_path / "dots.log", ["5.12.2025", "6.12.2025"], gz)
    assert _days(log) == [(12, 5), (12, 6)]  # D.M.YYYY


def test_the_order_can_be_given(tmp_path: Path) -> None:
    log = _log(tmp_path / "dns.log", ["5/12/2025", "6/12/2025"])
    assert _days(log, "windows-dns-dmy") == [(12, 5), (12, 6)]
    assert _days(log, "windows-dns-mdy") == [(5, 12), (6, 12)]
    assert _days(log) == [(5, 12), (6, 12)]


@pytest.mark.parametrize("gz", [False, True])
def test_dates_that_contradict_each_other_name_file_and_line(tmp_path: Path, gz: bool) -> None:
    log = _log(tmp_path / "mixed.log", ["12/13/2025", "5/12/2025", "14/12/2025"], gz)
    with pytest.raises(InputError) as err:
        read(log)
    # before: every line read, 14/12 as December 14 beside 12/13 as December 13
    assert str(err.value).startswith(f"{log}:5: date 14/12/2025 reads only as day/month, but")
    assert "contradict" in str(err.value) and "windows-dns-dmy" in str(err.value)
    with pytest.raises(InputError) as err:
        read(_log(tmp_path / "us.log", ["12/13/2025"]), "windows-dns-dmy")
    assert "reads only as month/day, not as day/month" in str(err.value)


def test_rows_held_past_the_limit_are_month_day_and_a_later_day_month_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(windows_dns, "MAX_HELD", 2)
    log = _log(tmp_path / "dns.log.gz", ["5/12/2025", "6/12/2025", "7/12/2025", "13/12/2025"], True)
    with pytest.raises(InputError, match=r"dns.log.gz:6: date 13/12/2025 reads only as day/mo"):
        read(log)


def test_the_scan_stops_at_the_first_date_that_tells(tmp_path: Path) -> None:
    log = _log(tmp_path / "dns.log", ["1/1/2026"] * 3 + ["1/13/2026"] + ["13/1/2026"])
    with log.open("rb") as fh:
        fh.seek(5)
        assert windows_dns.scan_order(fh) == (windows_dns.MDY, False)
        assert fh.tell() == 5  # left where it was
