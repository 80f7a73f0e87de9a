from tests.readers.helpers import FIXTURES, bad, read, utc


def test_cof() -> None:
    rows, report = read(FIXTURES / "pdns-cof.json")
    assert [
        (r["ts"], r["client"], r["qname"], r["qtype"], r["answers"], r["sensor"], r["source_line"])
        for r in rows
    ] == [
        (utc(2017, 3, 15, 11, 39, 6), "", "www.example.com", "A", ["192.0.2.1"], None, 1),
        (utc(2017, 3, 15, 11, 39, 8), "", "www.example.com", "A", ["192.0.2.1"], None, 1),
        (
            utc(2017, 3, 15, 11, 39, 10),
            "",
            "kxcvbnmqwerty.info",
            "NS",
            ["ns1.example.net", "ns2.example.net"],
            "s1",
            2,
        ),
    ]
    assert bad(report) == [(3, "record without a numeric time_first"), (4, "not a JSON object")]
