from tests.readers.helpers import FIXTURES, bad, read, utc


def test_bind_query_log() -> None:
    """Lines 1-2: the LogZilla BIND app's published examples; 3: jpmens.net's BIND 9.11
    example behind print-category/print-severity; 4: ISO time, ECS, flags; 5: jpmens.net's
    older (pre-9.11) form, which has no timestamp; 6: broken; 7: another category."""
    rows, report = read(FIXTURES / "bind-query.log")
    assert [
        (r["ts"], r["client"], r["qname"], r["qtype"], r["rcode"], r["source_line"]) for r in rows
    ] == [
        (
            utc(2022, 7, 6, 11, 12, 4, 202000),
            "192.168.250.115",
            "definitionupdates.microsoft.com",
            "A",
            None,
            1,
        ),
        (utc(2022, 7, 7, 11, 15, 38, 170000), "192.168.10.30", "google.com", "AAAA", None, 2),
        (utc(2022, 7, 7, 11, 15, 39, 1000), "192.168.1.130", "example.org", "NS", None, 3),
        (utc(2024, 1, 1), "2001:db8::1", "kxcvbnmqwerty.info", "A", None, 4),
    ]
    assert bad(report) == [
        (5, "no timestamp at the start of the line"),
        (6, "unrecognised query log line"),
    ]


def test_bind_syslog_prefix(tmp_path) -> None:
    p = tmp_path / "messages"
    p.write_text(
        "Jan  2 03:04:05 ns1 named[99]: client @0x7f 10.1.1.1#53311 (a.example): "
        "query: a.example IN A + (10.0.0.53)\n"
    )
    rows, _ = read(p, "bind")
    ts = rows[0]["ts"]
    assert (ts.month, ts.day, ts.hour, ts.minute, ts.second) == (1, 2, 3, 4, 5)
    assert (rows[0]["client"], rows[0]["sensor"]) == ("10.1.1.1", "ns1")
