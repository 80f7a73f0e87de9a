"""The midnight rebuild of the sinkholed set survives a failed held-names write."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest

from dgawatch.families import get_family
from dgawatch.sinkhole.server import ServeConfig, Sinkhole

DAY = dt.date(2026, 11, 27)


def test_failed_held_file_write_is_retried_logged_and_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the fix the refresh task died on the OSError: the server kept serving the
    previous days' names, said nothing, and never wrote the held-names file."""
    variant = get_family("conficker").variant("b")
    today = [DAY]
    config = ServeConfig(
        variants=[variant],
        addresses=("192.0.2.1",),
        dns_port=None,
        http_ports=(0,),
        directory=tmp_path,
        status_interval=0,
        refresh_retry=0.1,
        today=lambda: today[0],
    )
    next_day = DAY + dt.timedelta(days=1)
    blocked = tmp_path / f"held-{next_day + dt.timedelta(days=1)}.json"

    async def run() -> None:
        sink = Sinkhole(config)
        await sink.start()
        try:
            assert sink.refresh_state["ok"] is True
            blocked.mkdir()  # the file cannot be replaced: os.replace fails
            (blocked / "x").write_text("")
            today[0] = next_day
            assert await sink.refresh(next_day) is False
            # the new day's names are served all the same
            new_name = variant.domains(next_day + dt.timedelta(days=1))[0]
            assert sink.handler is not None and sink.handler.sinkset.match(new_name)
            st = sink.refresh_state
            assert sink.status()["refresh"] == st
            assert st["ok"] is False and "held-names" in str(st["error"])
            await asyncio.sleep(0.5)  # a few retries, still failing: logged once
            assert int(sink.refresh_state["failures"]) >= 3  # type: ignore[call-overload]
            (blocked / "x").unlink()
            blocked.rmdir()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if sink.refresh_state["ok"]:
                    break
            assert sink.refresh_state["ok"] is True
        finally:
            await sink.stop()

    asyncio.run(run())
    held = json.loads(blocked.read_text())
    assert held["variants"] == {"conficker/b": 250}
    err = capsys.readouterr().err
    assert err.count("cannot write the held-names file") == 1, err
    assert err.count("held-names file for 2026-11-28 written") == 1
