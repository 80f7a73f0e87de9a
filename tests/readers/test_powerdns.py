from tests.readers.helpers import FIXTURES, bad, read, utc


def test_real_structured_log() -> None:
    """PowerDNS Recursor 4.8.8 with quiet=no, structured-logging=yes, run on 127.0.0.78
    without network (so every answer is rcode 3)."""
    rows, report = read(FIXTURES / "powerdns.log")
    assert report.total_bad == 0
    assert [
        (r["ts"], r["client"], r["qname"], r["qtype"], r["rcode"], r["source_line"]) for r in rows
    ] == [
        (
            utc(2026, 11, 27, 11, 27, 41, 864000),
            "127.0.0.1",
            "www.example.com",
            "A",
            "NXDOMAIN",
            18,
        ),
        (
            utc(2026, 11, 27, 11, 27, 41, 866000),
            "127.0.0.1",
            "kxcvbnmqwerty.info",
            "AAAA",
            "NXDOMAIN",
            20,
        ),
    ]


def test_real_legacy_log() -> None:
    rows, report = read(FIXTURES / "powerdns-legacy.log")
    assert report.total_bad == 0
    assert [(r["client"], r["qname"], r["qtype"], r["rcode"], r["source_line"]) for r in rows] == [
        ("127.0.0.1", "www.example.com", "A", "NXDOMAIN", 19),
        ("127.0.0.1", "kxcvbnmqwerty.info", "AAAA", "NXDOMAIN", 21),
    ]
    ts = rows[0]["ts"]  # syslog-style stamp without a year
    assert (ts.month, ts.day, ts.hour, ts.minute, ts.second) == (11, 27, 11, 27, 53)


def test_bad_question(tmp_path) -> None:
    p = tmp_path / "pdns.log"
    p.write_text(
        'msg="Question" subsystem="syncres" ts="1700000000.5" qname="a.example" qtype="A"'
        ' remote="[2001:db8::7]:53"\nmsg="Question" subsystem="syncres" ts="x"'
        ' qname="b.example" remote="10.0.0.1:1"\n'
    )
    rows, report = read(p, "powerdns")
    assert [(r["ts"], r["client"]) for r in rows] == [
        (utc(2023, 11, 14, 22, 13, 20, 500000), "2001:db8::7")
    ]
    assert bad(report) == [(2, "unparseable timestamp 'x'")]
