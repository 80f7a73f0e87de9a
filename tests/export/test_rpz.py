"""RPZ, Unbound and hosts exports: content, determinism, streaming, options, errors."""

from __future__ import annotations

import datetime as dt
import io
import socket
import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import numpy as np
import pytest

from dgawatch.errors import InputError
from dgawatch.export import ExportOptions, _stream, get_exporter
from dgawatch.export.rpz import SeenHashes
from dgawatch.families import get_family
from dgawatch.forecast import DayList
from tests.export.dns_servers import (
    free_port,
    need,
    not_servfail,
    running,
    start_kresd,
    start_pdns_recursor,
    upstream,
)

C = get_family("conficker").variant("c")
DAY = dt.date(2009, 4, 1)
SINK = "192.0.2.66"


def day_lists(days: int = 2) -> list[DayList]:
    return [
        DayList(C, DAY + dt.timedelta(n), C.domains_blob(DAY + dt.timedelta(n)))
        for n in range(days)
    ]


def small(names: list[str], day: dt.date = DAY) -> DayList:
    return DayList(C, day, ("\n".join(names) + "\n").encode())


def text(fmt: str, lists: list[DayList], **opts: object) -> str:
    out = io.BytesIO()
    get_exporter(fmt).write(iter(lists), out, ExportOptions(**opts))  # type: ignore[arg-type]
    return out.getvalue().decode("ascii")


def body(zone: str) -> list[str]:
    return [line for line in zone.splitlines() if not line.startswith((";", "$", "@"))]


def test_rpz_zone_apex_and_relative_triggers() -> None:
    zone = text("rpz", [small(["abcd.com", "efgh.co.uk"])], serial=42)
    lines = zone.splitlines()
    assert "$TTL 300" in lines
    assert "@ IN SOA localhost. hostmaster.localhost. 42 3600 600 604800 300" in lines
    assert "@ IN NS localhost." in lines
    assert "; conficker/c 2009-04-01" in lines
    assert body(zone) == ["abcd.com CNAME .", "efgh.co.uk CNAME ."]


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        ({"policy": "nodata"}, ["abcd.com CNAME *."]),
        (
            {"policy": "sinkhole", "address": "192.0.2.1", "address6": "2001:DB8::1"},
            ["abcd.com A 192.0.2.1", "abcd.com AAAA 2001:db8::1"],
        ),
        ({"policy": "sinkhole", "address6": "::1"}, ["abcd.com AAAA ::1"]),
        ({"wildcard": True}, ["abcd.com CNAME .", "*.abcd.com CNAME ."]),
        (
            {"policy": "sinkhole", "address": "192.0.2.1", "wildcard": True},
            ["abcd.com A 192.0.2.1", "*.abcd.com A 192.0.2.1"],
        ),
    ],
)
def test_rpz_policies(opts: dict[str, object], expected: list[str]) -> None:
    assert body(text("rpz", [small(["abcd.com"])], serial=1, **opts)) == expected


def first_seen(days: list[dt.date]) -> list[str]:
    """Independent expectation: the generator's lists, each name kept at its first occurrence."""
    seen: dict[str, None] = {}
    for day in days:
        for name in C.domains(day):
            seen.setdefault(name, None)
    return list(seen)


def test_rpz_writes_each_name_once_across_day_lists_in_first_seen_order() -> None:
    days = [DAY + dt.timedelta(n) for n in range(3)]
    generated = [n for day in days for n in C.domains(day)]
    assert len(set(generated)) < len(generated)  # Conficker C repeats names: the test bites
    zone = text("rpz", day_lists(3), serial=1)
    owners = [line.split(" ")[0] for line in body(zone)]
    assert len(owners) == len(set(owners))  # each owner name exactly once
    assert set(owners) == set(generated)
    assert owners == first_seen(days)  # generation order, first occurrence
    comments = [line for line in zone.splitlines() if line.startswith("; conficker/c ")]
    assert comments == [f"; conficker/c {day.isoformat()}" for day in days]


@pytest.mark.parametrize(
    ("opts", "records"),
    [
        ({"wildcard": True}, ["CNAME ."]),
        ({"policy": "nodata", "wildcard": True}, ["CNAME *."]),
        (
            {"policy": "sinkhole", "address": "192.0.2.1", "address6": "::1", "wildcard": True},
            ["A 192.0.2.1", "AAAA ::1"],
        ),
    ],
)
def test_rpz_records_unique_per_owner_with_wildcard(
    opts: dict[str, object], records: list[str]
) -> None:
    days = [DAY, DAY + dt.timedelta(1)]
    zone = text("rpz", day_lists(2), serial=1, **opts)
    lines = body(zone)
    assert len(lines) == len(set(lines))  # no record twice
    names = first_seen(days)
    want = {f"{owner} {rec}" for n in names for owner in (n, f"*.{n}") for rec in records}
    assert set(lines) == want
    assert len(lines) == len(names) * 2 * len(records)


def test_rpz_name_recurring_within_and_across_lists_and_stats() -> None:
    lists = [
        small(["abcd.com", "efgh.net", "abcd.com", "ijkl.org"]),
        small(["efgh.net", "abcd.com"], DAY + dt.timedelta(1)),  # nothing new: comment only
        small(["mnop.info", "ijkl.org"], DAY + dt.timedelta(2)),
    ]
    out = io.BytesIO()
    stats = get_exporter("rpz").write(iter(lists), out, ExportOptions(serial=1))
    zone = out.getvalue().decode("ascii")
    assert [line for line in zone.splitlines() if not line.startswith(("$", "@"))][4:] == [
        "; conficker/c 2009-04-01",
        "abcd.com CNAME .",
        "efgh.net CNAME .",
        "ijkl.org CNAME .",
        "; conficker/c 2009-04-02",
        "; conficker/c 2009-04-03",
        "mnop.info CNAME .",
    ]
    assert stats.names == 4


def test_rpz_is_deterministic_apart_from_the_clock_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    lists = day_lists()
    assert text("rpz", lists, serial=7) == text("rpz", lists, serial=7)
    monkeypatch.setattr(_stream.time, "time", lambda: 1_800_000_000.5)
    first = text("rpz", [small(["abcd.com"])])
    monkeypatch.setattr(_stream.time, "time", lambda: 1_800_000_060.0)
    second = text("rpz", [small(["abcd.com"])])
    assert "hostmaster.localhost. 1800000000 " in first
    assert "hostmaster.localhost. 1800000060 " in second
    assert first.replace("1800000000", "1800000060") == second


def test_rpz_tld_filter() -> None:
    zone = text("rpz", [small(["a1.com", "a2.co.uk", "a3.uk", "a4.ruk"])], serial=1, tlds=("uk",))
    assert body(zone) == ["a2.co.uk CNAME .", "a3.uk CNAME ."]


def test_exporters_stream_one_day_list_at_a_time() -> None:
    """Each day list is written before the next is pulled from the stream."""
    out = io.BytesIO()
    sizes: list[int] = []

    def lists() -> Iterator[DayList]:
        for dl in day_lists(3):
            sizes.append(len(out.getvalue()))
            yield dl

    get_exporter("rpz").write(lists(), out, ExportOptions(serial=1))
    assert sizes[0] < sizes[1] < sizes[2] < len(out.getvalue())


def test_hosts() -> None:
    lists = [small(["abcd.com", "efgh.net", "abcd.com"])]
    assert text("hosts", lists).splitlines()[1:] == [
        "0.0.0.0 abcd.com",
        "0.0.0.0 efgh.net",
        "0.0.0.0 abcd.com",
    ]
    sink = text("hosts", lists, policy="sinkhole", address="192.0.2.1", address6="2001:db8::1")
    assert sink.splitlines()[1:] == [
        "192.0.2.1 abcd.com",
        "192.0.2.1 efgh.net",
        "192.0.2.1 abcd.com",
        "2001:db8::1 abcd.com",
        "2001:db8::1 efgh.net",
        "2001:db8::1 abcd.com",
    ]


def test_unbound_local_zones_sorted_once_each() -> None:
    lists = [small(["efgh.net", "abcd.com"]), small(["abcd.com"], DAY + dt.timedelta(1))]
    conf = text("unbound", lists)
    assert "\nserver:\n" in conf
    zones = [line.strip() for line in conf.splitlines() if line.startswith("    ")]
    assert zones == [
        'local-zone: "abcd.com." always_nxdomain',
        'local-zone: "efgh.net." always_nxdomain',
    ]
    nodata = text("unbound", lists, policy="nodata")
    assert 'local-zone: "abcd.com." always_nodata' in nodata
    sink = text("unbound", lists, policy="sinkhole", address="192.0.2.1", address6="::1")
    assert sink.count("redirect") == 2
    assert 'local-data: "efgh.net. 300 IN A 192.0.2.1"' in sink
    assert 'local-data: "efgh.net. 300 IN AAAA ::1"' in sink


def test_unique_names_bounded_external_sort_is_exact() -> None:
    lists = day_lists(3)
    expected = sorted({n.encode() for dl in lists for n in dl.names()})
    assert list(_stream.unique_names(lists, run_size=7_000)) == expected  # spills ~20 runs
    assert list(_stream.unique_names(lists)) == expected  # in memory
    assert list(_stream.unique_names([small(["b.uk", "a.com", "b.uk"])], ("uk",))) == [b"b.uk"]


@pytest.mark.parametrize(
    ("fmt", "opts", "message"),
    [
        ("rpz", {"policy": "sinkhole", "address": "300.1.1.1"}, "not an IPv4 address"),
        ("hosts", {"policy": "sinkhole", "address6": "192.0.2.1"}, "not an IPv6 address"),
        ("rpz", {"serial": 2**32}, "--serial must be between"),
        ("rpz", {"tlds": (".",)}, "non-empty suffix"),
    ],
)
def test_errors_say_what_to_fix(fmt: str, opts: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        text(fmt, [small(["abcd.com"])], **opts)


def test_seen_hashes_matches_a_python_set_as_the_table_grows() -> None:
    """The hash table answers like a set (expected from a plain Python set) while it doubles
    from 16 slots: batches with repeats (the first occurrence of each new hash is marked,
    later ones not), batches crowding few slots, and the hash 0 (stored as 1)."""
    rng = np.random.default_rng(7)
    seen, reference = SeenHashes(bits=4), set[int]()
    sizes = [1, 5, 300, 2, 40, 1_000, 3, 3, 700, 10, 5_000] * 2
    for n, size in enumerate(sizes):
        batch = rng.integers(0, 20_000, size, dtype=np.uint64)  # repeats within a batch
        if n == 3:
            batch = np.array([0, 2, 3, 2, 0], np.uint64)  # 0 is a hash like any other
        assert seen.contains(batch).tolist() == [int(h) in reference for h in batch]
        expected = []
        for h in batch.tolist():
            expected.append(h not in reference)
            reference.add(h)
        assert seen.first_new(batch).tolist() == expected
        assert len(seen) == len(reference) - (1 in reference and 0 in reference)
        assert seen.contains(batch).all()
        assert np.count_nonzero(seen.table) == len(seen) <= 0.6 * len(seen.table)
    assert seen.bits > 4
    absent = np.arange(30_000, 31_000, dtype=np.uint64)
    assert not seen.contains(absent).any()


def raw_answers(port: int, name: str) -> tuple[int, bytes]:
    """(ANCOUNT from the raw header, the reply): dnspython's parser merges duplicate records."""
    q = dns.message.make_query(name, "A")
    q.flags |= dns.flags.RD
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(q.to_wire(), ("127.0.0.1", port))
        reply = sock.recv(65535)
    return struct.unpack(">H", reply[6:8])[0], reply


@pytest.mark.slow
@pytest.mark.parametrize("server", ["kresd", "pdns_recursor"])
def test_rpz_sinkhole_recurring_names_answer_one_record(tmp_path: Path, server: str) -> None:
    """The names that recur in a Conficker C day list get one A record, not one per repeat."""
    need("nsd", server)
    names = C.domains(DAY)
    recurring = sorted(n for n, k in Counter(names).items() if k > 1)  # guyv.com.bs, zwvu.is
    assert recurring
    other = next(n for n in C.domains(DAY + dt.timedelta(30)) if n not in set(names))
    rpz = tmp_path / "dga.rpz"
    with open(rpz, "wb") as fh:
        get_exporter("rpz").write(
            iter(day_lists(1)), fh, ExportOptions(serial=1, policy="sinkhole", address=SINK)
        )
    start = start_kresd if server == "kresd" else start_pdns_recursor
    with upstream(tmp_path / "up", [*recurring, other]) as up:
        port = free_port()
        (tmp_path / server).mkdir()
        with running(start(tmp_path / server, port, up.port, rpz)) as resolver:
            resolver.wait_ready(other, not_servfail)
            assert "Exception while loading RPZ" not in resolver.output()
            for name in recurring:
                count, reply = raw_answers(port, name)
                message = dns.message.from_wire(reply)
                assert [rd.to_text() for rr in message.answer for rd in rr] == [SINK], name
                assert count == 1, name
