"""``/watch``: the registration watch's weakest-link table and alerts in the portal (issue
15), the same rows as ``dgawatch watch report`` of the data directory's watch store."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from dgawatch.watch import alert_rows, report_rows
from dgawatch.web.app import create_app
from tests.web.test_dashboard import WATCH, write_watch


def test_report_and_alerts_as_page_and_twin(tmp_path: Path) -> None:
    write_watch(tmp_path)
    client = TestClient(
        create_app(tmp_path / "forecast.duckdb", tmp_path / "sinkhole"), base_url="http://127.0.0.1"
    )
    doc = client.get("/watch.json").json()
    assert doc["report"] == report_rows(tmp_path) and doc["alerts"] == alert_rows(tmp_path)
    names = {(r["tld"], r["family"]): r["names"] for r in doc["report"]}
    assert names == {key: len(states) for key, states in WATCH.items()}
    net = next(r for r in doc["report"] if r["tld"] == "net")
    assert net["share_alert"] == 0.5 and net["share_sinkholed"] == 0.5
    assert [a["domain"] for a in doc["alerts"]] == ["conficker1.net"]
    page = client.get("/watch")
    assert page.status_code == 200
    assert "conficker1.net" in page.text and "50.0 %" in page.text
    assert client.get("/api/watch").json() == doc


def test_no_check_yet_says_what_to_run(tmp_path: Path) -> None:
    client = TestClient(
        create_app(tmp_path / "forecast.duckdb", tmp_path / "sinkhole"), base_url="http://127.0.0.1"
    )
    assert client.get("/watch.json").json()["report"] == []
    assert "dgawatch watch check" in client.get("/watch").text
