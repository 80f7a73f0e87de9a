"""Reader speed, each as whole processes alternated with a baseline in the same run.

1. pcap: ``bench/_read_run.py dgawatch`` (read_events, one text line per event) vs
   ``bench/_read_run.py dpkt`` (dpkt's full decode, ``Ethernet`` + ``DNS`` per packet, one
   text line per packet) on a capture with a **distinct name per exchange** (60 % A answers,
   20 % NXDOMAIN, 20 % AAAA; 20,000 clients). Targets: >= 300,000 packets/s and >= 3x dpkt.
   Reported: whole-process times (start-up included), whole-process CPU seconds (user +
   sys, the steadier measure on a loaded machine) and the reading rate inside each process.
   ``--pcapng``: the same packets written as pcapng (Enhanced Packet Blocks) instead, dpkt
   reading them with its pcapng reader. ``--packets 0``: no pcap part.
2. Zeek dns.log TSV (bench_hunt.py's realistic week of logs): the reader process vs
   ``LC_ALL=C grep -F -f names.txt dns.log > out`` with that week's Conficker C names
   (grep writes its matches: with its output on /dev/null GNU grep stops at the first).

    .venv/bin/python bench/bench_readers.py [--packets 400000] [--pcapng] [--zeek-lines 1000000]
        [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import socket
import statistics
import struct
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Command, Runs, alternate, line, loadavg, pair_ratios, ratio_line

ROOT = Path(__file__).resolve().parents[1]
RUN = str(ROOT / "bench" / "_read_run.py")

_ETH = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00"


def _ip_udp(src: bytes, sport: int, dst: bytes, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
    return _ETH + ip + udp


def make_pcap(path: str, exchanges: int, seed: int = 1) -> int:
    """A capture of ``exchanges`` UDP query/response pairs, each for a new name."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    tlds = [b"com", b"net", b"org", b"info", b"ru", b"de"]
    server = socket.inet_aton("10.255.0.1")
    t0 = 1_700_000_000
    rec = struct.Struct("<IIII")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        chunk: list[bytes] = []
        for i in range(exchanges):
            label = "".join(rng.choices(letters, k=rng.randint(8, 16))).encode()
            tld = tlds[i % len(tlds)]
            qname = bytes([len(label)]) + label + bytes([len(tld)]) + tld + b"\0"
            kind = i % 10
            qtype = 28 if kind >= 8 else 1
            question = qname + struct.pack("!HH", qtype, 1)
            qid = i & 0xFFFF
            c = rng.randrange(20_000)
            client = socket.inet_aton(f"10.1.{c // 250}.{c % 250 + 1}")
            cport = 1024 + i % 60000
            query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question
            if kind < 6:
                ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes((192, 0, 2, i % 250))
                resp = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + ans
            elif kind < 8:
                resp = struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
            else:
                ans = (
                    b"\xc0\x0c"
                    + struct.pack("!HHIH", 28, 1, 300, 16)
                    + b"\x20\x01\x0d\xb8"
                    + b"\0" * 11
                    + bytes((i % 250,))
                )
                resp = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + ans
            usec = (i * 1000) % 1_000_000
            sec = t0 + i // 1000
            for frame, us in (
                (_ip_udp(client, cport, server, 53, query), usec),
                (_ip_udp(server, 53, client, cport, resp), usec + 500),
            ):
                chunk.append(rec.pack(sec, us, len(frame), len(frame)) + frame)
            if len(chunk) >= 50_000:
                f.write(b"".join(chunk))
                chunk.clear()
        f.write(b"".join(chunk))
    return 2 * exchanges


def to_pcapng(src: str, dst: str) -> None:
    """The packets of the pcap ``src`` (little endian, microseconds) as a pcapng file: one
    section, one Ethernet interface (if_tsresol 10^-6), one Enhanced Packet Block each."""

    def block(btype: int, body: bytes) -> bytes:
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    data = Path(src).read_bytes()
    out = [
        block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
        block(1, struct.pack("<HHIHHB3xHH", 1, 0, 262144, 9, 1, 6, 0, 0)),
    ]
    off = 24
    while off < len(data):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", data, off)
        units = sec * 1_000_000 + usec
        head = struct.pack("<IIIII", 0, units >> 32, units & 0xFFFFFFFF, incl, incl)
        out.append(block(6, head + data[off + 16 : off + 16 + incl]))
        off += 16 + incl
    Path(dst).write_bytes(b"".join(out))


def _inner(workdir: Path, name: str) -> tuple[float, float]:
    """(CPU, wall) seconds of the reading the process reported on stderr (last run)."""
    text = (workdir / f"{name}.out.err").read_text().split()
    return float(text[-3]), float(text[-1])


def bench_pcap(workdir: Path, packets: int, repeat: int, pcapng: bool = False) -> None:
    path = str(workdir / "distinct.pcap")
    n = make_pcap(path, packets // 2)
    if pcapng:
        to_pcapng(path, path + "ng")
        path += "ng"
    ours = Command(
        "dgawatch reader (process)", [sys.executable, RUN, "dgawatch", path], workdir / "ours.out"
    )
    dpkt = Command(
        "dpkt decode (process)", [sys.executable, RUN, "dpkt", path], workdir / "dpkt.out"
    )
    inner: dict[str, list[tuple[float, float]]] = {"ours": [], "dpkt": []}
    cpu: dict[str, list[float]] = {"ours": [], "dpkt": []}
    runs: dict[str, Runs] = {ours.name: Runs(ours.name), dpkt.name: Runs(dpkt.name)}
    for r in range(repeat):  # alternate by hand: the inner reading times are read per run
        pair = (ours, dpkt) if r % 2 == 0 else (dpkt, ours)
        for cmd in pair:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            got = alternate([cmd], 1)[cmd.name]
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu["ours" if cmd is ours else "dpkt"].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
            runs[cmd.name].seconds += got.seconds
            runs[cmd.name].peak_mb += got.peak_mb
            inner["ours" if cmd is ours else "dpkt"].append(
                _inner(workdir, "ours" if cmd is ours else "dpkt")
            )
    events = (workdir / "ours.out").read_bytes().count(b"\n")
    try:
        from dgawatch import _pcapscan  # noqa: F401

        walker = "compiled walker (dgawatch._pcapscan)"
    except ImportError:
        walker = "Python handlers only: dgawatch._pcapscan NOT BUILT"
    kind = "pcapng" if pcapng else "pcap"
    print(f"\n== {kind}: {n:,} packets, {n // 2:,} distinct names, {loadavg()}; {walker}")
    print(f"events: dgawatch {events:,} (one per exchange)")
    for r in runs.values():
        print(line(r, n, "packets"))
    print(
        ratio_line(
            "speed-up over dpkt, whole process",
            pair_ratios(runs[dpkt.name], runs[ours.name]),
            ">= 3x",
        )
    )
    whole = [d / o for d, o in zip(cpu["dpkt"], cpu["ours"], strict=True)]
    print(ratio_line("same, whole-process CPU time", whole, ">= 3x"))
    rates = [n / c for c in cpu["ours"]]
    ours_cpu, dpkt_cpu = statistics.median(cpu["ours"]), statistics.median(cpu["dpkt"])
    print(
        f"dgawatch whole process per CPU-second max {max(rates):,.0f}  median "
        f"{statistics.median(rates):,.0f} packets (CPU s: ours {ours_cpu:.2f}, dpkt "
        f"{dpkt_cpu:.2f}, medians)"
    )
    print(
        f"dgawatch whole process, wall: max {n / runs[ours.name].min:,.0f}  median "
        f"{n / runs[ours.name].median:,.0f} packets/s (target >= 300,000)"
    )
    ratios = [d[1] / o[1] for d, o in zip(inner["dpkt"], inner["ours"], strict=True)]
    print(ratio_line("speed-up over dpkt, reading only", ratios, ">= 3x"))
    cpu_ratios = [d[0] / o[0] for d, o in zip(inner["dpkt"], inner["ours"], strict=True)]
    print(ratio_line("same, in CPU time", cpu_ratios, ">= 3x"))
    for label, k in (("wall", 1), ("CPU", 0)):
        rates = [n / x[k] for x in inner["ours"]]
        print(
            f"dgawatch reading rate ({label:<4})       max {max(rates):,.0f}  median "
            f"{statistics.median(rates):,.0f} packets/s (target >= 300,000)"
        )


def bench_zeek(workdir: Path, lines: int, repeat: int) -> None:
    import bench_hunt
    from dgawatch.days import day_range
    from dgawatch.families import get_family

    start = dt.date(2026, 11, 2)
    log = workdir / "dns.log"
    bench_hunt.make_log(log, lines, start, 7)
    names = workdir / "names.txt"
    c = get_family("conficker").variant("c")
    with open(names, "wb") as fh:
        for day in day_range(start - dt.timedelta(days=1), 9):
            fh.write(c.domains_blob(day))
    n_names = names.read_bytes().count(b"\n")
    ours = Command(
        "dgawatch zeek reader (process)",
        [sys.executable, RUN, "dgawatch", str(log)],
        workdir / "zeek.out",
    )
    grep = Command(
        "grep -F -f names.txt > out",
        ["grep", "-F", "-f", str(names), str(log)],
        workdir / "grep.out",
        env={"LC_ALL": "C"},
    )
    runs = alternate([ours, grep], repeat)
    print(f"\n== zeek: {lines:,} lines, grep with {n_names:,} names, {loadavg()}")
    hits = (workdir / "grep.out").read_bytes().count(b"\n")
    print(f"grep wrote {hits:,} matching lines")
    for r in runs.values():
        print(line(r, lines))
    print(ratio_line("reader vs grep (pairs)", pair_ratios(runs[grep.name], runs[ours.name])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--packets", type=int, default=400_000)
    ap.add_argument("--pcapng", action="store_true", help="the capture as pcapng")
    ap.add_argument("--zeek-lines", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        if args.packets:
            bench_pcap(Path(d), args.packets, args.repeat, args.pcapng)
        if args.zeek_lines:
            bench_zeek(Path(d), args.zeek_lines, args.repeat)


if __name__ == "__main__":
    main()
