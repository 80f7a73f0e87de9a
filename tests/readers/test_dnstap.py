import pytest

from dgawatch.errors import InputError
from tests.readers.helpers import FIXTURES, bad, read, utc


def test_real_unbound_dnstap() -> None:
    """Unbound 1.17.1 -> fstrm_capture (fixtures/capture_unbound.py); BIND's dnstap-read
    shows the same client queries and responses."""
    rows, report = read(FIXTURES / "unbound.dnstap")
    assert report.total_bad == 0
    assert [
        (
            r["client"],
            r["qname"],
            r["qtype"],
            r["rcode"],
            r["answers"],
            r["sensor"],
            r["source_line"],
        )
        for r in rows
    ] == [
        ("127.0.0.1", "www.example.com", "A", "NOERROR", ["192.0.2.10"], "fixture-resolver", 1),
        (
            "127.0.0.1",
            "www.example.com",
            "AAAA",
            "NOERROR",
            ["2001:db8::10"],
            "fixture-resolver",
            3,
        ),
        (
            "127.0.0.1",
            "mail.example.com",
            "TXT",
            "NOERROR",
            ['"\\"v=spf1" "-all\\""'],
            "fixture-resolver",
            5,
        ),
        (
            "127.0.0.1",
            "xn--bcher-kva.example",
            "A",
            "NOERROR",
            ["192.0.2.20"],
            "fixture-resolver",
            7,
        ),
        ("127.0.0.1", "kxcvbnmqwerty.info", "A", "NXDOMAIN", [], "fixture-resolver", 9),
        ("127.0.0.1", "nothing.example.com", "A", "NXDOMAIN", [], "fixture-resolver", 11),
    ]
    assert rows[0]["ts"] == utc(2026, 11, 27, 11, 27, 2, 236000)


def test_truncated_dnstap(tmp_path) -> None:
    data = (FIXTURES / "unbound.dnstap").read_bytes()
    p = tmp_path / "cut.dnstap"
    p.write_bytes(data[: len(data) // 2])
    rows, report = read(p, "dnstap")
    assert 1 <= len(rows) < 6
    assert [r for _, r in bad(report)] == ["truncated data frame"]
    p.write_bytes(b"\0\0\0\0\0\0\0\x08\0\0\0\x02\0\0\0\0")
    with pytest.raises(InputError, match="content type"):
        read(p, "dnstap")
