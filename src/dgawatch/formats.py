"""Names of the input and output formats, importable without the code behind them: the
command line lists them in its help, and every command (even ``--version``) pays for what
``dgawatch.cli`` imports."""

from __future__ import annotations

#: Log and capture formats of the readers (``dgawatch.readers``), in auto-detection order.
READER_NAMES: tuple[str, ...] = (
    "pcap",
    "dnstap",
    "parquet",
    "zeek",
    "zeek-json",
    "pdns-cof",
    "bind",
    "unbound",
    "powerdns",
    "windows-dns",
    "windows-dns-dmy",
    "windows-dns-mdy",
    "csv",
)

#: Output formats of ``dgawatch hunt`` (``dgawatch.hunt.output``).
HUNT_OUTPUT_FORMATS: tuple[str, ...] = ("table", "json", "csv", "parquet")
