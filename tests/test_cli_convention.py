"""The CLI convention of the README ("Using it"), checked on real processes: the help of every
command, each old spelling (a hidden alias for one release) giving what the new one gives, and
tables printed whole when piped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dgawatch.export import all_exporters
from dgawatch.families import all_families

#: Old spellings that still work but must not be shown in any --help.
HIDDEN = ("--dir", "--output-format")


def run(
    *args: str, home: Path, columns: int = 80, check: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TERMINAL_WIDTH", "COLUMNS")}
    env.update(DGAWATCH_HOME=str(home), COLUMNS=str(columns))
    proc = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr
    if check:
        assert proc.returncode == 0, f"{args}: exit {proc.returncode}: {proc.stderr}"
    return proc


#: Renders --help of every command and group in one process (COLUMNS=80, stdout a pipe)
#: and prints {command path: [help text, [(option names, is flag, default)]]} as JSON.
WALK = r"""
import contextlib, io, json, sys
import typer
from dgawatch.cli import app

root = typer.main.get_command(app)
found = {}

def walk(cmd, path):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            app([*path, "--help"], standalone_mode=False, prog_name="dgawatch")
        except SystemExit:
            pass
    opts = [
        [p.opts + p.secondary_opts, bool(getattr(p, "is_flag", False)), p.default,
         bool(p.hidden), p.secondary_opts]
        for p in cmd.params if p.param_type_name == "option"
    ]
    found[" ".join(path)] = [buf.getvalue(), opts]
    if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
        for name, sub in cmd.commands.items():
            walk(sub, [*path, name])

walk(root, [])
parsed = {}
for path, positive, negative, name in json.loads(sys.argv[1]):
    cmd = root
    for part in path.split():
        cmd = cmd.commands[part]
    values = []
    for args in ([positive, negative], [negative, positive], [negative]):
        ctx = cmd.make_context(path, list(args), resilient_parsing=True)
        values.append(ctx.params[name])
    parsed[f"{path} {negative}"] = values
print(json.dumps({"helps": found, "parsed": parsed}, default=str))
"""

#: The negations typer used to generate for off-by-default flags ("--no-no-dns"): hidden,
#: still accepted for one release, setting the flag off. (command, flag, old, parameter)
OLD_NEGATIONS = [
    ("forecast", "--ignore-active-period", "--no-ignore-active-period", "ignore_active_period"),
    ("export", "--wildcard", "--no-wildcard", "wildcard"),
    ("lookup", "--no-store", "--no-no-store", "no_store"),
    ("store build", "--rebuild", "--no-rebuild", "rebuild"),
    ("hunt", "--strict", "--no-strict", "strict"),
    ("hunt-flows", "--strict", "--no-strict", "strict"),
    ("sinkhole serve", "--no-dns", "--no-no-dns", "no_dns"),
    ("sinkhole ingest", "--strict", "--no-strict", "strict"),
    ("classify evaluate", "--lofo", "--no-lofo", "lofo"),
]


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("TERMINAL_WIDTH",)}
    env.update(COLUMNS="80", DGAWATCH_HOME=str(tmp_path_factory.mktemp("home")))
    proc = subprocess.run(
        [sys.executable, "-c", WALK, json.dumps(OLD_NEGATIONS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    found: dict[str, Any] = json.loads(proc.stdout)
    return found


@pytest.fixture(scope="module")
def helps(walked: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = walked["helps"]
    return found


def test_old_negations_still_set_the_flag_off(walked: dict[str, Any]) -> None:
    for path, _positive, negative, _name in OLD_NEGATIONS:
        # positive then old negation: off; the other way round: on; alone: off
        assert walked["parsed"][f"{path} {negative}"] == [False, True, False], (path, negative)
        assert negative not in walked["helps"][path][0], (path, negative)


def test_every_help_is_readable_at_80_columns(helps: dict[str, Any]) -> None:
    leaves = {"forecast", "export", "lookup", "hunt", "hunt-flows", "sinkhole stats",
              "sinkhole serve", "web serve", "store build", "classify score"}  # fmt: skip
    assert leaves <= set(helps)
    for path, (text, _opts) in helps.items():
        assert isinstance(text, str) and "Usage: dgawatch" in text, path
        assert "<bool>" not in text, path
        assert "--no-no-" not in text, path
        assert "…" not in text, f"{path}: something is cut in --help:\n{text}"
        for alias in HIDDEN:
            assert f"{alias} " not in text and f"{alias}\n" not in text, (path, alias)


def test_a_negative_flag_only_where_the_default_is_on(helps: dict[str, Any]) -> None:
    for path, (_text, opts) in helps.items():
        assert isinstance(opts, list)
        for names, is_flag, default, _hidden, secondary in opts:
            if is_flag and secondary:  # --x/--no-x: worth having only to turn a default off
                assert default in (True, "True"), f"{path}: {names} defaults to off"


def test_hidden_aliases_are_options_that_exist(helps: dict[str, Any]) -> None:
    """Each hidden old spelling is still an accepted option name somewhere."""
    accepted = {n for _t, opts in helps.values() for o in opts for n in o[0]}
    shown = {n for _t, opts in helps.values() for o in opts if not o[3] for n in o[0]}
    assert "--output-format" in accepted and "--output-format" not in shown
    assert "--sinkhole-dir" in shown


def test_export_help_lists_the_registered_formats(tmp_path: Path) -> None:
    text = " ".join(run("export", "--help", home=tmp_path).stdout.split())
    names = set(all_exporters())
    assert {"rpz", "unbound", "hosts", "stix", "misp", "parquet"} <= names
    for name, exporter in all_exporters().items():
        assert f"{name}" in text and " ".join(exporter.summary.split())[:40] in text, name
    families = " ".join(run("forecast", "--help", home=tmp_path, columns=300).stdout.split())
    for f in all_families():
        assert f.name in families


def test_forecast_family_positional_is_the_old_spelling_of_family(tmp_path: Path) -> None:
    sel = ("--variant", "b", "--start", "2009-01-08")
    old = run("forecast", "conficker", *sel, home=tmp_path).stdout
    new = run("forecast", "--family", "conficker", *sel, home=tmp_path).stdout
    assert old == new and len(old.splitlines()) == 250  # Conficker B: 250 names a day


def test_repeated_variant_and_end_instead_of_days(tmp_path: Path) -> None:
    one = ("--family", "conficker", "--start", "2009-01-08")
    a = run("forecast", *one, "--variant", "a", home=tmp_path).stdout
    b = run("forecast", *one, "--variant", "b", home=tmp_path).stdout
    both = run("forecast", *one, "--variant", "a", "--variant", "b", home=tmp_path).stdout
    assert both == a + b
    days = run("forecast", *one, "--variant", "b", "--days", "2", "--format", "csv", home=tmp_path)
    end = run("forecast", *one, "--variant", "b", "--end", "2009-01-09", "--format", "csv",
              home=tmp_path)  # fmt: skip
    assert days.stdout == end.stdout and {"2009-01-08", "2009-01-09"} <= set(
        row.split(",")[0] for row in days.stdout.splitlines()[1:]
    )
    clash = run("forecast", *one, "--days", "2", "--end", "2009-01-09", home=tmp_path, check=False)
    assert clash.returncode == 2 and "--end or --days" in clash.stderr


def test_export_format_positional_is_the_old_spelling_of_format(tmp_path: Path) -> None:
    sel = ("--family", "conficker", "--variant", "b", "--start", "2009-01-08")
    old = run("export", "hosts", *sel, home=tmp_path).stdout
    new = run("export", "--format", "hosts", *sel, home=tmp_path).stdout
    assert old == new and len([ln for ln in new.splitlines() if ln.startswith("0.0.0.0")]) == 250


def test_lookup_days_is_the_same_window_as_end(tmp_path: Path) -> None:
    names = run("forecast", "--family", "conficker", "--variant", "b", "--start", "2009-01-09",
                home=tmp_path).stdout.split()  # fmt: skip
    sel = ("--family", "conficker", "--variant", "b", "--start", "2009-01-08", "--json")
    by_days = run("lookup", names[7], *sel, "--days", "2", home=tmp_path)
    by_end = run("lookup", names[7], *sel, "--end", "2009-01-09", home=tmp_path)
    assert by_days.stdout == by_end.stdout
    match = json.loads(by_days.stdout)["matches"]
    assert {"day": "2009-01-09", "index": 7} in [{k: m[k] for k in ("day", "index")} for m in match]


def test_sinkhole_dir_and_its_old_spelling(tmp_path: Path) -> None:
    store = tmp_path / "events"
    store.mkdir()
    old = run("sinkhole", "stats", "--dir", str(store), "--json", home=tmp_path, check=False)
    new = run("sinkhole", "stats", "--sinkhole-dir", str(store), "--json", home=tmp_path,
              check=False)  # fmt: skip
    assert (old.returncode, old.stdout) == (new.returncode, new.stdout)
    missing = run("sinkhole", "stats", "--dir", str(tmp_path / "nope"), home=tmp_path, check=False)
    assert missing.returncode == 2 and "--sinkhole-dir" in missing.stderr


ZEEK_HEAD = (
    "#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\t"
    "id.resp_p\tproto\ttrans_id\tquery\trcode\trcode_name\tanswers\n"
)


def test_hunt_old_input_and_output_format_spellings(tmp_path: Path) -> None:
    names = run("forecast", "--family", "conficker", "--variant", "b", "--start", "2009-01-08",
                home=tmp_path).stdout.split()[:20]  # fmt: skip
    log = tmp_path / "dns.log"
    rows = [
        f"{1231372800 + i}\tC{i}\t10.0.0.5\t5353\t10.0.0.1\t53\tudp\t{i}\t{n}\t3\tNXDOMAIN\t-\n"
        for i, n in enumerate(names)
    ]
    log.write_text(ZEEK_HEAD + "".join(rows))
    sel = ("--family", "conficker", "--no-unknown-dga")
    old = run("hunt", str(log), *sel, "--format", "zeek", "--output-format", "csv", home=tmp_path)
    new = run("hunt", str(log), *sel, "--input-format", "zeek", "--format", "csv", home=tmp_path)
    assert old.stdout == new.stdout and "10.0.0.5" in new.stdout
    assert "--input-format zeek" in old.stderr  # the note naming the new spelling


def test_piped_tables_print_every_value_whole(tmp_path: Path) -> None:
    text = run("families", home=tmp_path, columns=80).stdout
    assert "…" not in text
    for line_family in all_families():
        for v in line_family.variants:
            assert v.name in text, v.name  # e.g. zloader's 32-hex-digit variant names
