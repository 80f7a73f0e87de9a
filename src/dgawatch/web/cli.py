"""``dgawatch web serve``: run the portal (public aggregate pages, the signed reports API
for organisations) with uvicorn."""

from __future__ import annotations

import ipaddress
import re
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dgawatch.errors import InputError

web_app = typer.Typer(
    help="Web portal with JSON twins and the signed reports API.", no_args_is_help=True
)
_err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)  # verbatim


def _check_listen(host: str, port: int) -> None:
    """Bind once before uvicorn does, so that a bad --host or a port in use is a one-line
    error with exit status 2 rather than uvicorn's log lines and status 3."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:  # the reason in words, without "[Errno -2]"
        why = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"--host {host}: not an address to listen on ({why})") from None
    family, kind, proto, _name, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host} port {port}: {exc.strerror}; choose another --port "
                "or --host"
            ) from None


def _check_allowed_host(name: str) -> None:
    """``--allowed-host`` is a name as clients send it in Host: (a URL or a path there
    would never match, and every request would get 421)."""
    value = name.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
        try:
            ipaddress.IPv6Address(value)
            return
        except ValueError:
            pass
    elif re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?(:\d{1,5})?", value):
        return
    else:
        try:
            ipaddress.ip_address(value)
            return
        except ValueError:
            pass
    raise InputError(
        f"--allowed-host {name!r}: give the host name clients use, such as "
        "portal.example.org (no scheme, path or spaces)"
    )


def _check_sources(store: Path | None, sinkhole_dir: Path | None) -> None:
    """Refuse at start what the portal could never open, rather than serve pages that
    later say the store "cannot be opened right now". An absent --store is fine (the
    portal shows its empty state until 'dgawatch store build' writes one)."""
    from dgawatch.errors import StoreError
    from dgawatch.store import (
        ForecastStore,
        StoreLockedError,
        check_store_file,
        default_store_path,
    )

    path = store if store is not None else default_store_path()
    try:
        check_store_file(path)
        if path.is_file():  # another schema's store would be refused by every page
            ForecastStore(path, read_only=True).close()
    except StoreLockedError:
        pass  # a writer ('store build') holds it for now: pages answer once it is done
    except StoreError as exc:
        raise InputError(f"--store: {exc}") from None
    if sinkhole_dir is not None and not sinkhole_dir.is_dir():
        what = "does not exist" if not sinkhole_dir.exists() else "is not a directory"
        raise InputError(
            f"--sinkhole-dir {sinkhole_dir} {what}; give the sinkhole event store "
            "directory (the --sinkhole-dir of 'dgawatch sinkhole serve')"
        )


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
    asn_db: Annotated[
        Path | None, typer.Option(help="Prefix-to-ASN file for AS scopes (pyasn format).")
    ] = None,
    country_db: Annotated[
        Path | None, typer.Option(help="Prefix-to-country file for national CERTs.")
    ] = None,
) -> None:
    """Serve the portal until interrupted."""
    import uvicorn

    from dgawatch.web.app import create_app

    if not 1 <= port <= 65535:
        raise InputError(f"--port must be between 1 and 65535, not {port}")
    _check_sources(store, sinkhole_dir)
    _check_listen(host, port)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    from dgawatch.sinkhole.enrich import Enricher

    enrich = Enricher(asn_db=asn_db, country_db=country_db)
    if not loopback:
        _err.print(
            f"warning: serving on {host}, not loopback; use TLS in front of it (a reverse "
            "proxy): signed API requests are not encrypted, and the public pages summarise "
            "victim traffic (aggregates only)",
            markup=False,
        )
    hosts = tuple(allowed_host or ())
    for name in hosts:
        _check_allowed_host(name)
    if host not in ("0.0.0.0", "::"):
        hosts += (host,)
    elif not hosts:
        _err.print(
            "warning: no --allowed-host given: requests must name the server by a loopback "
            "address; give the names clients use with --allowed-host",
            markup=False,
        )
    from dgawatch.store import default_store_path

    # The organisations and the delivery ledger of 'dgawatch org' and 'dgawatch deliver'
    # live in the data directory, whatever --store says.
    app = create_app(
        store_path=store,
        sinkhole_dir=sinkhole_dir,
        allowed_hosts=hosts,
        enrich=enrich,
        accounts_dir=default_store_path().parent,
        isolate_counts=True,
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    except SystemExit as exc:
        # uvicorn shuts down gracefully on SIGTERM, then raises the signal again, which the
        # CLI turns into exit 143; a stop asked for is the server's normal end (exit 0, as
        # 'sinkhole serve' and 'watch serve').
        if exc.code != 128 + signal.SIGTERM:
            raise
