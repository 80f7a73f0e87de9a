"""What keeps one anonymous visitor from costing the portal minutes or its other visitors
their answers (issue 14, item 10): a Host allowlist against DNS rebinding, standard
security headers, and a bounded number of expensive requests at a time, each with a time
budget, beyond which the answer is 503 with ``Retry-After``.

Pure ASGI middlewares (no buffering of streamed downloads) and one small limiter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from dgawatch.errors import DgawatchError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Always allowed: the loopback names a local browser uses.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class Busy(DgawatchError):
    """The portal is at its limit for expensive work: answered 503 with Retry-After."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def host_of(header: str) -> str:
    """The host part of a Host header, lower case, without port or IPv6 brackets."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


class HostAllowlist:
    """Answers 421 to a request whose Host header is not one of ``hosts`` (DNS rebinding: a
    page on an attacker's name that resolves to 127.0.0.1 must not read the portal)."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = frozenset(host_of(h) for h in (*LOOPBACK_HOSTS, *hosts) if h)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = host_of(value.decode("latin-1"))
                break
        if host in self.hosts:
            await self.app(scope, receive, send)
            return
        body = b"unknown Host header; the portal answers only its own names (--allowed-host)\n"
        await send(
            {
                "type": "http.response.start",
                "status": 421,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _csp(style_hashes: Iterable[str]) -> bytes:
    styles = " ".join(f"'sha256-{h}'" for h in style_hashes) or "'none'"
    return (
        f"default-src 'none'; style-src {styles}; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ).encode()


SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds a Content-Security-Policy (no scripts; the one inline style block by hash) and
    the standard hardening headers to every response."""

    def __init__(self, app: ASGIApp, style_hashes: Iterable[str]) -> None:
        self.app = app
        self.headers = [(b"content-security-policy", _csp(style_hashes)), *SECURITY_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", ())}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


class Limiter:
    """At most ``slots`` expensive requests at once. A request that finds every slot taken
    waits up to ``wait_s`` for one, then is refused with :class:`Busy` (503): a flood of
    expensive requests is turned away cheaply instead of queueing the portal's threads,
    so cheap pages keep their latency."""

    def __init__(self, slots: int, wait_s: float = 0.5, retry_after: int = 5) -> None:
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = slots
        self.wait_s = wait_s
        self.retry_after = retry_after
        self._sem = threading.BoundedSemaphore(slots)
        self.refused = 0

    def acquire(self) -> None:
        if not self._sem.acquire(timeout=self.wait_s):
            self.refused += 1
            raise Busy(
                f"the portal is busy with {self.slots} expensive requests; retry in "
                f"{self.retry_after} s",
                self.retry_after,
            )

    def release(self) -> None:
        self._sem.release()


class Deadline:
    """A time budget for one request's work: :meth:`check` raises Busy once it is spent
    (called between units of work, e.g. after each day list)."""

    def __init__(self, budget_s: float, retry_after: int = 30) -> None:
        self.budget_s = budget_s
        self.retry_after = retry_after
        self.end = time.monotonic() + budget_s

    def check(self, what: str = "this request") -> None:
        if time.monotonic() > self.end:
            raise Busy(
                f"{what} took longer than the portal's {self.budget_s:g} s budget; narrow it "
                "or use the command line",
                self.retry_after,
            )
