"""How every ``dgawatch`` command's help looks and how old option spellings keep working.

Two things typer does not offer, installed once on import (idempotent):

- **Hidden aliases.** ``typer.Option("--sinkhole-dir", hidden_alias("--dir"))`` accepts
  ``--dir`` exactly like ``--sinkhole-dir`` but shows only ``--sinkhole-dir`` in ``--help``:
  the old spellings of the CLI convention (README, "Using it") keep working for one release
  without cluttering the help.
- **Readable output.** :func:`output_console` prints tables whole when stdout is piped.
- **Readable help.** Flags show no ``<bool>`` type, and the help is never narrower than
  :data:`MIN_HELP_WIDTH` columns (piped help is :data:`PIPED_HELP_WIDTH` wide), so option
  names are never cut (``--ignore-active-…``). ``TERMINAL_WIDTH`` still overrides both.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from rich.console import Console
from typer.core import TyperCommand, TyperGroup, TyperOption

#: Prefixes marking a declared option name as a hidden alias or a hidden negation of a
#: flag (stripped before click sees them).
_MARK = "\x00hidden-alias\x00"
_NEG = "\x00hidden-negation\x00"
MIN_HELP_WIDTH = 100
PIPED_HELP_WIDTH = 120
#: Width of tables written to a pipe or file: no cell is ever cut ("confic…").
PIPED_TABLE_WIDTH = 100_000


def hidden_alias(name: str) -> str:
    """An option name accepted on the command line but not shown in ``--help``."""
    return _MARK + name


def hidden_negation(name: str) -> str:
    """A ``--no-x`` spelling of a flag (sets it off, its default) accepted but not shown:
    the old typer-generated negations of off-by-default flags, kept for one release."""
    return _NEG + name


def help_width() -> int:
    """The terminal's width, at least MIN_HELP_WIDTH; PIPED_HELP_WIDTH when not a terminal."""
    if sys.stdout.isatty():
        return max(shutil.get_terminal_size((PIPED_HELP_WIDTH, 24)).columns, MIN_HELP_WIDTH)
    columns = os.environ.get("COLUMNS", "")
    return max(int(columns) if columns.isdigit() else 0, PIPED_HELP_WIDTH)


def output_console() -> Console:
    """The console for stdout's tables: the terminal's width in a terminal; when piped, so
    wide that every value is printed whole (a table is only as wide as its content)."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPED_TABLE_WIDTH)


def _set_help_width() -> None:
    """Give typer's help its width. Done when help is first drawn, not on import: typer's
    ``rich_utils`` imports ``rich.markdown`` (~45 ms), which only help needs."""
    from typer import rich_utils

    if rich_utils.MAX_WIDTH is None:  # TERMINAL_WIDTH unset
        rich_utils.MAX_WIDTH = help_width()


def _with_help_width(format_help: Any) -> Any:
    def wrapped(self: Any, ctx: Any, formatter: Any) -> None:
        _set_help_width()
        format_help(self, ctx, formatter)

    return wrapped


def _install() -> None:
    if getattr(TyperOption, "_dgawatch_installed", False):
        return
    init = TyperOption.__init__
    add_to_parser = TyperOption.add_to_parser
    display_type_rich = TyperOption.display_type_rich

    def __init__(self: TyperOption, *args: Any, **kwargs: Any) -> None:
        decls = list(kwargs.get("param_decls") or ())
        hidden = [d[len(_MARK) :] for d in decls if d.startswith(_MARK)]
        negations = [d[len(_NEG) :] for d in decls if d.startswith(_NEG)]
        if hidden or negations:
            kwargs["param_decls"] = [d for d in decls if not d.startswith((_MARK, _NEG))]
        init(self, *args, **kwargs)
        self._hidden_aliases = hidden  # type: ignore[attr-defined]
        self._hidden_negations = negations  # type: ignore[attr-defined]

    def _add_to_parser(self: TyperOption, parser: Any, ctx: Any) -> None:
        hidden = getattr(self, "_hidden_aliases", [])
        negations = getattr(self, "_hidden_negations", [])
        if not hidden and not negations:
            add_to_parser(self, parser, ctx)
            return
        shown, shown_negations = self.opts, self.secondary_opts
        self.opts = [*shown, *hidden]
        self.secondary_opts = [*shown_negations, *negations]
        try:
            add_to_parser(self, parser, ctx)
        finally:
            self.opts, self.secondary_opts = shown, shown_negations

    def _display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag and self.metavar is None:
            return None  # a flag takes no value: no "<bool>"
        return display_type_rich(self, ctx)

    TyperOption.__init__ = __init__  # type: ignore[method-assign]
    TyperOption.add_to_parser = _add_to_parser  # type: ignore[method-assign]
    TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]
    TyperCommand.format_help = _with_help_width(TyperCommand.format_help)  # type: ignore[method-assign]
    TyperGroup.format_help = _with_help_width(TyperGroup.format_help)  # type: ignore[method-assign]
    TyperOption._dgawatch_installed = True  # type: ignore[attr-defined]


_install()
