"""The reader registry: a reader is one module of ``dgawatch.readers`` (plus its test),
found without being named anywhere else, tried by auto-detection in rank order, and listed by
``hunt --help``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import dgawatch.readers as readers_pkg
from dgawatch.readers import InputReport, read_events, reader_names, readers
from tests.plugins import planted

_MODULE = """
import pyarrow as pa

from dgawatch.events import EVENT_SCHEMA
from dgawatch.readers import Reader


def _detect(head: bytes) -> bool:
    return head.startswith(b"TOYLOG ")


def _read(stream, file, report):
    rows = [line.split() for line in stream.read().decode().splitlines()]
    n = len(rows)
    yield pa.RecordBatch.from_pydict(
        {
            "ts": [int(r[1]) * 1000 for r in rows],
            "client": [r[2] for r in rows],
            "qname": [r[3] for r in rows],
            "qtype": [None] * n,
            "rcode": [None] * n,
            "answers": [None] * n,
            "sensor": [None] * n,
            "source_file": [file] * n,
            "source_line": list(range(1, n + 1)),
        },
        schema=EVENT_SCHEMA,
    )


READERS = (Reader("toylog", "a test's own format", 55, _detect, _read),)
"""


@pytest.fixture
def toy_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A reader module that exists only in a temporary folder on the package's path."""
    with planted(readers_pkg, "toylog", _MODULE, tmp_path, monkeypatch, readers):
        yield


def test_a_new_module_is_a_new_reader(toy_reader: None, tmp_path: Path) -> None:
    names = reader_names()
    # between pdns-cof (50) and bind (60): its rank, not its file name, orders detection
    assert names[names.index("pdns-cof") + 1] == "toylog"
    log = tmp_path / "day.txt"
    log.write_text("TOYLOG 1700000000 10.0.0.7 abcdefgh.example\n")
    batches = list(read_events([log], report=InputReport()))  # auto-detected
    assert [b.column("qname").to_pylist() for b in batches] == [["abcdefgh.example"]]
    assert batches[0].column("client").to_pylist() == ["10.0.0.7"]


def test_registry_without_the_toy() -> None:
    assert "toylog" not in reader_names()
    assert len(set(reader_names())) == len(reader_names()) == len(readers())


def test_hunt_help_lists_every_reader() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "hunt", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, COLUMNS="400"),
    ).stdout
    flat = " ".join(out.split())
    for name in reader_names():
        assert name in flat
