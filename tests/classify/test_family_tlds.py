"""The closest-family guess only names families that use the name's TLD (a Conficker C
name under ``com.ki`` was called tempedreve at 0.9999, a family that never uses ``com.ki``)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from dgawatch.classify import default_model
from dgawatch.classify.model import family_tld_mask
from dgawatch.families import get_family


def test_mask_follows_the_registry_tld_sets() -> None:
    mask = family_tld_mask(
        ["abcdefg.com.ki", "x.y.abcdefg.com.ki", "abc.nf", "abc.unknown-tld"],
        ["conficker", "tempedreve", "necurs", "no-such-family"],
    )
    conficker_c = get_family("conficker").variant("c")
    assert "com.ki" in conficker_c.tlds
    assert not any("com.ki" in v.tlds or "ki" in v.tlds for v in get_family("tempedreve").variants)
    assert mask[0].tolist() == mask[1].tolist()
    assert mask[0, 0] and not mask[0, 1] and mask[0, 3]  # a family the registry lacks: any TLD
    assert not mask[3, :3].any() and mask[3, 3]


def test_conficker_c_names_are_not_given_to_a_family_without_their_tlds() -> None:
    clf = default_model()
    c = get_family("conficker").variant("c")
    names = [n for n in c.domains(dt.date(2024, 1, 1)) if not n.endswith((".com", ".net", ".org"))]
    names = names[:400]
    fams, scores = clf.predict_family(names)
    allowed = family_tld_mask(names, clf.families_)
    index = {f: i for i, f in enumerate(clf.families_)}
    # Every guess is a family that uses the name's TLD ...
    assert all(allowed[i, index[f]] for i, f in enumerate(fams) if f is not None)
    # ... and most are right (tempedreve took most of them before, 36 % were called conficker).
    # Measured on these 400 names: 0.81 (session 11's model), 0.84 and 0.80 (two session 12
    # retrainings): the family head's retraining noise is a few points.
    assert sum(f == "conficker" for f in fams) / len(fams) > 0.75
    assert np.all((scores >= 0) & (scores <= 1))
