"""The address plan: which sinkhole address answers which family/variant, and which half of
its held names.

Why: a bot's DNS query reaches the sinkhole through its resolver, so the HTTP request that
follows comes from an address the DNS side never saw. What the HTTP side does see is the
address the bot was *answered* (the connection's destination, or the IP in ``Host:`` when
the sinkhole sits behind NAT or a proxy). If every address answers one variant only, an
HTTP event is attributed by that address and its UTC day alone; if a variant has two
addresses, each answering one half of the held names (even and odd positions in generation
order, as :func:`dgawatch.sinkhole.names.SinkholeSet.half` numbers them), the two addresses
are two independent captures for capture-recapture.

Assignment (:meth:`AddressPlan.assign`), per address family (IPv4, IPv6), addresses in the
order given, variants in the order configured:

* at least two addresses per variant: address ``j`` answers variant ``(j // 2) mod V``,
  half ``a`` for even ``j``, ``b`` for odd ``j``;
* at least one per variant: address ``j`` answers variant ``j mod V`` (no halves);
* fewer addresses than variants: every address answers every variant (``*``); HTTP events
  to it are attributed only on days when a single variant is held.

``sinkhole serve`` appends the plan it answers by to ``plan.json`` in the store, with the
time from which it holds; ``stats`` and ``report`` attribute each event by the plan in
force at its timestamp.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dgawatch.errors import InputError
from dgawatch.families.base import Variant

PLAN_FILE = "plan.json"
PLAN_VERSION = 1
HALVES = ("a", "b")
#: The family of an address that answers every variant.
SHARED = "*"


@dataclass(frozen=True)
class PlanEntry:
    address: str
    family: str
    variant: str
    half: str | None = None  # "a", "b" or None (all held names)

    def to_dict(self) -> dict[str, object]:
        return {
            "address": self.address,
            "family": self.family,
            "variant": self.variant,
            "half": self.half,
        }


@dataclass(frozen=True)
class AddressPlan:
    entries: tuple[PlanEntry, ...]
    _cache: dict[tuple[str, str, int], tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def assign(
        cls, variants: Sequence[Variant], addresses: Sequence[str], addresses6: Sequence[str] = ()
    ) -> AddressPlan:
        keys = [(v.family, v.name) for v in variants]
        entries: list[PlanEntry] = []
        for group in (addresses, addresses6):
            entries += _assign(keys, list(group))
        return cls(tuple(entries))

    @property
    def addresses(self) -> list[str]:
        return [e.address for e in self.entries]

    def entry(self, address: str) -> PlanEntry | None:
        for e in self.entries:
            if e.address == address:
                return e
        return None

    def has_halves(self, family: str, variant: str) -> bool:
        halves = {e.half for e in self.entries if (e.family, e.variant) == (family, variant)}
        return set(HALVES) <= halves

    def answer(
        self, family: str, variant: str, half: int
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The (IPv4, IPv6) addresses answered for a name of ``family/variant`` at position
        parity ``half`` (0: half a, 1: half b); every address when the plan names none."""
        key = (family, variant, half)
        found = self._cache.get(key)
        if found is not None:
            return found
        h = HALVES[half & 1]
        picked: list[tuple[str, ...]] = []
        for v6 in (False, True):
            group = [e for e in self.entries if (":" in e.address) == v6]
            out: list[str] = []
            for pick in (
                lambda e: (e.family, e.variant) == (family, variant) and e.half in (h, None),
                lambda e: e.family == SHARED,
                lambda e: True,
            ):
                out = [e.address for e in group if pick(e)]
                if out:
                    break
            picked.append(tuple(out))
        found = (picked[0], picked[1])
        self._cache[key] = found
        return found

    def to_list(self) -> list[dict[str, object]]:
        return [e.to_dict() for e in self.entries]

    @classmethod
    def from_list(cls, rows: object, where: str = PLAN_FILE) -> AddressPlan:
        if not isinstance(rows, list):
            raise InputError(f"{where}: a plan is a list of entries")
        entries = []
        for i, row in enumerate(rows):
            try:
                assert isinstance(row, dict)
                address = str(ipaddress.ip_address(str(row["address"])))
                half = row.get("half")
                if half not in (None, *HALVES):
                    raise ValueError(f"half {half!r}")
                entries.append(PlanEntry(address, str(row["family"]), str(row["variant"]), half))
            except (AssertionError, KeyError, ValueError) as exc:
                raise InputError(
                    f"{where}: entry {i + 1}: {exc}; expected address, family, "
                    "variant, half (a|b|null)"
                ) from None
        return cls(tuple(entries))


def _assign(keys: list[tuple[str, str]], addrs: list[str]) -> list[PlanEntry]:
    if not addrs or not keys:
        return []
    n = len(keys)
    if len(addrs) >= 2 * n:
        return [PlanEntry(a, *keys[(j // 2) % n], HALVES[j % 2]) for j, a in enumerate(addrs)]
    if len(addrs) >= n:
        return [PlanEntry(a, *keys[j % n]) for j, a in enumerate(addrs)]
    return [PlanEntry(a, SHARED, SHARED) for a in addrs]


# -- the plan history in the store ---------------------------------------------------------


def read_plans(directory: Path) -> list[tuple[int, AddressPlan]]:
    """``(since_ms, plan)`` in time order; empty for a store written before plans existed."""
    path = directory / PLAN_FILE
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable address plan ({exc}); fix or remove it") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("plans"), list):
        raise InputError(f"{path}: not an address plan (no 'plans' list)")
    out = []
    for i, p in enumerate(doc["plans"]):
        if not isinstance(p, dict) or not isinstance(p.get("since"), int):
            raise InputError(f"{path}: plan {i + 1} has no integer 'since' (ms)")
        out.append((p["since"], AddressPlan.from_list(p.get("entries"), f"{path}: plan {i + 1}")))
    return sorted(out, key=lambda sp: sp[0])


def write_plan(directory: Path, plan: AddressPlan, since_ms: int | None = None) -> bool:
    """Append ``plan`` to the store's history unless it is the one already in force.

    Atomic (temp file + rename) so concurrent workers and a crash leave a whole file.
    Returns True when the history changed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    plans: list[dict[str, object]] = []
    with contextlib.suppress(InputError):
        plans = [{"since": s, "entries": p.to_list()} for s, p in read_plans(directory)]
    if plans and plans[-1]["entries"] == plan.to_list():
        return False
    since = since_ms if since_ms is not None else time.time_ns() // 1_000_000
    plans.append({"since": since, "entries": plan.to_list()})
    plans.sort(key=lambda p: int(p["since"]))  # type: ignore[call-overload]
    target = directory / PLAN_FILE
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"version": PLAN_VERSION, "plans": plans}, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return True
