"""Servers the tests start as processes (``web serve``, ``sinkhole serve``, a process
holding a store's lock): a free loopback port, waiting until one listens, and stopping the
process the test started, by its PID (SIGTERM, then SIGKILL), its pipes closed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, AnyStr

LOOPBACK = "127.0.0.1"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port of 127.0.0.1 free just now (TCP, or UDP with ``socket.SOCK_DGRAM``)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_for_port(
    proc: subprocess.Popen[AnyStr], port: int, *, timeout: float = 60, what: str = "the server"
) -> None:
    """Until something accepts on 127.0.0.1:``port``; fails the test when ``proc`` ends
    first (with what it wrote on stderr) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            said = proc.stderr.read() if proc.stderr is not None else ""
            raise AssertionError(f"{what} ended (status {proc.returncode}) first: {said!r}")
        try:
            socket.create_connection((LOOPBACK, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{what} not listening on port {port} after {timeout} s"
                ) from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen[AnyStr], *, wait: float = 20) -> tuple[int, AnyStr | str]:
    """Stop ``proc`` if it still runs: SIGTERM, then SIGKILL when it has not ended after
    ``wait`` seconds; its pipes closed. Returns its exit status and what was left unread on
    its stderr ("" when not a pipe)."""
    said: AnyStr | str = ""
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc.stderr is not None and not proc.stderr.closed:
            said = proc.stderr.read()
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return proc.returncode, said


@contextmanager
def running(args: list[str], *, wait: float = 20, **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """``subprocess.Popen(args, **popen)``, stopped by :func:`stop` when the block ends."""
    proc = subprocess.Popen(args, **popen)
    try:
        yield proc
    finally:
        stop(proc, wait=wait)


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a server's worker, after its parent stopped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
