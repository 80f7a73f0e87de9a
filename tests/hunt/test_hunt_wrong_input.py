"""``dgawatch hunt`` given a file in another format than asked for, or options that do not
fit: one line naming the file and what to do, exit 2, no output file."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import run


def _csv(path: Path) -> Path:
    lines = ["timestamp,client_ip,query"]
    lines += [f"{1700000000 + i},10.0.0.{i % 5},host{i}.example.com" for i in range(40)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_csv_hunted_as_zeek_or_bind_is_one_line_error_without_output(tmp_path: Path) -> None:
    log = _csv(tmp_path / "log.csv")
    out = tmp_path / "found.json"
    for args, says in (
        (["--input-format", "zeek"], f"{log}: not a Zeek log (no #fields header"),
        (["--input-format", "bind"], f"{log}: no line reads as bind ("),
        (["--input-format", "unbound"], f"{log}: no line reads as unbound ("),
    ):
        proc = run("hunt", str(log), *args, "--no-unknown-dga", "--json", "--output", str(out),
                   check=False, home=tmp_path)  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert says in line and "leave --input-format out" in line
        assert "Traceback" not in proc.stderr and not out.exists()


def test_parquet_without_output_names_the_current_option(tmp_path: Path) -> None:
    log = _csv(tmp_path / "log.csv")
    proc = run("hunt", str(log), "--format", "parquet", check=False, home=tmp_path)
    assert proc.returncode == 2
    assert "--format parquet needs --output PATH" in proc.stderr
    assert "--output-format" not in proc.stderr
