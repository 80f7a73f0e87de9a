"""An all-time index built by another version of a generator is not trusted: its variant is
reported stale, its names are looked up as if not indexed, and a build starts it over."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dgawatch import index as index_module
from dgawatch.families import get_family
from dgawatch.index import FINGERPRINT, AllTimeIndex, lookup_all

DAYS = [dt.date(2020, 3, 1), dt.date(2020, 3, 2)]


def test_a_changed_generator_makes_the_index_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v = get_family("chinad").variant("default")
    name = v.domains(DAYS[1])[5]
    built = AllTimeIndex(tmp_path / "alltime-v1")
    assert built.build([v], days=DAYS) > 0
    assert (tmp_path / "alltime-v1" / "chinad" / "default" / FINGERPRINT).is_file()
    fresh = AllTimeIndex(tmp_path / "alltime-v1")
    hits = lookup_all([name], [v], index=fresh, generate_missing=False).hits[name]
    assert [(h.first_day, h.index) for h in hits] == [(DAYS[1], 5)] and not fresh.stale

    real = index_module.fingerprint
    monkeypatch.setattr(index_module, "fingerprint", lambda var: f"{real(var)}-changed")
    changed = AllTimeIndex(tmp_path / "alltime-v1")
    result = lookup_all([name], [v], index=changed, generate_missing=False)
    assert changed.stale == {"chinad/default"} and name not in result.hits
    assert changed.build([v], days=DAYS) > 0  # rebuilt from scratch under the new fingerprint
    again = AllTimeIndex(tmp_path / "alltime-v1")
    assert lookup_all([name], [v], index=again, generate_missing=False).hits[name]
    assert not again.stale
