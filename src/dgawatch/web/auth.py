"""Who is asking: requests signed with an organisation's API key (HMAC-SHA256), checked in
this one place, and per-caller rate limits.

A signed request carries three headers::

    X-Dgawatch-Key:        the key id (``dgw_...``, from ``dgawatch org key``)
    X-Dgawatch-Timestamp:  Unix seconds when it was signed
    X-Dgawatch-Signature:  hex HMAC-SHA256(secret,
                               "<timestamp>\\n<METHOD>\\n<path?query>\\n" + body)

The signature covers the body (as Shadowserver's Reports API signs its JSON body), the
timestamp, the method and the path, so a captured request cannot be re-aimed at another
endpoint. A timestamp more than WINDOW_S away from the server's clock is refused (stale),
and so is a signature already seen within the window (replay). A revoked key or
organisation stops working at the next request (the organisations file is read per
request). Unsigned requests are anonymous: they get the public pages only, unless they
carry a session cookie from signing in (``/login``) with the key id and secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from dgawatch.orgs import OrgStore
from dgawatch.web.common import WebError
from dgawatch.web.scope import Caller

#: Largest clock difference accepted, seconds (either way).
WINDOW_S = 300
#: Replay memory bound: beyond it the oldest signatures are forgotten first (they are
#: about to be stale anyway); a flood of valid signatures is bounded by the rate limit.
MAX_SEEN = 200_000
#: Life of a browser session (signed in with the key id and secret), seconds.
SESSION_S = 8 * 3600
SESSION_COOKIE = "dgawatch_session"
KEY_HEADER = "x-dgawatch-key"
TS_HEADER = "x-dgawatch-timestamp"
SIG_HEADER = "x-dgawatch-signature"


def sign(secret: str, timestamp: int, method: str, path: str, body: bytes = b"") -> str:
    """The signature a client sends (``path`` with its query string, if any)."""
    message = f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Unauthorized(WebError):
    def __init__(self, message: str) -> None:
        super().__init__(message, 401)


class TooMany(WebError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry in {retry_after} s", 429)
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimit:
    """A token bucket per caller: ``burst`` requests at once, ``per_s`` refilled a second."""

    def __init__(self, burst: int = 30, per_s: float = 1.0, max_callers: int = 100_000) -> None:
        self.burst, self.per_s, self.max_callers = burst, per_s, max_callers
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, who: str) -> None:
        now = time.monotonic()
        with self._lock:
            b = self._buckets.get(who)
            if b is None:
                if len(self._buckets) >= self.max_callers:
                    full = [k for k, v in self._buckets.items() if v.tokens >= self.burst]
                    for k in full or list(self._buckets)[: self.max_callers // 2]:
                        del self._buckets[k]
                b = self._buckets[who] = _Bucket(float(self.burst), now)
            b.tokens = min(float(self.burst), b.tokens + (now - b.stamp) * self.per_s)
            b.stamp = now
            if b.tokens < 1.0:
                raise TooMany(max(1, int((1.0 - b.tokens) / self.per_s + 0.999)))
            b.tokens -= 1.0


class Authenticator:
    """Turns a request's headers and body into a :class:`Caller` (or 401); and, for people
    with a browser, a session cookie obtained by signing in with the key id and secret."""

    def __init__(self, orgs: OrgStore, window_s: int = WINDOW_S) -> None:
        self.orgs = orgs
        self.window_s = window_s
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        #: Signs session cookies; new at every start (sessions end with the process).
        self._session_key = secrets.token_bytes(32)

    # -- browser sessions ----------------------------------------------------------------

    def sign_in(self, key_id: str, secret: str, now: float | None = None) -> str:
        """A session cookie value for a valid active key, else 401."""
        found = self.orgs.by_key(key_id.strip())
        real = found[1].secret if found is not None else "-" * 43
        if not hmac.compare_digest(real.encode(), secret.strip().encode()) or found is None:
            raise Unauthorized("wrong key id or secret, or the key is revoked")
        expires = int(time.time() if now is None else now) + SESSION_S
        text = f"{found[1].key_id}.{expires}"
        mac = hmac.new(self._session_key, text.encode(), hashlib.sha256).hexdigest()
        return f"{text}.{mac}"

    def session(self, cookie: str, now: float | None = None) -> Caller:
        """The caller of a session cookie (anonymous when it is invalid, expired, or its
        key or organisation has been revoked since)."""
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return Caller()
        text = f"{parts[0]}.{parts[1]}"
        mac = hmac.new(self._session_key, text.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac.encode(), parts[2].encode()):
            return Caller()
        if int(parts[1]) < (time.time() if now is None else now):
            return Caller()
        found = self.orgs.by_key(parts[0])
        return Caller() if found is None else Caller.of(found[0], found[1].key_id)

    def caller(
        self, headers: dict[str, str], method: str, path: str, body: bytes, now: float | None = None
    ) -> Caller:
        key_id = headers.get(KEY_HEADER)
        ts_text = headers.get(TS_HEADER)
        signature = headers.get(SIG_HEADER)
        if key_id is None and ts_text is None and signature is None:
            return Caller()
        if not (key_id and ts_text and signature):
            raise Unauthorized(f"a signed request needs {KEY_HEADER}, {TS_HEADER} and {SIG_HEADER}")
        now = time.time() if now is None else now
        try:
            ts = int(ts_text)
        except ValueError:
            raise Unauthorized(f"{TS_HEADER} must be Unix seconds") from None
        if abs(now - ts) > self.window_s:
            raise Unauthorized(
                f"stale timestamp: more than {self.window_s} s from the server's clock"
            )
        found = self.orgs.by_key(key_id)
        # The same work whether or not the key exists (no timing oracle for key ids).
        secret = found[1].secret if found is not None else "-" * 43
        want = sign(secret, ts, method, path, body)
        if not hmac.compare_digest(want.encode(), signature.strip().lower().encode()):
            raise Unauthorized("bad signature or unknown/revoked key")
        if found is None:  # the dummy secret is public: never a caller
            raise Unauthorized("bad signature or unknown/revoked key")
        with self._lock:
            for k in [k for k, exp in self._seen.items() if exp < now]:
                del self._seen[k]
            if len(self._seen) >= MAX_SEEN:
                for k in sorted(self._seen, key=self._seen.__getitem__)[: MAX_SEEN // 10]:
                    del self._seen[k]
            mark = f"{key_id}:{want}"
            if mark in self._seen:
                raise Unauthorized("replayed request: this signature was already used")
            self._seen[mark] = ts + self.window_s
        org, key = found
        return Caller.of(org, key.key_id)
