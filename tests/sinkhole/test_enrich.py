from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.sinkhole.enrich import Enricher, PrefixTable
from tests.needs import missing


def test_operator_prefix_file_longest_match(tmp_path: Path) -> None:
    asn = tmp_path / "ipasn.dat"
    asn.write_text(
        "; IP-ASN32-DAT file\n# comment\n203.0.113.0/24\t64500\n203.0.113.128/25 AS64501\n"
        "2001:db8::/32 64502\n"
    )
    cc = tmp_path / "cc.txt"
    cc.write_text("203.0.113.0/24 nl\n")
    e = Enricher(asn_db=asn, country_db=cc)
    assert e.sources == {"country": "file", "asn": "file"}
    assert e.asn("203.0.113.5") == 64500 and e.asn("203.0.113.200") == 64501
    assert e.asn("2001:db8::1") == 64502 and e.asn("198.51.100.1") is None
    assert e.country("203.0.113.9") == "NL" and e.asn("not an ip") is None
    bad = tmp_path / "bad.txt"
    bad.write_text("10.0.0.0/8\n")
    with pytest.raises(InputError):
        PrefixTable.from_file(bad)


def test_shipped_offline_data() -> None:
    e = Enricher()
    if e.sources != {"country": "iptocc", "asn": "plevin"}:
        missing("iptocc / plevin-db-network not installed")
    assert e.country("8.8.8.8") == "US" and e.asn("8.8.8.8") == 15169
    assert e.country("193.0.6.139") == "NL" and e.asn("193.0.6.139") == 3333
    assert e.country("127.0.0.1") is None and e.asn("10.1.2.3") is None
