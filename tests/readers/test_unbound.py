from tests.readers.helpers import FIXTURES, bad, read, utc


def test_real_unbound_log() -> None:
    """Written by Unbound 1.17.1 with log-queries and log-replies
    (fixtures/capture_unbound.py): each query line is paired with its reply line."""
    rows, report = read(FIXTURES / "unbound.log")
    assert report.total_bad == 0
    assert [(r["client"], r["qname"], r["qtype"], r["rcode"], r["source_line"]) for r in rows] == [
        ("127.0.0.1", "www.example.com", "A", "NOERROR", 2),
        ("127.0.0.1", "www.example.com", "AAAA", "NOERROR", 4),
        ("127.0.0.1", "mail.example.com", "TXT", "NOERROR", 6),
        ("127.0.0.1", "xn--bcher-kva.example", "A", "NOERROR", 8),
        ("127.0.0.1", "kxcvbnmqwerty.info", "A", "NXDOMAIN", 10),
        ("127.0.0.1", "nothing.example.com", "A", "NXDOMAIN", 12),
    ]
    assert rows[0]["ts"] == utc(2026, 11, 27, 11, 27, 2)
    assert all(r["answers"] is None for r in rows)


def test_replies_only_and_bad_lines(tmp_path) -> None:
    p = tmp_path / "unbound.log"
    p.write_text(
        "[1700000000] unbound[1:0] info: 10.0.0.1 a.example. A IN NXDOMAIN 0.000000 0 30\n"
        "[1700000001] unbound[1:0] info: not-an-ip a.example. A IN\n"
        "[1700000002] unbound[1:0] info: 2001:DB8::1 B.example. AAAA IN\n"
        "[99] unbound[1:0] info: 10.0.0.1 c.example. A IN\n"
    )
    rows, report = read(p, "unbound")
    assert [(r["ts"], r["client"], r["qname"], r["rcode"]) for r in rows] == [
        (utc(2023, 11, 14, 22, 13, 20), "10.0.0.1", "a.example", "NXDOMAIN"),
        (utc(2023, 11, 14, 22, 13, 22), "2001:db8::1", "b.example", None),
    ]
    assert bad(report) == [(4, "no timestamp at the start of the line")]
