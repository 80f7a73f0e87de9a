"""A real SMTP server (aiosmtpd) on a free loopback port, keeping what it receives."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

Mail = tuple[str, list[str], bytes]  # sender, recipients, message bytes


class _Keep:
    def __init__(self, fail_first: int = 0) -> None:
        self.mails: list[Mail] = []
        self.fail_first = fail_first

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 try again later"
        self.mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_server(fail_first: int = 0, host: str = "127.0.0.1") -> Iterator[tuple[int, list[Mail]]]:
    """(port, inbox) of a server on loopback ``host`` (``::1`` for IPv6); the first
    ``fail_first`` messages are refused with a 451."""
    handler = _Keep(fail_first)
    port = _free_port(host)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    try:
        yield port, handler.mails
    finally:
        controller.stop()
