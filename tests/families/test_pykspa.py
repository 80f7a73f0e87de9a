"""Pykspa against the reference example lists (baderj/domain_generation_algorithms).

``pykspa/precursor``: the reference's 5,000 names for the period with seed 8,339
(2015-08-31 and 2015-09-01). The excerpt in examples.csv.gz holds 4,974 of them, so it is
checked as an ordered subsequence of the period's list that starts and ends where it does.

``pykspa/improved``: the reference's default 10 names, the first names of 20-day period
833 (2015-08-13 .. 2015-09-01 UTC), in order. The compiled seeding (``dgawatch._pykspa``)
is also compared with the pure-Python reference on a few periods.
"""

from __future__ import annotations

import datetime as dt

import pytest

from dgawatch.families import get_family, pykspa
from dgawatch.families.pykspa import (
    IMPROVED_PER_PERIOD,
    generate,
    generate_from_seed,
    generate_improved,
    has_fast_path,
    improved_period_index,
    md6_256,
    period_seed,
    reference_improved_names,
    reference_improved_seed,
)
from shared_data import family_examples
from tests.families._fixtures import reference_lines
from tests.needs import missing

PERIOD = (dt.date(2015, 8, 31), dt.date(2015, 9, 1))
IMPROVED_PERIOD = (dt.date(2015, 8, 13), dt.date(2015, 9, 1))


def _is_ordered_subsequence(needle: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(x == y for y in it) for x in needle)


def test_precursor_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("pykspa", "BADERJ:pykspa/precursor/")]
    assert len(expected) == 4974
    assert period_seed(PERIOD[0]) == period_seed(PERIOD[1]) == 8339
    generated = generate_from_seed(8339)
    assert _is_ordered_subsequence(expected, generated)
    assert generated[0] == expected[0] and generated[-1] == expected[-1]
    variant = get_family("pykspa").variant("precursor")
    for day in PERIOD:
        assert variant.domains(day) == generated
    assert generate(PERIOD[1] + dt.timedelta(days=1)) != generated


def test_registered_variants_give_domains_per_day() -> None:
    family = get_family("pykspa")
    for variant in family.variants:
        names = variant.domains(variant.active_from)
        assert len(names) == variant.domains_per_day
        assert all(n == n.lower() and n.isascii() for n in names)
        assert {n.rsplit(".", 1)[1] for n in names} <= set(variant.tlds)


def test_improved_examples_in_order() -> None:
    expected = [d for d, _, _ in family_examples("pykspa", "BADERJ:pykspa/improved/")]
    assert len(expected) == 10
    first, last = IMPROVED_PERIOD
    assert improved_period_index(first) == improved_period_index(last) == 833
    assert improved_period_index(first - dt.timedelta(days=1)) == 832
    assert improved_period_index(last + dt.timedelta(days=1)) == 834
    variant = get_family("pykspa").variant("improved")
    for day in (first, dt.date(2015, 8, 25), last):
        names = variant.domains(day)
        assert len(names) == IMPROVED_PER_PERIOD
        assert names[: len(expected)] == expected
        assert variant.domains_blob(day) == ("\n".join(names) + "\n").encode("ascii")
    assert generate_improved(last, nr=len(expected)) == expected
    assert generate_improved(last + dt.timedelta(days=1))[0] != expected[0]


def test_improved_pure_python_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [d for d, _, _ in family_examples("pykspa", "BADERJ:pykspa/improved/")]
    monkeypatch.setattr(pykspa, "_extension_ok", lambda: False)
    pykspa.improved_seed.cache_clear()
    pykspa._improved_blob.cache_clear()
    try:
        assert generate_improved(IMPROVED_PERIOD[1])[: len(expected)] == expected
    finally:
        pykspa.improved_seed.cache_clear()
        pykspa._improved_blob.cache_clear()


def test_md6_256_known_answer() -> None:
    # MD6-256("abc"), the submission's first test vector.
    assert md6_256(b"abc").hex() == (
        "230637d4e6845cf0d092b558e87625f03881dd53a7439da34cf3b94ed0d8b2c5"
    )


def test_improved_compiled_matches_reference() -> None:
    if not has_fast_path():
        missing("dgawatch._pykspa not built")
    import dgawatch._pykspa as fast

    for data in (b"", b"\x00\x00\x00\x00", bytes(range(256)) * 2):
        assert fast.md6_256(data) == md6_256(data)
    for index in (700, 833, 1000, 1100):
        seed = reference_improved_seed(index)
        assert fast.improved_seed(index) == seed
        blob = fast.improved_names(seed, 1000).decode("ascii")
        assert blob.split("\n")[:-1] == reference_improved_names(seed, 1000)
    big = 0xFFFFFFFF
    blob = fast.improved_names(big, 20_000).decode("ascii")
    assert blob.split("\n")[:-1] == reference_improved_names(big, 20_000)


@pytest.mark.parametrize("day", ["2015-02-17", "2015-08-31", "2017-03-14"])
def test_noise_set_against_the_reference(day: str) -> None:
    expected = reference_lines("pykspa", f"improved-noise_{day}.txt")
    assert len(expected) == 1000
    variant = get_family("pykspa").variant("improved-noise")
    assert variant.domains(dt.date.fromisoformat(day)) == expected


def test_noise_names_of_the_write_ups_capture() -> None:
    # bin.re/blog/the-dga-of-pykspa: traffic "generated on February 16th, 2015", set (3).
    observed = [
        "haqwrnonlaj.info", "jlbdgfhi.net", "hiyumk.net", "ezrmsrnmzddx.net",
        "okqwmayiseaq.com", "lchsxgzmwg.info", "wbtkdnfr.info", "bodlmkjkckx.net",
        "xcixrwcyesou.net", "ofebrbnbmvfa.info", "bkmothb.net",
    ]  # fmt: skip
    noise = get_family("pykspa").variant("noise").domains(dt.date(2015, 2, 17))
    assert [noise.index(n) for n in observed] == [7, 21, 39, 56, 58, 66, 94, 153, 203, 205, 249]
    # Set (4) of the same capture: the useful list's first four names.
    useful = get_family("pykspa").variant("improved").domains(dt.date(2015, 2, 16))
    assert useful[:4] == ["ejtuxsflbknn.net", "wrthooba.info", "asgwkyaioy.com", "nazihzsljevt.net"]
