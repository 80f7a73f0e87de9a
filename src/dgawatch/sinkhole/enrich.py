"""Offline enrichment of source addresses: country and origin ASN.

Defaults, both from PyPI and used without any network access:

* country: ``iptocc`` (MIT/Apache-2.0 code; data built from the five RIRs' delegated
  statistics, which the RIRs publish openly). It gives the country the registry *assigned*
  a block to, not where the address is used.
* ASN: ``plevin`` with its ``plevin-db-network`` database (Apache-2.0 reader; origin ASN
  computed from RIPE RIS routing tables; the file also carries fields derived from CAIDA,
  PeeringDB and RIR whois data under their own terms, which we do not read).

An operator can replace either with a file of their own (``--asn-db`` / ``--country-db``):
one ``PREFIX VALUE`` pair per line, whitespace-separated, ``#`` or ``;`` comments, the
format of pyasn's ``ipasn`` files (e.g. built from a RouteViews RIB with
``pyasn_util_convert``) or any prefix table. Longest prefix wins.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from dgawatch.errors import InputError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrefixTable:
    """Longest-prefix match over a few hundred thousand prefixes, IPv4 and IPv6."""

    def __init__(self) -> None:
        self._tables: dict[int, dict[int, dict[int, str]]] = {4: {}, 6: {}}

    def add(self, prefix: str, value: str) -> None:
        net = ipaddress.ip_network(prefix, strict=False)
        by_len = self._tables[net.version].setdefault(net.prefixlen, {})
        by_len[int(net.network_address)] = value

    def get(self, address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        width = 32 if ip.version == 4 else 128
        value = int(ip)
        tables = self._tables[ip.version]
        for plen in sorted(tables, reverse=True):
            key = (value >> (width - plen)) << (width - plen) if plen else 0
            found = tables[plen].get(key)
            if found is not None:
                return found
        return None

    @classmethod
    def from_file(cls, path: Path, option: str = "") -> PrefixTable:
        """``PREFIX VALUE`` lines (pyasn's ``ipasn`` format; ``#``/``;`` comments). A bad
        line is one error naming ``option`` (the command's ``--asn-db``/``--country-db``),
        the file and the line."""
        table = cls()
        named = f"{option} {path}" if option else str(path)
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            raise InputError(f"{named} is a directory; give a PREFIX VALUE file") from None
        except OSError as exc:
            raise InputError(f"cannot read {named}: {exc.strerror or exc}") from None
        for n, raw in enumerate(data.splitlines(), 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(
                    f"{named}:{n}: not UTF-8 text; give a text file of 'PREFIX VALUE' lines"
                ) from None
            text = line.split("#", 1)[0].strip()
            if not text or text.startswith(";"):
                continue
            parts = text.split()
            if len(parts) < 2:
                raise InputError(
                    f"{named}:{n}: expected 'PREFIX VALUE' (e.g. '192.0.2.0/24 64496'), "
                    f"not {text[:60]!r}"
                )
            try:
                table.add(parts[0], parts[1])
            except ValueError as exc:
                raise InputError(f"{named}:{n}: {exc}") from None
        return table


def _iptocc() -> Callable[[str], str | None] | None:
    try:
        from iptocc import country_code
    except ImportError:
        return None
    return country_code


#: One plevin lookup at a time in this process: the portal enriches from request threads.
PLEVIN_LOCK = threading.RLock()


def _plevin_asn() -> Callable[[str], int | None] | None:
    try:
        import plevin
    except ImportError:
        return None

    def asn(address: str) -> int | None:
        try:
            with PLEVIN_LOCK:  # plevin's reader is not thread-safe (EOFError when shared)
                found = plevin.lookup(address)
        except (ValueError, OSError, LookupError):
            return None
        network = getattr(found, "network", None)
        number = getattr(network, "asn", None) if network is not None else None
        return int(number) if number else None

    return asn


class Enricher:
    """Country and ASN of an address (cached; None where unknown or private)."""

    def __init__(
        self,
        *,
        asn_db: Path | None = None,
        country_db: Path | None = None,
        packages: bool = True,
    ) -> None:
        self._setup(
            PrefixTable.from_file(asn_db, "--asn-db") if asn_db else None,
            PrefixTable.from_file(country_db, "--country-db") if country_db else None,
            packages and country_db is None,
            packages and asn_db is None,
        )

    def _setup(
        self,
        asn_table: PrefixTable | None,
        cc_table: PrefixTable | None,
        cc_pkg: bool,
        asn_pkg: bool,
    ) -> None:
        self._asn_table = asn_table
        self._cc_table = cc_table
        self._cc_pkg = _iptocc() if cc_pkg else None
        self._asn_pkg = _plevin_asn() if asn_pkg else None
        self.country = lru_cache(maxsize=1 << 18)(self._country)  # type: ignore[method-assign]
        self.asn = lru_cache(maxsize=1 << 18)(self._asn)  # type: ignore[method-assign]

    def __getstate__(self) -> dict[str, object]:
        """What a Spark executor needs to look addresses up where they are (the operator's
        tables travel, the packages' readers, caches and locks are rebuilt there)."""
        return {
            "asn_table": self._asn_table,
            "cc_table": self._cc_table,
            "cc_pkg": self._cc_pkg is not None,
            "asn_pkg": self._asn_pkg is not None,
        }

    def __setstate__(self, state: dict[str, object]) -> None:
        self._setup(**state)  # type: ignore[arg-type]

    @property
    def sources(self) -> dict[str, str]:
        return {
            "country": "file" if self._cc_table else ("iptocc" if self._cc_pkg else "none"),
            "asn": "file" if self._asn_table else ("plevin" if self._asn_pkg else "none"),
        }

    @staticmethod
    def _public(address: str) -> bool:
        try:
            return ipaddress.ip_address(address).is_global
        except ValueError:
            return False

    def _country(self, address: str) -> str | None:
        if self._cc_table is not None:
            found = self._cc_table.get(address)
            return found.upper() if found else None
        if self._cc_pkg is None or not self._public(address):
            return None
        try:
            return self._cc_pkg(address)
        except (ValueError, TypeError):
            return None

    def _asn(self, address: str) -> int | None:
        if self._asn_table is not None:
            found = self._asn_table.get(address)
            if found is None:
                return None
            text = found.upper().removeprefix("AS")
            return int(text) if text.isdigit() else None
        if self._asn_pkg is None or not self._public(address):
            return None
        return self._asn_pkg(address)

    def country(self, address: str) -> str | None:  # replaced by the cached one
        return self._country(address)

    def asn(self, address: str) -> int | None:  # replaced by the cached one
        return self._asn(address)
