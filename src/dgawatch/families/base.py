"""The Family and Variant contracts (design.md, "Family").

A *variant* is one concrete generator: a pure, deterministic function from a UTC day to
the ordered list of domains the malware generates for that day, plus the facts a defender
needs about it (active period, names per day, TLDs). A *family* groups the variants of
one piece of malware and carries what is common (generator type, references).

Variants that depend on a seed or configuration (not only on the date) are registered once
per published preset; the preset's parameters are part of the variant's description, and
the module exposes a function taking arbitrary parameters for everything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from dgawatch.days import check_supported
from dgawatch.errors import DateError, UnknownFamilyError

#: ``domains(day)``: the ordered list of names for one UTC day (duplicates kept).
DayGenerator = Callable[[dt.date], Sequence[str]]

GENERATOR_TYPES = ("arithmetic", "hash", "wordlist", "permutation")


@dataclass(frozen=True)
class Signature:
    """The grammar of a variant's names, as its generator guarantees it: one label of
    ``min_len..max_len`` characters from ``alphabet``, then one of the variant's TLDs.
    Used to rule a variant out before generating anything (a name outside the grammar
    cannot be one of its names) and to answer "has the shape of family X"."""

    alphabet: str
    min_len: int
    max_len: int

    def matches_label(self, label: str) -> bool:
        return self.min_len <= len(label) <= self.max_len and not set(label) - set(self.alphabet)


@dataclass(frozen=True)
class Variant:
    """One generator of one family. ``domains`` is pure: same day, same list."""

    family: str
    name: str
    summary: str
    active_from: dt.date
    active_until: dt.date | None
    domains_per_day: int
    tlds: tuple[str, ...]
    generator: DayGenerator = field(repr=False, compare=False)
    #: How many days one list stays valid: 1 = a new list every day; 0 = not time-seeded.
    period_days: int = 1
    aliases: tuple[str, ...] = ()
    #: Seed / configuration of this preset, as published (empty when the date is all).
    parameters: tuple[tuple[str, str], ...] = ()
    #: Optional fast path returning the day's names as ``b"name\\n" * n`` (same order).
    blob_generator: Callable[[dt.date], bytes] | None = field(
        default=None, repr=False, compare=False
    )
    #: Declared name grammar (optional; without one only the TLD set rules names out).
    signature: Signature | None = field(default=None, compare=False)
    #: Where ``active_from`` / ``active_until`` come from (a report, a feed, a sample's
    #: compile date; "estimate" when no source pins them). Empty when not yet recorded.
    period_source: str = field(default="", compare=False)
    #: How many of a day's names one infected machine asks for (Conficker C: 500 of
    #: 50,000), when the malware samples its list; None: it walks the list. The sinkhole's
    #: population estimators (k of D, Chapman with its correction) need it.
    queried_per_day: int | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return f"{self.family}/{self.name}"

    def is_active(self, day: dt.date) -> bool:
        if day < self.active_from:
            return False
        return self.active_until is None or day <= self.active_until

    def check_day(self, day: dt.date) -> None:
        """Refuse days this variant cannot have generated, with the reason."""
        check_supported(day)
        if day < self.active_from:
            raise DateError(
                f"{self.key} is active from {self.active_from.isoformat()}; "
                f"{day.isoformat()} is before its active period "
                "(use --ignore-active-period to compute it anyway)"
            )
        if self.active_until is not None and day > self.active_until:
            raise DateError(
                f"{self.key} was active until {self.active_until.isoformat()}; "
                f"{day.isoformat()} is after its active period "
                "(use --ignore-active-period to compute it anyway)"
            )

    def domains(self, day: dt.date) -> list[str]:
        """The names generated on ``day``, in generation order, duplicates kept."""
        check_supported(day)
        return list(self.generator(day))

    def domains_blob(self, day: dt.date) -> bytes:
        """The same list as ``domains(day)``, one name per line, as ASCII bytes."""
        check_supported(day)
        if self.blob_generator is not None:
            return self.blob_generator(day)
        names = self.generator(day)
        if not names:
            return b""
        return ("\n".join(names) + "\n").encode("ascii")

    def to_dict(self) -> dict[str, object]:
        return {
            "family": self.family,
            "variant": self.name,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "active_from": self.active_from.isoformat(),
            "active_until": self.active_until.isoformat() if self.active_until else None,
            "domains_per_day": self.domains_per_day,
            "period_days": self.period_days,
            "tlds": list(self.tlds),
            "parameters": dict(self.parameters),
            "period_source": self.period_source,
        }


@dataclass(frozen=True)
class VariantAlias:
    """A declared duplicate: this family's variant ``name`` generates exactly the names of
    the registered variant ``same_as`` (``"family/variant"``). It is not a second generator:
    the registry (and so lookup, hunt, the index) holds only ``same_as``, so a hit is
    reported once, under that name; ``Family.variant(name)`` resolves to it, so
    ``--family <this> --variant <name>`` still selects the same names."""

    name: str
    same_as: str
    note: str = ""


@dataclass(frozen=True)
class Family:
    """A DGA family: its variants and what they share."""

    name: str
    summary: str
    generator_type: str
    time_seeded: bool
    references: tuple[str, ...]
    variants: tuple[Variant, ...]
    aliases: tuple[str, ...] = ()
    #: Variants of this family that are another registered variant under a second name.
    variant_aliases: tuple[VariantAlias, ...] = ()
    #: The name the family has in the reports network owners already read (Shadowserver's
    #: ``infection`` column: Conficker is ``downadup`` there); empty: the family's name.
    report_tag: str = ""
    #: What a network owner does about an infected host, in the digests the portal mails
    #: (the default: what holds for any family; a family module states its own where the
    #: family is known to need more, e.g. a patch or a credential to change).
    remediation: str = (
        "Find each host from its address and the time (DHCP, NAT and proxy logs), isolate "
        "it, clean or reinstall it, and change the credentials used on it. The address may "
        "be a NAT gateway or a resolver serving many clients."
    )

    @property
    def infection(self) -> str:
        """The family's name in sinkhole reports (Shadowserver's ``infection`` column)."""
        return self.report_tag or self.name

    def __post_init__(self) -> None:
        if self.generator_type not in GENERATOR_TYPES:
            raise ValueError(f"{self.name}: generator_type must be one of {GENERATOR_TYPES}")
        if not self.variants:
            raise ValueError(f"{self.name}: a family needs at least one variant")
        for v in self.variants:
            if v.family != self.name:
                raise ValueError(f"{self.name}: variant {v.name} names family {v.family}")
        own = {v.name for v in self.variants}
        for alias in self.variant_aliases:
            if alias.name in own or "/" not in alias.same_as:
                raise ValueError(f"{self.name}: bad variant alias {alias}")

    def variant(self, name: str) -> Variant:
        wanted = name.strip().lower()
        for v in self.variants:
            if wanted == v.name.lower() or wanted in (a.lower() for a in v.aliases):
                return v
        for alias in self.variant_aliases:
            if wanted == alias.name.lower():
                return _resolve(alias.same_as)
        names = [v.name for v in self.variants] + [a.name for a in self.variant_aliases]
        from dgawatch.families import did_you_mean

        hint = did_you_mean(wanted, [n.lower() for n in names])
        raise UnknownFamilyError(
            f"family {self.name!r} has no variant {name!r}{hint} (variants: {', '.join(names)})"
        )

    def selection(self) -> tuple[Variant, ...]:
        """What selecting this family means: its own variants, then the variants its
        declared aliases name (each once; they are registered under their own family)."""
        out = list(self.variants)
        for alias in self.variant_aliases:
            target = _resolve(alias.same_as)
            if target not in out:
                out.append(target)
        return tuple(out)

    def to_dict(self) -> dict[str, object]:
        return {
            "family": self.name,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "generator_type": self.generator_type,
            "time_seeded": self.time_seeded,
            "references": list(self.references),
            "variants": [v.to_dict() for v in self.variants],
            "variant_aliases": [
                {"variant": a.name, "same_as": a.same_as, "note": a.note}
                for a in self.variant_aliases
            ],
        }


def alias_keys(families: Iterable[Family]) -> dict[str, tuple[str, ...]]:
    """Registered variant key -> the keys its declared aliases give it
    (``"murofet/v1" -> ("gameover/pre-tovar",)``): for reporting a hit under every name."""
    out: dict[str, list[str]] = {}
    for family in families:
        for alias in family.variant_aliases:
            out.setdefault(alias.same_as, []).append(f"{family.name}/{alias.name}")
    return {key: tuple(names) for key, names in out.items()}


def _resolve(key: str) -> Variant:
    """The registered variant ``"family/variant"`` (a declared alias's target)."""
    from dgawatch.families import get_family  # the registry imports this module

    family, _, variant = key.partition("/")
    return get_family(family).variant(variant)
