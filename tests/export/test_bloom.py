"""The Bloom filter export: no forecast name missed, the stated false-positive rate held on
names from no family (the benign top lists in ../shared/data/benign), and the documented
format read back by a reader written here from the module's format description alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from dgawatch import cli
from dgawatch.errors import InputError
from dgawatch.export import ExportOptions, get_exporter
from dgawatch.export.bloom import BloomReader, sizing
from dgawatch.families import get_family
from dgawatch.forecast import iter_day_lists
from shared_data import data_path

DAYS = [dt.date(2017, 4, 13), dt.date(2017, 4, 14)]
VARIANTS = [
    get_family("conficker").variant("c"),  # 50,000 a day, 116 suffixes
    get_family("cryptolocker").variants[0],
    get_family("dircrypt").variants[0],  # static: the same 30 names each day
]


def window_names() -> set[str]:
    return {n for dl in iter_day_lists(VARIANTS, DAYS) for n in dl.names()}


def build(fp_rate: float) -> bytes:
    buf = io.BytesIO()
    get_exporter("bloom").write(iter_day_lists(VARIANTS, DAYS), buf, ExportOptions(fp_rate=fp_rate))
    return buf.getvalue()


def benign() -> list[str]:
    """Distinct names of the two top lists (Alexa rows may carry URL paths: cut)."""
    alexa = data_path("benign/alexa_top100k_2015-05.csv").read_text().splitlines()[1:]
    names = [row.split(",", 1)[1].split("/")[0] for row in alexa]
    names += data_path("benign/opendns_top_domains_2017.txt").read_text().split()
    return sorted({n.strip().lower().rstrip(".") for n in names if n.strip()})


@pytest.fixture(scope="module")
def inserted() -> set[str]:
    return window_names()


@pytest.fixture(scope="module")
def negatives(inserted: set[str]) -> list[str]:
    """Top-list names that are no name of the window (the few real collisions left out)."""
    return [n for n in benign() if n not in inserted]


def test_every_forecast_name_is_in(inserted: set[str]) -> None:
    reader = BloomReader.from_bytes(build(1e-6))
    assert reader.n == len(inserted) and len(inserted) > 100_000
    assert bool(reader.contains_many(sorted(inserted)).all())
    assert "XPUN.NL." not in reader or "xpun.nl" in reader  # normalised like the names
    assert reader.meta["first_day"] == "2017-04-13" and reader.meta["last_day"] == "2017-04-14"
    assert reader.meta["families"] == ["conficker", "cryptolocker", "dircrypt"]
    assert reader.meta["fp_rate"] == 1e-6 and reader.meta["schema"] == "dgawatch-bloom/1"


def test_false_positive_rate_is_as_stated(negatives: list[str]) -> None:
    """Count ~ Binomial(N, p); 6 standard deviations either way (a chance of about 1e-9 to
    fail by bad luck), so a filter sized for another rate is caught too."""
    n = len(negatives)
    assert n > 100_000
    p = 1e-3
    found = int(BloomReader.from_bytes(build(p)).contains_many(negatives).sum())
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    assert mean - 6 * sd <= found <= mean + 6 * sd, (found, mean)
    # the default rate: 0.11 expected among these names
    found_default = int(BloomReader.from_bytes(build(1e-6)).contains_many(negatives).sum())
    assert found_default <= 3


def test_format_as_documented(inserted: set[str]) -> None:
    """A reader from the docstring: header at fixed offsets, blake2b-128 double hashing."""
    data = build(1e-4)
    magic, version, k, scheme, _r1, m, n, p, length, _r2 = struct.unpack_from("<8sHHHHQQdII", data)
    assert (magic, version, scheme, p) == (b"DGWBLOOM", 1, 1, 1e-4)
    assert n == len(inserted) and (m, k) == sizing(n, 1e-4)
    assert m == math.ceil(-n * math.log(1e-4) / math.log(2) ** 2) and k == 13
    meta = json.loads(data[48 : 48 + length])
    assert meta["names"] == n and meta["variants"] == sorted(v.key for v in VARIANTS)
    start = 48 + length + (-length % 8)
    bits = data[start:]
    assert len(bits) == (m + 7) // 8

    def probably_in(name: str) -> bool:
        d = hashlib.blake2b(name.encode("ascii"), digest_size=16).digest()
        h1 = int.from_bytes(d[:8], "little")
        h2 = int.from_bytes(d[8:], "little") | 1
        positions = [((h1 + i * h2) % 2**64) % m for i in range(k)]
        return all(bits[j >> 3] >> (j & 7) & 1 for j in positions)

    sample = sorted(inserted)[::997]
    assert all(probably_in(x) for x in sample)
    assert not all(probably_in(f"not-a-forecast-{i}.example") for i in range(50))


def test_damaged_files_are_refused(tmp_path: Path) -> None:
    data = build(1e-2)
    with pytest.raises(InputError, match="not a dgawatch Bloom filter"):
        BloomReader.from_bytes(b"PK\x03\x04" + data[4:])
    with pytest.raises(InputError, match="truncated"):
        BloomReader.from_bytes(data[:-1])
    with pytest.raises(InputError, match="version 2"):
        BloomReader.from_bytes(data[:8] + struct.pack("<H", 2) + data[10:])
    with pytest.raises(InputError, match="cannot read"):
        BloomReader.open(tmp_path / "missing.bloom")


def test_reader_command(tmp_path: Path) -> None:
    path = tmp_path / "w.bloom"
    path.write_bytes(build(1e-6))
    name = VARIANTS[2].domains(DAYS[0])[0]
    run = [sys.executable, "-m", "dgawatch.export.bloom"]
    proc = subprocess.run(
        [*run, "check", str(path), name, "google.com"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout == f"{name}\tprobably-in\ngoogle.com\tnot-in\n"
    proc = subprocess.run([*run, "check", str(path), "google.com"], capture_output=True, text=True)
    assert proc.returncode == 1
    for bad in (["info", str(tmp_path)], ["check", str(path)], ["frobnicate"]):
        proc = subprocess.run([*run, *bad], capture_output=True, text=True)
        assert proc.returncode == 2 and proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1 and " error: " in proc.stderr


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--fp-rate", "0"], ["--fp-rate"]),
        (["--fp-rate", "0.7"], ["--fp-rate"]),
        (["--fp-rate", "nan"], ["--fp-rate"]),
        ([], ["--output"]),
    ],
)
def test_cli_refuses_bad_options(
    extra: list[str],
    needles: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path / "home"))
    output = [] if not extra else ["--output", str(tmp_path / "x.bloom")]
    args = ["export", "--format", "bloom", "--family", "dircrypt", "--start", "2017-04-13"]
    monkeypatch.setattr(sys, "argv", ["dgawatch", *args, *extra, *output])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and all(x in lines[0] for x in needles), err
    assert not (tmp_path / "x.bloom").exists()


def test_cli_writes_the_filter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DGAWATCH_HOME", str(tmp_path / "home"))
    out = tmp_path / "d.bloom"
    args = ["export", "--format", "bloom", "--family", "dircrypt", "--start", "2017-04-13"]
    monkeypatch.setattr(sys, "argv", ["dgawatch", *args, "--fp-rate", "1e-9", "--output", str(out)])
    cli.main()  # returns: status 0
    assert "exported 30 names as bloom" in capsys.readouterr().err
    reader = BloomReader.open(out)
    assert reader.n == 30 and reader.fp_rate == 1e-9 and reader.k == 30
    assert all(n in reader for n in VARIANTS[2].domains(DAYS[0]))
