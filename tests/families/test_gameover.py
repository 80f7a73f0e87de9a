"""Gameover Zeus against the public examples.

- BAMBENEK dga-post-tovar-goz-1000.txt (dated 2017-04-13): exactly the ``post-tovar`` list of
  that day, in order.
- ANDREWAEVA zeus.txt: exactly the ``andrewaeva-zeus`` list for November 2014, in order.
- ANDREWAEVA goz.txt: observed ``.ru`` names in no generation order (a shuffled set from
  the DDS list); each must be in some ``pre-tovar`` list of 2014-04-01 .. 2014-12-31.

``pre-tovar`` and ``post-tovar`` are declared aliases of ``murofet/v1`` and
``newgoz/default`` (issue 18): the checks go through ``Family.variant``, as the CLI does.
"""

from __future__ import annotations

import datetime as dt

from dgawatch.families import get_family
from dgawatch.families.gameover import (
    generate_andrewaeva,
    generate_post_tovar,
    generate_pre_tovar,
)
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
    assert [v.name for v in family.variants] == ["andrewaeva-zeus"]
    day = dt.date(2014, 5, 2)
    for name, size in (("pre-tovar", 1020), ("post-tovar", 1000), ("andrewaeva-zeus", 1000)):
        v = family.variant(name)
        got = v.domains(day)
        assert len(got) == v.domains_per_day == size
        assert "\n".join(got) + "\n" == v.domains_blob(day).decode()


def test_aliases_are_the_original_generators_reported_once() -> None:
    family = get_family("gameover")
    pre, post = family.variant("pre-tovar"), family.variant("post-tovar")
    assert (pre.key, post.key) == ("murofet/v1", "newgoz/default")
    assert family.variant("newgoz") is post
    day = dt.date(2014, 5, 2)
    # The GOZ pre-Tovar list is the first 1,000 names of murofet v1's 1,020.
    assert generate_pre_tovar(day) == pre.domains(day)[:1000]
    assert generate_post_tovar(day) == post.domains(day)
    doc = family.to_dict()
    assert {a["variant"]: a["same_as"] for a in doc["variant_aliases"]} == {  # type: ignore[attr-defined, index]
        "pre-tovar": "murofet/v1",
        "post-tovar": "newgoz/default",
        "newgoz": "newgoz/default",
    }
