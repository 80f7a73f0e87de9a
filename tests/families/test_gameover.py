"""Gameover Zeus against the public examples.

- BAMBENEK dga-post-tovar-goz-1000.txt (dated 2017-04-13): exactly the ``post-tovar`` list of
  that day, in order.
- ANDREWAEVA zeus.txt: exactly the ``andrewaeva-zeus`` list for November 2014, in order.
- ANDREWAEVA goz.txt: observed ``.ru`` names in no generation order (a shuffled set from
  the DDS list); each must be in some ``pre-tovar`` list of 2014-04-01 .. 2014-12-31.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.gameover import generate_andrewaeva, generate_pre_tovar
from tests.shared_data import family_examples


def names(source: str) -> list[str]:
    return [d for d, _, _ in family_examples("gameover", source)]


def test_post_tovar_bambenek_feed() -> None:
    rows = family_examples("gameover", "BAMBENEK:")
    assert {date for _, date, _ in rows} == {"2017-04-13"}
    expected = [d for d, _, _ in rows]
    assert len(expected) == 1000
    day = dt.date.fromisoformat(rows[0][1])
    variant = get_family("gameover").variant("post-tovar")
    assert variant.domains(day) == expected
    assert variant.domains_blob(day).decode("ascii").split("\n")[:-1] == expected


def test_andrewaeva_zeus_list() -> None:
    expected = names("ANDREWAEVA:dga_wordlists/zeus.txt")
    assert len(expected) == 1000
    for day in (dt.date(2014, 11, 1), dt.date(2014, 11, 30)):
        assert get_family("gameover").variant("andrewaeva-zeus").domains(day) == expected
    assert generate_andrewaeva(dt.date(2014, 12, 1))[0] != expected[0]


def test_pre_tovar_observed_names() -> None:
    expected = names("ANDREWAEVA:dga_wordlists/goz.txt")
    assert len(expected) == 1667
    generated: set[str] = set()
    day = dt.date(2014, 4, 1)
    while day <= dt.date(2014, 12, 31):
        if day.day in (1, 7, 14, 21, 28):  # the days a pre-Tovar list starts
            generated.update(generate_pre_tovar(day))
        day += dt.timedelta(days=1)
    missing = [n for n in expected if n not in generated]
    assert missing == []


def test_all_examples_covered() -> None:
    assert len(family_examples("gameover")) == 1000 + 1000 + 1667


def test_registry() -> None:
    family = get_family("goz")
    assert family.name == "gameover"
    for v in family.variants:
        got = v.domains(dt.date(2014, 5, 2))
        assert len(got) == v.domains_per_day == 1000
        assert "\n".join(got) + "\n" == v.domains_blob(dt.date(2014, 5, 2)).decode()
