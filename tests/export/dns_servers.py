"""Real DNS servers for the export tests on 127.0.0.1: NSD, Knot, Unbound, BIND, Knot
Resolver, PowerDNS Recursor and dnsmasq.

Each server runs in the foreground as a child process on a free high port, with its config,
working directory and PID file under the test's tmp directory; it is stopped by its PID
(terminate, then kill after a bounded wait). Every wait here is bounded. Nothing listens
anywhere but 127.0.0.1, and the resolvers forward only to the local authoritative server.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from tests import needs

LOOPBACK = "127.0.0.1"
#: Address the local authoritative server gives every name ("the internet" of the tests).
UPSTREAM_A = "198.51.100.7"


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        needs.missing(f"not installed: {', '.join(missing)} (see scripts/apt-packages.txt)")


def free_port() -> int:
    """A high port free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((LOOPBACK, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((LOOPBACK, port))
                except OSError:
                    continue
            if port >= 10000:
                return port
    raise RuntimeError("no free port pair on 127.0.0.1")


def query(port: int, name: str, rdtype: str = "A", timeout: float = 2.0) -> dns.message.Message:
    q = dns.message.make_query(name, dns.rdatatype.from_text(rdtype))
    q.flags |= dns.flags.RD
    last: Exception | None = None
    for _ in range(3):
        try:
            return dns.query.udp(q, LOOPBACK, port=port, timeout=timeout)
        except dns.exception.Timeout as exc:
            last = exc
    raise AssertionError(f"no answer from 127.0.0.1#{port} for {name} {rdtype}: {last}")


def answer(msg: dns.message.Message) -> tuple[str, set[str]]:
    """(rcode, addresses in the answer section), for short assertions."""
    addrs = {rd.to_text() for rrset in msg.answer for rd in rrset if rrset.rdtype in (1, 28)}
    return dns.rcode.to_text(msg.rcode()), addrs


class Server:
    """One foreground server process; ``log`` collects its stdout and stderr."""

    def __init__(self, name: str, argv: list[str], workdir: Path, port: int) -> None:
        self.name = name
        self.port = port
        self.log = workdir / f"{name}.log"
        with open(self.log, "wb") as fh:
            self.proc = subprocess.Popen(
                argv, cwd=workdir, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_ready(
        self, probe: str, ready: Callable[[dns.message.Message], bool], timeout: float = 90.0
    ) -> None:
        """Query ``probe`` until ``ready(answer)`` (e.g. BIND's RPZ has loaded), bounded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.output()}")
            q = dns.message.make_query(probe, "A")
            q.flags |= dns.flags.RD
            try:
                msg = dns.query.udp(q, LOOPBACK, port=self.port, timeout=0.5)
            except (dns.exception.Timeout, ConnectionRefusedError, OSError):
                time.sleep(0.1)
                continue
            if ready(msg):
                return
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout:.0f} s:\n{self.output()}")

    def wait_log(self, text: str, timeout: float = 90.0) -> None:
        """Wait (bounded) until the server's log says ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"{self.name} never logged {text!r}:\n{self.output()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def not_servfail(msg: dns.message.Message) -> bool:
    return msg.rcode() != dns.rcode.SERVFAIL


# --- the local "internet": NSD serving a root zone ---------------------------------------


def root_zone(names: Iterable[str]) -> str:
    """A root zone giving every name (and www under it) the upstream address."""
    lines = [
        "$TTL 60",
        ". IN SOA ns.upstream.test. hostmaster.upstream.test. 1 3600 600 86400 60",
        ". IN NS ns.upstream.test.",
        f"ns.upstream.test. IN A {LOOPBACK}",
    ]
    for name in names:
        lines.append(f"{name}. IN A {UPSTREAM_A}")
        lines.append(f"www.{name}. IN A {UPSTREAM_A}")
    return "\n".join(lines) + "\n"


def nsd_conf(workdir: Path, port: int, zones: str = "", include: Path | None = None) -> Path:
    """An NSD config serving ``zones`` (zone: clauses) and/or an included file."""
    conf = workdir / "nsd.conf"
    text = f"""server:
    ip-address: {LOOPBACK}
    port: {port}
    do-ip6: no
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{workdir}"
    database: ""
    zonelistfile: "{workdir}/zone.list"
    xfrdfile: "{workdir}/xfrd.state"
    xfrdir: "{workdir}"
    pidfile: "{workdir}/nsd.pid"
    verbosity: 1
    hide-version: yes
remote-control:
    control-enable: no
{zones}"""
    if include is not None:
        text += f'include: "{include}"\n'
    conf.write_text(text)
    return conf


def start_nsd(workdir: Path, conf: Path, port: int) -> Server:
    return Server("nsd", ["nsd", "-d", "-c", str(conf)], workdir, port)


@contextmanager
def upstream(workdir: Path, names: Iterable[str]) -> Iterator[Server]:
    """NSD, authoritative for the root zone above: what the resolvers forward to."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "root.zone").write_text(root_zone(names))
    port = free_port()
    conf = nsd_conf(workdir, port, zones='zone:\n    name: "."\n    zonefile: "root.zone"\n')
    with running(start_nsd(workdir, conf, port)) as server:
        server.wait_ready("ns.upstream.test", lambda m: m.rcode() == dns.rcode.NOERROR)
        yield server


# --- resolvers ----------------------------------------------------------------------------


def unbound_conf(workdir: Path, port: int, upstream_port: int, policy: str) -> Path:
    """Unbound forwarding everything to the upstream, with ``policy`` (config text) added."""
    conf = workdir / "unbound.conf"
    conf.write_text(
        f"""server:
    interface: {LOOPBACK}
    port: {port}
    do-ip6: no
    do-not-query-localhost: no
    module-config: "respip validator iterator"
    username: ""
    chroot: ""
    directory: "{workdir}"
    pidfile: "{workdir}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    qname-minimisation: no
    num-threads: 1
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: {LOOPBACK}@{upstream_port}
{policy}"""
    )
    return conf


def start_unbound(workdir: Path, conf: Path, port: int) -> Server:
    return Server("unbound", ["unbound", "-d", "-c", str(conf.resolve())], workdir, port)


def named_conf(
    workdir: Path, port: int, upstream_port: int | None, extra: str, options: str = ""
) -> Path:
    """BIND forwarding (only) to the upstream when given, plus ``options`` and ``extra``."""
    forwarding = (
        f"forward only; forwarders {{ {LOOPBACK} port {upstream_port}; }};"
        if upstream_port
        else "recursion no;"
    )
    conf = workdir / "named.conf"
    conf.write_text(
        f"""options {{
    directory "{workdir}";
    pid-file "{workdir}/named.pid";
    session-keyfile "{workdir}/session.key";
    managed-keys-directory "{workdir}";
    listen-on port {port} {{ {LOOPBACK}; }};
    listen-on-v6 {{ none; }};
    allow-query {{ {LOOPBACK}; }};
    dnssec-validation no;
    servfail-ttl 0;
    notify no;
    {forwarding}
    {options}
}};
controls {{ }};
{extra}
"""
    )
    return conf


def start_named(workdir: Path, conf: Path, port: int) -> Server:
    return Server("named", ["named", "-g", "-4", "-n", "1", "-c", str(conf)], workdir, port)


def start_knot(workdir: Path, port: int, include: Path) -> Server:
    (workdir / "db").mkdir(exist_ok=True)
    conf = workdir / "knot.conf"
    conf.write_text(
        f"""server:
    listen: {LOOPBACK}@{port}
    rundir: "{workdir}"
    background-workers: 1
    udp-workers: 1
    tcp-workers: 1
database:
    storage: "{workdir}/db"
control:
    listen: "{workdir}/knot.sock"
log:
  - target: stderr
    any: notice
template:
  - id: default
    storage: "{workdir}"
include: "{include}"
"""
    )
    check = subprocess.run(
        ["knotc", "-c", str(conf), "conf-check"], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr
    return Server("knotd", ["knotd", "-c", str(conf)], workdir, port)


def start_kresd(workdir: Path, port: int, upstream_port: int, rpz: Path) -> Server:
    """Knot Resolver 5 with ``rpz`` as its policy zone (``CNAME .`` answered NXDOMAIN),
    everything else sent to the upstream as a stub (no DNSSEC: the test root is unsigned)."""
    conf = workdir / "kresd.conf"
    conf.write_text(
        f"""net.listen('{LOOPBACK}', {port}, {{ kind = 'dns' }})
trust_anchors.remove('.')
cache.open(10 * MB, 'lmdb://{workdir}/cache')
modules.unload('priming')
modules.unload('detect_time_skew')
policy.add(policy.rpz(policy.DENY, '{rpz}', false))
policy.add(policy.all(policy.STUB({{'{LOOPBACK}@{upstream_port}'}})))
"""
    )
    return Server("kresd", ["kresd", "-n", "-c", str(conf), str(workdir)], workdir, port)


def start_pdns_recursor(workdir: Path, port: int, upstream_port: int, rpz: Path) -> Server:
    """PowerDNS Recursor with ``rpz`` loaded by ``rpzFile`` (Lua config), forwarding
    everything to the upstream (allowed on loopback: ``dont-query`` emptied)."""
    (workdir / "recursor.conf").write_text("")
    lua = workdir / "recursor.lua"
    lua.write_text(f'rpzFile("{rpz}", {{policyName="rpz.dgawatch"}})\n')
    argv = [
        "pdns_recursor",
        f"--config-dir={workdir}",
        f"--socket-dir={workdir}",
        "--daemon=no",
        "--disable-syslog=yes",
        f"--local-address={LOOPBACK}",
        f"--local-port={port}",
        f"--forward-zones=.={LOOPBACK}:{upstream_port}",
        "--dont-query=",
        "--dnssec=off",
        "--threads=1",
        f"--lua-config-file={lua}",
    ]
    return Server("pdns_recursor", argv, workdir, port)


def start_dnsmasq(workdir: Path, port: int, upstream_port: int, hosts: Path) -> Server:
    """dnsmasq answering from ``hosts`` (``--addn-hosts``), forwarding the rest to the
    upstream; no system files read, no DHCP, runs as the current user."""
    user = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(user.pw_gid).gr_name
    argv = [
        "dnsmasq",
        "--keep-in-foreground",
        "--log-facility=-",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        f"--user={user.pw_name}",
        f"--group={group}",
        f"--pid-file={workdir}/dnsmasq.pid",
        f"--listen-address={LOOPBACK}",
        "--bind-interfaces",
        f"--port={port}",
        f"--server={LOOPBACK}#{upstream_port}",
        f"--addn-hosts={hosts}",
    ]
    return Server("dnsmasq", argv, workdir, port)
