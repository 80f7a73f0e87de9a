"""The hunt-engine registry: an engine is one module of ``dgawatch.hunt.engines`` (plus its
test), found without being named anywhere else and run by ``hunt --engine NAME``."""

import io
from pathlib import Path

import pytest
from rich.console import Console

import dgawatch.hunt.engines as engines_pkg
from dgawatch.errors import InputError
from dgawatch.hunt.command import run_hunt
from dgawatch.hunt.engines import engines, get_engine
from tests.plugins import planted

_MODULE = """
from dgawatch.hunt import HuntResult
from dgawatch.hunt.engines import HuntEngine
from dgawatch.readers import InputReport, read_events


def _run(paths, options, master):
    report = InputReport()
    n = sum(b.num_rows for b in read_events(paths, options.fmt, report=report))
    return HuntResult(findings=[], report=report, events=n, engine=f"toy@{master}")


ENGINE = HuntEngine("toy", "counts events, finds nothing", _run, takes_master=True)
"""


@pytest.fixture
def toy_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with planted(engines_pkg, "toy", _MODULE, tmp_path, monkeypatch, engines):
        yield


def _hunt(log: Path, engine: str, master: str | None = None) -> str:
    """The hunt's stderr (its JSON goes to the process's stdout)."""
    out, err = io.StringIO(), io.StringIO()
    run_hunt(
        [log],
        fmt="auto",
        engine=engine,
        spark_master=master,
        window_days=1,
        families=["conficker"],
        store=None,
        output=None,
        output_format="json",
        strict=False,
        out=Console(file=out, width=200),
        err=Console(file=err, width=200),
        unknown_dga=False,
    )
    return err.getvalue()


def _log(tmp_path: Path) -> Path:
    log = tmp_path / "day.csv"
    log.write_text(
        "ts,client,qname\n1700000000,10.0.0.7,a.example\n1700000001,10.0.0.8,b.example\n"
    )
    return log


def test_a_new_module_is_a_new_engine(
    toy_engine: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert list(engines()) == ["local", "spark", "toy"]
    err = _hunt(_log(tmp_path), "toy", master="cluster-1")
    out = capsys.readouterr().out
    assert '"engine": "toy@cluster-1"' in out and '"events": 2' in out
    assert "2 query events, 0 findings" in err


def test_unknown_engine_and_master_without_a_taker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert list(engines()) == ["local", "spark"]
    with pytest.raises(InputError, match=r"unknown --engine 'toy' \(choose from local, spark\)"):
        get_engine("toy", None)
    with pytest.raises(InputError, match="--spark-master is for --engine spark"):
        _hunt(_log(tmp_path), "local", master="local[2]")
    _hunt(_log(tmp_path), "local")
    out = capsys.readouterr().out
    assert '"engine": "local"' in out and '"events": 2' in out
