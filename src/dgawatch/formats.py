"""Names of the hunt's output formats, importable without the code behind them: the command
line lists them in its help, and every command (even ``--version``) pays for what
``dgawatch.cli`` imports. (The input formats are the reader registry's:
:func:`dgawatch.readers.reader_names`, listed by ``hunt --help`` only.)"""

from __future__ import annotations

#: Output formats of ``dgawatch hunt`` (``dgawatch.hunt.output``).
HUNT_OUTPUT_FORMATS: tuple[str, ...] = ("table", "json", "csv", "parquet")
