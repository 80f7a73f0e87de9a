"""The sinkholed set: every forecast name of the configured variants for today and the
days either side (a bot whose clock is a little off, or in another time zone, asks for
yesterday's or tomorrow's names), with the family/variant/day that generate it.

A query is *for* a sinkholed name when the name is the query itself or one of its parent
names (``www.<name>`` is answered too). Lookup walks the query's labels from the left, so
its cost is the number of labels, whatever the size of the set.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dgawatch.days import today
from dgawatch.families.base import Variant


@dataclass(frozen=True)
class Attribution:
    """One (variant, day) list that contains a name."""

    family: str
    variant: str
    day: dt.date


@dataclass(frozen=True)
class Match:
    """A query answered by the sinkhole: ``apex`` is the sinkholed name it falls under."""

    apex: str
    attributions: tuple[Attribution, ...]

    @property
    def family(self) -> str:
        return self.attributions[0].family

    @property
    def variant(self) -> str:
        return self.attributions[0].variant

    @property
    def day(self) -> dt.date:
        return self.attributions[0].day


def window(center: dt.date, radius: int = 1) -> list[dt.date]:
    return [center + dt.timedelta(days=i) for i in range(-radius, radius + 1)]


def held_names(variant: Variant, day: dt.date, first: int | None = None) -> list[str]:
    """The distinct names held of one day list (the first ``first`` generated, if given),
    lower-cased, in order of first appearance; stats regenerate the same list."""
    names = variant.domains(day)
    if first is not None:
        names = names[:first]
    return list(dict.fromkeys(n.lower() for n in names))


class SinkholeSet:
    """Immutable once built; the listeners swap in a new one at UTC midnight."""

    def __init__(
        self,
        variants: Sequence[Variant],
        days: Iterable[dt.date],
        *,
        max_names_per_day: int | None = None,
    ) -> None:
        self.days = tuple(sorted(set(days)))
        self.variants = tuple(variants)
        self.max_names_per_day = max_names_per_day
        names: dict[str, tuple[Attribution, ...]] = {}
        #: Position parity of each name in its first list (0: half a, 1: half b).
        self._half: dict[str, int] = {}
        #: Distinct names held per (family, variant, day): the k of the k-of-D estimate.
        self.held: dict[tuple[str, str, dt.date], int] = {}
        for day in self.days:
            for v in self.variants:
                if not v.is_active(day):
                    continue
                att = Attribution(v.family, v.name, day)
                distinct = held_names(v, day, max_names_per_day)
                self.held[(v.family, v.name, day)] = len(distinct)
                for i, name in enumerate(distinct):
                    prev = names.get(name)
                    names[name] = (att,) if prev is None else (*prev, att)
                    if prev is None:
                        self._half[name] = i & 1
        self._names = names

    @classmethod
    def around(
        cls,
        variants: Sequence[Variant],
        center: dt.date | None = None,
        *,
        radius: int = 1,
        max_names_per_day: int | None = None,
    ) -> SinkholeSet:
        return cls(variants, window(center or today(), radius), max_names_per_day=max_names_per_day)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def names(self) -> list[str]:
        return sorted(self._names)

    def get(self, name: str) -> tuple[Attribution, ...] | None:
        return self._names.get(name)

    def half(self, name: str) -> int:
        """Which half of its held list a sinkholed name is in: its position in its first
        (variant, day) list, even (0, half a) or odd (1, half b); the address plan answers
        each half from its own address."""
        return self._half.get(name, 0)

    def match(self, qname: str) -> Match | None:
        """``qname`` lower-case without the trailing dot."""
        names = self._names
        found = names.get(qname)
        if found is not None:
            return Match(qname, found)
        pos = qname.find(".")
        while pos >= 0:
            parent = qname[pos + 1 :]
            found = names.get(parent)
            if found is not None:
                return Match(parent, found)
            pos = qname.find(".", pos + 1)
        return None

    def held_rows(self) -> list[dict[str, object]]:
        return [
            {"family": f, "variant": v, "day": d.isoformat(), "names": n}
            for (f, v, d), n in sorted(self.held.items(), key=lambda kv: (kv[0][2], kv[0][:2]))
        ]


def write_held(directory: Path, day: str, held: dict[str, int], first: int | None) -> None:
    """``held-<day>.json``: names held per variant (the k of the k-of-D estimate) and the
    ``--max-names-per-day`` that chose them, merged with what other workers wrote."""
    target = directory / f"held-{day}.json"
    merged = dict(held)
    with contextlib.suppress(ValueError, OSError, KeyError, TypeError):
        old = json.loads(target.read_text())
        for key, n in old["variants"].items():
            merged[key] = max(int(n), merged.get(key, 0))
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"variants": merged, "max_names_per_day": first}, sort_keys=True))
    os.replace(tmp, target)


def read_held(directory: Path, day: dt.date) -> tuple[dict[str, int], int | None]:
    """What :func:`write_held` wrote for ``day`` (empty when the sinkhole held nothing)."""
    try:
        doc = json.loads((directory / f"held-{day.isoformat()}.json").read_text())
        return {k: int(v) for k, v in doc["variants"].items()}, doc.get("max_names_per_day")
    except (OSError, ValueError, KeyError, TypeError):
        return {}, None
