import gzip
import shutil

import pytest
import zstandard

from dgawatch.errors import InputError
from dgawatch.readers import InputReport, read_events, reader_names, readers
from tests.readers.helpers import FIXTURES, read


def test_reader_names() -> None:
    """Every module of the package is found; auto-detection tries binary formats first and
    CSV, the loosest test, last."""
    assert tuple(readers()) == reader_names()
    assert reader_names()[:2] == ("pcap", "dnstap") and reader_names()[-1] == "csv"
    assert set(reader_names()) == {
        "zeek",
        "zeek-json",
        "bind",
        "dnsmasq",
        "unbound",
        "powerdns",
        "dnstap",
        "windows-dns",
        "windows-dns-dmy",  # the same, dates day/month (or month/day) as given
        "windows-dns-mdy",
        "pcap",
        "pdns-cof",
        "csv",
        "parquet",
    }


@pytest.mark.parametrize(
    "name,fmt",
    [
        ("zeek-dns.log", "zeek"),
        ("zeek-dns.json", "zeek-json"),
        ("bind-query.log", "bind"),
        ("unbound.log", "unbound"),
        ("powerdns.log", "powerdns"),
        ("powerdns-legacy.log", "powerdns"),
        ("unbound.dnstap", "dnstap"),
        ("windows-dns.log", "windows-dns"),
        ("unbound.pcap", "pcap"),
        ("pdns-cof.json", "pdns-cof"),
    ],
)
def test_detection_matches_forced_format(name, fmt) -> None:
    auto, _ = read(FIXTURES / name)
    forced, _ = read(FIXTURES / name, fmt)
    assert auto == forced and auto


def test_gzip_and_zstd(tmp_path) -> None:
    plain, _ = read(FIXTURES / "unbound.pcap")
    gz = tmp_path / "a.pcap.gz"
    with open(FIXTURES / "unbound.pcap", "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    zs = tmp_path / "b.log.zst"
    zs.write_bytes(zstandard.ZstdCompressor().compress((FIXTURES / "unbound.log").read_bytes()))
    assert [r["qname"] for r in read(gz)[0]] == [r["qname"] for r in plain]
    assert len(read(zs)[0]) == 6


def test_truncated_gzip_is_reported(tmp_path) -> None:
    gz = tmp_path / "a.log.gz"
    lines = "".join(
        f"[{1700000000 + i}] unbound[1:0] info: 10.0.{i % 250}.{i % 7} n{i * 7919}.example. A IN\n"
        for i in range(20000)
    )
    gz.write_bytes(gzip.compress(lines.encode())[:-2000])
    rows, report = read(gz)
    assert rows and [r for (_, r) in report.counts] == ["truncated or corrupt compressed input"]


def test_missing_and_unknown(tmp_path) -> None:
    with pytest.raises(InputError, match=r"cannot read .*nope\.log"):
        list(read_events([tmp_path / "nope.log"], report=InputReport()))
    (tmp_path / "x.txt").write_text("hello\n")
    with pytest.raises(InputError, match=r"cannot tell the format of .*x\.txt"):
        read(tmp_path / "x.txt")
    with pytest.raises(InputError, match="unknown input format"):
        read(tmp_path / "x.txt", "syslog")


def test_many_files_and_batches(tmp_path) -> None:
    d = tmp_path / "logs"
    d.mkdir()
    shutil.copy(FIXTURES / "unbound.log", d / "a.log")
    shutil.copy(FIXTURES / "unbound.dnstap", d / "b.dnstap")
    batches = list(read_events([d], report=InputReport(), batch_size=4))
    assert [b.num_rows for b in batches] == [4, 2, 4, 2]
