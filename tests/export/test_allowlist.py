"""Collision-safe exports (issue 15): every export format withholds exactly the names of the
``--allowlist`` (and the watch's collisions), no others, keeps the other names' indices, and
says how many it withheld and why where the format has a header or manifest.

Each format's output is parsed back (its own syntax: zone lines, config stanzas, base64
dataset lines, STIX/MISP JSON, Parquet), once without and once with the allowlist; the
difference must be exactly the listed names that the selection generates.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from dgawatch.errors import InputError
from dgawatch.export import (
    ExportOptions,
    NameList,
    Withheld,
    all_exporters,
    allowlist,
    get_exporter,
)
from dgawatch.families import get_family
from dgawatch.forecast import DayList

B = get_family("conficker").variant("b")
DAYS = [dt.date(2009, 1, 8), dt.date(2009, 1, 9)]
SINK = {"policy": "sinkhole", "address": "192.0.2.66"}

#: (name, index) pairs per export; names only where the format keeps no index.
Parsed = tuple[list[str], list[tuple[str, int]] | None, str]


def lists() -> list[DayList]:
    return [DayList(B, d, B.domains_blob(d)) for d in DAYS]


def generated() -> list[list[str]]:
    return [dl.names() for dl in lists()]


# --- one parser per format: (names in output order, (name, index) pairs or None, comments)


def _lines(text: str, comment: str) -> tuple[list[str], str]:
    body = [ln for ln in text.splitlines() if ln and not ln.startswith(comment)]
    notes = "\n".join(ln for ln in text.splitlines() if ln.startswith(comment))
    return body, notes


def parse_rpz(out: Path) -> Parsed:
    body, notes = _lines(out.read_text(), ";")
    names = [ln.split()[0] for ln in body if not ln.startswith(("$", "@"))]
    return names, None, notes


def parse_hosts(out: Path) -> Parsed:
    body, notes = _lines(out.read_text(), "#")
    return [ln.split()[1] for ln in body], None, notes


def parse_unbound(out: Path) -> Parsed:
    text = out.read_text()
    return re.findall(r'local-zone: "([^"]+)\." ', text), None, _lines(text, "#")[1]


def _conf(fmt: str, pattern: str, comment: str) -> Callable[[Path], Parsed]:
    def parse(out: Path) -> Parsed:
        text = next(out.glob("*.conf.sinkhole")).read_text()
        return re.findall(pattern, text), None, _lines(text, comment)[1]

    return parse


def parse_zeek(out: Path) -> Parsed:
    body, notes = _lines(out.read_text(), "#")
    rows = [ln.split("\t") for ln in body]
    pairs = [(r[0], int(r[3].rsplit(" ", 1)[1])) for r in rows]
    return [n for n, _ in pairs], pairs, notes


def parse_suricata(out: Path) -> Parsed:
    names = [base64.b64decode(x).decode() for x in (out / "dgawatch-dga.lst").read_text().split()]
    return names, None, (out / "dgawatch-dga.rules").read_text()


def parse_stix(out: Path) -> Parsed:
    doc = json.loads(out.read_text())
    pairs = [
        (o["name"], int(re.search(r"index (\d+) ", o["description"]).group(1)))  # type: ignore[union-attr]
        for o in doc["objects"]
        if o["type"] == "indicator"
    ]
    notes = "\n".join(o["content"] for o in doc["objects"] if o["type"] == "note")
    return [n for n, _ in pairs], pairs, notes


def _domain_values(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "domain" and "value" in node:
            found.append(node["value"])
        for value in node.values():
            _domain_values(value, found)
    elif isinstance(node, list):
        for value in node:
            _domain_values(value, found)


def parse_misp(out: Path) -> Parsed:
    names: list[str] = []
    for path in sorted(out.glob("*.json")):
        event = json.loads(path.read_text())["Event"]
        _domain_values(event.get("Attribute", []), names)
        _domain_values(event.get("Object", []), names)
    return names, None, ""


def parse_csv(out: Path) -> Parsed:
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    pairs = [(r["domain"], int(r["index"])) for r in rows]
    return [n for n, _ in pairs], pairs, ""


def parse_jsonl(out: Path) -> Parsed:
    rows = [json.loads(ln) for ln in out.read_text().splitlines()]
    pairs = [(r["domain"], int(r["index"])) for r in rows]
    return [n for n, _ in pairs], pairs, ""


def parse_parquet(out: Path) -> Parsed:
    table = pq.read_table(out)
    pairs = list(zip(table["domain"].to_pylist(), table["index"].to_pylist(), strict=True))
    return [n for n, _ in pairs], pairs, ""


PARSERS: dict[str, Callable[[Path], Parsed]] = {
    "rpz": parse_rpz,
    "hosts": parse_hosts,
    "unbound": parse_unbound,
    "bind-sinkhole": _conf("bind-sinkhole", r'zone "([^"]+)" ', "//"),
    "nsd": _conf("nsd", r'name: "([^"]+)"\n    include-pattern', "#"),
    "knot": _conf("knot", r"- domain: (\S+)", "#"),
    "zeek-intel": parse_zeek,
    "suricata-dataset": parse_suricata,
    "stix": parse_stix,
    "misp": parse_misp,
    "csv": parse_csv,
    "jsonl": parse_jsonl,
    "parquet": parse_parquet,
}
#: Formats whose output has a header, trailer or manifest to say what was withheld.
HAS_NOTES = {"rpz", "hosts", "unbound", "bind-sinkhole", "nsd", "knot", "zeek-intel",
             "suricata-dataset", "stix"}  # fmt: skip


def export(fmt: str, tmp: Path, withheld: Withheld | None) -> Path:
    exporter = get_exporter(fmt)
    opts: dict[str, Any] = dict(SINK) if fmt in ("bind-sinkhole", "nsd", "knot") else {}
    options = ExportOptions(serial=7, withheld=withheld, **opts)
    out = tmp / f"{fmt}-{'with' if withheld else 'without'}"
    if exporter.writes_directory:
        out.mkdir()
        exporter.write(iter(lists()), out, options)
    else:
        with open(out, "wb") as fh:
            exporter.write(iter(lists()), fh, options)
    return out


def allow_file(tmp: Path) -> tuple[Path, set[str]]:
    """Two names of day 1, one of day 2 (one in upper case, one with a trailing dot) and a
    name no selected variant generates."""
    day1, day2 = generated()
    chosen = {day1[0], day1[17], day2[100]}
    path = tmp / "allow.txt"
    path.write_text(
        "# real sites that collide with the forecast\n"
        f"{day1[0].upper()}\n\n{day1[17]}.   # inline comment\n{day2[100]}\n"
        "not-generated-by-conficker.example\n"
    )
    return path, chosen


def test_every_registered_format_has_a_parser() -> None:
    """A new format (e.g. bloom) joins this test or it fails: it must be checked too."""
    assert set(all_exporters()) - {"bloom"} <= set(PARSERS)


@pytest.mark.parametrize("fmt", sorted(all_exporters()))
def test_export_withholds_exactly_the_listed_names(fmt: str, tmp_path: Path) -> None:
    path, chosen = allow_file(tmp_path)
    if fmt == "bloom":
        return _check_bloom(tmp_path, path, chosen)
    parse = PARSERS[fmt]
    names0, pairs0, _ = parse(export(fmt, tmp_path, None))
    withheld = Withheld([allowlist(path)])
    names1, pairs1, notes = parse(export(fmt, tmp_path, withheld))
    assert chosen <= set(names0)
    # exactly the listed names are gone, every occurrence, and nothing else
    assert set(names1) == set(names0) - chosen
    assert names1 == [n for n in names0 if n not in chosen]
    if pairs0 is not None:  # the kept names keep their index in the generated list
        assert pairs1 == [p for p in pairs0 if p[0] not in chosen]
        day1, day2 = generated()
        assert all(day1[i] == n or day2[i] == n for n, i in pairs1)
    assert withheld.counts == {"allowlist allow.txt": 3}
    if fmt in HAS_NOTES:
        assert "withholding the names of allowlist allow.txt (4 names" in notes, notes
        assert "withheld 3 distinct names (3 occurrences): 3 on allowlist allow.txt" in notes


def _check_bloom(tmp: Path, path: Path, chosen: set[str]) -> None:
    from dgawatch.export.bloom import BloomReader  # type: ignore[import-not-found,unused-ignore]

    out = export("bloom", tmp, Withheld([allowlist(path)]))
    reader = BloomReader.open(out)
    kept = {n for names in generated() for n in names} - chosen
    assert all(n in reader for n in kept)
    assert not any(n in reader for n in chosen)  # each a false positive with p ~ 1e-6


def test_two_lists_count_each_name_once_under_its_first_reason(tmp_path: Path) -> None:
    day1, day2 = generated()
    withheld = Withheld(
        [
            NameList("allowlist a", frozenset({day1[1].encode(), day1[2].encode()})),
            NameList("watch collisions", frozenset({day1[2].encode(), day2[3].encode()})),
        ]
    )
    names, _, notes = parse_rpz(export("rpz", tmp_path, withheld))
    assert {day1[1], day1[2], day2[3]}.isdisjoint(names)
    assert withheld.counts == {"allowlist a": 2, "watch collisions": 1}
    assert "withheld 3 distinct names (3 occurrences): 2 on allowlist a, 1 on watch" in notes


def test_zone_file_allowlist_names_owners_and_their_registered_domains(tmp_path: Path) -> None:
    day1, _ = generated()
    a, b = day1[5], day1[6]
    zone = tmp_path / "allow.zone"
    zone.write_text(
        f"$ORIGIN {a.split('.', 1)[1]}.\n$TTL 300\n"
        f"{a.split('.', 1)[0]} IN NS ns1.example.net.\n"
        f'www.{b}. IN A 192.0.2.1\n_dmarc.{b}. IN TXT "v=DMARC1"\n'
    )
    names = allowlist(zone).names
    assert {a.encode(), b.encode(), f"www.{b}".encode()} <= names


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("good.example\ntwo names.example\n", "allow.txt:2"),
        ("good.example\nbad..name\n", "allow.txt:2"),
        (b"\xff\xfe".decode("latin-1") + "\n", "allow.txt"),
    ],
)
def test_a_bad_allowlist_line_is_named(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "allow.txt"
    path.write_text(text, encoding="latin-1")
    with pytest.raises(InputError, match=re.escape(needle)):
        allowlist(path)


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, DGAWATCH_HOME=str(home)),
        timeout=120,
        check=False,
    )


def test_cli_allowlist_stderr_and_bad_file(tmp_path: Path) -> None:
    path, chosen = allow_file(tmp_path)
    sel = ("export", "--format", "hosts", "--family", "conficker", "--variant", "b",
           "--start", "2009-01-08", "--days", "2")  # fmt: skip
    proc = run_cli(*sel, "--allowlist", str(path), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = [ln.split()[1] for ln in proc.stdout.splitlines() if not ln.startswith("#")]
    assert len(names) == 500 - 3 and chosen.isdisjoint(names)
    assert "withheld 3 distinct names (3 occurrences): 3 on allowlist allow.txt" in proc.stderr
    out = tmp_path / "x.rpz"
    bad = tmp_path / "bad.txt"
    bad.write_text("ok.example\nnot a name\n")
    proc = run_cli(*sel, "--allowlist", str(bad), "--output", str(out), home=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "bad.txt:2" in proc.stderr
    assert not out.exists()
    proc = run_cli(*sel, "--allowlist", str(tmp_path / "missing.txt"), home=tmp_path)
    assert proc.returncode == 2 and "missing.txt" in proc.stderr


def test_cli_exclude_collisions_reads_the_watch_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watch's latest check says two forecast names were registered before publication:
    ``--exclude-collisions`` withholds exactly those (header, trailer and stderr say so)."""
    from dgawatch.watch.evidence import Verdict
    from dgawatch.watch.store import WatchStore, default_path

    day1, day2 = generated()
    chosen = {day1[3], day2[9]}
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DGAWATCH_HOME", str(home))
    sel = ("export", "--format", "rpz", "--family", "conficker", "--variant", "b",
           "--start", "2009-01-08", "--days", "2", "--serial", "1")  # fmt: skip
    proc = run_cli(*sel, "--exclude-collisions", home=home)  # no watch has run: refused
    assert proc.returncode == 2 and "dgawatch watch check" in proc.stderr and not proc.stdout
    with WatchStore(default_path()) as store:
        rows = [(n, n.rsplit(".", 1)[1], "conficker", "b", DAYS[0]) for n in chosen]
        check = store.begin_check(now, DAYS[0], DAYS[1], ["com"], ["zone"], rows)
        verdicts = [Verdict(n, "collision", "registered before publication", now) for n in chosen]
        store.record(check, {n: n.rsplit(".", 1)[1] for n in chosen}, verdicts)
        store.finish_check(check, now)
    plain = parse_rpz_text(run_cli(*sel, home=home).stdout)
    proc = run_cli(*sel, "--exclude-collisions", home=home)
    assert proc.returncode == 0, proc.stderr
    names = parse_rpz_text(proc.stdout)
    assert names == [n for n in plain if n not in chosen] and chosen <= set(plain)
    assert "withheld 2 distinct names (2 occurrences): 2 on watch collisions" in proc.stdout
    assert "2 on watch collisions" in proc.stderr


def parse_rpz_text(text: str) -> list[str]:
    return [ln.split()[0] for ln in text.splitlines() if ln and not ln.startswith((";", "$", "@"))]


def test_gopack_exclude_collisions_and_allowlist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A go-pack leaves out the watch's collisions and the allowlist's names, and its
    manifest says how many and why."""
    from dgawatch.watch.evidence import Verdict
    from dgawatch.watch.store import WatchStore, default_path

    day1, day2 = generated()
    com = [n for n in day1 + day2 if n.endswith(".com")]
    collided, allowed = {com[0], com[5]}, {com[9]}
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    home = tmp_path / "home"
    monkeypatch.setenv("DGAWATCH_HOME", str(home))
    home.mkdir()
    with WatchStore(default_path()) as store:
        rows = [(n, "com", "conficker", "b", DAYS[0]) for n in collided]
        check = store.begin_check(now, DAYS[0], DAYS[1], ["com"], ["zone"], rows)
        verdicts = [Verdict(n, "collision", "registered before", now) for n in collided]
        store.record(check, dict.fromkeys(collided, "com"), verdicts)
        store.finish_check(check, now)
    allow = tmp_path / "allow.txt"
    allow.write_text("".join(f"{n}\n" for n in allowed))
    build = ("gopack", "--tld", "com", "--start", "2009-01-08", "--family", "conficker")
    plain, screened = tmp_path / "plain", tmp_path / "screened"
    assert run_cli(*build, "--output", str(plain), home=home).returncode == 0
    proc = run_cli(*build, "--output", str(screened), "--exclude-collisions",
                   "--allowlist", str(allow), home=home)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    before = set((plain / "com" / "2009-01.txt").read_text().split())
    after = set((screened / "com" / "2009-01.txt").read_text().split())
    assert before - after == collided | allowed and after < before
    withheld = json.loads((screened / "MANIFEST.json").read_text())["withheld"]
    assert withheld["names"] == {
        "allowlist allow.txt": 1,
        "watch collisions (registered before publication)": 2,
    }
    assert "withheld 3 distinct names" in proc.stderr
