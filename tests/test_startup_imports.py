"""Every command, even ``--version``, pays for what ``dgawatch.cli`` imports: the heavy
libraries load inside the commands that use them (issue 19, start-up time). Structural
checks, not timings: a new module importing one of them at the top fails here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dgawatch.clihelp import PIPED_HELP_WIDTH
from dgawatch.families import all_families, family_names
from tests.hunt.logs import Query, utc, write_zeek

HEAVY = ("numpy", "pyarrow", "duckdb", "polars", "pyspark", "fastapi", "sklearn", "torch")
#: Loaded only to draw help (typer's rich_utils -> rich.markdown, ~45 ms), a progress bar
#: (~25 ms) or for click's own exceptions (~10 ms): no hunt needs them.
HELP_ONLY = ("typer.rich_utils", "rich.markdown", "rich.progress", "click")
#: What the hunt loads for other inputs or outputs, or for big logs only (the unknown-DGA
#: word model and classifier start at 100,000 events).
NOT_FOR_A_SMALL_HUNT = ("wordninja", "sklearn", "scipy", "pyspark")
#: Loaded only to read or write other formats (parquet/CSV/pcap/dnstap inputs, --output-format
#: parquet): neither the hunt's modules nor a Zeek hunt (the readers' detection) load them.
#: pyarrow.csv is not in the second list: the Zeek reader parses TSV segments with it.
OTHER_FORMATS = ("pyarrow.parquet", "pyarrow.csv", "dns")
NOT_FOR_A_ZEEK_HUNT = ("pyarrow.parquet", "dns")

RUN_AND_LIST_MODULES = """
import sys
from dgawatch.cli import main
out, sys.argv = sys.argv[1], ["dgawatch", *sys.argv[2:]]
try:
    main()
finally:
    with open(out, "w") as fh:
        fh.write("\\n".join(sorted(sys.modules)))
"""


def modules_after(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``dgawatch *args`` in a fresh interpreter: its result and every module it loaded."""
    listing = tmp_path / "modules.txt"
    env = {
        **os.environ,
        "DGAWATCH_HOME": str(tmp_path / "home"),  # no forecast store
        "DGAWATCH_LIST_CACHE": str(tmp_path / "cache"),
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, str(listing), *args],
        capture_output=True,
        text=True,
        env=env,
    )
    return done, set(listing.read_text().split("\n"))


def test_the_cli_imports_no_heavy_library() -> None:
    code = (
        f"import sys, dgawatch.cli; "
        f"print(','.join(m for m in {HEAVY + HELP_ONLY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_one_line_hunt_loads_nothing_only_help_or_big_logs_need(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    write_zeek(log, [Query(utc(2024, 3, 1, 12), "10.0.0.1", "example.com", "NOERROR")])
    done, loaded = modules_after(tmp_path, "hunt", "--family", "conficker", str(log))
    assert done.returncode == 0, done.stderr
    assert "no findings (1 event from 1 client" in done.stderr
    assert loaded & {*HELP_ONLY, *NOT_FOR_A_SMALL_HUNT} == set()
    assert loaded & set(NOT_FOR_A_ZEEK_HUNT) == set()  # before: dnspython, via detection


def test_the_hunt_modules_load_no_other_format_s_library() -> None:
    mods = "dgawatch.cli, dgawatch.hunt.command, dgawatch.hunt.local, dgawatch.hunt.output"
    code = f"import sys, {mods}; print(','.join(m for m in {OTHER_FORMATS!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_still_loads_its_width_setting(tmp_path: Path) -> None:
    """The help width is set when help is drawn (no longer on import): piped help is
    PIPED_HELP_WIDTH wide even under a narrow COLUMNS, as before."""
    env = {k: v for k, v in os.environ.items() if k != "TERMINAL_WIDTH"}
    for args in (["--help"], ["hunt", "--help"], ["sinkhole", "serve", "--help"]):
        done = subprocess.run(
            [sys.executable, "-c", RUN_AND_LIST_MODULES, str(tmp_path / "m.txt"), *args],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "60"},
        )
        assert done.returncode == 0, done.stderr
        widths = {len(line) for line in done.stdout.splitlines() if line.startswith("╭")}
        assert widths == {PIPED_HELP_WIDTH}, (args, widths)


def test_a_command_runs_from_an_app_of_that_command_alone() -> None:
    """main() builds only the command named (typer builds every registered one at each run,
    ~75 ms loaded): the same command, with the same parameters, as in the whole tree."""
    from typer.main import get_command

    from dgawatch.cli import _app_for, app

    whole = get_command(app)
    names = list(whole.commands)  # type: ignore[attr-defined]
    assert "hunt" in names and "classify" in names
    for name in names:
        one = get_command(_app_for([name, "--help"]))
        assert list(one.commands) == [name]  # type: ignore[attr-defined]
        got, want = one.commands[name], whole.commands[name]  # type: ignore[attr-defined]
        assert [p.opts for p in got.params] == [p.opts for p in want.params]
        assert got.help == want.help
    for args in ([], ["--version"], ["--help"], ["huntt"], ["Hunt"]):
        assert _app_for(args) is app  # the top level's own options, help and suggestions


def test_family_names_without_imports_match_the_registry() -> None:
    assert family_names() == [f.name for f in all_families()]
