"""Spark's driver heap: sized for the machine in local mode, set by the user's environment,
and a Java heap exhaustion said in one line with what to do (56 M sinkhole events ran
Spark's default 1 GiB heap out with a Py4J traceback-sized message)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dgawatch import cli
from dgawatch.errors import InputError
from dgawatch.hunt.spark import DRIVER_MEMORY_ENV, check_memory, driver_memory


def test_local_mode_gets_a_quarter_of_memory_within_1_to_8_gib(monkeypatch):
    monkeypatch.delenv(DRIVER_MEMORY_ENV, raising=False)
    size = driver_memory("local[2]")
    assert size is not None and size.endswith("g")
    assert 1 <= int(size[:-1]) <= 8


def test_the_environment_decides_and_a_cluster_keeps_its_own(monkeypatch):
    monkeypatch.setenv(DRIVER_MEMORY_ENV, "12g")
    assert driver_memory("local[*]") == "12g"
    assert driver_memory("spark://10.0.0.1:7077") == "12g"
    monkeypatch.delenv(DRIVER_MEMORY_ENV)
    assert driver_memory("spark://10.0.0.1:7077") is None


def test_java_heap_exhaustion_is_one_line_naming_the_setting(monkeypatch, capsys):
    def out_of_heap(**_kwargs):
        raise RuntimeError(
            "An error occurred while calling o115.collectToPython.\n"
            ": org.apache.spark.SparkException: Job aborted: java.lang.OutOfMemoryError: "
            "Java heap space\n\tat org.apache.spark.scheduler.DAGScheduler.failJob"
        )

    monkeypatch.setattr(cli, "app", out_of_heap)
    monkeypatch.delenv(cli.TRACEBACK_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    err = capsys.readouterr().err.strip()
    assert exit_.value.code == 1
    assert len(err.splitlines()) == 1
    assert DRIVER_MEMORY_ENV in err and "DAGScheduler" not in err


@pytest.mark.parametrize("value", ["lots", "0", "-1g", "1.5g", "8 g", "512m", "8x"])
def test_a_bad_setting_names_the_variable_the_value_and_the_form(monkeypatch, value):
    monkeypatch.setenv(DRIVER_MEMORY_ENV, value)
    with pytest.raises(InputError) as refused:
        driver_memory("local[*]")  # was: returned as given, for Spark to fail on
    said = str(refused.value)
    assert f"{DRIVER_MEMORY_ENV}={value!r}" in said and "e.g. 8g" in said


@pytest.mark.parametrize("value", ["8g", "16G", "1536m", "1gb", "2097152k", "1t"])
def test_good_settings_pass_as_given(monkeypatch, value):
    monkeypatch.setenv(DRIVER_MEMORY_ENV, value)
    assert check_memory(value) == value == driver_memory("spark://10.0.0.1:7077")


def test_the_cli_refuses_it_before_spark_starts(tmp_path):
    """One line, exit 2, and pyspark not even imported (no JVM started)."""
    log = tmp_path / "q.log"
    log.write_text("1733356800.0 10.0.0.1 example.com A NOERROR\n")
    probe = (
        "import atexit, sys; atexit.register(lambda: sys.stderr.write("
        "'\\nPYSPARK' if 'pyspark' in sys.modules else '\\nNO PYSPARK')); "
        "from dgawatch.cli import main; main()"
    )
    env = dict(os.environ, DGAWATCH_HOME=str(tmp_path), **{DRIVER_MEMORY_ENV: "lots"})
    env.pop(cli.TRACEBACK_ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", probe, "hunt", str(log), "--engine", "spark"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    said, probe_line = done.stderr.rsplit("\n", 1)
    assert done.returncode == 2, done.stderr
    assert said.count("\n") == 1 and f"{DRIVER_MEMORY_ENV}='lots'" in said
    assert probe_line == "NO PYSPARK"
