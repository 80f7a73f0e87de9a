"""SOC intel exports (Zeek Intel, Suricata dataset, STIX 2.1, MISP), read back with the
consumers' own rules and libraries, checked against the netlab360 Conficker C ground truth.

Conficker C, 2014-11-11, restricted to ``.nl``: the ground-truth name ``xpun.nl`` sits at
index 36177 of that day's list (shared/data/conficker/conficker_c_netlab360_sample_matched.csv).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import random
import re
import uuid
from pathlib import Path

import pytest
import stix2
from pymisp import MISPEvent
from stix2.v21 import Identity, Indicator

from dgawatch.export import ExportOptions, get_exporter
from dgawatch.families import Variant, all_variants, get_family
from dgawatch.forecast import DayList, iter_day_lists
from shared_data import read_csv

C = get_family("conficker").variant("c")


def _truth(domain: str) -> tuple[dt.date, int]:
    rows = read_csv("conficker/conficker_c_netlab360_sample_matched.csv")
    row = next(r for r in rows if r["domain"] == domain)
    day, index = row["matched_date_index"].split(";")[0].split("#")
    return dt.date.fromisoformat(day), int(index)


DAY, INDEX = _truth("xpun.nl")
OPTIONS = ExportOptions(tlds=("nl",))


@pytest.fixture(scope="module")
def nl_names() -> list[tuple[int, str]]:
    """(index, name) of the day's .nl names, taken from the plain generator list."""
    return [(i, n) for i, n in enumerate(C.domains(DAY)) if n.endswith(".nl")]


def export_bytes(fmt: str, days: list[dt.date] | None = None) -> bytes:
    buf = io.BytesIO()
    get_exporter(fmt).write(iter_day_lists([C], days or [DAY]), buf, OPTIONS)
    return buf.getvalue()


def export_dir(fmt: str, out: Path) -> dict[str, bytes]:
    out.mkdir()
    get_exporter(fmt).write(iter_day_lists([C], [DAY]), out, OPTIONS)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_ground_truth_is_in_the_selection(nl_names: list[tuple[int, str]]) -> None:
    assert (INDEX, "xpun.nl") in nl_names


# --- Zeek -------------------------------------------------------------------------------


def test_zeek_intel_header_and_rows(nl_names: list[tuple[int, str]]) -> None:
    text = export_bytes("zeek-intel").decode("ascii")
    lines = text.split("\n")
    assert lines[0] == "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
    assert lines[-1] == ""  # newline-terminated
    rows = [line.split("\t") for line in lines[1:-1]]
    assert all(len(r) == 4 for r in rows)
    assert {r[1] for r in rows} == {"Intel::DOMAIN"}
    assert [r[0] for r in rows] == [n for _, n in nl_names]
    row = next(r for r in rows if r[0] == "xpun.nl")
    assert row[2] == "dgawatch:conficker/c"
    assert "conficker/c" in row[3] and DAY.isoformat() in row[3] and f"index {INDEX}" in row[3]
    # Zeek's ASCII reader: a field must not be empty, "-" (unset) or "(empty)".
    assert all(field not in ("", "-", "(empty)") for r in rows for field in r)


# --- Suricata ---------------------------------------------------------------------------


def test_suricata_dataset_decodes_to_the_names(
    tmp_path: Path, nl_names: list[tuple[int, str]]
) -> None:
    files = export_dir("suricata-dataset", tmp_path / "s")
    assert set(files) == {"dgawatch-dga.lst", "dgawatch-dga.rules", "suricata.yaml.example"}
    lines = files["dgawatch-dga.lst"].decode("ascii").splitlines()
    decoded = [base64.b64decode(line, validate=True).decode("ascii") for line in lines]
    assert decoded == list(dict.fromkeys(n for _, n in nl_names))
    assert "xpun.nl" in decoded

    rules = [line for line in files["dgawatch-dga.rules"].decode().splitlines() if line[:1] != "#"]
    assert len(rules) == 1
    rule = rules[0]
    assert rule.startswith("alert dns any any -> any any (") and rule.endswith(";)")
    assert "dns.query; dataset:isset,dgawatch-dga, type string, load dgawatch-dga.lst," in rule
    hashsize = int(re.search(r"hashsize (\d+)", rule).group(1))  # type: ignore[union-attr]
    assert hashsize >= len(decoded)
    assert re.search(r"sid:\d+; rev:1;", rule)

    yaml = files["suricata.yaml.example"].decode()
    assert "datasets:\n  dgawatch-dga:\n    type: string\n    load: " in yaml
    assert "dataset:isset,dgawatch-dga;" in yaml


# --- STIX -------------------------------------------------------------------------------


def test_stix_bundle_parses_with_stix2(nl_names: list[tuple[int, str]]) -> None:
    raw = export_bytes("stix")
    bundle = stix2.parse(raw.decode("utf-8"), allow_custom=False)  # full validation
    assert bundle.type == "bundle"
    identity, *indicators = bundle.objects
    assert identity.type == "identity"
    assert all(o.type == "indicator" for o in indicators)
    unique = list(dict.fromkeys(n for _, n in nl_names))
    assert [o.name for o in indicators] == unique
    assert len({o.id for o in bundle.objects}) == len(bundle.objects)

    ind = next(o for o in indicators if o.name == "xpun.nl")
    assert ind.pattern == "[domain-name:value = 'xpun.nl']"
    assert ind.pattern_type == "stix"
    assert ind.valid_from == dt.datetime(2014, 11, 11, tzinfo=dt.UTC)
    assert ind.valid_until == dt.datetime(2014, 11, 12, tzinfo=dt.UTC)
    assert {"family:conficker", "variant:conficker/c", "day:2014-11-11"} <= set(ind.labels)
    assert f"index {INDEX}" in ind.description
    assert ind.created_by_ref == identity.id


def test_stix_is_deterministic_and_days_get_their_own_validity() -> None:
    days = [DAY, DAY + dt.timedelta(days=1)]
    first, second = export_bytes("stix", days), export_bytes("stix", days)
    assert first == second
    doc = json.loads(first)
    assert doc["id"].startswith("bundle--")
    froms = {o["valid_from"] for o in doc["objects"] if o["type"] == "indicator"}
    assert froms == {"2014-11-11T00:00:00Z", "2014-11-12T00:00:00Z"}


# The STIX writer formats objects itself (stix2 validates one template per variant): every
# object it writes must be the object stix2 builds from the documented schema (README,
# "Exports", ``stix``), computed here independently, field by field and byte for byte.

STIX_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://dgawatch/stix")
PRODUCER = f"identity--{uuid.uuid5(STIX_NAMESPACE, 'dgawatch')}"


def stix2_indicator(variant: Variant, day: dt.date, index: int, name: str) -> Indicator:
    """The indicator as the README documents it, built (and validated) by stix2."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    pattern_value = name.replace("\\", "\\\\").replace("'", "\\'")
    key = f"{variant.family}/{variant.name}/{day}/{name}"
    return Indicator(
        id=f"indicator--{uuid.uuid5(STIX_NAMESPACE, key)}",
        created_by_ref=PRODUCER,
        created=start,
        modified=start,
        name=name,
        description=(
            f"Domain generated by the {variant.family} DGA, variant {variant.name}, for {day} "
            f"(UTC); index {index} of that day's list."
        ),
        indicator_types=["malicious-activity"],
        pattern=f"[domain-name:value = '{pattern_value}']",
        pattern_type="stix",
        valid_from=start,
        valid_until=start + dt.timedelta(days=1),
        labels=["dga", f"family:{variant.family}", f"variant:{variant.key}", f"day:{day}"],
    )


def assert_same_object(line: str, expected: Indicator) -> None:
    parsed = stix2.parse(line, allow_custom=False)  # full validation, pattern included
    assert set(parsed) == set(expected), line
    for key in expected:
        assert parsed[key] == expected[key], (key, line)
    assert line == expected.serialize()  # and the very bytes stix2 writes


def object_lines(raw: bytes) -> list[str]:
    """The bundle's objects, one per line (the documented layout), and checks its frame."""
    lines = raw.decode("ascii").split("\n")
    assert lines[0] == '{"type": "bundle", "objects": [' and lines[-1] == ""
    objects = [line.removesuffix(",") for line in lines[1:-2]]
    assert all(line.endswith(",") for line in lines[1:-3]) and not lines[-3].endswith(",")
    ids = hashlib.sha256()
    for o in objects:  # an object's own id is its first "id" (checked on samples below)
        start = o.index('"id": "') + 7
        ids.update(o[start : o.index('"', start)].encode() + b"\n")
    bundle_id = f"bundle--{uuid.uuid5(STIX_NAMESPACE, ids.hexdigest())}"
    assert lines[-2] == f'], "id": "{bundle_id}"}}'
    return objects


def test_stix_objects_are_stix2_objects_for_every_variant_of_a_day() -> None:
    variants = [v for v in all_variants() if v.is_active(DAY)]
    assert len(variants) > 20 and C in variants
    buf = io.BytesIO()
    stats = get_exporter("stix").write(iter_day_lists(variants, [DAY]), buf, ExportOptions())
    objects = object_lines(buf.getvalue())
    producer = Identity(
        id=PRODUCER,
        name="dgawatch",
        identity_class="system",
        description="dgawatch: forecasts of domains generated by botnet DGAs",
        created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        modified=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert objects[0] == producer.serialize()
    # (day, variant) order; one indicator per distinct name, at its first index.
    expected: list[tuple[Variant, int, str]] = []
    for v in variants:
        first = {n: i for i, n in reversed(list(enumerate(v.domains(DAY))))}
        expected += sorted(((v, i, n) for n, i in first.items()), key=lambda e: e[1])
    assert stats.names == len(objects) - 1 == len(expected)
    starts = [k for k in range(len(expected)) if k == 0 or expected[k][0] is not expected[k - 1][0]]
    ends = [k - 1 for k in starts[1:]] + [len(expected) - 1]
    assert len(starts) == len(variants)
    sample = {*starts, *ends, *random.Random(1111).sample(range(len(expected)), 250)}
    sample |= {k for k, (v, i, n) in enumerate(expected) if n == "xpun.nl" and v is C}
    for k in sorted(sample):
        v, i, n = expected[k]
        assert_same_object(objects[k + 1], stix2_indicator(v, DAY, i, n))


def test_stix_names_that_need_escaping_are_stix2s() -> None:
    names = ["a'b.nl", "c\\d.nl", 'q"x.nl', "tab\tx.nl", "'.nl", "xpun.nl", "a'b.nl"]
    blob = "".join(n + "\n" for n in names).encode("ascii")
    buf = io.BytesIO()
    get_exporter("stix").write([DayList(C, DAY, blob)], buf, ExportOptions())
    objects = object_lines(buf.getvalue())
    assert len(objects) == 1 + 6  # the repeated name once, at its first index
    for line, (i, n) in zip(objects[1:], [(0, names[0]), *enumerate(names[1:6], 1)], strict=True):
        assert_same_object(line, stix2_indicator(C, DAY, i, n))


def test_stix_writer_matches_stix2_beyond_ascii() -> None:
    from dgawatch.export.stix import IndicatorWriter

    dl = DayList(C, DAY, b"")
    writer = IndicatorWriter(dl, PRODUCER)
    for i, name in enumerate(["b\u00fccher.de", "\u4f8b\u3048.jp", "\U0001f600.nl"]):
        line = writer.text(writer.uuid(name), i, name)
        assert_same_object(line, stix2_indicator(C, DAY, i, name))


def test_stix_template_is_validated_by_stix2(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken template stops the export: stix2 rejects the pattern of the first object,
    and a writer that no longer gives stix2's bytes is caught on that object too."""
    from dgawatch.export import stix

    monkeypatch.setattr(stix, "pattern", lambda name: f"[domain-name:value = '{name}'")
    with pytest.raises(stix2.exceptions.InvalidValueError, match="pattern"):
        export_bytes("stix")
    monkeypatch.undo()
    original = stix.IndicatorWriter.text
    monkeypatch.setattr(
        stix.IndicatorWriter,
        "text",
        lambda self, uid, i, n: original(self, uid, i, n).replace('"2.1"', '"2.0"'),
    )
    with pytest.raises(RuntimeError, match="differs from stix2"):
        export_bytes("stix")


# --- MISP -------------------------------------------------------------------------------


def test_misp_event_round_trips_through_pymisp(
    tmp_path: Path, nl_names: list[tuple[int, str]]
) -> None:
    files = export_dir("misp", tmp_path / "m")
    assert list(files) == ["2014-11-11_conficker_c.json"]
    raw = files["2014-11-11_conficker_c.json"]
    event = MISPEvent()
    event.load(raw)
    assert event.date == DAY
    assert "conficker" in event.info and "2014-11-11" in event.info
    assert {t.name for t in event.tags} == {
        'dgawatch:family="conficker"',
        'dgawatch:variant="conficker/c"',
    }
    values = [a.value for a in event.attributes]
    assert values == list(dict.fromkeys(n for _, n in nl_names))
    assert {a.type for a in event.attributes} == {"domain"}
    assert all(a.to_ids for a in event.attributes)
    xpun = next(a for a in event.attributes if a.value == "xpun.nl")
    assert f"index {INDEX}" in xpun.comment
    assert xpun.first_seen == dt.datetime(2014, 11, 11, tzinfo=dt.UTC)

    # Loading and dumping again gives the same document.
    again = MISPEvent()
    again.load(raw)
    assert json.loads(again.to_json()) == json.loads(raw)["Event"]


@pytest.mark.parametrize("fmt", ["zeek-intel", "stix"])
def test_stream_formats_are_deterministic(fmt: str) -> None:
    assert export_bytes(fmt) == export_bytes(fmt)


@pytest.mark.parametrize("fmt", ["suricata-dataset", "misp"])
def test_directory_formats_are_deterministic(fmt: str, tmp_path: Path) -> None:
    assert export_dir(fmt, tmp_path / "a") == export_dir(fmt, tmp_path / "b")
