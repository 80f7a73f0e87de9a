"""``dgawatch web serve``: run the read-only portal with uvicorn."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dgawatch.errors import InputError

web_app = typer.Typer(help="Read-only web portal with JSON twins.", no_args_is_help=True)
_err = Console(stderr=True, highlight=False)


@web_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    store: Annotated[Path | None, typer.Option(help="Forecast store file.")] = None,
    sinkhole_dir: Annotated[
        Path | None, typer.Option(help="Sinkhole event store directory.")
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Host name the portal answers to besides loopback and --host (repeatable; "
            "other Host headers get 421, against DNS rebinding)."
        ),
    ] = None,
) -> None:
    """Serve the portal until interrupted."""
    import uvicorn

    from dgawatch.web.app import create_app

    if not 1 <= port <= 65535:
        raise InputError(f"--port must be between 1 and 65535, not {port}")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        _err.print(
            f"warning: serving on {host}, not loopback; the portal has no authentication "
            "and its sinkhole page summarises victim traffic",
            markup=False,
        )
    hosts = tuple(allowed_host or ())
    if host not in ("0.0.0.0", "::"):
        hosts += (host,)
    elif not hosts:
        _err.print(
            "warning: no --allowed-host given: requests must name the server by a loopback "
            "address; give the names clients use with --allowed-host",
            markup=False,
        )
    app = create_app(store_path=store, sinkhole_dir=sinkhole_dir, allowed_hosts=hosts)
    uvicorn.run(app, host=host, port=port, log_level="info")
