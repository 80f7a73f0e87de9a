"""Portal classify/lookup follow the CLI on what a name is and what it is called (QA): the
closest family only for a name called generated, the same threshold and verdict as
``dgawatch classify --json``, and a name the CLI refuses is a 400 with the CLI's reason.
A real portal on loopback, real ``dgawatch`` processes as the reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.needs import missing
from tests.web.test_portal import CLI, serve_in_thread


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("names-home")  # no store: nothing to look up in it


@pytest.fixture(scope="module")
def portal(home: Path) -> Iterator[str]:
    with serve_in_thread(store_path=home / "forecast.duckdb", sinkhole_dir=home / "s") as url:
        yield url


#: A benign name, a Conficker C name of 2009-04-01 (netlab360 sample), a random-looking one.
NAMES = ["google.com", "oubezepg.com.mx", "xjwqpzkrtvbnhd.ru"]


def test_classify_is_the_cli_verdict(portal: str, home: Path) -> None:
    docs = [httpx.get(f"{portal}/classify.json", params={"q": n}, timeout=60).json() for n in NAMES]
    if not docs[0]["available"]:
        missing(f"classifier unavailable: {docs[0]['error']}")
    done = cli(home, "classify", "score", "--json", "--no-lookup", *NAMES)
    assert done.returncode == 0, done.stderr
    want = [json.loads(line) for line in done.stdout.splitlines()]
    assert [d["domain"] for d in want] == NAMES
    for got, ref in zip(docs, want, strict=True):
        assert got["generated"] == ref["generated"], (got, ref)
        assert got["family"] == ref["family"], (got, ref)
        assert got["score"] == pytest.approx(ref["score"], rel=1e-3, abs=1e-6)
        if ref["family_score"] is None:
            assert got["family_score"] is None
        else:
            assert got["family_score"] == pytest.approx(ref["family_score"], rel=1e-3)
    benign = docs[0]
    assert benign["generated"] is False and benign["family"] is None  # QA: said "pykspa"
    assert benign["family_score"] is None
    assert any(d["generated"] and d["family"] for d in docs[1:])  # a family where generated


@pytest.mark.parametrize("name", ["<script>.com", "a b.com", "a..b.com"])
def test_a_name_the_cli_refuses_is_a_400_with_its_reason(
    portal: str, home: Path, name: str
) -> None:
    done = cli(home, "classify", "score", "--no-lookup", name)
    assert done.returncode == 2, done.stderr
    reason = done.stderr.strip().removeprefix("dgawatch: error: ")
    for path in ("/classify.json", "/lookup.json", "/api/classify", "/api/lookup"):
        r = httpx.get(portal + path, params={"q": name}, timeout=60)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["error"] == reason, path
    html = httpx.get(portal + "/classify", params={"q": name}, timeout=60)
    assert html.status_code == 400 and "<script>.com" not in html.text
