"""The address plan: who answers what, kept in the store, followed by the DNS answers."""

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dns.message
import dns.rdatatype
import pytest

from dgawatch.errors import InputError
from dgawatch.families import get_family
from dgawatch.sinkhole.dns import DnsHandler
from dgawatch.sinkhole.names import SinkholeSet
from dgawatch.sinkhole.plan import AddressPlan, read_plans, write_plan
from tests.needs import missing

DAY = dt.date(2026, 11, 27)
C = get_family("conficker").variant("c")
B = get_family("conficker").variant("b")
DGAWATCH = str(Path(sys.executable).parent / "dgawatch")


def test_assignment_rules() -> None:
    p = AddressPlan.assign([C], ["192.0.2.1", "192.0.2.2"], ["2001:db8::1"])
    assert [(e.address, e.variant, e.half) for e in p.entries] == [
        ("192.0.2.1", "c", "a"),
        ("192.0.2.2", "c", "b"),
        ("2001:db8::1", "c", None),
    ]
    assert p.answer("conficker", "c", 0) == (("192.0.2.1",), ("2001:db8::1",))
    assert p.answer("conficker", "c", 1) == (("192.0.2.2",), ("2001:db8::1",))
    assert p.has_halves("conficker", "c")
    two = AddressPlan.assign([B, C], ["192.0.2.1", "192.0.2.2"])
    assert [(e.variant, e.half) for e in two.entries] == [("b", None), ("c", None)]
    assert two.answer("conficker", "c", 1) == (("192.0.2.2",), ())
    shared = AddressPlan.assign([B, C], ["192.0.2.1"])
    assert shared.entries[0].family == "*"
    assert shared.answer("conficker", "b", 0) == (("192.0.2.1",), ())


def _ask(handler: DnsHandler, name: str) -> list[str]:
    q = dns.message.make_query(name, "A")
    r = dns.message.from_wire(handler.handle(q.to_wire(), 1232).wire or b"")
    return [rd.address for rrset in r.answer if rrset.rdtype == dns.rdatatype.A for rd in rrset]


@pytest.mark.parametrize("fast", [True, False])
def test_dns_answers_follow_the_plan(fast: bool) -> None:
    sinkset = SinkholeSet([C], [DAY], max_names_per_day=12)
    plan = AddressPlan.assign([C], ["192.0.2.1", "192.0.2.2"])
    handler = DnsHandler(sinkset, ("192.0.2.1", "192.0.2.2"), plan=plan, fast=fast)
    # ground truth: the generator's order, even positions half a, odd half b
    names = list(dict.fromkeys(n.lower() for n in C.domains(DAY)))[:12]
    for i, name in enumerate(names):
        assert _ask(handler, name) == [("192.0.2.1", "192.0.2.2")[i % 2]]
        assert _ask(handler, "www." + name) == [("192.0.2.1", "192.0.2.2")[i % 2]]
    assert (handler.counters.slow_path == 0) is fast
    plain = DnsHandler(sinkset, ("192.0.2.1", "192.0.2.2"), fast=fast)
    assert sorted(_ask(plain, names[0])) == ["192.0.2.1", "192.0.2.2"]


def test_history_in_the_store(tmp_path: Path) -> None:
    one = AddressPlan.assign([C], ["192.0.2.1", "192.0.2.2"])
    assert write_plan(tmp_path, one, since_ms=1000)
    assert not write_plan(tmp_path, one, since_ms=2000)  # unchanged: not appended
    other = AddressPlan.assign([C], ["192.0.2.9"])
    assert write_plan(tmp_path, other, since_ms=3000)
    plans = read_plans(tmp_path)
    assert [(s, p.addresses) for s, p in plans] == [
        (1000, ["192.0.2.1", "192.0.2.2"]),
        (3000, ["192.0.2.9"]),
    ]
    assert os.stat(tmp_path / "plan.json").st_mode & 0o777 == 0o600
    (tmp_path / "plan.json").write_text(json.dumps({"plans": [{"since": 1, "entries": [{}]}]}))
    with pytest.raises(InputError, match="entry 1"):
        read_plans(tmp_path)


def test_bad_plan_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text("{not json")
    proc = subprocess.run(
        [DGAWATCH, "sinkhole", "stats", "--dir", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "plan.json" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [DGAWATCH, "sinkhole", "stats", "--dir", str(tmp_path), "--skew", "-1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--skew" in proc.stderr
    proc = subprocess.run(
        [DGAWATCH, "sinkhole", "stats", "--dir", str(tmp_path), "--engine", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "--engine" in proc.stderr


def test_zone_export_answers_by_the_plan(tmp_path: Path) -> None:
    """`sinkhole zone` with two addresses for C: every name's zone answers its half's
    address (position parity in its first day list, computed here from the registry),
    and NSD accepts the configuration and every zone file."""
    out = subprocess.run(
        [DGAWATCH, "sinkhole", "zone", "--family", "conficker", "--variant", "c",
         "--address", "192.0.2.1", "--address", "192.0.2.2", "--max-names-per-day", "6",
         "--date", DAY.isoformat(), "--output", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    files = [Path(p) for p in out.stdout.split()]
    conf = next(p for p in files if p.name == "nsd.conf.sinkhole")
    expected: dict[str, str] = {}
    for day in (DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)):
        held = list(dict.fromkeys(n.lower() for n in C.domains(day)[:6]))
        for i, name in enumerate(held):
            expected.setdefault(name, ("192.0.2.1", "192.0.2.2")[i % 2])
    zonefile: dict[str, Path] = {}
    answered: dict[str, str] = {}
    pattern = ""
    for line in conf.read_text().splitlines():
        value = line.split('"')[1] if '"' in line else ""
        if line.strip().startswith("zonefile:"):
            zonefile[pattern] = Path(value)
        elif line.strip().startswith("name:") and value.startswith("dgawatch-sinkhole"):
            pattern = value
        elif line.strip().startswith("name:"):
            name = value
        elif line.strip().startswith("include-pattern:"):
            records = zonefile[value].read_text().splitlines()
            (addr,) = {r.split()[-1] for r in records if " IN A " in r}
            answered[name] = addr
    assert answered == expected and set(answered.values()) == {"192.0.2.1", "192.0.2.2"}
    knot = (tmp_path / "knot.conf.sinkhole").read_text()
    assert knot.count("  - domain: ") == len(expected) and knot.count("  - id: ") == 2
    if not Path("/usr/sbin/nsd-checkconf").exists():
        missing("nsd not installed")
    main = tmp_path / "main.conf"
    main.write_text(f'server:\n  zonesdir: "{tmp_path}"\ninclude: "{conf}"\n')
    subprocess.run(["/usr/sbin/nsd-checkconf", str(main)], check=True)
    for path in zonefile.values():
        subprocess.run(["/usr/sbin/nsd-checkzone", next(iter(expected)), str(path)], check=True)
