"""Token buckets: each watch source asks before every request, so no registry is queried
faster than the rate its operator allows (``--rate SOURCE=PER_SECOND``).

A server that answers 429 pauses the whole bucket until its ``Retry-After`` has passed, so
every worker of that source waits, not only the one that was told.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_EPSILON = 1e-9


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; ``rate`` None = unlimited.

    ``clock`` and ``sleep`` are injectable so the arithmetic is tested without waiting.
    """

    def __init__(
        self,
        rate: float | None,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (or None for unlimited)")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._last = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for the report and the bench
        self.pauses = 0  # times a server told us to back off

    def pause_until(self, when: float) -> None:
        """No token before ``when`` (a ``clock()`` time): a server's Retry-After."""
        with self._lock:
            self._paused_until = max(self._paused_until, when)
            self.pauses += 1
            self._tokens = min(self._tokens, 1.0)

    def acquire(self) -> float:
        """Take one token, sleeping as long as needed; returns the seconds slept."""
        slept = 0.0
        while True:
            with self._lock:
                now = self._clock()
                wait = self._paused_until - now
                if wait <= 0:
                    if self.rate is None:
                        return slept
                    self._tokens = min(
                        float(self.burst), self._tokens + (now - self._last) * self.rate
                    )
                    self._last = now
                    if self._tokens >= 1.0 - _EPSILON:  # float dust must not stall it
                        self._tokens = max(0.0, self._tokens - 1.0)
                        self.waited += slept
                        return slept
                    wait = (1.0 - self._tokens) / self.rate
                else:
                    self._last = max(self._last, now)
            self._sleep(wait)
            slept += wait
