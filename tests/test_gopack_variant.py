"""``gopack --variant V`` (repeatable, with one ``--family``), as in ``forecast`` and
``export``: a registry can be handed one variant's names (Conficker A's, not C's 50,000 a
day). Checked name for name against Conficker A/B ground truth (willbeninger, 2020), and
``--family all`` means every family, as the command-line convention says. Real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared_data import read_csv

DAYS = ("2020-12-30", "2020-12-31")  # the pack's first month starts on --start


def gopack(tmp_path: Path, out: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from dgawatch.cli import main; main()", "gopack",
         "--tld", "org", "--start", DAYS[0], "--output", str(tmp_path / out), *args],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, DGAWATCH_HOME=str(tmp_path / "home")),
    )  # fmt: skip


@pytest.fixture(scope="module")
def truth() -> dict[str, set[str]]:
    rows = read_csv("conficker/conficker_ab_2020_willbeninger.csv.gz")
    out: dict[str, set[str]] = {"A": set(), "B": set()}
    for r in rows:
        if r["date"] in DAYS and r["domain"].endswith(".org"):
            out[r["variant"]].add(r["domain"])
    assert out["A"] and out["B"]
    return out


def names(pack: Path) -> list[str]:
    return (pack / "org" / "2020-12.txt").read_text().splitlines()


def test_one_variant_is_exactly_its_ground_truth(
    tmp_path: Path, truth: dict[str, set[str]]
) -> None:
    done = gopack(tmp_path, "a", "--family", "conficker", "--variant", "a")
    # fails without the option: "No such option: --variant"
    assert done.returncode == 0, done.stderr
    assert names(tmp_path / "a") == sorted(truth["A"])
    manifest = json.loads((tmp_path / "a" / "MANIFEST.json").read_text())
    assert [(v["family"], v["variant"]) for v in manifest["variants"]] == [("conficker", "a")]


def test_repeated_variants_are_the_union(tmp_path: Path, truth: dict[str, set[str]]) -> None:
    done = gopack(tmp_path, "ab", "--family", "conficker", "--variant", "a", "--variant", "b")
    assert done.returncode == 0, done.stderr
    assert names(tmp_path / "ab") == sorted(truth["A"] | truth["B"])
    whole = gopack(tmp_path, "all", "--family", "conficker")  # a, b and c (no .org names)
    assert whole.returncode == 0, whole.stderr
    assert names(tmp_path / "all") == names(tmp_path / "ab")
    manifest = json.loads((tmp_path / "all" / "MANIFEST.json").read_text())
    assert [v["variant"] for v in manifest["variants"]] == ["a", "b", "c"]


def test_family_all_is_every_family(tmp_path: Path, truth: dict[str, set[str]]) -> None:
    done = gopack(tmp_path, "every", "--family", "all")
    # fails without the fix: "unknown family 'all'"
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "every" / "MANIFEST.json").read_text())
    assert len(manifest["families"]) > 10
    assert set(names(tmp_path / "every")) >= truth["A"] | truth["B"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--variant", "a"], "--variant needs exactly one family"),
        (["--family", "conficker", "--variant", "zz"], "has no variant 'zz'"),
        (["--family", "conficker", "--family", "necurs", "--variant", "a"], "exactly one family"),
    ],
)
def test_bad_variant_is_one_line_and_no_pack(tmp_path: Path, args: list[str], needle: str) -> None:
    done = gopack(tmp_path, "bad", *args)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert needle in line and "Traceback" not in done.stderr
    assert not (tmp_path / "bad").exists()
