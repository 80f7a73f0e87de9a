"""Hunt a 5 M-line Zeek dns.log against one month of Conficker C (1.5 M names).

Target (issue 4): at least 5x the throughput of ``LC_ALL=C grep -F -f names.txt`` on the same
file (grep answers a weaker question: substring hits, no client, no day window), with the
exact answer. The log is synthetic with a known ground truth: benign clients query popular
domains (``../shared/data/benign/``, Zipf-distributed, with common host prefixes, plus
one-off CDN-style names), infected clients each query 500 names a day drawn from that day's
Conficker C list (NXDOMAIN). The hunt must report exactly the infected clients, each with its
exact query count, and nothing else with confidence >= 0.5.

    .venv/bin/python bench/bench_hunt.py [--lines 5000000] [--log PATH] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from dgawatch.days import day_range
from dgawatch.families import get_family

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DGAWATCH_SHARED", ROOT.parent / "shared"))

ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t{open}\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery"
    "\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers"
    "\tTTLs\trejected\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring"
    "\tcount\tstring\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]"
    "\tvector[interval]\tbool\n"
)


def benign_names() -> list[str]:
    names = []
    with open(SHARED / "data" / "benign" / "alexa_top100k_2015-05.csv", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            domain = line.rstrip("\n").split(",", 1)[1].split("/", 1)[0].strip().lower()
            if domain:
                names.append(domain)
    return names


def make_log(
    path: Path, lines: int, start: dt.date, days: int, infected: int, seed: int = 11
) -> dict[str, int]:
    """Write a Zeek dns.log; returns {infected client: number of its DGA queries}."""
    rng = np.random.default_rng(seed)
    c = get_family("conficker").variant("c")
    per_host_day = 500
    n_dga = infected * days * per_host_day
    n_benign = lines - n_dga
    benign = np.array(benign_names(), dtype=object)
    prefixes = np.array(
        ["", "www.", "www.", "api.", "cdn.", "mail.", "static.", "m."], dtype=object
    )
    # Benign: Zipf over the top list, a host prefix, 5 % one-off CDN-style names.
    ranks = np.minimum(rng.zipf(1.2, n_benign) - 1, len(benign) - 1)
    qnames = prefixes[rng.integers(0, len(prefixes), n_benign)] + benign[ranks]
    one_off = rng.random(n_benign) < 0.05
    hexes = rng.integers(0, 2**62, int(one_off.sum()))
    qnames[one_off] = np.array([f"{h:x}.edge.example-cdn.net" for h in hexes], dtype=object)
    clients = np.array([f"10.1.{i // 250}.{i % 250 + 1}" for i in range(5000)], dtype=object)
    client = clients[rng.integers(0, len(clients), n_benign)]
    day0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
    ts = day0 + rng.random(n_benign) * days * 86400
    rcode = np.where(one_off, "NXDOMAIN", "NOERROR").astype(object)
    # Infected: 500 names a day from the day's list, once each.
    truth: dict[str, int] = {}
    parts_q, parts_c, parts_t = [qnames], [client], [ts]
    for d_i, day in enumerate(day_range(start, days)):
        names = np.array(c.domains(day), dtype=object)
        for h in range(infected):
            ip = f"10.9.0.{h + 1}"
            pick = names[rng.choice(len(names), per_host_day, replace=False)]
            parts_q.append(pick)
            parts_c.append(np.full(per_host_day, ip, dtype=object))
            parts_t.append(day0 + d_i * 86400 + rng.random(per_host_day) * 86400)
            truth[ip] = truth.get(ip, 0) + per_host_day
    q = np.concatenate(parts_q)
    cl = np.concatenate(parts_c)
    t = np.concatenate(parts_t)
    rc = np.concatenate([rcode, np.full(n_dga, "NXDOMAIN", dtype=object)])
    order = np.argsort(t, kind="stable")
    with open(path, "w", encoding="ascii") as fh:
        fh.write(ZEEK_HEADER.format(open=start.strftime("%Y-%m-%d-00-00-00")))
        out = []
        for n, i in enumerate(order):
            code = rc[i]
            ans = "-" if code == "NXDOMAIN" else f"93.184.{n % 250}.{n % 199 + 1}"
            out.append(
                f"{t[i]:.6f}\tC{n:017x}\t{cl[i]}\t{49152 + n % 16000}\t10.0.0.53\t53\tudp"
                f"\t{n % 65536}\t0.01\t{q[i]}\t1\tC_INTERNET\t1\tA"
                f"\t{3 if code == 'NXDOMAIN' else 0}\t{code}\tF\tF\tT\tT\t0\t{ans}\t60.0\tF\n"
            )
            if len(out) >= 100_000:
                fh.write("".join(out))
                out.clear()
        fh.write("".join(out))
        fh.write(f"#close\t{(start + dt.timedelta(days=days)).strftime('%Y-%m-%d-00-00-00')}\n")
    return truth


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--start", default="2020-01-01")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--infected", type=int, default=20)
    ap.add_argument("--log", type=Path, help="reuse/keep the generated log here")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from dgawatch.hunt import HuntOptions, hunt_paths

    start = dt.date.fromisoformat(args.start)
    c = get_family("conficker").variant("c")
    with tempfile.TemporaryDirectory() as tmp:
        log = args.log or Path(tmp) / "dns.log"
        truth_file = log.with_suffix(".truth")
        if log.exists() and truth_file.exists():
            truth = {
                k: int(v) for k, v in (line.split() for line in truth_file.read_text().splitlines())
            }
        else:
            t0 = time.perf_counter()
            truth = make_log(log, args.lines, start, args.days, args.infected)
            truth_file.write_text("".join(f"{k} {v}\n" for k, v in truth.items()))
            print(f"generated log                {time.perf_counter() - t0:8.2f} s")
        size = log.stat().st_size
        # The month of names the log can match: its days plus/minus one (window 1).
        names_file = Path(tmp) / "names.txt"
        hunt_days = day_range(start - dt.timedelta(days=1), args.days + 2)
        with open(names_file, "wb") as fh:
            for day in hunt_days:
                fh.write(c.domains_blob(day))
        n_names = names_file.read_bytes().count(b"\n")
        best_grep = float("inf")
        grep_count = 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = subprocess.run(
                ["grep", "-F", "-c", "-f", str(names_file), str(log)],
                env={**os.environ, "LC_ALL": "C"},
                capture_output=True,
                check=False,
            )
            best_grep = min(best_grep, time.perf_counter() - t0)
            grep_count = int(res.stdout.decode().strip() or 0)
        options = HuntOptions(variants=(c,), window_days=1)
        best = float("inf")
        result = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = hunt_paths([log], options)
            best = min(best, time.perf_counter() - t0)
        assert result is not None
    lines = args.lines
    found = {f.client: f.queries for f in result.findings if f.confidence >= 0.5}
    exact = found == truth
    print(f"log                          {lines:,} lines, {size / 1e6:,.0f} MB")
    print(f"names                        {n_names:,} ({len(hunt_days)} days of Conficker C)")
    print(
        f"grep -F -c -f names.txt      {best_grep:8.2f} s  "
        f"({lines / best_grep / 1e6:.2f} M lines/s,"
        f" {grep_count:,} lines with a substring hit)"
    )
    print(
        f"dgawatch hunt (local)        {best:8.2f} s  ({lines / best / 1e6:.2f} M lines/s,"
        f" {len(result.findings)} findings, {len(found)} with confidence >= 0.5)"
    )
    print(f"exact answer                 {'yes' if exact else 'NO'}")
    print(f"ratio (hunt / grep throughput) {best_grep / best:6.2f}x  (target >= 5x)")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
