"""The public suffix as evidence (``DGAClassifier(suffix_bits=...)``): the split, the tokens,
the suffix block in the sparse rows and in the gather, a bare label's score, persistence."""

from __future__ import annotations

import numpy as np
import pytest

from dgawatch.classify import DGAClassifier
from dgawatch.classify.features import encode, split_name, split_names, suffix_tokens
from tests.classify.conftest import older_file, reloaded


def test_split_name() -> None:
    assert split_name("www.XKQJZW.co.uk.") == ("xkqjzw", "co.uk")
    assert split_name("a.b.ddns.net") == ("b", "ddns.net")
    assert split_name("google.com") == ("google", "com")
    assert split_name("xkqjzw") == ("xkqjzw", "")  # a bare label, as the hunt scores them
    assert split_name("co.uk") == ("co", "")  # the name is itself a public suffix
    assert split_name("abc.nosuchtld") == ("abc", "nosuchtld")
    assert split_names(["a.com", "b"]) == (["a", "b"], ["com", ""])


def test_suffix_tokens() -> None:
    assert suffix_tokens("") == ()
    assert suffix_tokens("co.uk") == ("s:co.uk", "t:uk", "cc:True", "d:2", "p:False")
    assert suffix_tokens("ddns.net") == ("s:ddns.net", "t:net", "cc:False", "d:2", "p:True")
    assert suffix_tokens("biz") == ("s:biz", "t:biz", "cc:False", "d:1", "p:False")


Fitted = tuple[DGAClassifier, list[str], list[int]]


@pytest.fixture(scope="module")
def tld_model(
    small_data: tuple[list[str], list[int], list[str | None]],
) -> Fitted:
    """Generated names all moved under .biz, benign ones under .com: the suffix block must
    learn that .biz is the generated names' suffix."""
    names, y, _fams = small_data
    moved = [n.split(".")[0] + (".biz" if t else ".com") for n, t in zip(names, y, strict=True)]
    params = {"bits": 14, "epochs": 3, "cnn_filters": 0, "suffix_bits": 8, "suffix_prior": 0}
    return DGAClassifier(**params).fit(moved, y), moved, y


def test_suffix_moves_the_score(tld_model: Fitted) -> None:
    model, moved, y = tld_model
    labs = ["wikipedia", "xkqjzwpvbn", "mybank"]
    com = model.decision_function([f"{lab}.com" for lab in labs])
    biz = model.decision_function([f"{lab}.biz" for lab in labs])
    assert (biz > com + 1.0).all()  # fails if the suffix block is not read when scoring
    # A bare label scores as under a suffix worth the benign names' mean contribution.
    bare = model.decision_function(labs)
    np.testing.assert_allclose(bare - com, model.suffix_bare_ - _com_part(model), atol=1e-4)
    # Without the block (suffix_bits 0) the suffix changes nothing.
    plain = DGAClassifier(bits=14, epochs=2, cnn_filters=0, suffix_bits=0, suffix_prior=0)
    plain.fit(moved, y)
    np.testing.assert_array_equal(
        plain.decision_function([f"{lab}.com" for lab in labs]),
        plain.decision_function([f"{lab}.biz" for lab in labs]),
    )


def _com_part(model: DGAClassifier) -> float:
    fz = model.featurizer_
    f = fz.featurize(encode(["x"]), suffixes=["com"])
    return float(fz.suffix_part(f, model.coef_)[0])


def test_suffix_rows_match_the_gather(tld_model: Fitted) -> None:
    model, moved, _ = tld_model
    fz = model.featurizer_
    labs, sufs = split_names([*moved[:200], "xkqjzwpvbn.co.uk", "bare.com", "bare"])
    f = fz.featurize(encode(labs), suffixes=sufs)
    x = fz.matrix(f)
    assert x.shape == (len(labs), fz.width)
    block = x[:, fz.width - (1 << 8) :]
    # five tokens per suffix; none for a bare label (or a name that is a public suffix)
    want = np.where(np.array(sufs) == "", 0, 5)
    np.testing.assert_array_equal(np.asarray(block.sum(axis=1)).ravel(), want)
    assert want[-1] == 0 and want[-2] == 5
    np.testing.assert_allclose(fz.linear(f, model.coef_), x @ model.coef_, rtol=1e-5, atol=1e-4)
    # the family head's rows (fewer buckets) leave the suffix block out
    assert fz.matrix(f, 10).shape[1] == (1 << 10) + fz.width - (1 << fz.bits) - (1 << 8)


def test_suffix_model_save_load(tld_model: Fitted) -> None:
    model = tld_model[0]
    again = reloaded(model, ["google.com", "xkqjzwpvbn.biz", "abc.co.uk", "bare"])
    assert again.suffix_bare_ == model.suffix_bare_
    # A file written before the suffix block (no suffix_bits in its parameters) loads without
    # one, whatever the estimator's default.
    legacy = older_file(model, ("suffix_bits",), ("suffix_bare",))
    assert legacy.suffix_bits == 0 and legacy.featurizer_.suffix_bits == 0
