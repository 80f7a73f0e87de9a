import pytest

from dgawatch.errors import InputError
from dgawatch.readers import InputReport
from tests.readers.helpers import FIXTURES, bad, read, utc


def test_zeek_tsv_fixture() -> None:
    rows, report = read(FIXTURES / "zeek-dns.log")
    assert [(r["source_line"], r["client"], r["qname"], r["qtype"], r["rcode"]) for r in rows] == [
        (9, "192.168.4.76", "testmyids.com", "AAAA", "NOERROR"),
        (10, "192.168.4.76", "testmyids.com", "A", "NOERROR"),
        (13, "2001:db8::9", "www.xn--bcher-kva.example", "A", "NXDOMAIN"),
    ]
    assert rows[0]["ts"] == utc(2020, 9, 16, 14, 39, 59, 305000)
    assert rows[0]["answers"] is None
    assert rows[1]["answers"] == ["31.3.245.133"]
    assert rows[2]["answers"] == []
    assert rows[0]["source_file"].endswith("zeek-dns.log")
    # line 11 has no query (skipped quietly), 12 is cut short, 14 is from 1970, 15 not UTF-8
    assert bad(report) == [
        (12, "7 fields where the header has 24"),
        (14, "timestamp before 1990 or in the future"),
        (15, "not UTF-8 text"),
    ]
    assert report.lines_read[str(FIXTURES / "zeek-dns.log")] == 16


def test_zeek_tsv_fast_path_and_header_change(tmp_path) -> None:
    head = (FIXTURES / "zeek-dns.log").read_bytes().split(b"\n")[:8]
    good = b"\n".join(head[:10]) + b"\n"
    lines = [
        f"{1600000000 + i}.5\tC{i}\t10.0.0.{i % 250}\t1\t10.0.0.1\t53\tudp\t{i}\t-\tn{i}.example"
        "\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t1.2.3.4,5.6.7.8\t1,1\tF"
        for i in range(3000)
    ]
    # a second header with other fields mid-file (concatenated logs)
    second = (
        b"#fields\tts\tid.orig_h\tquery\n#types\ttime\taddr\tstring\n"
        b"1600009999.0\t10.9.9.9\tz.example\n"
    )
    p = tmp_path / "dns.log"
    p.write_bytes(good + ("\n".join(lines) + "\n").encode() + second)
    rows, report = read(p, "zeek", batch_size=1000)
    assert len(rows) == 3001 and report.total_bad == 0
    assert rows[0]["source_line"] == 9 and rows[2999]["source_line"] == 9 + 2999
    assert rows[2999]["qname"] == "n2999.example"
    assert rows[2999]["answers"] == ["1.2.3.4", "5.6.7.8"]
    assert rows[3000] | {"ts": None, "source_file": None} == {
        "ts": None,
        "client": "10.9.9.9",
        "qname": "z.example",
        "qtype": None,
        "rcode": None,
        "answers": None,
        "sensor": None,
        "source_file": None,
        "source_line": 3011,
    }


def test_not_dns_log_is_reported(tmp_path) -> None:
    p = tmp_path / "other.log"
    p.write_text("#separator \\x09\n#fields\tts\tuid\n1600000000.0\tC1\n")
    rows, report = read(p, "zeek")
    assert rows == [] and bad(report) == [
        (2, "Zeek log without a query field (not dns.log); skipped")
    ]
    conn = tmp_path / "conn.log"  # its header says what it is: refused, by name (issue 17)
    conn.write_text("#separator \\x09\n#path\tconn\n#fields\tts\tuid\n1600000000.0\tC1\n")
    with pytest.raises(InputError, match=r"conn\.log is a Zeek conn\.log, not dns\.log"):
        read(conn, "zeek")


def test_zeek_json_fixture() -> None:
    rows, report = read(FIXTURES / "zeek-dns.json")
    assert rows[0] == {
        "ts": utc(2020, 10, 9, 17, 50, 24, 123000),
        "client": "192.168.75.169",
        "qname": "www.sansgear.com",
        "qtype": "A",
        "rcode": "NOERROR",
        "answers": ["vhost1.identityvector.com", "70.32.97.206"],
        "sensor": None,
        "source_file": str(FIXTURES / "zeek-dns.json"),
        "source_line": 1,
    }
    assert (rows[1]["ts"], rows[1]["client"], rows[1]["qname"], rows[1]["sensor"]) == (
        utc(2020, 10, 9, 17, 50, 25, 500000),
        "192.168.75.170",
        "kxcvbnmqwerty.info",
        "sensor-1",
    )
    assert len(rows) == 2
    assert bad(report) == [(4, "not a JSON object"), (5, "invalid query name")]


def test_strict_raises_on_first_bad_line() -> None:
    import pytest

    from dgawatch.errors import InputError

    with pytest.raises(InputError, match=r"zeek-dns\.json:4"):
        read(FIXTURES / "zeek-dns.json", report=InputReport(strict=True))
