"""Column-wise lookup output: the batch PSL pass and the JSON lines writer must give exactly
what the per-name path gives (``registered_domain`` per name, ``json.dumps`` per document)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from dgawatch.domain import _psl, normalise, registered_domain, registered_domains
from dgawatch.errors import InputError
from dgawatch.families import get_family
from dgawatch.lookup import LookupResult, json_lines, lookup, read_names
from dgawatch.store import ForecastStore

NECURS = get_family("necurs").variant("magic9")
DAY = dt.date(2024, 5, 6)
WINDOW = [DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)]

EDGE = [
    "city.kawasaki.jp",
    "x.city.kawasaki.jp",
    "kawasaki.jp",
    "x.kawasaki.jp",
    "y.x.kawasaki.jp",
    "a.b.c.city.kawasaki.jp",
    "www.ck",
    "a.www.ck",
    "ck",
    "x.ck",
    "com",
    "",
    ".",
    "..",
    "a..b",
    ".a.b",
    "a.b..",
    "a.b.",
    "WWW.Abc.CO.UK.",
    "bücher.de",
    "www.bücher.de",
    "xn--bcher-kva.de",
    "foo.xn--p1ai",
    "a.b.c.d.e.f.g.h.i.j.com",
    "x.blogspot.com",
    "blogspot.com",
    "a.b.s3.amazonaws.com",
    "unknowntld",
    "a.unknowntld",
    "b.a.unknowntld",
    'a"b.com',
    "tab\there.com",
    "sp ace.org",
]


def varied_names(n: int, seed: int = 5) -> list[str]:
    """Names under real PSL rules (ICANN and private, wildcards, exceptions, IDNA), with
    random labels in front, upper case and trailing dots mixed in."""
    rng = random.Random(seed)
    rules = sorted(_psl()._publicsuffix)
    out = list(EDGE)
    labels = ["www", "ab", "Q9", "xn--80ak6aa92e", "münchen", "", "x-y", "A"]
    while len(out) < n:
        rule = rng.choice(rules).lstrip("!").replace("*", rng.choice(["x", "y", "zz"]))
        front = ".".join(rng.choice(labels) for _ in range(rng.randint(0, 3)))
        name = f"{front}.{rule}" if front else rule
        if rng.random() < 0.2:
            name = name.upper()
        if rng.random() < 0.2:
            name += "."
        out.append(name)
    return out


def test_batch_registered_domain_equals_per_name() -> None:
    names = varied_names(4000)
    got = registered_domains(names).to_pylist()
    assert got == [registered_domain(n) for n in names]
    # the same through normalise, as the CLI uses it, and with nulls and an array slice
    normal = []
    for n in names:
        with contextlib.suppress(InputError):
            normal.append(normalise(n))
    assert registered_domains(normal).to_pylist() == [registered_domain(n) for n in normal]
    # the CLI's JSON path vouches that its names are normalised: the same answers
    expected = [registered_domain(n) for n in normal]
    assert registered_domains(normal, normalised=True).to_pylist() == expected
    sliced = pa.array([None, *normal], pa.string()).slice(1)
    assert registered_domains(sliced).to_pylist() == [registered_domain(n) for n in normal]
    assert registered_domains(pa.array([None, "a.com"])).to_pylist() == [None, "a.com"]
    assert registered_domains([]).to_pylist() == []
    chunked = pa.chunked_array([normal[:100], normal[100:200]], pa.string())
    assert registered_domains(chunked).to_pylist() == [registered_domain(n) for n in normal[:200]]


def per_name_json(queries: list[str], result: LookupResult) -> bytes:
    """The CLI's former output loop, one ``json.dumps`` per query."""
    lines = []
    for q in queries:
        doc: dict[str, object] = {"query": q}
        if q in result.invalid:
            doc["error"] = result.invalid[q]
        else:
            try:
                name = normalise(q)
                doc["name"] = name
                doc["registered_domain"] = registered_domain(name)
            except InputError as exc:
                doc["error"] = str(exc)
        doc["matches"] = [h.to_dict() for h in result.hits.get(q, [])]
        lines.append(json.dumps(doc))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding two of the three window days (the third is generated)."""
    home = tmp_path_factory.mktemp("batch")
    with ForecastStore(home / "forecast.duckdb") as store:
        store.build([NECURS], WINDOW[1:])
    return home


def queries() -> list[str]:
    rng = random.Random(11)
    dga = [n for d in WINDOW for n in NECURS.domains(d)[:300]]
    out = [*varied_names(1500, seed=9), *EDGE, "bad..name", "a" * 300 + ".com", "名前.jp"]
    for i, name in enumerate(dga):
        out.append(
            [name, "www." + name, name.upper(), name + ".", "Mail.X." + name.upper() + "."][i % 5]
        )
    out += dga[:50]  # repeated queries
    rng.shuffle(out)
    return [q for q in out if q.strip()]


def test_json_lines_equal_json_dumps_per_query(home: Path) -> None:
    qs = queries()
    with ForecastStore(home / "forecast.duckdb", read_only=True) as store:
        result = lookup(pa.array(qs, pa.string()), [NECURS], days=WINDOW, store=store)
    assert result.days_from_store == 2 and result.days_generated == 1
    assert sum(len(h) > 1 for h in result.hits.values()) > 300  # several hits per query
    expected = per_name_json(qs, result)
    for chunk in (97, 1 << 20):  # chunk edges anywhere; one chunk
        assert b"".join(json_lines(pa.array(qs, pa.string()), result, chunk_size=chunk)) == expected
    assert b"".join(json_lines(qs, result)) == expected  # list input: the per-name path


def test_cli_json_output_equals_json_dumps_per_query(home: Path, tmp_path: Path) -> None:
    qs = [q for q in queries() if "\t" not in q and " " not in q][:2500]
    names = tmp_path / "names.txt"
    names.write_text("\n".join(qs) + "\n", encoding="utf-8")
    env = dict(os.environ, DGAWATCH_HOME=str(home))
    args = ["--file", str(names), "--family", "necurs", "--start", WINDOW[0].isoformat()]
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from dgawatch.cli import main; main()",
            "lookup",
            *args,
            "--end",
            WINDOW[-1].isoformat(),
            "--json",
        ],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    with ForecastStore(home / "forecast.duckdb", read_only=True) as store:
        result = lookup(qs, [NECURS], days=WINDOW, store=store)
    assert proc.stdout == per_name_json(qs, result)


def old_read(path: Path) -> list[str]:
    """The plain ``--file`` reader: Python's lines, stripped; blank and ``#`` lines (indented
    ones too) left out."""
    text = path.read_text(encoding="utf-8", errors="strict")
    stripped = [line.strip() for line in text.splitlines()]
    return [name for name in stripped if name and name[0] != "#"]


@pytest.mark.parametrize(
    "text",
    [
        "a.com\n\n  b.net \n#c.org\n  #not.kept\n\tx.de\t\ny.io",  # plain ASCII, no final \n
        "a.com\nb.net\n",
        "a.com\r\nb.net\r\n# x\r\n",  # CRLF
        "a.com\x0bb.net\x1cc.org\x1fd.io\n",  # separators Python splits on
        "bücher.de\n  münchen.de\u2028x.com\n",  # UTF-8
        "",
        "\n\n# only comments\n",
    ],
)
def test_read_names_equals_splitlines_and_strip(tmp_path: Path, text: str) -> None:
    path = tmp_path / "names.txt"
    path.write_bytes(text.encode())
    assert read_names(path).to_pylist() == old_read(path)
