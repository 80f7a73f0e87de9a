"""``dgawatch feed`` and the portal's ``/api/today``: yesterday/today/tomorrow in the formats
people consume, checked against independent lists (Bambenek's feed of 2017-04-13 in the shared
examples, the BADERJ Chinad example day) and read back by ``feed check``."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest

from dgawatch.families import all_variants, get_family
from dgawatch.feeds import today_document
from dgawatch.feeds.check import check
from dgawatch.feeds.cli import read_entries
from dgawatch.readers import InputReport
from dgawatch.web.app import create_app
from shared_data import family_examples
from tests.test_bad_arguments import run_main

DAY = "2017-04-13"
CRYPTO = [n for n, _, _ in family_examples("cryptolocker", "BAMBENEK:")]
GOZ = [n for n, _, _ in family_examples("gameover", "BAMBENEK:")]
CHINAD = [n for n, _, _ in family_examples("chinad", "BADERJ:chinad/")]
CHINAD_DAY = "2017-01-13"  # tests/families/test_chinad.py


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path / "home"))


def feed(args: list[str], capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch) -> str:
    code, out, err = run_main(["feed", *args], capsys, mp)
    assert code == 0, err
    return out


def test_bambenek_format_holds_the_feed_of_that_day(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = feed(
        ["--date", DAY, "--family", "cryptolocker", "--format", "bambenek"], capsys, monkeypatch
    )
    lines = out.splitlines()
    assert lines[0].startswith("####") and all(x.startswith("#") for x in lines[:5])
    rows = [line.split(",") for line in lines if not line.startswith("#")]
    assert {len(r) for r in rows} == {4}
    assert {r[2] for r in rows} == {"2017-04-12", DAY, "2017-04-14"}
    today = [r for r in rows if r[2] == DAY]
    # the names Bambenek published for that day, in the same (generation) order
    assert [r[0] for r in today] == CRYPTO
    assert today[0][1] == "Domain used by cryptolocker - default DGA for 13 Apr 2017"
    assert today[0][3] == get_family("cryptolocker").references[0]


def test_dgarchive_document(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--date", DAY, "--family", "cryptolocker", "--family", "newgoz"]
    doc = json.loads(feed(args, capsys, monkeypatch))
    # Bambenek's "Post Tovar GOZ" list is newgoz/default (gameover/post-tovar, an alias)
    assert "cryptolocker_dga_default" in doc and "newgoz_dga_default" in doc
    known = {v.family.replace("_", "-") for v in all_variants()}
    for key, names in doc.items():
        family, tag, _variant = key.split("_", 2)  # IntelMQ's reading: family before '_'
        assert family in known and tag == "dga"
        assert len(names) == len(set(names))
    crypto = doc["cryptolocker_dga_default"]
    assert crypto[1000:2000] == CRYPTO  # yesterday's 1,000 first, then 2017-04-13's
    assert set(GOZ) <= set(doc["newgoz_dga_default"])
    assert today_document(dt.date(2017, 4, 13), [get_family("cryptolocker").variants[0]]) == {
        "cryptolocker_dga_default": crypto
    }


def test_netlab_runs_are_the_lists_validity(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["--date", DAY, "--family", "qadars", "--variant", "89f5", "--format", "netlab"]
    rows = [r.split("\t") for r in feed(args, capsys, monkeypatch).splitlines() if r[:1] != "#"]
    assert {len(r) for r in rows} == {4} and {r[0] for r in rows} == {"qadars"}
    for _, _, start, end in rows:
        first = dt.datetime.fromisoformat(start)
        last = dt.datetime.fromisoformat(end)
        # a weekly list that changes on Thursdays (the 89f5 sample's week)
        assert first.strftime("%A %H:%M:%S") == "Thursday 00:00:00"
        assert last - first == dt.timedelta(days=7, seconds=-1)

    args = ["--date", CHINAD_DAY, "--family", "chinad", "--format", "netlab"]
    rows = [r.split("\t") for r in feed(args, capsys, monkeypatch).splitlines() if r[:1] != "#"]
    that_day = [r[1] for r in rows if r[2] == f"{CHINAD_DAY} 00:00:00"]
    assert sorted(that_day) == sorted(set(CHINAD))
    assert all(r[3] == f"{CHINAD_DAY} 23:59:59" for r in rows if r[1] in CHINAD)

    args = ["--date", DAY, "--family", "dircrypt", "--format", "netlab"]
    rows = [r.split("\t") for r in feed(args, capsys, monkeypatch).splitlines() if r[:1] != "#"]
    static = get_family("dircrypt").variants[0]
    assert len(rows) == static.domains_per_day
    assert {(r[2], r[3]) for r in rows} == {
        (f"{static.active_from} 00:00:00", "2017-04-14 23:59:59")
    }


@pytest.mark.parametrize("fmt", ["bambenek", "netlab"])
def test_published_feed_is_explained_by_feed_check(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / f"feed.{fmt}"
    args = ["--date", DAY, "--family", "chinad", "--family", "qadars", "--format", fmt]
    code, out, err = run_main(["feed", *args, "--output", str(path)], capsys, monkeypatch)
    assert code == 0 and out == "" and f"to {path}" in err
    report = InputReport()
    entries = read_entries(path, fmt, report)
    assert report.total_bad == 0 and len(entries) > 1000
    result = check(entries, all_variants(), near_days=0)
    assert result.totals()["stated_day"] == len(entries)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--format", "xml"], ["--format 'xml'"]),
        (["--date", "2017-02-30"], ["--date", "2017-02-30"]),
        (["--date", "2099-12-31"], ["2100-01-01"]),
        (["--variant", "c"], ["--variant", "one family"]),
        (["--family", "nosuch"], ["nosuch"]),
        (["--family", "chinad", "--date", "2010-01-01"], ["not active", "2009-12-31"]),
        (["--family", "chinad", "--output", "/nonexistent/dir/x.json"], ["--output"]),
    ],
)
def test_bad_arguments_are_one_line(
    args: list[str],
    needles: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run_main(["feed", *args], capsys, monkeypatch)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dgawatch: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)
    assert out == ""


def test_output_is_written_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "today.json"
    target.write_text("old\n")
    args = ["feed", "--family", "nosuch", "--output", str(target)]
    code, _, _ = run_main(args, capsys, monkeypatch)
    assert code == 2 and target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name != "home"] == ["today.json"]


def test_portal_api_today_is_the_cli_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(store_path=tmp_path / "none.duckdb", sinkhole_dir=tmp_path)

    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return [
                await c.get(f"/api/today?date={DAY}&family=dircrypt&family=cryptolocker"),
                await c.get(f"/today.json?date={DAY}&family=dircrypt&family=cryptolocker"),
                await c.get("/api/today?date=2017-02-30"),
                await c.get("/api/today?date=2010-01-01&family=chinad"),
            ]

    api, twin, bad_day, inactive = asyncio.run(fetch())
    args = ["--date", DAY, "--family", "dircrypt", "--family", "cryptolocker"]
    assert api.status_code == 200 and api.json() == json.loads(feed(args, capsys, monkeypatch))
    assert twin.json() == api.json()
    assert bad_day.status_code == 400 and "2017-02-30" in bad_day.json()["error"]
    assert inactive.status_code == 400 and "active" in inactive.json()["error"]
