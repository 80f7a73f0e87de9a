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
