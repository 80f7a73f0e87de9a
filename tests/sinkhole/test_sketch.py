"""Three sinkhole operators merge their distinct counts through HLL sketches, without
exchanging a single address."""

import base64
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dgawatch.sinkhole.enrich import Enricher
from dgawatch.sinkhole.simulate import Botnet, ip_text, simulate, write_store

DGAWATCH = str(Path(sys.executable).parent / "dgawatch")
DAY = dt.date(2026, 11, 27)
D0 = int(dt.datetime.combine(DAY, dt.time(), dt.UTC).timestamp() * 1000)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DGAWATCH, "sinkhole", "sketch", *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def test_three_operators_merge_within_the_stated_error(tmp_path: Path) -> None:
    t = simulate(Botnet(bots=4_000, held=100, day=DAY, seed=31))
    who = np.random.default_rng(5).integers(0, 3, size=len(t.ts))  # which sinkhole saw it
    files = []
    for op in range(3):
        write_store(t.select(who == op), tmp_path / f"op{op}", dns=False)
        files.append(tmp_path / f"op{op}.json")
        proc = _run("export", "--dir", str(tmp_path / f"op{op}"), "--output", str(files[-1]),
                    "--date", DAY.isoformat())  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert os.stat(files[-1]).st_mode & 0o777 == 0o600

    # no address in any exported file: not in the text, not in the decoded sketches
    day = (t.ts >= D0) & (t.ts < D0 + 86_400_000)
    addresses = {ip_text(a) for a in np.unique(t.src[day])}
    for f in files:
        text = f.read_text()
        blobs = b"".join(base64.b64decode(e["hll"]) for e in json.loads(text)["entries"])
        assert not [a for a in addresses if a in text or a.encode() in blobs]

    proc = _run("merge", *map(str, files), "--by", "day,family,variant", "--json",
                "--output", str(tmp_path / "merged.json"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (row,) = doc["rows"]
    exact = len(addresses)  # the union over the three operators, from the simulator
    assert row["lower"] <= exact <= row["upper"]
    assert abs(row["estimate"] - exact) / exact <= 2 * doc["relative_standard_error"]
    assert doc["relative_standard_error"] < 0.02
    # each operator alone saw fewer: the merge is a union, not a sum
    single = json.loads(_run("merge", str(files[0]), "--by", "day", "--json").stdout)
    assert single["rows"][0]["estimate"] < 0.9 * exact

    # per country and ASN: the exact union of each key inside the sketch's bounds
    enrich = Enricher()
    exact_keys: dict[tuple[str, str], set[str]] = {}
    for a in addresses:
        asn = enrich.asn(a)
        key = (enrich.country(a) or "unknown", f"AS{asn}" if asn else "unknown")
        exact_keys.setdefault(key, set()).add(a)
    doc = json.loads(_run("merge", *map(str, files), "--by", "country,asn", "--json").stdout)
    got = {(r["country"], r["asn"]): r for r in doc["rows"]}
    assert set(got) == set(exact_keys)
    inside = sum(got[k]["lower"] <= len(v) <= got[k]["upper"] for k, v in exact_keys.items())
    assert inside >= 0.95 * len(exact_keys)


def test_bad_sketch_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    entry = {"day": "x", "family": "c", "variant": "c", "country": "x", "asn": "x", "hll": "!!"}
    bad.write_text(json.dumps({"schema": "dgawatch-sketch/1", "lg_k": 12, "entries": [entry]}))
    proc = _run("merge", str(bad))
    assert proc.returncode == 2 and "entry 1" in proc.stderr and "Traceback" not in proc.stderr
    proc = _run("merge", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "missing.json" in proc.stderr
