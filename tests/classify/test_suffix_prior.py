"""The second-stage suffix prior (``DGAClassifier(suffix_prior=W)``): the counted log-odds,
what it adds to a name and never to a bare label, the two calibrations, persistence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dgawatch.classify import DGAClassifier
from dgawatch.classify.features import labels
from dgawatch.classify.model import SuffixPrior
from dgawatch.errors import InputError
from tests.classify.conftest import older_file, reloaded


def test_counted_log_odds_by_hand() -> None:
    """100 benign names (90 .com, 10 .de), 100 generated names of families (50 .com, 50
    .biz) and 100 synthetic ones (no family, .xyz): each class's pseudo-count is 1e-4 of
    its names (0.01) over 1,000 suffixes, so both denominators are 110."""
    suffixes = ["com"] * 90 + ["de"] * 10 + ["com"] * 50 + ["biz"] * 50 + ["xyz"] * 100
    y = np.array([0] * 100 + [1] * 200)
    family: list[str | None] = [None] * 100 + ["fam"] * 100 + [None] * 100
    prior = SuffixPrior.count(suffixes, y, family)
    # biz: log(50.01 / 110) - log(0.01 / 110) = 8.5, capped at 1; com leans benign (50 vs
    # 90); de was no generated name's: log(0.01 / 10.01), floored at -2; xyz only synthetic
    # names' (not counted, so unknown: 0)
    assert prior.odds == {
        "biz": 1.0,
        "com": round(math.log(50.01 / 90.01), 4),
        "de": -2.0,
    }
    np.testing.assert_array_equal(
        prior.values(["biz", "com", "", "xyz", "de"]),
        [prior.odds["biz"], prior.odds["com"], 0, 0, -2.0],
    )
    # Without family labels every generated name counts, the synthetic .xyz ones too.
    every = SuffixPrior.count(suffixes, y, None)
    # 200 generated names: pseudo-count 0.02, denominator 220; .com is 50 of them now
    assert every.odds["xyz"] == 1.0  # (capped)
    assert every.odds["com"] == round(math.log(50.02 / 220) - math.log(90.01 / 110), 4)
    # Only one class: no evidence at all.
    assert SuffixPrior.count(["com", "biz"], np.array([1, 1]), None).odds == {}


Fitted = tuple[DGAClassifier, list[str], list[int]]


@pytest.fixture(scope="module")
def prior_model(
    small_data: tuple[list[str], list[int], list[str | None]],
) -> Fitted:
    """The families' names moved to .biz for one in three, benign ones kept as they are."""
    names, y, fams = small_data
    moved = [
        n.split(".")[0] + ".biz" if t and i % 3 == 0 else n
        for i, (n, t) in enumerate(zip(names, y, strict=True))
    ]
    model = DGAClassifier(bits=14, epochs=2, cnn_filters=0, suffix_prior=1.5)
    model.fit(moved, y, family=fams)
    model.calibrate([n for n, t in zip(moved, y, strict=True) if not t][:2000])
    return model, moved, y


def test_prior_adds_to_names_not_to_bare_labels(prior_model: Fitted) -> None:
    model = prior_model[0]
    biz = model.prior_.odds["biz"]
    assert biz == 1.0  # the cap: fails if the families' .biz names were not counted
    assert max(model.prior_.odds.values()) == 1.0
    labs = ["wikipedia", "xkqjzwpvbn", "mybank"]
    com = model.decision_function([f"{lab}.com" for lab in labs])
    under = model.decision_function([f"{lab}.biz" for lab in labs])
    bare = model.decision_function(labs)
    np.testing.assert_allclose(under - bare, 1.5 * biz, rtol=1e-6)
    np.testing.assert_allclose(com - bare, 1.5 * model.prior_.odds.get("com", 0.0), rtol=1e-6)
    # a suffix of benign names only is floored: it takes 1.5 * 2 off, no more
    benign_only = [s for s, v in model.prior_.odds.items() if v == -2.0]
    assert benign_only  # fails if the floor is not applied (alexa's ccTLDs are far below)
    low = model.decision_function([f"{lab}.{benign_only[0]}" for lab in labs])
    np.testing.assert_allclose(low - bare, -3.0, rtol=1e-6)
    # the parts: the detectors' score plus what prior_scores says
    names = [f"{lab}.biz" for lab in labs] + labs
    linear, cnn = model.detector_scores(names)
    assert cnn is None
    np.testing.assert_allclose(
        model.decision_function(names), linear + model.prior_scores(names), rtol=1e-6
    )
    # the prior off: the suffix changes nothing
    model.set_params(suffix_prior=0.0)
    try:
        np.testing.assert_array_equal(model.decision_function([f"{lab}.biz" for lab in labs]), bare)
    finally:
        model.set_params(suffix_prior=1.5)


def test_bare_labels_have_thresholds_of_their_own(prior_model: Fitted) -> None:
    model, moved, y = prior_model
    benign = [n for n, t in zip(moved, y, strict=True) if not t][:2000]
    bare = model.decision_function(labels(benign))
    assert model.label_thresholds_[1e-2] == float(np.sort(bare)[::-1][20])
    full = model.decision_function(benign)
    assert model.thresholds_[1e-2] == float(np.sort(full)[::-1][20])
    assert model.logit_threshold_for(1e-2, bare=True) == model.label_thresholds_[1e-2]
    assert model.logit_threshold_for(1e-2) == model.thresholds_[1e-2]
    with pytest.raises(InputError, match=r"no threshold calibrated for FPR 0\.05"):
        model.logit_threshold_for(0.05, bare=True)


def test_prior_save_load_and_older_files(prior_model: Fitted) -> None:
    model = prior_model[0]
    again = reloaded(model, ["google.com", "xkqjzwpvbn.biz", "abc.co.uk", "bare"])
    assert again.prior_.odds == model.prior_.odds
    assert again.label_thresholds_ == model.label_thresholds_
    # A file written before the prior loads without one (and its one calibration serves
    # bare labels too), whatever the estimator's default.
    legacy = older_file(model, ("suffix_prior",), ("suffix_odds", "label_thresholds"))
    assert legacy.suffix_prior == 0.0
    np.testing.assert_array_equal(
        legacy.decision_function(["xkqjzwpvbn.biz"]), model.decision_function(["xkqjzwpvbn"])
    )
    assert legacy.logit_threshold_for(1e-2, bare=True) == model.thresholds_[1e-2]
