"""Registration watch throughput: names checked per second per source, on loopback, each
against the bare protocol loop as its baseline, measured in the same run.

A simulated ``.info`` registry (NSD on 127.0.0.1, AXFR allowed) holds ``--filler``
delegations plus the forecast's names (conficker/a, ``--days`` days under .info, a third of
them delegated); an RDAP service on loopback (the tests' fixture) answers for the same names.
Per source, alternating A/B rounds (order reversed each round; the machine is shared), the
median of each round's ratio is printed:

* zone file: ``read_zone_file`` + look-ups vs. ``gopack.zone_owner_names`` (owners only);
* AXFR: ``transfer_zone`` + look-ups vs. iterating ``dns.query.xfr`` bare;
* authoritative: ``AuthoritativeSource`` (1 and 8 workers, no rate limit) vs. a bare
  sequential dnspython UDP loop of the same NS queries;
* RDAP: ``RdapSource`` (1 and 8 workers, no rate limit) vs. a bare httpx GET loop.

    .venv/bin/python bench/bench_watch.py [--days 20] [--filler 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dns.exception
import dns.flags
import dns.message
import dns.query
import httpx
from tests.watch.fixtures import (
    RdapState,
    Registry,
    domain_object,
    rdap_server,
    tld_zone,
)

from dgawatch.families import select_variants
from dgawatch.gopack import zone_owner_names
from dgawatch.watch.authdns import AuthoritativeSource
from dgawatch.watch.engine import watch_list
from dgawatch.watch.ratelimit import TokenBucket
from dgawatch.watch.rdap import RdapSource
from dgawatch.watch.zonefile import read_zone_file, transfer_zone


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def pairs(
    a: Callable[[], object], b: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    ta: list[float] = []
    tb: list[float] = []
    for i in range(repeat):
        if i % 2 == 0:
            ta.append(timed(a))
            tb.append(timed(b))
        else:
            tb.append(timed(b))
            ta.append(timed(a))
    return ta, tb


def report(label: str, names: int, ta: list[float], tb: list[float], base: str) -> None:
    ratio = statistics.median(b / a for a, b in zip(ta, tb, strict=True))
    print(
        f"{label:34s} {names / min(ta):10,.0f} names/s   {base}: {names / min(tb):10,.0f} names/s"
        f"   ratio (baseline time / ours, median of pairs) {ratio:5.2f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--filler", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    watched = watch_list(
        select_variants(["conficker"], "a"), ["info"], dt.date(2026, 12, 10), args.days
    )
    names = sorted({w.domain for w in watched})
    want = set(names)
    label = lambda n: n.rsplit(".", 1)[0]  # noqa: E731
    records = [f"{label(n)} IN NS ns1.hoster.example." for n in names[::3]]
    records += [f"filler{i} IN NS ns{i % 7}.hoster.example." for i in range(args.filler)]
    print(
        f"bench_watch: {len(names)} watched .info names (conficker/a, {args.days} days), zone of "
        f"{len(records):,} delegations; loaded shared machine, loopback"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        zone_text = tld_zone("info", records)
        zpath = work / "info.zone"
        zpath.write_text(zone_text)

        def ours_zone() -> None:
            z = read_zone_file(zpath, "info", want)
            now = dt.datetime.now(dt.UTC)
            for n in names:
                z.observe(n, now)

        def bare_zone() -> None:
            for _ in zone_owner_names(zpath):
                pass

        ta, tb = pairs(ours_zone, bare_zone, args.repeat)
        report("zone file, master (tokenizer)", len(names), ta, tb, "owners only")
        print(f"{'':34s} ({len(records) / min(ta):,.0f} zone records/s read)")
        # the same zone as CZDS writes it: one record a line, absolute owners
        flat = work / "info.txt"
        with flat.open("w") as fh:
            fh.write("info.\t60\tin\tns\tns1.nic.info.\n")
            for r in records:
                owner, _, _, target = r.split()
                fh.write(f"{owner}.info.\t60\tin\tns\t{target}\n")
        zpath = flat
        ta, tb = pairs(ours_zone, bare_zone, args.repeat)
        report("zone file, CZDS layout (flat)", len(names), ta, tb, "owners only")
        print(f"{'':34s} ({len(records) / min(ta):,.0f} zone records/s read)")
        zpath = work / "info.zone"

        registry = Registry(work / "nsd", {"info": zone_text})
        with registry.serving():
            server = ("127.0.0.1", registry.port)

            def ours_axfr() -> None:
                z = transfer_zone("info", server, want)
                now = dt.datetime.now(dt.UTC)
                for n in names:
                    z.observe(n, now)

            def bare_axfr() -> None:
                for msg in dns.query.xfr(server[0], "info.", port=server[1]):
                    for _ in msg.answer:
                        pass

            ta, tb = pairs(ours_axfr, bare_axfr, args.repeat)
            report("AXFR (transfer + look-ups)", len(names), ta, tb, "bare xfr")
            print(f"{'':34s} ({len(records) / min(ta):,.0f} zone records/s transferred)")

            def auth(workers: int) -> Callable[[], None]:
                def run() -> None:
                    src = AuthoritativeSource(
                        overrides={"info": [server]}, bucket=TokenBucket(None), timeout=2.0
                    )
                    if workers == 1:
                        for n in names:
                            src.observe(n, "info")
                    else:
                        with ThreadPoolExecutor(workers) as pool:
                            list(pool.map(lambda n: src.observe(n, "info"), names))

                return run

            def bare_dns() -> None:
                for n in names:
                    q = dns.message.make_query(n, "NS")
                    q.flags &= ~dns.flags.RD
                    for _ in range(3):  # a loaded machine drops the odd datagram
                        try:
                            dns.query.udp(q, server[0], port=server[1], timeout=2.0)
                            break
                        except dns.exception.Timeout:
                            continue

            report(
                "authoritative, 1 worker",
                len(names),
                *pairs(auth(1), bare_dns, args.repeat),
                "bare udp loop",
            )
            report(
                "authoritative, 8 workers",
                len(names),
                *pairs(auth(8), bare_dns, args.repeat),
                "bare udp loop",
            )

        obj = {"created": "2020-01-01T00:00:00Z", "registrar": "R", "ns": ["ns1.x.example"]}
        state = RdapState(
            domains={n: domain_object(n, status=["active"], **obj) for n in names[::3]}  # type: ignore[arg-type]
        )
        with rdap_server(state) as url:

            def rdap(workers: int) -> Callable[[], None]:
                def run() -> None:
                    src = RdapSource(overrides={"info": url}, bucket=TokenBucket(None))
                    try:
                        if workers == 1:
                            for n in names:
                                src.observe(n, "info")
                        else:
                            with ThreadPoolExecutor(workers) as pool:
                                list(pool.map(lambda n: src.observe(n, "info"), names))
                    finally:
                        src.close()

                return run

            def bare_http() -> None:
                with httpx.Client() as client:
                    for n in names:
                        client.get(f"{url}domain/{n}")

            report(
                "RDAP, 1 worker",
                len(names),
                *pairs(rdap(1), bare_http, args.repeat),
                "bare httpx loop",
            )
            report(
                "RDAP, 8 workers",
                len(names),
                *pairs(rdap(8), bare_http, args.repeat),
                "bare httpx loop",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
