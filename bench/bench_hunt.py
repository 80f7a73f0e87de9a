"""``dgawatch hunt DIR`` as a user runs it (whole process, default options: every family,
window 1, the unknown-DGA stage on, the table on stdout), alternated with two baselines
given the same forecast names:

- ``LC_ALL=C grep -F -f names.txt dns.log > out`` (writing its matches: with its output on
  /dev/null GNU grep stops at the first match). grep answers a weaker question: substring
  hits, no client, no day window.
- a plain Polars job (``bench/_polars_hunt.py``): read the log, join each name and its
  registered domain (same public suffix list) against the names with their list day, keep
  the day window, count per client: the same answer set as the hunt's match rows.

Targets (issue 19): >= 5x grep and >= 1.5x Polars at 1 M, 5 M and 10 M lines; start-up
(``dgawatch hunt`` of a one-line log) < 1.5 s, also shown as a multiple of the time
``python -c "import numpy, pyarrow, pyarrow.compute, duckdb"`` takes in the same rounds (the
libraries any hunt loads) beside ``dgawatch --version`` (the CLI alone); peak memory
<= 600 MB at 10 M lines.

The log is a week of a Zeek dns.log with a known ground truth: 5,000 benign clients query
popular domains (``../shared/data/benign/``, Zipf-distributed, common host prefixes, 5 %
one-off CDN-style names, so about 7 % of lines are distinct names); one infected client
per 250,000 lines (at least 4) queries 100 NXDOMAIN names a day of one time-seeded variant
(Conficker C and variants drawn at random): about 0.3 % of lines are DGA queries. The hunt
must report exactly the infected clients with their variant and query count (confidence
>= 0.5); other findings with confidence >= 0.5 are counted as false alarms.

The list cache (``dgawatch.hunt.listcache``) is warm for the timed runs (the untimed
``--json`` check run fills it, and writes the pack of the lists it asked for,
``dgawatch.hunt.listpack``, as a user's first hunt of those days does); the first-run cost
with a cold cache is printed for a one-line log. The baselines' names (``names.tsv``,
``names.txt`` in the work directory) are written again when the registered variants or
their fingerprints changed (``names.key``).

    .venv/bin/python bench/bench_hunt.py [--lines 1000000 ...] [--repeat 3] [--workdir DIR]
    .venv/bin/python bench/bench_hunt.py --lines 1000000 5000000 10000000  # the full table
    ... --unknown-off   # also --no-unknown-dga in the same rounds (issue 11: on/off >= 0.5)
    ... --no-grep       # grep alone takes minutes per run at 10 M lines
    ... --query-only    # issue 11: the same log without rcode and answers (a resolver's query
                        # log), the hunt with and without --no-unknown-dga only: on/off
                        # throughput and both peak RSS (aim: on/off >= 0.5, <= ~600 MB)
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dgawatch
from _timing import Command, alternate, line, loadavg, pair_ratios, ratio_line, run_once
from dgawatch.days import day_range
from dgawatch.families import all_variants, get_family
from dgawatch.families.base import Variant
from dgawatch.hunt.lists import ListSource, lists_for_days

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DGAWATCH_SHARED", ROOT.parent / "shared"))
DGAWATCH = str(Path(sys.executable).with_name("dgawatch"))
PER_DAY = 100
CACHE = "DGAWATCH_LIST_CACHE"

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
        for row in fh:
            domain = row.rstrip("\n").split(",", 1)[1].split("/", 1)[0].strip().lower()
            if domain:
                names.append(domain)
    return names


def infected_variants(start: dt.date, days: int, n: int, rng: np.random.Generator) -> list[Variant]:
    """Conficker C, then time-seeded variants active on every day, with >= PER_DAY names."""
    span = list(day_range(start, days))
    pool = [
        v
        for v in all_variants()
        if v.period_days == 1
        and v.key != "conficker/c"
        and all(v.is_active(d) for d in span)
        and len(v.domains(start)) >= PER_DAY
    ]
    pool.sort(key=lambda v: v.key)
    picks = rng.choice(len(pool), min(n - 1, len(pool)), replace=False)
    chosen = [get_family("conficker").variant("c"), *(pool[int(i)] for i in picks)]
    return [chosen[i % len(chosen)] for i in range(n)]


def make_log(
    path: Path, lines: int, start: dt.date, days: int, seed: int = 11, answers: bool = True
) -> dict[str, list]:
    """Write a Zeek dns.log; returns {infected client: [family, variant, DGA queries]}.
    ``answers`` False: the same lines with rcode, rcode_name and answers unset (``-``), as
    a resolver logging only the questions writes them."""
    rng = np.random.default_rng(seed)
    infected = infected_variants(start, days, max(4, lines // 250_000), rng)
    n_dga = len(infected) * days * PER_DAY
    n_benign = lines - n_dga
    benign = np.array(benign_names(), dtype=object)
    prefixes = np.array(["", "www.", "www.", "api.", "cdn.", "mail.", "static.", "m."], object)
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
    truth: dict[str, list] = {}
    parts_q, parts_c, parts_t = [qnames], [client], [ts]
    for d_i, day in enumerate(day_range(start, days)):
        for h, variant in enumerate(infected):
            names = np.array(variant.domains(day), dtype=object)
            ip = f"10.9.{h // 250}.{h % 250 + 1}"
            parts_q.append(names[rng.choice(len(names), PER_DAY, replace=False)])
            parts_c.append(np.full(PER_DAY, ip, dtype=object))
            parts_t.append(day0 + d_i * 86400 + rng.random(PER_DAY) * 86400)
            truth.setdefault(ip, [variant.family, variant.name, 0])[2] += PER_DAY
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
            number = 3 if code == "NXDOMAIN" else 0
            answered = (
                f"{number}\t{code}\tF\tF\tT\tT\t0\t{ans}" if answers else "-\t-\tF\tF\tT\tT\t0\t-"
            )
            out.append(
                f"{t[i]:.6f}\tC{n:017x}\t{cl[i]}\t{49152 + n % 16000}\t10.0.0.53\t53\tudp"
                f"\t{n % 65536}\t0.01\t{q[i]}\t1\tC_INTERNET\t1\tA"
                f"\t{answered}\t60.0\tF\n"
            )
            if len(out) >= 100_000:
                fh.write("".join(out))
                out.clear()
        fh.write("".join(out))
        fh.write(f"#close\t{(start + dt.timedelta(days=days)).strftime('%Y-%m-%d-00-00-00')}\n")
    return truth


def write_names(workdir: Path, start: dt.date, days: int, window: int) -> tuple[Path, Path, int]:
    """The names the hunt matches (every variant's lists for the log's days +/- window):
    one per line for grep, ``name<TAB>list day number<TAB>variant`` for Polars."""
    span = list(day_range(start, days))
    specs = lists_for_days(list(all_variants()), span, window)
    epoch = dt.date(1970, 1, 1)
    txt, tsv = workdir / "names.txt", workdir / "names.tsv"
    seen: set[str] = set()
    with open(txt, "w", encoding="ascii") as ft, open(tsv, "w", encoding="ascii") as fv:
        for spec, names in zip(specs, ListSource(None).names(specs), strict=True):
            days_of = (
                [spec.day]
                if spec.day is not None
                else [d for d in span if spec.variant.is_active(d)]
            )
            for name in names.to_pylist():
                if name not in seen:
                    seen.add(name)
                    ft.write(name + "\n")
                for d in days_of:
                    fv.write(f"{name}\t{(d - epoch).days}\t{spec.variant.key}\n")
    return txt, tsv, len(seen)


def names_key(start: dt.date, days: int) -> str:
    """What the baselines' names depend on: the days and every variant's fingerprint."""
    import hashlib

    from dgawatch.families import fingerprint

    h = hashlib.sha1(f"{start} {days} 1".encode())
    for v in all_variants():
        h.update(f"{v.key} {fingerprint(v)}\n".encode())
    return h.hexdigest()


def _in_child(fn, *args):  # type: ignore[no-untyped-def]
    """``fn(*args)`` in a spawned process: the bench process stays small. A child forked
    from it reports the parent's resident size at the fork as its own peak (``ru_maxrss``
    after exec): after generating a 10 M-line log here (~2.2 GB), every timed command's
    peak read 2,185 MB."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def check(
    workdir: Path, logdir: Path, truth: dict[str, list], args: argparse.Namespace
) -> tuple[str, int]:
    """An untimed ``--json`` run: (verdict, matched events) against the ground truth."""
    out = workdir / "check.json"
    run_once(Command("check", [DGAWATCH, "hunt", *args.hunt_args, str(logdir), "--json"], out))
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    summary = rows[-1]["summary"]
    sure = [r for r in rows[:-1] if r["confidence"] >= 0.5]
    found = {(r["client"], r["family"], r["variant"], r["queries"]) for r in sure}
    missed = {c: t for c, t in truth.items() if (c, *t) not in found}
    false = [r for r in sure if r["client"] not in truth]
    unknown = len(summary.get("unknown_dga", []))
    verdict = (
        f"{len(truth) - len(missed)}/{len(truth)} infected clients exact, "
        f"{len(false)} false alarms (confidence >= 0.5), {unknown} unknown-DGA clusters"
    )
    if missed:
        verdict += f"; MISSED {missed}"
    return verdict, int(summary["matches"])


def bench_size(workdir: Path, lines: int, args: argparse.Namespace) -> bool:
    start = dt.date.fromisoformat(args.start)
    tag = f"{lines}-query-only" if args.query_only else f"{lines}"
    logdir = workdir / f"log{tag}"
    log = logdir / "dns.log"
    truth_file = workdir / f"truth{tag}.json"
    if not (log.exists() and truth_file.exists()):
        logdir.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        truth = _in_child(make_log, log, lines, start, args.days, 11, not args.query_only)
        truth_file.write_text(json.dumps(truth))
        what = " (no rcode, no answers)" if args.query_only else ""
        print(f"generated {lines:,}-line log{what} in {time.perf_counter() - t0:.0f} s")
    truth = json.loads(truth_file.read_text())
    txt, tsv = workdir / "names.txt", workdir / "names.tsv"
    size = log.stat().st_size
    verdict, matches = check(workdir, logdir, truth, args)
    ours_cmd = Command(
        " ".join(["dgawatch hunt", *args.hunt_args, "DIR"]),
        [DGAWATCH, "hunt", *args.hunt_args, str(logdir)],
        workdir / "hunt.out",
    )
    grep_cmd = Command(
        "grep -F -f names.txt > out",
        ["grep", "-F", "-f", str(txt), str(log)],
        workdir / "grep.out",
        env={"LC_ALL": "C"},
    )
    polars_cmd = Command(
        "polars join (same answer set)",
        [sys.executable, str(ROOT / "bench" / "_polars_hunt.py"), str(log), str(tsv), "1"],
        workdir / "polars.out",
    )
    off_cmd = Command(
        " ".join(["dgawatch hunt --no-unknown-dga", *args.hunt_args, "DIR"]),
        [DGAWATCH, "hunt", "--no-unknown-dga", *args.hunt_args, str(logdir)],
        workdir / "hunt-off.out",
    )
    if args.query_only:  # (issue 11: the unknown-DGA stage's cost on a log without answers)
        runs = alternate([off_cmd, ours_cmd], args.repeat, progress=args.progress)
        ours, off = runs[ours_cmd.name], runs[off_cmd.name]
        print(
            f"\n== {lines:,} lines ({size / 1e6:,.0f} MB), query-only, {args.days} days, "
            f"{loadavg()}"
        )
        print(f"answer: {verdict} (known families: {matches:,} match rows)")
        print(line(off, lines))
        print(line(ours, lines))
        print(
            ratio_line(
                "throughput with / without unknown-DGA", pair_ratios(off, ours), ">= 0.5 (issue 11)"
            )
        )
        print(
            f"peak RSS with / without unknown-DGA: {max(ours.peak_mb):,.0f} / "
            f"{max(off.peak_mb):,.0f} MB (aim: <= ~600 MB at 10 M lines)"
        )
        return "MISSED" not in verdict
    commands = [ours_cmd, polars_cmd]
    commands += [] if args.no_grep else [grep_cmd]
    commands += [off_cmd] if args.unknown_off else []
    runs = alternate(commands, args.repeat, progress=args.progress)
    ours, polars = runs[ours_cmd.name], runs[polars_cmd.name]
    polars_tail = (workdir / "polars.out").read_text().splitlines()[-1]
    polars_matches = int(polars_tail.rsplit(" ", 1)[1])
    print(f"\n== {lines:,} lines ({size / 1e6:,.0f} MB), {args.days} days, {loadavg()}")
    print(f"answer: {verdict}")
    print(
        f"match rows (event, variant, list day): dgawatch {matches:,}, polars {polars_matches:,}"
        f" ({'same' if matches == polars_matches else 'DIFFERENT'})"
    )
    for c in commands:
        print(line(runs[c.name], lines))
    if not args.no_grep:
        grep_lines = (workdir / "grep.out").read_bytes().count(b"\n")
        print(f"grep wrote {grep_lines:,} lines")
        grep = runs[grep_cmd.name]
        print(ratio_line("speed-up over grep (pairs)", pair_ratios(grep, ours), ">= 5x"))
    print(ratio_line("speed-up over polars (pairs)", pair_ratios(polars, ours), ">= 1.5x"))
    if args.unknown_off:
        off = runs[off_cmd.name]
        print(
            ratio_line(
                "throughput with / without unknown-DGA", pair_ratios(off, ours), ">= 0.5 (issue 11)"
            )
        )
    return "MISSED" not in verdict and matches == polars_matches


def startup(workdir: Path, args: argparse.Namespace) -> None:
    """``dgawatch hunt`` of a one-line log: the fixed cost a user pays on any input."""
    logdir = workdir / "log1"
    logdir.mkdir(exist_ok=True)
    start = dt.date.fromisoformat(args.start)
    day0 = int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp())
    (logdir / "dns.log").write_text(
        ZEEK_HEADER.format(open="x")
        + f"{day0 + 3600}.0\tCx\t10.1.0.1\t5353\t10.0.0.53\t53\tudp\t1\t0.01\texample.com\t1"
        "\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34\t60.0\tF\n"
    )
    argv = [DGAWATCH, "hunt", *args.hunt_args, str(logdir)]
    with tempfile.TemporaryDirectory() as empty:
        cold = alternate(
            [Command("hunt, 1-line log, cold cache", argv, workdir / "s.out", {CACHE: empty})], 1
        )
    print(line(cold["hunt, 1-line log, cold cache"]) + "  (first run: lists generated)")
    hunt = Command("hunt, 1-line log", argv, workdir / "s.out")
    # The floor of any Python tool over Arrow and DuckDB: the libraries a hunt must load.
    floor = Command(
        "python: import numpy/pyarrow/duckdb",
        [sys.executable, "-c", "import numpy, pyarrow, pyarrow.compute, duckdb"],
        workdir / "floor.out",
    )
    version = Command("dgawatch --version", [DGAWATCH, "--version"], workdir / "v.out")
    runs = alternate([hunt, floor, version], args.repeat)
    print(line(runs[hunt.name]) + "  (target < 1.5 s)")
    print(line(runs[version.name]) + "  (the CLI alone)")
    print(line(runs[floor.name]))
    ratios = pair_ratios(runs[hunt.name], runs[floor.name])
    print(ratio_line("1-line hunt / import floor (pairs)", ratios, "as low as it goes"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--lines", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--start", default="2026-11-02")
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path, help="keep logs and names here (reused)")
    ap.add_argument("--no-grep", action="store_true", help="leave grep out (minutes at 10 M)")
    ap.add_argument(
        "--unknown-off",
        action="store_true",
        help="also time --no-unknown-dga in the same rounds: throughput on/off (issue 11)",
    )
    ap.add_argument(
        "--query-only",
        action="store_true",
        help="the log without rcode and answers; time only the hunt with and without "
        "--no-unknown-dga (issue 11: on/off throughput and both peak RSS)",
    )
    ap.add_argument("--no-startup", action="store_true", help="skip the one-line-log runs")
    ap.add_argument("--progress", action="store_true", help="print each run as it ends")
    ap.add_argument(
        "--hunt-args",
        type=str.split,
        default=[],
        help="extra options for dgawatch hunt, one string: --hunt-args=--no-unknown-dga "
        "(default none: the defaults are what is timed)",
    )
    args = ap.parse_args()
    if shutil.which("grep") is None:
        print("grep is not installed", file=sys.stderr)
        return 2
    # byte-compiled, as an install is (a tree run with PYTHONDONTWRITEBYTECODE would compile
    # every module at each start-up)
    compileall.compile_dir(Path(dgawatch.__file__).parent, quiet=1)
    tmp = tempfile.TemporaryDirectory() if args.workdir is None else None
    workdir = args.workdir or Path(tmp.name)  # type: ignore[union-attr]
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        start = dt.date.fromisoformat(args.start)
        key = names_key(start, args.days)
        stamp = workdir / "names.key"
        stale = not (workdir / "names.tsv").exists() or not stamp.exists()
        if not args.query_only and (stale or stamp.read_text() != key):
            # (names written for another set of variants give the baselines another answer
            # set: a reused work directory's names.tsv gave Polars 6,038 rows for our 6,057)
            _txt, _tsv, n = _in_child(write_names, workdir, start, args.days, 1)
            stamp.write_text(key)
            print(f"forecast names for the baselines: {n:,}")
        if not args.no_startup:
            startup(workdir, args)
        ok = True
        for n_lines in args.lines:
            ok = bench_size(workdir, n_lines, args) and ok
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
