"""IDN labels (``xn--`` + Punycode) are not scored by the classifier: their letters are an
encoding, and the detectors read any non-Latin word as random. Hosts from the 2025 HSTS
preload list that the shipped model called generated before (session 14)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from dgawatch.classify import default_model
from dgawatch.classify.features import encode, idn_labels
from dgawatch.classify.model import IDN_LOGODDS

#: HSTS preload hosts (hstspreload 2025.1.1) the shipped model flagged at 1e-3 before.
FLAGGED_IDNS = [
    "xn--80aaacqdkdv7b0a.tk",  # азербайджан
    "xn--80aaaane9bk7bh.tk",
    "xn--f9jh4f4b4993b66s.tokyo",
    "xn--7tqp36c113a.xn--fiqs8s",
    "xn--jlq480n2rg",
]


def test_which_labels_are_idns() -> None:
    labs = ["xn--80aaacqdkdv7b0a", "XN--80AAACQDKDV7B0A", "xn--1ca", "xn--p1ai",
            "азербайджан", "bücher",  # the same in Unicode
            # not valid IDNA 2008: U+0080, a symbol (U+1F4A9), bad Punycode, in Unicode
            "xn--a", "xn--ls8h", "xn--", "xn---", "\U0001f4a9", "a\u200db",
            "xnxn--abc", "abc", "", "x"]  # fmt: skip
    assert idn_labels(labs).tolist() == [True] * 6 + [False] * 10
    # The encoded labels' pre-filter looks at the same ones (and at no fewer).
    mixed = labs * 3 + ["a_b", "xn-", "xn", "Xn--1Ca", "x" * 70 + "ü", "ü" + "x" * 70]
    np.testing.assert_array_equal(idn_labels(mixed, encode(mixed)), idn_labels(mixed))


def test_idns_are_not_scored_and_others_are() -> None:
    model = default_model()
    dga = ["xkqjzwpvbn.biz", "kwtoestnessbiophysicalohax.com"]
    invalid_idn = "xn--ls8h.com"  # scored as the string it is
    s = model.decision_function([*FLAGGED_IDNS, *dga, invalid_idn, "xn--80aaacqdkdv7b0a"])
    assert s[: len(FLAGGED_IDNS)].tolist() == [IDN_LOGODDS] * len(FLAGGED_IDNS)
    assert s[-1] == IDN_LOGODDS  # a bare label too (the hunt scores labels)
    assert model.decision_function(["азербайджан.tk"]).tolist() == [IDN_LOGODDS]
    cut = model.logit_threshold_for(1e-3)
    assert (s[len(FLAGGED_IDNS) : -2] > cut).all()
    # The same names alone score the same (no batch effect), and their parts add up.
    lin, cnn = model.detector_scores([*dga, invalid_idn])
    assert cnn is not None
    blend = (1 - model.cnn_weight) * lin + model.cnn_weight * cnn
    want = blend + model.prior_scores([*dga, invalid_idn])
    np.testing.assert_allclose(s[len(FLAGGED_IDNS) : -1], want, rtol=1e-6)


def test_cli_says_why() -> None:
    env = {**os.environ, "COLUMNS": "250"}
    code = "from dgawatch.cli import main; main()"
    proc = subprocess.run(
        [sys.executable, "-c", code, "classify", "--no-lookup", FLAGGED_IDNS[0]],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if FLAGGED_IDNS[0] in x)
    assert "benign" in line and "generated" not in line
    assert "IDN label 'азербайджан': not scored" in line
