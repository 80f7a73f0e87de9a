import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dgawatch.errors import InputError
from tests.readers.helpers import bad, read, utc


def test_csv_default_names(tmp_path) -> None:
    p = tmp_path / "q.csv"
    p.write_text(
        "ts,client,qname,qtype,rcode,answers\n"
        '2024-05-01T10:00:00Z,10.0.0.1,WWW.Example.com.,A,NOERROR,"1.2.3.4,5.6.7.8"\n'
        "2024-05-01 10:00:01,10.0.0.2,b.example,AAAA,,\n"
        "1714557602.25,10.0.0.3,c.example,A,NXDOMAIN,\n"
        "1714557603,10.0.0.4\n"
        "yesterday,10.0.0.5,d.example,A,,\n"
        "1714557604,,e.example,A,,\n"
    )
    rows, report = read(p)
    assert [
        (r["source_line"], r["ts"], r["client"], r["qname"], r["rcode"], r["answers"]) for r in rows
    ] == [
        (
            2,
            utc(2024, 5, 1, 10, 0, 0),
            "10.0.0.1",
            "www.example.com",
            "NOERROR",
            ["1.2.3.4", "5.6.7.8"],
        ),
        (3, utc(2024, 5, 1, 10, 0, 1), "10.0.0.2", "b.example", None, None),
        (4, utc(2024, 5, 1, 10, 0, 2, 250000), "10.0.0.3", "c.example", "NXDOMAIN", None),
    ]
    assert bad(report) == [
        (5, "wrong number of CSV fields"),
        (6, "unparseable timestamp 'yesterday'"),
        (7, "missing client address"),
    ]


def test_csv_column_map(tmp_path) -> None:
    p = tmp_path / "q.csv"
    p.write_text("when,who,what\n1714557600,192.0.2.7,kxcvbnmqwerty.info\n")
    rows, _ = read(p, "csv", column_map={"ts": "when", "client": "who", "qname": "what"})
    assert [(r["ts"], r["client"], r["qname"]) for r in rows] == [
        (utc(2024, 5, 1, 10, 0), "192.0.2.7", "kxcvbnmqwerty.info")
    ]
    with pytest.raises(InputError, match="no column for ts"):
        read(p, "csv")


def test_parquet(tmp_path) -> None:
    p = tmp_path / "q.parquet"
    table = pa.table(
        {
            "time": pa.array([1714557600000, 1714557601000, 5], pa.timestamp("ms")),
            "host": ["10.0.0.1", "10.0.0.2", "10.0.0.3"],
            "qname": ["A.example", "b.example", "c.example"],
            "answers": [["1.2.3.4"], [], None],
        }
    )
    pq.write_table(table, p)
    rows, report = read(p, column_map={"ts": "time", "client": "host"})
    assert [(r["source_line"], r["ts"], r["client"], r["qname"], r["answers"]) for r in rows] == [
        (1, utc(2024, 5, 1, 10, 0), "10.0.0.1", "a.example", ["1.2.3.4"]),
        (2, utc(2024, 5, 1, 10, 0, 1), "10.0.0.2", "b.example", []),
    ]
    assert bad(report) == [(3, "timestamp before 1990 or in the future")]
