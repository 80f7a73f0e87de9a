"""One process of bench_readers.py: read a file with dgawatch's reader or with the dpkt
baseline, write one line per event to stdout (client, name, rcode: both sides render the
same fields), and report on stderr how long the reading itself took (CPU and wall seconds:
on a loaded machine the CPU time is the steadier measure).

    python bench/_read_run.py {dgawatch,dpkt} FILE
"""

from __future__ import annotations

import socket
import sys
import time


def with_dgawatch(path: str) -> int:
    import pyarrow.compute as pc

    from dgawatch.readers import InputReport, read_events

    n = 0
    out = sys.stdout.buffer
    for batch in read_events([path], "auto", report=InputReport()):
        n += batch.num_rows
        text = pc.binary_join_element_wise(
            batch.column("client"),
            batch.column("qname"),
            pc.fill_null(batch.column("rcode"), "-"),
            " ",
        )
        out.write(("\n".join(text.to_pylist()) + "\n").encode())
    return n


def with_dpkt(path: str) -> int:
    import dpkt

    n = 0
    out: list[str] = []
    ntop = socket.inet_ntop
    with open(path, "rb") as f:
        ng = f.read(4) == b"\x0a\x0d\x0d\x0a"
        f.seek(0)
        for _ts, buf in (dpkt.pcapng.Reader if ng else dpkt.pcap.Reader)(f):
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            udp = ip.data
            msg = dpkt.dns.DNS(udp.data)
            if not msg.qd:
                continue
            response = msg.qr == dpkt.dns.DNS_R
            client = ntop(socket.AF_INET, ip.dst if response else ip.src)
            rcode = str(msg.rcode) if response else "-"
            out.append(f"{client} {msg.qd[0].name} {rcode}")
            n += 1
            if len(out) >= 100_000:
                sys.stdout.write("\n".join(out) + "\n")
                out.clear()
    sys.stdout.write("\n".join(out) + "\n")
    return n


def main() -> int:
    which, path = sys.argv[1], sys.argv[2]
    t0, c0 = time.perf_counter(), time.process_time()
    n = with_dgawatch(path) if which == "dgawatch" else with_dpkt(path)
    cpu = time.process_time() - c0
    print(f"read {n} cpu {cpu:.4f} wall {time.perf_counter() - t0:.4f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
