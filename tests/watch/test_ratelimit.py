"""Rate limits: the token bucket's arithmetic on a fake clock, and the RDAP client against
the loopback RDAP service that answers 429 with Retry-After."""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools

import pytest

from dgawatch.watch.ratelimit import TokenBucket
from dgawatch.watch.rdap import RdapSource, _retry_after
from tests.watch.fixtures import RdapState, domain_object, rdap_server


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_bucket_spaces_requests_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, burst=1, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(6):
        bucket.acquire()
        stamps.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert gaps == pytest.approx([0.1] * 5)


def test_bucket_burst_then_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=3, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(5):
        bucket.acquire()
        stamps.append(clock.now - 100.0)
    assert stamps == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])


def test_pause_until_holds_every_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(None, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.pause_until(clock.now + 7.5)
    bucket.acquire()
    assert clock.now == pytest.approx(107.5)
    assert bucket.pauses == 1


def test_retry_after_forms() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after(None) is None
    assert _retry_after("soon") is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    seconds = _retry_after(email.utils.format_datetime(later, usegmt=True))
    assert seconds is not None and 25 <= seconds <= 30


def test_rdap_honours_429_retry_after() -> None:
    names = [f"n{i}.biz" for i in range(7)]
    state = RdapState(throttle_every=3, retry_after="1")
    state.domains = {
        names[0]: domain_object(
            names[0], created="2019-01-01T00:00:00Z", registrar="R", ns=["ns.x.example"], status=[]
        )
    }
    with rdap_server(state) as url:
        source = RdapSource(overrides={"biz": url}, bucket=TokenBucket(None))
        try:
            found = [source.observe(n, "biz") for n in names]
        finally:
            source.close()
    # every name answered in the end (present or 404), none lost to the throttle
    assert [o.present for o in found] == [True] + [False] * 6
    assert found[0].created == dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    throttled = [i for i, (_, _, status) in enumerate(state.log) if status == 429]
    assert len(throttled) == source.rate_limited >= 2
    for i in throttled:  # the next request came only after Retry-After had passed
        assert state.log[i + 1][0] - state.log[i][0] >= 1.0 - 1e-3
        assert state.log[i + 1][1] == state.log[i][1]  # the same name, retried


def test_rdap_gives_up_after_retries_and_says_so() -> None:
    state = RdapState(throttle_every=1, retry_after="0")
    with rdap_server(state) as url:
        source = RdapSource(overrides={"biz": url}, bucket=TokenBucket(None), retries=2)
        try:
            obs = source.observe("x.biz", "biz")
        finally:
            source.close()
    assert obs.present is None and "rate limited 3 times" in obs.detail
    assert len(state.log) == 3


def test_rdap_rate_limit_spaces_requests() -> None:
    state = RdapState()
    with rdap_server(state) as url:
        source = RdapSource(overrides={"biz": url}, bucket=TokenBucket(20.0, burst=1))
        try:
            for i in range(11):
                source.observe(f"r{i}.biz", "biz")
        finally:
            source.close()
    times = [t for t, _, _ in state.log]
    assert len(times) == 11
    # never faster than --rate rdap=20: ten gaps of 1/20 s, less one gap for the jitter of
    # arrival (the first request also opens the connection); unlimited takes ~0.02 s
    assert times[-1] - times[0] >= 9 / 20.0
