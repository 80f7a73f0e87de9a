"""The parsed Public Suffix List is kept in the cache directory and read back unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from publicsuffixlist import PublicSuffixList

from dgawatch import domain

NAMES = ["www.abcdef.co.uk", "x.y.blogspot.com", "a.b.kawasaki.jp", "city.kawasaki.jp", "co.uk",
         "q.unknown-tld", "abc.ddns.net", "www.xn--80ak6aa92e.com"]  # fmt: skip


@pytest.fixture
def fresh_psl():  # type: ignore[no-untyped-def]
    domain._psl.cache_clear()
    yield
    domain._psl.cache_clear()


def test_cached_rules_equal_the_parsed_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_psl: None
) -> None:
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(tmp_path))
    parsed = PublicSuffixList()
    first = domain._psl()  # parses and writes the cache
    files = list(tmp_path.glob("psl-*.txt"))
    assert len(files) == 1
    domain._psl.cache_clear()
    again = domain._psl()  # read back from the file
    assert vars(again) == vars(parsed) == vars(first)
    assert [again.privatesuffix(n) for n in NAMES] == [parsed.privatesuffix(n) for n in NAMES]


def test_a_damaged_cache_file_is_parsed_again_and_off_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_psl: None
) -> None:
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", str(tmp_path))
    domain._psl()
    (cached,) = tmp_path.glob("psl-*.txt")
    cached.write_text("not a number\nco.uk")
    domain._psl.cache_clear()
    assert vars(domain._psl()) == vars(PublicSuffixList())
    monkeypatch.setenv("DGAWATCH_LIST_CACHE", "off")
    off = tmp_path / "elsewhere"
    monkeypatch.setenv("DGAWATCH_HOME", str(off))
    domain._psl.cache_clear()
    assert vars(domain._psl()) == vars(PublicSuffixList())
    assert not off.exists()
