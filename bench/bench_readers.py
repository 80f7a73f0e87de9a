"""Reader speed, each against a baseline measured in the same run.

1. pcap: dgawatch's reader vs dpkt's full decode (``dpkt.ethernet.Ethernet(buf)`` +
   ``dpkt.dns.DNS(udp.data)`` per packet) of the same capture; target >= 3x and
   >= 300,000 packets/s.
2. Zeek dns.log TSV: lines/s of the reader, and its time vs ``grep -F -f`` with a list of
   forecast-like names over the same log (the hunt must beat grep 5x; the reader is its
   first stage).

    .venv/bin/python bench/bench_readers.py [--packets 400000] [--zeek-lines 2000000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "readers"))

import pcapgen

from dgawatch.readers import InputReport, read_events


def _names(n: int, rng: random.Random) -> list[str]:
    tlds = ["com", "net", "org", "info", "ru", "de"]
    return [
        "".join(rng.choices(string.ascii_lowercase, k=rng.randint(8, 16))) + "." + rng.choice(tlds)
        for _ in range(n)
    ]


def make_pcap(path: str, exchanges: int) -> int:
    rng = random.Random(1)
    names = _names(5000, rng)
    packets: list[pcapgen.Packet] = []
    t0 = 1_700_000_000.0
    templates = []
    for i in range(2000):  # pre-built frames, re-stamped: generation is not what we measure
        name = names[i % len(names)]
        client = f"10.{i % 200}.{i % 7}.{i % 250 + 1}"
        kind = i % 10
        if kind < 6:
            pk = pcapgen.exchange(0, client, 30000 + i, "10.255.0.1", name, "A", i, "A 192.0.2.1")
        elif kind < 8:
            pk = pcapgen.exchange(
                0, client, 30000 + i, "10.255.0.1", name, "A", i, rcode="NXDOMAIN"
            )
        else:
            pk = pcapgen.exchange(
                0, client, 30000 + i, "10.255.0.1", name, "AAAA", i, "AAAA 2001:db8::1"
            )
        templates.append(pk)
    for i in range(exchanges):
        q, r = templates[i % len(templates)]
        ts = t0 + i * 0.001
        packets.append(pcapgen.Packet(ts, q.data))
        packets.append(pcapgen.Packet(ts + 0.0005, r.data))
    pcapgen.write_pcap(path, packets)
    return len(packets)


def bench_pcap(path: str, packets: int) -> None:
    import dpkt

    ours = float("inf")
    for _ in range(3):  # best of three: the machine may be shared
        t = time.perf_counter()
        events = sum(b.num_rows for b in read_events([path], "pcap", report=InputReport()))
        ours = min(ours, time.perf_counter() - t)
    t = time.perf_counter()
    seen = 0
    with open(path, "rb") as f:
        for _ts, buf in dpkt.pcap.Reader(f):
            eth = dpkt.ethernet.Ethernet(buf)
            udp = eth.data.data
            msg = dpkt.dns.DNS(udp.data)
            seen += len(msg.qd)
    theirs = time.perf_counter() - t
    print(
        f"pcap: {packets:,} packets -> {events:,} events in {ours:.2f} s "
        f"= {packets / ours:,.0f} packets/s (target >= 300,000)"
    )
    print(
        f"pcap: dpkt full decode {theirs:.2f} s = {packets / theirs:,.0f} packets/s; "
        f"ratio {theirs / ours:.2f}x (target >= 3x)"
    )


def make_zeek(path: str, lines: int, names: list[str]) -> None:
    rng = random.Random(2)
    header = (
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
        "#path\tdns\n#open\t2026-01-01-00-00-00\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt"
        "\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA"
        "\tZ\tanswers\tTTLs\trejected\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount"
        "\tstring\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
        "\tvector[interval]\tbool\n"
    )
    rows = []
    for i in range(5000):
        name = names[i % len(names)]
        nx = i % 3 == 0
        rows.append(
            f"\tC{i:017d}\t10.1.{i % 250}.{i % 200 + 1}\t{30000 + i % 30000}\t10.255.0.1\t53\tudp"
            f"\t{i % 65536}\t0.012\t{name}\t1\tC_INTERNET\t1\tA\t{3 if nx else 0}"
            f"\t{'NXDOMAIN' if nx else 'NOERROR'}\tF\tF\tT\tT\t0"
            f"\t{'-' if nx else '192.0.2.' + str(i % 250)}\t{'-' if nx else '300.000000'}\tF\n"
        )
    t0 = 1_767_225_600.0
    with open(path, "w") as f:
        f.write(header)
        chunk = []
        for i in range(lines):
            chunk.append(f"{t0 + i * 0.01:.6f}" + rows[rng.randrange(5000)])
            if len(chunk) == 100_000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))
        f.write("#close\t2026-01-02-00-00-00\n")


def bench_zeek(workdir: str, lines: int) -> None:
    rng = random.Random(3)
    log_names = _names(20_000, rng)
    path = os.path.join(workdir, "dns.log")
    make_zeek(path, lines, log_names)
    patterns = os.path.join(workdir, "patterns.txt")
    with open(patterns, "w") as f:  # a day of a big DGA: 50,000 names, a few in the log
        f.write("\n".join(_names(49_990, rng) + log_names[:10]) + "\n")
    ours = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        events = sum(b.num_rows for b in read_events([path], "zeek", report=InputReport()))
        ours = min(ours, time.perf_counter() - t)
    print(
        f"zeek: {lines:,} lines -> {events:,} events in {ours:.2f} s = {lines / ours:,.0f} lines/s"
    )
    if shutil.which("grep"):
        t = time.perf_counter()
        subprocess.run(["grep", "-F", "-f", patterns, path], stdout=subprocess.DEVNULL, check=False)
        grep = time.perf_counter() - t
        print(
            f"zeek: grep -F -f (50,000 names) {grep:.2f} s; reader alone is "
            f"{grep / ours:.2f}x grep's speed"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=400_000)
    ap.add_argument("--zeek-lines", type=int, default=2_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        pcap = os.path.join(d, "dns.pcap")
        n = make_pcap(pcap, args.packets // 2)
        bench_pcap(pcap, n)
        bench_zeek(d, args.zeek_lines)


if __name__ == "__main__":
    main()
