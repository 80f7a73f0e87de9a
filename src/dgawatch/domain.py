"""Domain names as DNS logs show them, reduced to what a DGA generates.

A query for ``www.abcdef.co.uk.`` concerns the *registered domain* ``abcdef.co.uk``: the name
one label below its public suffix, from the Public Suffix List shipped with the
``publicsuffixlist`` package (offline; private suffixes such as dynamic-DNS providers count,
because some DGAs generate names under them).
"""

from __future__ import annotations

from functools import cache, lru_cache

from publicsuffixlist import PublicSuffixList

from dgawatch.errors import InputError


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def normalise(qname: str) -> str:
    """Lower-case, no trailing dot, IDNA (A-label) form; raises InputError when invalid."""
    name = qname.strip().rstrip(".").lower()
    if not name:
        raise InputError(f"{qname!r} is not a domain name")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InputError(f"{qname!r} is not a valid internationalised name: {exc}") from None
    if any(not label for label in name.split(".")) or len(name) > 253:
        raise InputError(f"{qname!r} is not a valid domain name")
    return name


@lru_cache(maxsize=65_536)
def registered_domain(name: str) -> str | None:
    """``www.abc.co.uk`` -> ``abc.co.uk``; None for a bare public suffix such as ``co.uk``."""
    return _psl().privatesuffix(name)


def lookup_keys(name: str) -> tuple[str, ...]:
    """Names in the forecast that a query for ``name`` can be about: itself and its
    registered domain (a DGA name may also be queried below, e.g. ``www.<dga>``)."""
    reg = registered_domain(name)
    if reg is None or reg == name:
        return (name,)
    return (name, reg)


@lru_cache(maxsize=4096)
def suffix_is_public(suffix: str) -> bool:
    """Whether ``<label>.<suffix>`` is a registered domain for an ordinary label: then a
    query below a forecast name ``<label>.<suffix>`` is a query for that name. (PSL
    exception rules naming one specific label are not considered.)"""
    probe = f"dgawatch-probe.{suffix}"
    return registered_domain(f"www.{probe}") == probe
