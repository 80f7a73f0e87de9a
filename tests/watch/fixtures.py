"""Loopback registries for the watch tests: NSD serving a root and simulated TLD zones
(AXFR allowed), and an RDAP service (RFC 9083 domain objects, 404, 429 + Retry-After)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dns.rcode

from tests.export.dns_servers import LOOPBACK, free_port, need, nsd_conf, running, start_nsd

ROOT_ZONE = """$TTL 60
. IN SOA a.root.test. hostmaster.root.test. 1 3600 600 86400 60
. IN NS a.root.test.
a.root.test. IN A 127.0.0.1
{delegations}"""


def tld_zone(tld: str, records: list[str], serial: int = 1) -> str:
    """A TLD zone run by ns1.nic.<tld> (127.0.0.1) with ``records`` (relative owners)."""
    head = [
        f"$ORIGIN {tld}.",
        "$TTL 60",
        f"@ IN SOA ns1.nic.{tld}. hostmaster.nic.{tld}. ( {serial} 3600 600",
        "        86400 60 )",
        f"@ IN NS ns1.nic.{tld}.",
        "ns1.nic IN A 127.0.0.1",
    ]
    return "\n".join(head + records) + "\n"


@dataclass
class Registry:
    """NSD authoritative for '.', and for each TLD in ``zones`` (restartable with new zones)."""

    workdir: Path
    zones: dict[str, str]
    port: int = field(default_factory=free_port)

    def _write(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        delegations = "".join(
            f"{t}. IN NS ns1.nic.{t}.\nns1.nic.{t}. IN A 127.0.0.1\n" for t in self.zones
        )
        (self.workdir / "root.zone").write_text(ROOT_ZONE.format(delegations=delegations))
        clauses = 'zone:\n    name: "."\n    zonefile: "root.zone"\n'
        for tld, text in self.zones.items():
            (self.workdir / f"{tld}.zone").write_text(text)
            clauses += (
                f'zone:\n    name: "{tld}"\n    zonefile: "{tld}.zone"\n'
                f"    provide-xfr: {LOOPBACK} NOKEY\n"
            )
        return nsd_conf(self.workdir, self.port, zones=clauses)

    @contextmanager
    def serving(self) -> Iterator[Registry]:
        need("nsd")
        conf = self._write()
        with running(start_nsd(self.workdir, conf, self.port)) as server:
            for tld in self.zones:
                server.wait_ready(f"{tld}.", lambda m: m.rcode() == dns.rcode.NOERROR)
            yield self


@dataclass
class RdapState:
    """What the RDAP fixture answers, and what it saw."""

    domains: dict[str, dict[str, Any]] = field(default_factory=dict)
    throttle_every: int = 0  # every Nth request answered 429 (0: never)
    retry_after: str = "1"
    log: list[tuple[float, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def domain_object(
    name: str, *, created: str | None, registrar: str, ns: list[str], status: list[str]
) -> dict[str, Any]:
    """An RFC 9083 domain object as a registry would return it."""
    events = [{"eventAction": "last changed", "eventDate": "2024-01-01T00:00:00Z"}]
    if created is not None:
        events.insert(0, {"eventAction": "registration", "eventDate": created})
    return {
        "objectClassName": "domain",
        "rdapConformance": ["rdap_level_0"],
        "handle": name.upper().replace(".", "-"),
        "ldhName": name,
        "status": status,
        "events": events,
        "nameservers": [{"objectClassName": "nameserver", "ldhName": h} for h in ns],
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "9999",
                "roles": ["registrar"],
                "vcardArray": [
                    "vcard",
                    [["version", {}, "text", "4.0"], ["fn", {}, "text", registrar]],
                ],
            }
        ],
    }


@contextmanager
def rdap_server(state: RdapState) -> Iterator[str]:
    """An RDAP service on 127.0.0.1; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1].lower()
            with state.lock:
                count = len(state.log) + 1
                if state.throttle_every and count % state.throttle_every == 0:
                    status, body = 429, {"errorCode": 429, "title": "too many requests"}
                elif not self.path.startswith("/domain/"):
                    status, body = 400, {"errorCode": 400, "title": "bad request"}
                elif name in state.domains:
                    status, body = 200, state.domains[name]
                else:
                    status, body = 404, {"errorCode": 404, "title": "not found"}
                state.log.append((time.monotonic(), name, status))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(data)))
            if status == 429:
                self.send_header("Retry-After", state.retry_after)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
