import contextlib
import random

import pytest

from dgawatch.sinkhole.http import BadRequest, is_conficker_ab, parse_head


@pytest.mark.parametrize(
    ("target", "host", "expected"),
    [
        ("/search?q=1", "192.0.2.1", True),
        ("/search?q=123&aq=7", "192.0.2.1", True),
        ("/search?q=12&aq=7?0a1b2c3d", "192.0.2.1:80", True),
        ("/search?q=1234", "192.0.2.1", False),
        ("/search?q=12&aq=8", "192.0.2.1", False),
        ("/search?q=12&aq=7?0A1B2C3D", "192.0.2.1", False),
        ("/search?q=12", "example.com", False),
        ("/search?q=12", "300.1.1.1", False),
        ("/search?q=12", None, False),
        ("/index.html", "192.0.2.1", False),
    ],
)
def test_conficker_ab_shape(target: str, host: str | None, expected: bool) -> None:
    assert is_conficker_ab(target, host) is expected


def test_parse_keeps_headers_in_order() -> None:
    head = (
        b"POST /x HTTP/1.1\r\nHost: a\r\nX-B: 1\r\nx-a:  2 \r\n"
        b"Content-Length: 5\r\nConnection: close"
    )
    r = parse_head(head, 100)
    assert r.request_line == "POST /x HTTP/1.1"
    assert r.headers == (
        ("Host", "a"),
        ("X-B", "1"),
        ("x-a", "2"),
        ("Content-Length", "5"),
        ("Connection", "close"),
    )
    assert r.content_length == 5 and not r.keep_alive and r.host == "a"


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"GET /",
        b"GET / HTTP/1.1 x",
        b"G(T / HTTP/1.1",
        b"GET / HTTP/1.1\r\nNoColon",
        b"GET / HTTP/1.1\r\nContent-Length: -1",
        b"GET / HTTP/1.1\r\nContent-Length: 999",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b",
        b"GET / FTP/1.0",
    ],
)
def test_malformed_heads_raise_bad_request(head: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_head(head, 100)


def test_random_heads_never_raise_anything_else() -> None:
    rng = random.Random(5)
    base = b"GET /search?q=1 HTTP/1.1\r\nHost: 192.0.2.1\r\nUser-Agent: x\r\nContent-Length: 3"
    for _ in range(50_000):
        p = bytearray(base if rng.random() < 0.7 else rng.randbytes(rng.randrange(60)))
        for _ in range(rng.randrange(4)):
            if p:
                p[rng.randrange(len(p))] = rng.randrange(256)
        with contextlib.suppress(BadRequest):
            parse_head(bytes(p), 100)
