"""MISP export: one ``dga-domain`` object per name, with the template's fields, read back by
pymisp and checked against ground truth (Conficker C's xpun.nl in Netlab's matched sample,
Bambenek's Cryptolocker names of 2017-04-13 and their order)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pymisp import MISPEvent, MISPObject

from dgawatch.export import ExportOptions, get_exporter
from dgawatch.families import get_family
from dgawatch.forecast import iter_day_lists
from shared_data import family_examples, read_csv

C = get_family("conficker").variant("c")
CRYPTO = get_family("cryptolocker").variants[0]
DIRCRYPT = get_family("dircrypt").variants[0]


def _xpun() -> tuple[dt.date, int]:
    rows = read_csv("conficker/conficker_c_netlab360_sample_matched.csv")
    row = next(r for r in rows if r["domain"] == "xpun.nl")
    day, index = row["matched_date_index"].split(";")[0].split("#")
    return dt.date.fromisoformat(day), int(index)


def export(variant: object, day: dt.date, out: Path, tlds: tuple[str, ...] = ()) -> MISPEvent:
    out.mkdir()
    get_exporter("misp").write(iter_day_lists([variant], [day]), out, ExportOptions(tlds=tlds))  # type: ignore[list-item]
    (path,) = out.iterdir()
    event = MISPEvent()
    event.load(path.read_text())
    return event


def fields(obj: MISPObject) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in obj.attributes:
        out.setdefault(a.object_relation, []).append(str(a.value))
    return out


def test_conficker_c_objects_carry_the_template_fields(tmp_path: Path) -> None:
    day, index = _xpun()
    event = export(C, day, tmp_path / "m", tlds=("nl",))
    template = MISPObject("dga-domain")
    assert event.objects and {o.name for o in event.objects} == {"dga-domain"}
    assert {o.template_uuid for o in event.objects} == {template.template_uuid}
    # one object per event-level domain attribute, same names, same order
    assert [fields(o)["domain"][0] for o in event.objects] == [a.value for a in event.attributes]
    xpun = next(o for o in event.objects if fields(o)["domain"] == ["xpun.nl"])
    f = fields(xpun)
    assert f["counter"] == [str(index)]  # Netlab's matched index
    assert f["malware-family"] == ["conficker"] and f["algorithm-version"] == ["c"]
    assert f["tld"] == ["nl"]
    assert "seed" not in f  # the date alone seeds Conficker C
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    epoch = next(a for a in xpun.attributes if a.object_relation == "epoch").value
    assert epoch == start
    valid = {a.object_relation: a.value for a in xpun.attributes if "validity" in a.object_relation}
    assert valid == {
        "validity-start": start,
        "validity-end": start + dt.timedelta(days=1, seconds=-1),
    }
    relations = {a.object_relation for o in event.objects for a in o.attributes}
    assert relations <= set(template._definition["attributes"])
    assert next(a for a in xpun.attributes if a.object_relation == "domain").to_ids


def test_bambenek_names_are_the_counters_of_their_day(tmp_path: Path) -> None:
    truth = [n for n, _, _ in family_examples("cryptolocker", "BAMBENEK:")]
    event = export(CRYPTO, dt.date(2017, 4, 13), tmp_path / "m")
    got = [(fields(o)["domain"][0], fields(o)["counter"][0]) for o in event.objects]
    assert got == [(n, str(i)) for i, n in enumerate(truth)]


def test_static_list_seed_and_validity(tmp_path: Path) -> None:
    event = export(DIRCRYPT, dt.date(2017, 4, 13), tmp_path / "m")
    f = fields(event.objects[0])
    assert f["seed"] == ["seed=0xF2113C2A; nr=30"]
    valid = {a.object_relation: a.value for a in event.objects[0].attributes}
    assert valid["validity-start"] == dt.datetime(2015, 3, 1, tzinfo=dt.UTC)
    assert f["reference"] == list(get_family("dircrypt").references)


@pytest.mark.parametrize("variant", [C, DIRCRYPT])
def test_objects_validate_against_the_template_and_round_trip(
    variant: object, tmp_path: Path
) -> None:
    out = tmp_path / "m"
    event = export(variant, dt.date(2017, 4, 13), out, tlds=("nl", "com"))
    raw = next(out.iterdir()).read_text()
    for obj in event.objects[:50]:
        again = MISPObject("dga-domain", strict=True)
        again.from_dict(**json.loads(obj.to_json()))
        again.to_json()  # strict: raises on a relation or type the template does not have
    reloaded = MISPEvent()
    reloaded.load(raw)
    assert json.loads(reloaded.to_json()) == json.loads(raw)["Event"]
