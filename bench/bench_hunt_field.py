"""Unknown DGAs in the field (issue 11): recall and false positives of ``dgawatch hunt`` on
simulated office days (``tests/hunt/netsim.py``: ground truth from the simulator), over
several seeds and client counts, and the cost of the unknown-DGA stage.

For each (clients, seed): the day's Zeek dns.log is written, ``dgawatch hunt LOG --json``
runs as a user runs it (default options: every registered family, unknown-DGA stage on),
and its unknown-DGA findings are compared with the infected clients. Then, on the largest
day, the same command with and without ``--no-unknown-dga``, alternated (``--pairs``),
wall time and peak RSS of each run (``os.wait4``); the ratio on/off throughput is printed.

    nice .venv/bin/python bench/bench_hunt_field.py [--days 500:1,2000:2,5000:3] [--pairs 2]
    nice .venv/bin/python bench/bench_hunt_field.py --clients 500,2000,5000 --seeds 1,2,3 --pairs 0

``--clients``/``--seeds`` run their grid (every client count with every seed) instead of
``--days``; ``--dual N`` makes N infected hosts of each day run a second family too (a host
is found when it is reported, a family of it when a finding holding the host is of that
family: most of the finding's names are that family's); ``--query-only`` writes the days
without answers (no rcode); ``--dead R``: clean clients also ask for dead generated-looking
domains at a per-client rate of mean R per query (``netsim.simulate``'s ``dead``); ``--ddns
R``: a share R of the clients are benign dynamic-DNS users (their NAS, camera or router
under ddns.net, duckdns.org, myfritz.net...; some reach devices by random ids under a
device cloud: ``netsim.simulate``'s ``ddns``);
``--findings DIR`` keeps each day's findings as JSON (``diff -r`` two versions' directories:
a change meant to keep the answers must leave them byte-identical).
Per day: infected found / total, clean hosts reported (as an unknown DGA, or with a known
family's listed finding), findings (those mixing families: under 90 % of their names of one
build), the hunt's wall and CPU seconds (user+sys of the whole process), and a per-family
table (hosts found / infected).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hunt.netsim import NetDay, describe, simulate  # noqa: E402

CLI = [sys.executable, "-c", "from dgawatch.cli import main; main()"]


def run_hunt(log: Path, *extra: str) -> tuple[float, float, dict[str, object]]:
    """(seconds, peak RSS MiB, JSON summary) of one ``dgawatch hunt LOG --json`` process;
    the summary gains ``known_clients``: clients of the listed known-family findings, and
    ``cpu_s``: the process's user+sys seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        # posix_spawn, not fork: a forked child's peak RSS starts at the bench's own (the
        # simulated days held here), which exec does not reset
        pid = os.posix_spawn(
            CLI[0],
            [*CLI, "hunt", str(log), "--json", *extra],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        took = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"dgawatch hunt exited {code} on {log}:\n{tail}")
        out.seek(0)
        lines = out.read().decode().splitlines()
    summary = json.loads(lines[-1])["summary"]
    summary["known_clients"] = sorted({json.loads(line)["client"] for line in lines[:-1]})
    summary["cpu_s"] = usage.ru_utime + usage.ru_stime
    return took, usage.ru_maxrss / 1024, summary


def score(day: NetDay, summary: dict[str, object]) -> tuple[int, int, int, int, list[str]]:
    """(infected found, infected, clean reported as unknown DGA, clean reported with a known
    family's finding, families missed). The simulated infections are of families no forecast
    knows, so every known-family finding is on a clean host: a false alarm."""
    found: set[str] = set()
    for f in summary.get("unknown_dga", []):  # type: ignore[attr-defined]
        found.update(f["clients"])
    known = set(summary.get("known_clients", [])) - set(day.infected)  # type: ignore[arg-type]
    missed = sorted({s for c in set(day.infected) - found for s in day.families(c)})
    infected = set(day.infected)
    return len(found & infected), len(infected), len(found - infected), len(known), missed


def per_family(day: NetDay, summary: dict[str, object]) -> dict[str, tuple[int, int]]:
    """Family -> (hosts whose infection by it a finding reports, hosts infected by it). A
    finding reports family F on its host when most of the finding's names that some
    infected host asked are F's (ground truth: the simulator's names per host)."""
    name_family: dict[str, Counter[str]] = defaultdict(Counter)
    for client, names in day.dga_names.items():
        fams = day.families(client)
        for n in names:
            for fam in fams:
                if n in day.builds.get(fam, ()):
                    name_family[n][fam] += 1
    got: dict[str, set[str]] = defaultdict(set)
    for f in summary.get("unknown_dga", []):  # type: ignore[attr-defined]
        votes: Counter[str] = Counter()
        for n in f["names"]:
            for fam in name_family.get(n, ()):
                votes[fam] += 1
        if not votes:
            continue
        fam, _ = votes.most_common(1)[0]
        for c in f["clients"]:
            if fam in day.families(c):
                got[fam].add(c)
    total: Counter[str] = Counter(s for c in day.infected for s in day.families(c))
    return {fam: (len(got[fam]), n) for fam, n in sorted(total.items())}


def mixed(day: NetDay, summary: dict[str, object]) -> int:
    """Findings whose names of some family's build are less than 90 % one family's."""
    family_of = {n: style for style, names in day.builds.items() for n in names}
    out = 0
    for f in summary.get("unknown_dga", []):  # type: ignore[attr-defined]
        votes = Counter(family_of[n] for n in f["names"] if n in family_of)
        if votes and votes.most_common(1)[0][1] < 0.9 * sum(votes.values()):
            out += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", default="500:1,2000:2,5000:3", help="clients:seed,...")
    ap.add_argument("--clients", help="client counts (with --seeds: their grid)")
    ap.add_argument("--seeds", default="1,2,3", help="seeds of the --clients grid")
    ap.add_argument("--dual", type=int, default=0, help="infected hosts running two families")
    ap.add_argument("--query-only", action="store_true", help="days without answers (rcode)")
    ap.add_argument(
        "--dead", type=float, default=0.0, help="clean clients' dead-domain rate per query"
    )
    ap.add_argument(
        "--ddns",
        type=float,
        default=0.0,
        help="share of the clients that are benign dynamic-DNS users (netsim's ddns)",
    )
    ap.add_argument("--pairs", type=int, default=2, help="alternated on/off pairs (0: none)")
    ap.add_argument("--keep", type=Path, help="write the days' logs here (kept)")
    ap.add_argument(
        "--findings",
        type=Path,
        help="write each day's unknown-DGA findings here (findings-CLIENTS-SEED.json: the "
        "summary's unknown_dga and the known-family clients), to diff two versions' answers",
    )
    args = ap.parse_args()
    if args.clients:
        configs = [(int(c), int(s)) for c in args.clients.split(",") for s in args.seeds.split(",")]
    else:
        configs = [(int(c), int(s)) for c, s in (x.split(":") for x in args.days.split(","))]
    with tempfile.TemporaryDirectory(prefix="dgawatch-field-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        rows = []
        fam_rows = []
        logs = []
        for clients, seed in configs:
            log = where / f"dns-{clients}-{seed}.log"
            day = simulate(
                log,
                clients,
                seed,
                dual=args.dual,
                answers=not args.query_only,
                dead=args.dead,
                ddns=args.ddns,
            )
            logs.append((day, log))
            took, _rss, summary = run_hunt(log)
            if args.findings:
                args.findings.mkdir(parents=True, exist_ok=True)
                kept = {k: summary.get(k) for k in ("unknown_dga", "known_clients")}
                (args.findings / f"findings-{clients}-{seed}.json").write_text(
                    json.dumps(kept, indent=1, sort_keys=True) + "\n"
                )
            found, infected, fp, fp_known, missed = score(day, summary)
            fams = per_family(day, summary)
            clusters = f"{len(summary.get('unknown_dga', []))} ({mixed(day, summary)})"  # type: ignore[arg-type]
            weak = summary.get("weak_matches", 0)
            print(f"# {describe(day)}; hunt {took:.1f} s", flush=True)
            rows.append(
                (clients, seed, day.lines, infected, found, fp, fp_known, weak, clusters,
                 took, float(summary["cpu_s"]), missed)  # type: ignore[arg-type]
            )  # fmt: skip
            fam_rows.append((clients, seed, fams))
        print()
        print(
            "| clients | seed | queries | infected | found | clean reported (unknown DGA) "
            "| clean reported (known family) | weak matches (not listed) | findings (mixed) "
            "| hunt wall s | hunt CPU s | missed |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for (
            clients,
            seed,
            lines,
            infected,
            found,
            fp,
            fp_known,
            weak,
            clusters,
            took,
            cpu,
            missed,
        ) in rows:
            print(
                f"| {clients:,} | {seed} | {lines:,} | {infected} | {found} | {fp} | {fp_known} "
                f"| {weak} | {clusters} | {took:.1f} | {cpu:.1f} | {', '.join(missed) or '-'} |"
            )
        families = sorted({f for _, _, fams in fam_rows for f in fams})
        print()
        print("hosts reported with the family / hosts infected by it:")
        print("| clients | seed | " + " | ".join(families) + " |")
        print("|---|---|" + "---|" * len(families))
        for clients, seed, fams in fam_rows:
            cells = [f"{fams[f][0]}/{fams[f][1]}" if f in fams else "-" for f in families]
            print(f"| {clients:,} | {seed} | " + " | ".join(cells) + " |")
        totals = [
            f"{sum(fams.get(f, (0, 0))[0] for _, _, fams in fam_rows)}/"
            f"{sum(fams.get(f, (0, 0))[1] for _, _, fams in fam_rows)}"
            for f in families
        ]
        print("| all | | " + " | ".join(totals) + " |")
        if args.pairs <= 0:
            return
        day, log = logs[-1]
        on_t, off_t, on_m, off_m, on_c, off_c = [], [], [], [], [], []
        for _ in range(args.pairs):
            t, m, sm = run_hunt(log, "--no-unknown-dga")
            off_t.append(t)
            off_m.append(m)
            off_c.append(float(sm["cpu_s"]))  # type: ignore[arg-type]
            t, m, sm = run_hunt(log)
            on_t.append(t)
            on_m.append(m)
            on_c.append(float(sm["cpu_s"]))  # type: ignore[arg-type]
        print()
        print(f"throughput on {day.lines:,} lines ({len(day.clients):,} clients), {args.pairs} "
              "alternated pairs, whole CLI process:")  # fmt: skip
        for name, ts, ms, cs in (
            ("--no-unknown-dga", off_t, off_m, off_c),
            ("default (on)", on_t, on_m, on_c),
        ):
            print(
                f"  {name:17} min {min(ts):6.2f} s  median {statistics.median(ts):6.2f} s  "
                f"{day.lines / min(ts):10,.0f} lines/s  peak RSS {max(ms):7.0f} MiB  "
                f"CPU (user+sys) min {min(cs):6.2f} s"
            )
        print(f"  on/off CPU ratio (min/min): {min(off_c) / min(on_c):.2f}")
        print(f"  on/off throughput ratio (min/min): {min(off_t) / min(on_t):.2f}")
        print(f"  on/off throughput ratio (median/median): "
              f"{statistics.median(off_t) / statistics.median(on_t):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
