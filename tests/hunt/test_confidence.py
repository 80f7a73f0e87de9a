"""The confidence score orders findings as an analyst would (README "Hunt")."""

from __future__ import annotations

import datetime as dt
import itertools

from dgawatch.families import get_family
from dgawatch.hunt.confidence import ListShape, confidence, name_shapes
from dgawatch.hunt.finding import shapes_of

C = get_family("conficker").variant("c")
SHAPE_C = shapes_of([C])[("conficker", "c")]


def conf(names: list[tuple[str, bool]], days: int = 1, shape: ListShape = SHAPE_C) -> float:
    return confidence(name_shapes(names), shape, 1, days)[0]


def names_of_length(length: int, n: int) -> list[str]:
    day_list = C.domains(dt.date(2014, 11, 16))
    return [d for d in day_list if len(d.split(".")[0]) == length][:n]


def test_one_short_name_is_weak_many_names_are_certain() -> None:
    (short,) = names_of_length(4, 1)
    assert conf([(short, False)]) == 0.0
    dozens = [(d, True) for d in C.domains(dt.date(2014, 11, 16))[:36]]
    assert conf(dozens) == 1.0
    assert conf([(short, False)]) <= conf([(short, True)]) < conf(dozens)


def test_longer_names_are_stronger_evidence() -> None:
    scores = [
        confidence(name_shapes([(names_of_length(n, 1)[0], False)]), SHAPE_C, 1, 1)[1]
        for n in range(4, 10)
    ]
    assert scores == sorted(scores)
    assert scores[0] == 0.0 and scores[-1] > 5


def test_nxdomain_beats_noerror() -> None:
    for length, n in ((4, 10), (5, 3), (6, 1), (7, 1)):
        names = names_of_length(length, n)
        no = confidence(name_shapes([(d, False) for d in names]), SHAPE_C, 1, 1)
        nx = confidence(name_shapes([(d, True) for d in names]), SHAPE_C, 1, 1)
        assert nx[1] > no[1]


def test_adding_names_never_lowers_confidence() -> None:
    names = [(d, i % 3 == 0) for i, d in enumerate(C.domains(dt.date(2014, 11, 16))[:60])]
    scores = [confidence(name_shapes(names[:k]), SHAPE_C, 1, 1)[1] for k in range(1, 61)]
    assert all(a <= b for a, b in itertools.pairwise(scores))


def test_more_days_and_wider_windows_make_chance_likelier() -> None:
    names = [(d, False) for d in names_of_length(6, 2)]
    assert conf(names, days=1) > conf(names, days=30)
    one = confidence(name_shapes(names), SHAPE_C, 1, 1)[1]
    wide = confidence(name_shapes(names), SHAPE_C, 7, 1)[1]
    assert one > wide


def test_short_lists_make_single_names_strong() -> None:
    """Conficker B (250 names a day, 8 suffixes): one 8-letter name is already telling."""
    b = get_family("conficker").variant("b")
    shape_b = shapes_of([b])[("conficker", "b")]
    name = next(d for d in b.domains(dt.date(2014, 11, 16)) if len(d.split(".")[0]) == 8)
    assert conf([(name, False)], shape=shape_b) > 0.999
