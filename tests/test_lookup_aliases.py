"""A list known under two names (gameover's pre-tovar is murofet v1's list) is reported once,
under the registered variant, with the other name as ``aliases`` (issue 18, defect 3)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from dgawatch.families import get_family, select_variants
from tests.test_cli import run

DAY = dt.date(2014, 5, 2)


def test_the_alias_selects_the_registered_list() -> None:
    pre = get_family("gameover").variant("pre-tovar")
    assert pre.key == "murofet/v1"
    assert pre in select_variants(["gameover"]) and pre in select_variants(["murofet"])


def test_lookup_names_the_alias(tmp_path: Path) -> None:
    name = get_family("murofet").variant("v1").domains(DAY)[3]
    proc = run("lookup", name, "--start", str(DAY), "--end", str(DAY), "--json", home=tmp_path)
    (doc,) = [json.loads(line) for line in proc.stdout.splitlines()]
    (hit,) = doc["matches"]
    assert (hit["family"], hit["variant"], hit["index"]) == ("murofet", "v1", 3)
    assert hit["aliases"] == ["gameover/pre-tovar"]
    other = get_family("conficker").variant("b").domains(DAY)[0]
    proc = run("lookup", other, "--start", str(DAY), "--end", str(DAY), "--json", home=tmp_path)
    (doc,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert "aliases" not in doc["matches"][0]
