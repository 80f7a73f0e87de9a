import asyncio
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.store import (
    EventStore,
    ack_file,
    acknowledged_events,
    apply_retention,
    boot_id,
    compact,
    connect,
    count_events,
    event_file,
    list_files,
    read_ack,
    write_events,
)

T0 = int(dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC).timestamp() * 1000)
DAY_MS = 86_400_000


def _event(i: int, ts: int = T0) -> SinkholeEvent:
    return SinkholeEvent(
        ts=ts + i,
        proto="http",
        src_ip=f"198.51.100.{i % 250}",
        src_port=1000 + i,
        dst_ip="192.0.2.1",
        dst_port=80,
        request_line=f"GET /{i} HTTP/1.1",
        method="GET",
        path=f"/{i}",
        headers=(("Host", "192.0.2.1"), ("X-Odd", "\xe9\x00")),
        host="192.0.2.1",
        body_len=0,
        conficker_ab=False,
    )


def test_event_round_trip() -> None:
    e = _event(3)
    assert SinkholeEvent.from_line(e.to_line()) == e


def test_acknowledged_only_after_sync_and_day_files(tmp_path: Path) -> None:
    acked: list[int] = []

    async def run() -> EventStore:
        store = EventStore(tmp_path, worker="t").open()

        def done(i: int) -> Callable[[bool], None]:
            return lambda ok: acked.append(i) if ok else None

        for i in range(1000):
            ts = T0 + (i % 2) * DAY_MS  # two UTC days
            store.append(ts, _event(i, ts).to_line(), done(i))
        assert acked == []  # nothing is acknowledged before the writer thread synced it
        await store.drain()
        store.close()
        return store

    store = asyncio.run(run())
    assert sorted(acked) == list(range(1000)) and store.acknowledged == 1000
    assert store.batches < 1000  # group commit
    days = sorted({d for d, _w, _k, _p in list_files(tmp_path)})
    assert days == [dt.date(2026, 11, 27), dt.date(2026, 11, 28)]
    assert count_events(tmp_path) == 1000
    con = connect(tmp_path)
    row = con.execute("SELECT headers, time FROM events WHERE path = '/7'").fetchone()
    assert row is not None
    assert row[0] == [["Host", "192.0.2.1"], ["X-Odd", "\xe9\x00"]]
    assert row[1] == dt.datetime(2026, 11, 28, 12, 0, 0, 7000)


def test_partial_last_line_is_cut_on_reopen(tmp_path: Path) -> None:
    write_events([_event(i) for i in range(5)], tmp_path, worker="w")
    path = event_file(tmp_path, dt.date(2026, 11, 27), "w")
    with path.open("ab") as fh:
        fh.write(b'{"v":1,"ts":17957')  # a crash mid-write: never acknowledged
    assert count_events(tmp_path) == 5  # readers skip it
    write_events([_event(9)], tmp_path, worker="w")
    assert path.read_bytes().count(b"\n") == 6 and count_events(tmp_path) == 6


def test_retention_and_compaction(tmp_path: Path) -> None:
    for day in range(4):
        write_events([_event(i, T0 + day * DAY_MS) for i in range(10)], tmp_path, worker="w")
    removed = apply_retention(tmp_path, 2, now=dt.date(2026, 11, 30))
    assert len(removed) == 2 and count_events(tmp_path) == 20
    written = compact(tmp_path, now=dt.datetime(2026, 11, 30, 1, tzinfo=dt.UTC))
    assert [p.name for p in written] == ["events-2026-11-29.compacted.parquet"]
    kinds = sorted(k for _d, _w, k, _p in list_files(tmp_path))
    assert kinds == ["jsonl", "parquet"] and count_events(tmp_path) == 20
    assert not os.path.exists(event_file(tmp_path, dt.date(2026, 11, 29), "w"))


def test_unacknowledged_tail_rolled_back_after_a_crash(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    write_events([_event(i) for i in range(5)], tmp_path, worker="w")
    rec = read_ack(tmp_path, "w")
    assert rec is not None and rec.events == 5 and rec.boot == boot_id()
    path = event_file(tmp_path, dt.date(2026, 11, 27), "w")
    # written by a writer killed before its fdatasync returned: never acknowledged
    with path.open("ab") as fh:
        fh.write(_event(5).to_line() + _event(6).to_line() + b'{"v":1,"ts":17')
    assert count_events(tmp_path) == 7
    store = EventStore(tmp_path, worker="w").open()
    assert store.rolled_back == 2 and count_events(tmp_path) == 5
    store.write_now([_event(7)])
    store.close()
    assert acknowledged_events(tmp_path) == {"w": 6} and count_events(tmp_path) == 6
    # after a reboot the record may lag behind what was acknowledged: keep whole lines
    with path.open("ab") as fh:
        fh.write(_event(8).to_line() + b'{"v":1')
    monkeypatch.setattr("dgawatch.sinkhole.store.boot_id", lambda: "another-boot")
    store = EventStore(tmp_path, worker="w").open()
    assert store.rolled_back == 0
    store.write_now([_event(9)])
    store.close()
    assert count_events(tmp_path) == 8 and acknowledged_events(tmp_path) == {"w": 8}


def test_ack_record_survives_a_torn_slot(tmp_path: Path) -> None:
    write_events([_event(i) for i in range(3)], tmp_path, worker="w")
    write_events([_event(i) for i in range(3, 5)], tmp_path, worker="w")
    assert read_ack(tmp_path, "w").events == 5  # type: ignore[union-attr]
    p = ack_file(tmp_path, "w")
    data = bytearray(p.read_bytes())
    newest = max(range(0, len(data), 2048), key=lambda i: data[i : i + 2048].find(b'"seq":2'))
    data[newest + 20] ^= 0xFF
    p.write_bytes(bytes(data))
    assert read_ack(tmp_path, "w").events == 3  # type: ignore[union-attr]
