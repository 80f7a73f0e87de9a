"""The portal's /classify runs the forecast look-up of ``dgawatch classify`` (an exact
forecast match reported ahead of the model's guess), through the CLI's own function and
over the portal's store, within the portal's bounded work (an expensive slot; lists
generated for today +- 7 days only). Before, the page gave the model's score alone: a name
on today's Conficker B list read "benign". Real CLI processes as the reference."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from dgawatch.web.app import create_app

CLI = "from dgawatch.cli import main; main()"


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=300,
        env=dict(os.environ, DGAWATCH_HOME=str(home)),
    )  # fmt: skip


def first_name(home: Path, day: dt.date) -> str:
    """Conficker B's first name of ``day`` (B's generator: checked against ground truth in
    the family's tests)."""
    done = cli(home, "forecast", "--family", "conficker", "--variant", "b", "--start", str(day))
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n", 1)[0]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data directory of the CLI and of the in-process portal (its list cache)."""
    path = tmp_path_factory.mktemp("classify-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("DGAWATCH_HOME", str(path))
    yield path
    mp.undo()


def test_forecast_match_comes_first_as_in_the_cli(home: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    name = first_name(home, today)
    client = TestClient(
        create_app(store_path=home / "forecast.duckdb", sinkhole_dir=home / "s"),
        base_url="http://127.0.0.1",
    )
    done = cli(home, "classify", "score", "--json", name, "google.com")
    assert done.returncode == 0, done.stderr
    want = [json.loads(line) for line in done.stdout.splitlines()]
    got = [client.get("/classify.json", params={"q": n}).json() for n in (name, "google.com")]
    # fails without the fix: the page had no "forecast" at all
    assert [g["forecast"] for g in got] == [w["forecast"] for w in want]
    hit = {"family": "conficker", "variant": "b", "index": 0, "domain": name,
           "first_day": today.isoformat(), "last_day": today.isoformat(), "days": 1}  # fmt: skip
    assert hit in got[0]["forecast"]
    assert got[1]["forecast"] == []
    if got[0]["available"]:
        for g, w in zip(got, want, strict=True):
            assert (g["generated"], g["family"]) == (w["generated"], w["family"]), (g, w)
        assert got[0]["generated"] is True and got[0]["family"] == "conficker"
    html = client.get("/classify", params={"q": name}).text
    assert "DGA (forecast)" in html and "conficker/b" in html
    assert html.index("DGA (forecast)") < html.index("score (0 = benign")  # ahead of the model
    assert "No forecast match" in client.get("/classify", params={"q": "google.com"}).text


def test_bounded_an_expensive_request(home: Path) -> None:
    """All expensive slots taken: /classify (and its look-up) waits, then 503."""
    app = create_app(store_path=home / "forecast.duckdb", sinkhole_dir=home / "s")
    client = TestClient(app, base_url="http://127.0.0.1")
    limiter = app.state.portal.limiter
    for _ in range(limiter.slots):
        limiter.acquire()
    try:
        busy = client.get("/classify.json", params={"q": "google.com"})
    finally:
        for _ in range(limiter.slots):
            limiter.release()
    assert busy.status_code == 503 and busy.headers["retry-after"].isdigit()
    assert client.get("/classify.json", params={"q": "google.com"}).status_code == 200


def test_a_failed_look_up_is_said_and_the_score_still_answers(tmp_path: Path) -> None:
    """A store the look-up cannot read (another schema) is a note on the page, no 500 and
    no server path; the classifier's score is still given."""
    home = tmp_path / "home"
    done = cli(home, "store", "build", "--start", "2009-04-01", "--family", "conficker",
               "--variant", "b")  # fmt: skip
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(home / "forecast.duckdb"))
    con.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    con.close()
    mp = pytest.MonkeyPatch()
    mp.setenv("DGAWATCH_HOME", str(home))
    try:
        app = create_app(store_path=home / "forecast.duckdb", sinkhole_dir=home / "s")
        client = TestClient(app, base_url="http://127.0.0.1")
        r = client.get("/classify.json", params={"q": "google.com"})
        html = client.get("/classify", params={"q": "google.com"})
    finally:
        mp.undo()
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["forecast"] is None and "unavailable" in doc["forecast_error"]
    assert str(tmp_path) not in r.text and str(tmp_path) not in html.text
    assert "Not looked up in the forecasts" in html.text
    if doc["available"]:
        assert 0 <= doc["score"] <= 1


def test_a_portal_on_another_store_answers_from_it(home: Path, tmp_path: Path) -> None:
    """The look-up reads the portal's own --store (not the data directory's): a name of a
    day 30 days back (outside the generated today +- 7) is found only in that store."""
    day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)
    name = first_name(home, day)
    store = tmp_path / "elsewhere" / "forecast.duckdb"
    store.parent.mkdir()
    done = cli(home, "store", "build", "--start", str(day), "--days", "1", "--family",
               "conficker", "--variant", "b", "--store", str(store))  # fmt: skip
    assert done.returncode == 0, done.stderr
    client = TestClient(
        create_app(store_path=store, sinkhole_dir=tmp_path / "s"), base_url="http://127.0.0.1"
    )
    got = client.get("/classify.json", params={"q": name}).json()
    assert got["forecast_error"] is None
    assert {(h["family"], h["variant"], h["first_day"]) for h in got["forecast"]} == {
        ("conficker", "b", day.isoformat())
    }
