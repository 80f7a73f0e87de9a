"""Spark's driver heap: sized for the machine in local mode, set by the user's environment,
and a Java heap exhaustion said in one line with what to do (56 M sinkhole events ran
Spark's default 1 GiB heap out with a Py4J traceback-sized message)."""

from __future__ import annotations

import pytest

from dgawatch import cli
from dgawatch.hunt.spark import DRIVER_MEMORY_ENV, driver_memory


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
