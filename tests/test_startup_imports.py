"""Every command, even ``--version``, pays for what ``dgawatch.cli`` imports: the heavy
libraries load inside the commands that use them (issue 19, start-up time). A structural
check, not a timing: a new module importing one of them at the top fails here."""

from __future__ import annotations

import subprocess
import sys

from dgawatch.families import all_families, family_names

HEAVY = ("numpy", "pyarrow", "duckdb", "polars", "pyspark", "fastapi", "sklearn", "torch")


def test_the_cli_imports_no_heavy_library() -> None:
    code = f"import sys, dgawatch.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_family_names_without_imports_match_the_registry() -> None:
    assert family_names() == [f.name for f in all_families()]
