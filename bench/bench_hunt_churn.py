"""Unknown DGAs where addresses are not machines (issue 11, design.md's field conditions):
simulated office days (``tests/hunt/netsim.py``) rewritten with NAT gateways and DHCP
renewals (``tests/hunt/churn.py``), hunted as a user runs it (``dgawatch hunt LOG --json``,
default options), scored against the simulator's ground truth.

    nice .venv/bin/python bench/bench_hunt_churn.py [--clients 1000,2000,5000] [--seeds 1,2,3]
        [--dhcp 0.3] [--nat 100] [--dead 0.002]

Per day: the gateways (one per ``--nat`` machines for a tenth of the machines: 2,000 clients,
``--nat 100`` -> 2 gateways of 100), the share of the other machines renewing their lease
(``--dhcp``), then: infected machines found under one of their addresses / infected; of the
addresses from which an infected machine asked >= 5 DGA names (the hunt's floor), how many
were reported; clean addresses reported (no infected machine ever behind them): the false
alarms, which must be 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hunt.churn import churn  # noqa: E402
from tests.hunt.netsim import simulate  # noqa: E402

CLI = [sys.executable, "-c", "from dgawatch.cli import main; main()"]
MIN_NAMES = 5  # HuntOptions.unknown_min_names, the hunt's default


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", default="1000,2000,5000")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--dhcp", type=float, default=0.3)
    ap.add_argument("--nat", type=int, default=100, help="machines per NAT gateway")
    ap.add_argument("--dead", type=float, default=0.0)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-churn-") as tmp:
        work = Path(tmp)
        for clients in (int(c) for c in args.clients.split(",")):
            for seed in (int(s) for s in args.seeds.split(",")):
                day = simulate(work / "day.log", clients=clients, seed=seed, dead=args.dead)
                groups = max(1, clients // 10 // args.nat)
                net = churn(
                    day, work / "churned.log", seed, dhcp=args.dhcp, nat_groups=groups,
                    nat_size=args.nat,
                )  # fmt: skip
                out = subprocess.run(
                    [*CLI, "hunt", str(net.path), "--json"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                summary = json.loads(out.stdout.splitlines()[-1])["summary"]
                flagged = {c for u in summary.get("unknown_dga", []) for c in u["clients"]}
                infected = set(day.infected)
                found = {m for m in infected if any(m in net.machines[a] for a in flagged)}
                want = net.infected_addresses(MIN_NAMES)
                clean = sorted(a for a in flagged if net.clean(a))
                rows.append(
                    (
                        clients,
                        seed,
                        groups,
                        len(infected & set(net.behind_nat)),
                        len(infected & set(net.renewed)),
                        f"{len(found)}/{len(infected)}",
                        f"{len(want & flagged)}/{len(want)}",
                        len(clean),
                    )
                )
                print(
                    f"clients {clients} seed {seed}: infected found {len(found)}/{len(infected)}"
                    f", infected addresses reported {len(want & flagged)}/{len(want)}, clean "
                    f"addresses reported {len(clean)} {clean[:5]}",
                    flush=True,
                )
    print(
        f"\nNAT: gateways of {args.nat} machines (a tenth of the machines); DHCP: {args.dhcp:g} "
        f"of the others renew once; dead-domain noise {args.dead:g}\n"
    )
    print(
        "| clients | seed | gateways | infected behind NAT | infected renewed | infected "
        "machines found | infected addresses reported | clean addresses reported |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")
    total_clean = sum(r[-1] for r in rows)
    print(f"\nclean addresses reported over {len(rows)} days: {total_clean}")


if __name__ == "__main__":
    main()
