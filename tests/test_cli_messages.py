"""Notes a user reads on stderr say how much, in plain words (QA session 5)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

from dgawatch.families import all_variants


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home), COLUMNS="400"),
        timeout=300,
        check=False,
    )


def test_forecast_of_every_family_counts_the_variants_it_skips(tmp_path: Path) -> None:
    """The list of skipped variants runs to screens; its first words say how many of how many."""
    proc = run("forecast", "--start", "2010-01-01", "--tld", "com", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    note = " ".join(proc.stderr.split())
    m = re.match(r"(\d+) of (\d+) variants not active on 2010-01-01, skipped: ", note)
    assert m, note[:200]
    day = dt.date(2010, 1, 1)
    every = list(all_variants())
    inactive = [v for v in every if not v.is_active(day)]
    assert (int(m.group(1)), int(m.group(2))) == (len(inactive), len(every))
    assert all(v.key in note for v in inactive)


def test_gopack_says_file_not_files_for_one(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    proc = run("gopack", "--tld", "ws", "--start", "2009-01-20", "--family", "conficker",
               "--output", str(out), home=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"wrote [\d,]+ names in 1 file to ", proc.stderr), proc.stderr


FORECAST_5_DAYS = ("forecast", "--start", "2020-01-01", "--days", "5", "--family", "conficker")
FORECAST_5_DAYS += ("--variant", "c")


def test_a_reader_that_stops_early_is_not_a_failure(tmp_path: Path) -> None:
    """``dgawatch forecast ... | head -1``: the closed pipe ends the command with status 0, as
    main() promises, not typer's exit 1, and without a traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *FORECAST_5_DAYS],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, DGAWATCH_HOME=str(tmp_path)),
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip()  # 250,000 names: far more than a pipe buffers
    proc.stdout.close()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
