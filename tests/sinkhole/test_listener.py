"""The sinkhole's own TCP listener (``_TcpListener``): accepted sockets as asyncio's."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from dgawatch.families import get_family
from dgawatch.sinkhole.server import ServeConfig, Sinkhole


def test_accepted_connections_have_nodelay_and_are_counted(tmp_path: Path) -> None:
    # Without TCP_NODELAY pipelined answers waited on Nagle: bench_sinkhole.py's HTTP
    # figure fell from ~30k to ~13k durable events/s when the listener first made its
    # sockets with proto 0 (asyncio's transport sets the option only for IPPROTO_TCP).
    config = ServeConfig(
        variants=[get_family("conficker").variant("b")],
        addresses=("192.0.2.1",),
        dns_port=None,
        http_ports=(0,),
        directory=tmp_path,
        status_interval=0,
        max_connections=2,
        max_connections_given=False,
    )

    async def run() -> None:
        sink = Sinkhole(config)
        await sink.start()
        try:
            port = sink.ports["http"][0]  # type: ignore[index]
            clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
            for _ in range(100):
                if len(sink.conns) + sink.http.rejected == 3:
                    break
                await asyncio.sleep(0.02)
            assert len(sink.conns) == 2 and sink.http.rejected == 1 and sink.starting == 0
            for conn in sink.conns:
                assert conn.transport is not None
                sock = conn.transport.get_extra_info("socket")
                assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            for _r, w in clients:
                w.close()
        finally:
            await sink.stop()

    asyncio.run(run())
