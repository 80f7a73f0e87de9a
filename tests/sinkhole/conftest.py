"""Real listeners in a subprocess on loopback, on free ports, with a throw-away store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

DGAWATCH = str(Path(sys.executable).parent / "dgawatch")


class Server:
    def __init__(
        self, directory: Path, *args: str, preexec_fn: Callable[[], None] | None = None
    ) -> None:
        self.directory = directory
        self.args = args
        self.preexec_fn = preexec_fn
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, object] = {}

    def start(self) -> Server:
        env = dict(os.environ, DGAWATCH_HOME=str(self.directory.parent))
        self.proc = subprocess.Popen(
            [
                DGAWATCH,
                "sinkhole",
                "serve",
                "--dir",
                str(self.directory),
                "--address",
                "192.0.2.1",
                "--address6",
                "2001:db8::53",
                "--listen",
                "127.0.0.1",
                "--dns-port",
                "0",
                "--http-port",
                "0",
                *self.args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=self.preexec_fn,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(self.proc.stderr.read().decode() if self.proc.stderr else "")
        self.info = json.loads(line)["listening"]
        return self

    @property
    def dns_port(self) -> int:
        return int(self.info["dns"])  # type: ignore[call-overload]

    @property
    def http_port(self) -> int:
        return int(self.info["http"][0])  # type: ignore[index]

    def status(self) -> dict[str, object]:
        path = self.directory / "status.0.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return int(self.proc.returncode)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[object]:
    started: list[Server] = []

    def make(
        *args: str, directory: Path | None = None, preexec_fn: Callable[[], None] | None = None
    ) -> Server:
        s = Server(directory or tmp_path / "sinkhole", *args, preexec_fn=preexec_fn).start()
        started.append(s)
        return s

    yield make
    for s in started:
        if s.proc is not None and s.proc.poll() is None:
            s.stop()
