"""What ``sinkhole serve`` says at start: a taken port names its option (--http-port /
--dns-port) and says to pick a free one; the default --max-connections lowered to the
open-files limit is not logged (only a value the user gave)."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
from pathlib import Path

from tests.sinkhole.conftest import DGAWATCH


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [DGAWATCH, "sinkhole", "serve", "--dir", str(tmp_path / "sinkhole"), "--address",
           "192.0.2.1", "--listen", "127.0.0.1", "--family", "conficker", "--variant", "b",
           *args]  # fmt: skip
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


def test_taken_http_port_names_the_option(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve(tmp_path, "--no-dns", "--http-port", str(port))
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1 --http-port {port}: the port is in use" in line
    assert "pick a free one with --http-port PORT" in line


def test_taken_dns_port_names_the_option(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        proc = _serve(tmp_path, "--dns-port", str(port), "--http-port", "0")
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1 --dns-port {port}: the port is in use" in line
    assert "pick a free one with --dns-port PORT" in line


def _nofile_1024() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def _start_log(server_factory, tmp_path: Path, name: str, *args: str) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    srv = server_factory("--no-dns", *args, directory=tmp_path / name, preexec_fn=_nofile_1024)
    assert srv.proc is not None and srv.proc.stderr is not None
    cap = int(srv.info["max_connections"])
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(15) == 0
    log = srv.proc.stderr.read().decode()
    srv.stop()
    return log, cap


def test_lowered_connection_cap_logged_only_when_given(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    quiet, cap = _start_log(server_factory, tmp_path, "default")
    assert cap < 1024  # lowered all the same, and shown in the start-up line
    assert "--max-connections" not in quiet, quiet
    told, cap2 = _start_log(server_factory, tmp_path, "given", "--max-connections", "20000")
    assert cap2 == cap
    assert told.count(f"--max-connections 20000 lowered to {cap}") == 1, told
