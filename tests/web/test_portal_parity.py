"""Portal and CLI agree (issue 17): the same selection gives the same names in the same
order. A real portal on loopback and real ``dgawatch`` processes over one real forecast
store; the CLI's output is the reference the portal is held to."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dgawatch.days import today as utc_today
from dgawatch.families import get_family
from dgawatch.store import ForecastStore
from tests.shared_data import read_csv
from tests.web.test_portal import CLI, serve_in_thread

C = get_family("conficker").variant("c")
DAY = dt.date(2009, 4, 1)  # conficker a, b, c, kraken and mydoom active: 10 variants


def cli(home: Path, *args: str) -> bytes:
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("parity-home")
    with ForecastStore(home / "forecast.duckdb") as store:
        store.build([C], [DAY])  # the first day of C from the store, the rest generated
    return home


@pytest.fixture(scope="module")
def portal(home: Path) -> Iterator[str]:
    with serve_in_thread(store_path=home / "forecast.duckdb", sinkhole_dir=home / "s") as url:
        yield url


def get(base: str, path: str, params: list[tuple[str, str]]) -> httpx.Response:
    if not params:  # httpx would drop a query already in ``path``
        return httpx.get(base + path, timeout=120)
    return httpx.get(base + path, params=tuple(params), timeout=120)


@pytest.mark.parametrize(
    ("params", "cli_args"),
    [
        # No family at all = every family (the inactive ones dropped), over two days, and a
        # TLD filter where "uk" keeps C's "co.uk".
        ([("day", "2009-04-01"), ("days", "2"), ("tld", "uk")], ["--days", "2", "--tld", "uk"]),
        # family=all, no variant, two TLDs.
        (
            [("family", "all"), ("day", "2009-04-01"), ("tld", "org"), ("tld", "cn")],
            ["--family", "all", "--tld", "org", "--tld", "cn"],
        ),
        # One family without variant: all its variants.
        ([("family", "conficker"), ("day", "2009-04-01")], ["--family", "conficker"]),
        # Repeated family; repeated variant (of one family, as the CLI wants).
        (
            [("family", "mydoom"), ("family", "kraken"), ("day", "2009-04-01"), ("days", "2")],
            ["--family", "mydoom", "--family", "kraken", "--days", "2"],
        ),
        (
            [
                ("family", "conficker"),
                ("variant", "c"),
                ("variant", "a"),
                ("day", "2009-04-01"),
                ("days", "2"),
            ],
            ["--family", "conficker", "--variant", "c", "--variant", "a", "--days", "2"],
        ),
    ],
)
def test_forecast_download_is_the_cli_output(
    portal: str, home: Path, params: list[tuple[str, str]], cli_args: list[str]
) -> None:
    expected = cli(home, "forecast", "--start", "2009-04-01", *cli_args, "--format", "jsonl")
    assert expected.count(b"\n") > 100  # the selection selects something
    got = get(portal, "/forecast.jsonl", params)
    assert got.status_code == 200, got.text
    assert got.content == expected
    # The page shows the first names of the same stream, and links the same download.
    page = get(portal, "/forecast.json", params).json()
    first = [json.loads(line) for line in expected.splitlines()[: page["shown"]]]
    assert [n["domain"] for n in page["names"]] == [f["domain"] for f in first]
    assert get(portal, page["downloads"]["jsonl"], []).content == expected
    # The HTML form sends repeated values back comma-separated: the same selection.
    joined = {k: ",".join(v for kk, v in params if kk == k) for k, _ in params}
    assert get(portal, "/forecast.jsonl", list(joined.items())).content == expected


def test_forecast_txt_with_tld_is_the_cli_output(portal: str, home: Path) -> None:
    expected = cli(home, "forecast", "--family", "conficker", "--variant", "c", "--start",
                   "2009-04-01", "--tld", "uk")  # fmt: skip
    got = get(portal, "/forecast.txt", [("family", "conficker"), ("variant", "c"),
                                         ("day", "2009-04-01"), ("tld", "uk")])  # fmt: skip
    assert got.status_code == 200 and got.content == expected
    names = got.text.split()
    assert names and all(n.endswith(".co.uk") for n in names)


def test_every_family_beyond_the_generation_bound_is_refused(portal: str) -> None:
    # Today, every family: ~140 variant-days, none in the store, above the 31 a download
    # generates.
    for path in ("/forecast.txt", "/forecast.jsonl"):
        r = get(portal, path, [("family", "all"), ("day", utc_today().isoformat())])
        assert r.status_code == 400
        assert "at most 31" in r.text and "Traceback" not in r.text
    r = get(portal, "/forecast.json", [("tld", "zz"), ("day", "2009-04-01")])
    assert r.status_code == 400 and "no selected variant" in r.json()["error"]


def _cli_lookup(home: Path, names: list[str], *args: str) -> list[dict[str, Any]]:
    out = cli(home, "lookup", "--json", *args, *names)
    return [json.loads(line) for line in out.splitlines()]


def test_batch_lookup_is_the_cli_answer(portal: str, home: Path) -> None:
    truth = read_csv("conficker/conficker_c_netlab360_sample_matched.csv")[0]
    day = truth["matched_date_index"].split("#")[0]
    names = [
        "www.oubezepg.com.mx",  # C, 2009-04-01, index 0 (from the store)
        truth["domain"],  # C on its ground-truth day (generated)
        "example.com",
        "bad..name",
        "www.oubezepg.com.mx",  # a repeat stays a repeat, in place
    ]
    window = ["--start", "2009-04-01", "--end", "2009-04-02", "--family", "conficker"]
    expected = _cli_lookup(home, names, *window)
    params = [("start", "2009-04-01"), ("end", "2009-04-02"), ("family", "conficker")]
    # Repeated q=, and the same names one a line in one q=: the same answer.
    repeated = get(portal, "/lookup.json", [("q", n) for n in names] + params).json()
    in_lines = [("q", "\n".join(names[:3])), ("q", names[3]), ("q", names[4] + "\r\n")]
    lines = get(portal, "/lookup.json", [*in_lines, *params]).json()
    assert repeated["results"] == expected == lines["results"]
    assert expected[0]["matches"][0]["day"] == "2009-04-01"  # the selection found something
    assert repeated["days_from_store"] == 1 and repeated["days_not_covered"] == 0

    # The ground-truth day, with family and variant repeated on both sides.
    both = ["--family", "conficker", "--variant", "c", "--variant", "b"]
    expected = _cli_lookup(home, names[:3], "--start", day, "--end", day, *both)
    sel = [("family", "conficker"), ("variant", "c"), ("variant", "b")]
    got = get(portal, "/lookup.json", [("q", "\n".join(names[:3])), ("start", day),
                                       ("end", day), *sel]).json()  # fmt: skip
    assert got["results"] == expected
    index = int(truth["matched_date_index"].split("#")[1])
    assert {"family": "conficker", "variant": "c", "day": day, "index": index,
            "domain": truth["domain"]} in got["results"][1]["matches"]  # fmt: skip
    html = get(portal, "/lookup", [("q", "\n".join(names[:3])), ("start", day), ("end", day)])
    assert html.status_code == 200 and truth["domain"] in html.text and "example.com" in html.text


def test_lookup_takes_at_most_1000_names(portal: str) -> None:
    r = get(portal, "/lookup.json", [("q", "\n".join(f"a{i}.com" for i in range(1001)))])
    assert r.status_code == 400 and "at most 1,000" in r.json()["error"]


def test_default_window_is_the_clis_and_says_what_it_did_not_search(
    portal: str, home: Path
) -> None:
    """No start/end: the CLI's today-365..today+90. Without store or index the portal
    generates today +- 7 days and names the days it did not search; inside
    those it agrees with the CLI."""
    today = utc_today()
    old = today - dt.timedelta(days=100)
    sel = ["--family", "mydoom", "--variant", "fa8"]
    recent = cli(home, "forecast", *sel, "--start", today.isoformat()).split()[5].decode()
    older = cli(home, "forecast", *sel, "--start", old.isoformat()).split()[7].decode()
    expected = _cli_lookup(home, [recent, older], *sel)
    assert any(m["day"] == old.isoformat() for m in expected[1]["matches"])
    doc = get(portal, "/lookup.json", [("q", recent), ("q", older), ("family", "mydoom"),
                                       ("variant", "fa8")]).json()  # fmt: skip
    assert (doc["start"], doc["end"]) == (
        (today - dt.timedelta(days=365)).isoformat(),
        (today + dt.timedelta(days=90)).isoformat(),
    )
    first, last = doc["generated"]["first"], doc["generated"]["last"]
    assert doc["days_generated"] == 15 and doc["days_from_store"] == 0
    assert doc["days_not_covered"] == 365 + 90 + 1 - 15
    gaps = [(g["first"], g["last"]) for g in doc["not_covered"]]
    assert gaps == [
        (doc["start"], (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()),
        ((dt.date.fromisoformat(last) + dt.timedelta(days=1)).isoformat(), doc["end"]),
    ]
    assert all(g["variant"] == "mydoom/fa8" for g in doc["not_covered"])
    for want, have in zip(expected, doc["results"], strict=True):
        inside = [m for m in want["matches"] if first <= m["day"] <= last]
        assert have["matches"] == inside
        assert have["query"] == want["query"] and have["name"] == want["name"]
    assert doc["results"][0]["matches"]  # today's name found
    html = get(portal, "/lookup", [("q", recent), ("family", "mydoom")]).text
    assert "not searched" in html


def test_default_window_reads_the_all_time_index(tmp_path: Path) -> None:
    """Days the all-time index holds are searched without generating: with the past year
    indexed, a name of 100 days ago is found, as by the CLI (which generates it)."""
    from dgawatch.index import INDEX_DIR, AllTimeIndex

    fa8 = get_family("mydoom").variant("fa8")
    today = utc_today()
    past = [today - dt.timedelta(days=k) for k in range(1, 366)]
    AllTimeIndex(tmp_path / INDEX_DIR).build([fa8], days=past)
    sel = ["--family", "mydoom", "--variant", "fa8"]
    old = today - dt.timedelta(days=100)
    soon = today + dt.timedelta(days=3)
    older = cli(tmp_path, "forecast", *sel, "--start", old.isoformat()).split()[3].decode()
    sooner = cli(tmp_path, "forecast", *sel, "--start", soon.isoformat()).split()[9].decode()
    expected = _cli_lookup(tmp_path, [older, sooner, "example.com"], *sel)
    with serve_in_thread(
        store_path=tmp_path / "forecast.duckdb", sinkhole_dir=tmp_path / "s"
    ) as url:
        q = [("q", f"{older}\n{sooner}\nexample.com"), ("family", "mydoom"), ("variant", "fa8")]
        doc = get(url, "/lookup.json", q).json()
    assert doc["days_from_index"] == 365 and doc["days_from_store"] == 0
    assert doc["generated"] == {
        "first": today.isoformat(),
        "last": (today + dt.timedelta(days=7)).isoformat(),
    }
    assert doc["days_generated"] == 8 and doc["days_not_covered"] == 90 - 7
    last = doc["generated"]["last"]
    for want, have in zip(expected, doc["results"], strict=True):
        assert have["matches"] == [m for m in want["matches"] if m["day"] <= last]
    assert any(m["day"] == old.isoformat() for m in doc["results"][0]["matches"])
    assert any(m["day"] == soon.isoformat() for m in doc["results"][1]["matches"])
