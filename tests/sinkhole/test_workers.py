"""``sinkhole serve --workers N``: a worker that cannot start (a taken port) or dies is
reported by the parent in one line, which stops the other workers and exits non-zero
(before: the failing worker exited 0 without a word and the parent waited on the others,
or exited 0 when all had failed)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

from tests.servers import alive, free_port, running
from tests.sinkhole.conftest import DGAWATCH


def _cmd(tmp_path: Path, *args: str) -> list[str]:
    return [DGAWATCH, "sinkhole", "serve", "--sinkhole-dir", str(tmp_path / "sinkhole"),
            "--address", "192.0.2.1", "--listen", "127.0.0.1", "--family", "conficker",
            "--variant", "b", "--workers", "2", *args]  # fmt: skip


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, DGAWATCH_HOME=str(tmp_path))


def test_taken_http_port_in_workers_is_one_error_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            _cmd(tmp_path, "--no-dns", "--http-port", str(port)),
            capture_output=True, text=True, env=_env(tmp_path), timeout=60,
        )  # fmt: skip
    # fails without the fix: exit status 0 and nothing on stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    [line] = proc.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1 --http-port {port}: the port is in use" in line
    assert "the other workers were stopped" in line
    assert "--http-port 0" not in line  # port 0 is refused with --workers > 1
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_taken_dns_tcp_port_in_workers_is_one_error_line(tmp_path: Path) -> None:
    # The parent binds the shared UDP socket; each worker's TCP listener on the same port
    # finds it taken.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            _cmd(tmp_path, "--dns-port", str(port), "--http-port", str(free_port())),
            capture_output=True, text=True, env=_env(tmp_path), timeout=60,
        )  # fmt: skip
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    [line] = proc.stderr.splitlines()
    assert f"cannot listen on 127.0.0.1 --dns-port {port}: the port is in use" in line


def test_a_dead_worker_stops_the_others(tmp_path: Path) -> None:
    serve = _cmd(tmp_path, "--no-dns", "--http-port", str(free_port()))
    with running(serve, wait=15, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                 env=_env(tmp_path)) as proc:  # fmt: skip
        pids: list[int] = []
        assert proc.stdout is not None and proc.stderr is not None
        for _ in range(2):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            pids.append(int(json.loads(line)["listening"]["pid"]))
        victim, other = pids
        os.kill(victim, signal.SIGKILL)
        # fails without the fix: the parent waits on the other worker for ever
        assert proc.wait(30) == 1
        [line] = proc.stderr.read().splitlines()
        assert "was killed by signal 9" in line and "the other workers were stopped" in line
        assert not alive(other)


def test_sigterm_stops_every_worker_with_status_0(tmp_path: Path) -> None:
    serve = _cmd(tmp_path, "--no-dns", "--http-port", str(free_port()))
    with running(serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                 env=_env(tmp_path)) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        pids = [int(json.loads(proc.stdout.readline())["listening"]["pid"]) for _ in range(2)]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        assert proc.stderr.read() == ""
        assert not any(alive(p) for p in pids)
