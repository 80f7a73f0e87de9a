"""``lookup --file`` as users feed it: pasted URLs, CSV rows, indented comments, a file that
is not UTF-8 (QA, session 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dgawatch.errors import InputError
from dgawatch.lookup import invalid_names, read_names
from tests.test_bad_arguments import run_main


def test_comments_are_left_out_indented_or_not(tmp_path: Path) -> None:
    for text in ("a.com\n# note\n  # indented\n\tb.com\n\n", "a.com\r\n  # indented\r\nb.com\r\n"):
        path = tmp_path / "names.txt"
        path.write_bytes(text.encode())
        assert read_names(path).to_pylist() == ["a.com", "b.com"], text


def test_a_line_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_bytes(b"a.com\nb.com\nb\xe4d.com\n")
    with pytest.raises(InputError, match=r"names\.txt, line 3: byte 0xe4 is not UTF-8"):
        read_names(path)


def test_urls_and_csv_rows_are_not_names() -> None:
    why = invalid_names(["http://xpun.nl/path", "xpun.nl,foo", "*.xpun.nl", "xpun.nl", "_x.nl"])
    assert sorted(why) == ["*.xpun.nl", "http://xpun.nl/path", "xpun.nl,foo"]
    assert "character '/' not allowed" in why["http://xpun.nl/path"]


def test_the_json_says_why_instead_of_a_registered_domain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path))
    names = tmp_path / "names.txt"
    names.write_text("xpun.nl\nhttp://xpun.nl/path\n")
    args = ["lookup", "--file", str(names), "--start", "2014-11-11", "--days", "1", "--json"]
    code, out, err = run_main(args, capsys, monkeypatch)
    assert code == 0, err
    docs = [json.loads(line) for line in out.splitlines()]
    assert docs[0]["matches"] and docs[0]["registered_domain"] == "xpun.nl"
    assert docs[1]["matches"] == [] and "registered_domain" not in docs[1]
    assert "not a domain name" in docs[1]["error"]
