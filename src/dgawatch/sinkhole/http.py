"""The HTTP side of the sinkhole: a request-head parser (pure, fuzzable) and the Conficker
A/B rendezvous recogniser of ../shared/conficker-spec.md §5.

What is kept of a request: the raw request line, every header line in order (name and
value as sent, bytes decoded as Latin-1 so nothing is lost), ``Host``, ``User-Agent`` and
the body length. Bodies are counted and discarded.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

#: ET sid 2009024 rev 9's URI shape, anchored at both ends (spec §5: 1-3 digits).
CONFICKER_AB_PATH = re.compile(r"^/search\?q=[0-9]{1,3}(&aq=7(\?[0-9a-f]{8})?)?$")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")
_DIGITS = re.compile(r"[0-9]{1,15}")

BODY = b"sinkholed: this name belongs to a botnet and is held by defenders\n"


class BadRequest(ValueError):
    """A request head that is not HTTP/1.x; the listener answers 400 and closes."""


@dataclass(frozen=True)
class Request:
    request_line: str
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    host: str | None
    user_agent: str | None
    content_length: int
    chunked: bool
    keep_alive: bool

    @property
    def conficker_ab(self) -> bool:
        return is_conficker_ab(self.target, self.host)


def is_conficker_ab(target: str, host: str | None) -> bool:
    """Spec §5: ``/search?q=<1-3 digits>[&aq=7[?<8 hex>]]`` and ``Host:`` a dotted IPv4."""
    if host is None or not CONFICKER_AB_PATH.match(target):
        return False
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", bare):
        return False
    try:
        ipaddress.IPv4Address(bare)
    except ValueError:
        return False
    return True


def parse_head(head: bytes, max_body: int) -> Request:
    """Parse a request head (up to, not including, the blank line). Raises BadRequest."""
    text = head.decode("latin-1")
    lines = text.split("\n")
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    request_line = lines[0]
    parts = request_line.split(" ")
    if len(parts) != 3:
        raise BadRequest("request line is not METHOD TARGET VERSION")
    method, target, version = parts
    if not _TOKEN.fullmatch(method) or not target or not _VERSION.fullmatch(version):
        raise BadRequest("bad method, target or version")
    headers: list[tuple[str, str]] = []
    host = agent = None
    length: int | None = None
    chunked = False
    connection = ""
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or not _TOKEN.fullmatch(name):
            raise BadRequest("header line without a valid name")
        value = value.strip(" \t")
        headers.append((name, value))
        lname = name.lower()
        if lname == "host":
            if host is not None:
                raise BadRequest("two Host headers")
            host = value
        elif lname == "user-agent":
            agent = value
        elif lname == "content-length":
            if not _DIGITS.fullmatch(value) or (length is not None and int(value) != length):
                raise BadRequest("bad Content-Length")
            length = int(value)
        elif lname == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif lname == "connection":
            connection = value.lower()
    if length is not None and length > max_body:
        raise BadRequest("body too large")
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    return Request(
        request_line=request_line,
        method=method,
        target=target,
        version=version,
        headers=tuple(headers),
        host=host,
        user_agent=agent,
        content_length=length or 0,
        chunked=chunked,
        keep_alive=keep_alive and not chunked,
    )


def response(status: int, reason: str, *, keep_alive: bool, body: bytes = BODY) -> bytes:
    conn = "keep-alive" if keep_alive else "close"
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: {conn}\r\nCache-Control: no-store\r\n\r\n"
    ).encode() + body


OK_KEEP = response(200, "OK", keep_alive=True)
OK_CLOSE = response(200, "OK", keep_alive=False)
BAD_REQUEST = response(400, "Bad Request", keep_alive=False, body=b"bad request\n")
TOO_LARGE = response(431, "Request Header Fields Too Large", keep_alive=False, body=b"too large\n")
UNAVAILABLE = response(503, "Service Unavailable", keep_alive=False, body=b"busy\n")
LENGTH_REQUIRED = response(411, "Length Required", keep_alive=False, body=b"length required\n")
