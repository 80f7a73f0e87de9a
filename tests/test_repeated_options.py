"""An option that takes one value, given twice, is refused in one line (click would keep the
last without a word); repeatable options may repeat. Checked for every command's every such
option, and once end to end."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from dgawatch.cli import _refuse_repeated_options, app
from dgawatch.errors import InputError

ROOT = typer.main.get_command(app)


def _commands(cmd: Any = ROOT, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    subs = getattr(cmd, "commands", None)
    if isinstance(subs, dict):
        for name, sub in subs.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, cmd


def _options(cmd: Any) -> Iterator[Any]:
    for p in cmd.params:
        if p.param_type_name == "option" and not p.hidden and p.opts[0] not in ("--help",):
            yield p


def _value(p: Any) -> list[str]:
    return [] if p.is_flag else ["1"]


CASES = [(path, p) for path, cmd in _commands() for p in _options(cmd)]


def test_every_command_has_options_to_check() -> None:
    assert len({path for path, _ in CASES}) > 30


@pytest.mark.parametrize("path,param", CASES, ids=[f"{' '.join(c)} {p.opts[0]}" for c, p in CASES])
def test_twice_is_refused_unless_repeatable(path: tuple[str, ...], param: Any) -> None:
    opt = param.opts[0]
    args = [*path, opt, *_value(param), "x.example", opt, *_value(param)]
    if param.multiple or param.count:
        _refuse_repeated_options(ROOT, args)  # a list: both kept
        return
    with pytest.raises(InputError, match=f"^{opt} given twice: give it once$"):
        _refuse_repeated_options(ROOT, args)
    _refuse_repeated_options(ROOT, [*path, opt, *_value(param), "x.example"])  # once: fine
    if param.secondary_opts:  # --json ... --no-json
        both = [*path, opt, "x.example", param.secondary_opts[0]]
        with pytest.raises(InputError, match="both given: give one of them"):
            _refuse_repeated_options(ROOT, both)


def test_values_that_look_like_options_are_values() -> None:
    # "--output --days" writes a file named "--days": the second token is a value
    _refuse_repeated_options(ROOT, ["forecast", "--output", "--days", "--days", "1"])
    # after "--" everything is an argument
    _refuse_repeated_options(ROOT, ["hunt", "--json", "--", "--json"])
    # "classify NAME" is "classify score NAME"
    with pytest.raises(InputError, match="--fpr given twice"):
        _refuse_repeated_options(ROOT, ["classify", "--fpr", "0.1", "a.com", "--fpr=0.01"])


FORECAST_TWICE = ("forecast", "--family", "conficker", "--days", "1", "--days", "2")


def test_end_to_end_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *FORECAST_TWICE],
        capture_output=True,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(tmp_path)),
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "dgawatch: error: --days given twice: give it once\n"
