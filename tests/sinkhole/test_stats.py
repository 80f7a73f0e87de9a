import datetime as dt
import math
from pathlib import Path

import pytest

from dgawatch.sinkhole.events import SinkholeEvent
from dgawatch.sinkhole.names import write_held
from dgawatch.sinkhole.stats import SinkholeStats, chapman, k_of_d, p_k
from dgawatch.sinkhole.store import write_events
from tests.sinkhole.botnet import simulate

DAY = dt.date(2026, 11, 27)


def test_p_k() -> None:
    assert p_k(1) == pytest.approx(500 / 50_000)
    assert p_k(0) == 0.0 and p_k(49_600) == 1.0
    # 1 - C(D-k, s)/C(D, s) by exact integers for a small case.
    exact = 1 - math.comb(50_000 - 7, 500) / math.comb(50_000, 500)
    assert p_k(7) == pytest.approx(exact, rel=1e-12)
    n, (lo, hi) = k_of_d(100, 1)
    assert n == pytest.approx(10_000) and lo < n < hi
    assert chapman(100, 100, 100)[0] == pytest.approx(100)


@pytest.mark.parametrize(("k", "seed"), [(20, 7), pytest.param(100, 8, marks=pytest.mark.slow)])
def test_simulated_botnet_of_known_size(tmp_path: Path, k: int, seed: int) -> None:
    machines = 200_000
    simulate(tmp_path, DAY, machines, k, seed=seed)
    with SinkholeStats(tmp_path) as st:
        est = {e.method: e for e in st.estimates()}
        daily = st.by_time("day")
    for method in ("k-of-D", "chapman", "lincoln-petersen"):
        e = est[method]
        error = (e.value - machines) / machines
        print(f"k={k} {method}: {e.value:,.0f} ({error:+.2%})")
        assert abs(error) < 0.05
        if e.ci95:
            assert e.ci95[0] < machines < e.ci95[1]
    assert "addresses" in est["k-of-D"].unit
    assert daily[0]["addresses"] == est["k-of-D"].inputs["n_k"]


def test_distinct_per_day_never_summed_and_ab_complete(tmp_path: Path) -> None:
    t0 = int(dt.datetime.combine(DAY, dt.time(10), dt.UTC).timestamp() * 1000)
    events = []
    for d in range(2):  # the same 50 addresses on two days
        for i in range(50):
            ts = t0 + d * 86_400_000 + i * 1000
            events.append(
                SinkholeEvent(
                    ts=ts,
                    proto="dns/udp",
                    src_ip=f"203.0.113.{i}",
                    src_port=5353,
                    dst_ip="192.0.2.1",
                    dst_port=53,
                    domain="abc.com",
                    family="conficker",
                    variant="b",
                    day=(DAY + dt.timedelta(days=d)).isoformat(),
                    qname="abc.com",
                    qtype="A",
                )
            )
            events.append(
                SinkholeEvent(
                    ts=ts + 500,
                    proto="http",
                    src_ip=f"203.0.113.{i}",
                    src_port=40000,
                    dst_ip="192.0.2.1",
                    dst_port=80,
                    request_line="GET /search?q=5 HTTP/1.0",
                    path="/search?q=5",
                    host="192.0.2.1",
                    conficker_ab=True,
                )
            )
    # an A/B request without a DNS query before it is attributed by its shape
    events.append(
        SinkholeEvent(
            ts=t0,
            proto="http",
            src_ip="198.51.100.9",
            src_port=1,
            dst_ip="192.0.2.1",
            dst_port=80,
            request_line="GET /search?q=1 HTTP/1.0",
            path="/search?q=1",
            host="192.0.2.1",
            conficker_ab=True,
        )
    )
    write_events(events, tmp_path)
    write_held(tmp_path, DAY.isoformat(), {"conficker/b": 1}, None)
    with SinkholeStats(tmp_path) as st:
        days = st.by_time("day")
        fam = st.by_family()
        est = st.estimates()
        hours = st.by_time("hour")
    assert [r["addresses"] for r in days] == [51, 50]
    assert sum(r["addresses"] for r in hours if r["hour"].startswith("2026-11-27")) == 51
    by_attr = {(r["day"], r["attribution"]): r["addresses"] for r in fam}
    assert by_attr[("2026-11-27", "dns-join")] == 50
    assert by_attr[("2026-11-27", "url-shape")] == 1
    complete = [e for e in est if e.method == "complete" and e.day == DAY.isoformat()]
    assert {e.protocol: e.value for e in complete} == {"dns": 50, "http": 50}
