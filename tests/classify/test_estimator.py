"""The estimator contract: fit / predict_proba / predict / save / load, reproducible."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dgawatch.classify import DGAClassifier
from dgawatch.classify.features import label_of
from dgawatch.domain import registered_domain
from tests.classify.conftest import benign_sample


def test_no_work_in_init_and_params_roundtrip() -> None:
    clf = DGAClassifier(bits=12, random_state=7)
    assert not hasattr(clf, "coef_")
    assert clf.get_params()["bits"] == 12
    assert clf.set_params(alpha=1e-4).alpha == 1e-4
    with pytest.raises(RuntimeError):
        clf.predict_proba(["example.com"])


def test_shapes_and_predict(small_model: DGAClassifier) -> None:
    names = ["google.com", "xkqjzwpvbn.ru", "www.wikipedia.org"]
    proba = small_model.predict_proba(names)
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert small_model.predict(names).shape == (3,)
    fams, fscore = small_model.predict_family(names)
    assert len(fams) == 3 and set(fams) <= {"cryptolocker", "necurs", "qadars"}
    assert ((fscore > 0) & (fscore <= 1)).all()
    assert small_model.predict_proba([]).shape == (0, 2)


def test_small_training_run_separates(
    small_model: DGAClassifier, small_data: tuple[list[str], list[int], list[str | None]]
) -> None:
    from tests.classify.conftest import dga_sample

    held_dga = dga_sample("cryptolocker", 2, __import__("datetime").date(2019, 3, 1))
    held_benign = benign_sample(4000)[3000:]
    s_dga = small_model.score_names(held_dga)
    s_ben = small_model.score_names(held_benign)
    assert np.mean(s_dga > 0.5) > 0.9
    assert np.mean(s_ben > 0.5) < 0.1


def test_save_load_identical(small_model: DGAClassifier) -> None:
    small_model.calibrate(benign_sample(500))
    buf = io.BytesIO()
    small_model.save(buf)
    buf.seek(0)
    again = DGAClassifier.load(buf)
    names = ["google.com", "xkqjzwpvbn.ru", "abc.co.uk", "x"]
    np.testing.assert_array_equal(small_model.predict_proba(names), again.predict_proba(names))
    assert small_model.predict_family(names)[0] == again.predict_family(names)[0]
    assert again.thresholds_ == small_model.thresholds_
    assert again.get_params() == small_model.get_params()


def test_model_file_is_compact_and_reads_the_older_layout(small_model: DGAClassifier) -> None:
    """The file stores the detector's weights as float16 and the family head as int8 with a
    scale per family (the shipped model: 11.2 -> ~3.5 MB); a file of the earlier layout
    (float32 weights, a float16 head without scales) still loads and answers the same."""
    from dgawatch.classify.model import quantize_rows

    buf = io.BytesIO()
    small_model.save(buf)
    buf.seek(0)
    with np.load(buf) as z:
        stored = {k: z[k] for k in z.files}
    assert stored["coef"].dtype == np.float16  # fails if save() writes float32 again
    assert stored["family_coef"].dtype == np.int8
    assert stored["family_scale"].shape == (len(small_model.families_),)
    # the quantisation error is at most half a step of each row's scale
    w = np.random.default_rng(1).normal(size=(3, 500)).astype(np.float32)
    w[1] *= 100.0
    q, scale = quantize_rows(w)
    assert (np.abs(q.astype(np.float32) * scale[:, None] - w) <= scale[:, None] / 2 + 1e-6).all()
    old = dict(stored)
    old["coef"] = stored["coef"].astype(np.float32)
    old["family_coef"] = (
        stored["family_coef"].astype(np.float32) * stored["family_scale"][:, None]
    ).astype(np.float16)
    del old["family_scale"]
    legacy = io.BytesIO()
    np.savez_compressed(legacy, **old)  # type: ignore[arg-type]
    legacy.seek(0)
    again = DGAClassifier.load(legacy)
    names = ["google.com", "xkqjzwpvbn.ru", "abc.co.uk", *benign_sample(50)]
    np.testing.assert_array_equal(
        again.decision_function(names), small_model.decision_function(names)
    )
    assert again.predict_family(names)[0] == small_model.predict_family(names)[0]


def test_deterministic_with_random_state(
    small_data: tuple[list[str], list[int], list[str | None]],
) -> None:
    names, y, fams = small_data
    params = {"bits": 14, "family_bits": 10, "epochs": 2, "cnn_filters": 8, "cnn_epochs": 1}
    a = DGAClassifier(**params, random_state=3).fit(names, y, fams)
    b = DGAClassifier(**params, random_state=3).fit(names, y, fams)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.family_coef_, b.family_coef_)
    assert a.cnn_ is not None and b.cnn_ is not None
    for key, value in a.cnn_.arrays().items():
        np.testing.assert_array_equal(value, b.cnn_.arrays()[key], err_msg=key)
    c = DGAClassifier(**params, random_state=4).fit(names, y, fams)
    assert c.cnn_ is not None and not np.array_equal(c.cnn_.tables, a.cnn_.tables)


def test_label_matches_registered_domain() -> None:
    names = [
        *benign_sample(3000),
        "a.b.ddns.net",
        "www.x.co.uk",
        "co.uk",
        "com",
        "x.y.z.kawasaki.jp",
    ]
    for n in names:
        reg = registered_domain(n)
        assert label_of(n) == (reg.split(".")[0] if reg else n.split(".")[0]), n


def test_training_loglik_is_cross_fitted() -> None:
    """A training label is scored by a language model fitted without it: a label seen only
    once looks less benign to the cross-fitted model than to the one fitted on it."""
    from dgawatch.classify.features import LanguageModel, encode

    labs = [*(label_of(n) for n in benign_sample(2000)), "zqxjvkwqzqxjvkw"]
    enc = encode(labs)
    benign = np.ones(len(labs), dtype=bool)
    crossed = LanguageModel.cross_fitted(enc, benign, 5)
    insample = LanguageModel.fit(enc).mean_loglik(enc)
    assert crossed.shape == (len(labs),)
    assert crossed[-1] < insample[-1] - 1.0
    assert np.mean(crossed) < np.mean(insample)


def test_sparse_rows_match_the_gather_and_a_plain_construction(small_model: DGAClassifier) -> None:
    """The family head's CSR rows (n-grams then bins, placed straight into CSR order) equal
    a COO matrix built entry by entry, and the detector's gather-and-sum equals the product."""
    import scipy.sparse as sp

    from dgawatch.classify.features import bucket, encode, labels

    names = [*benign_sample(300), "xkqjzwpvbn.ru", "a.com", "x" * 70 + ".net"]
    fz = small_model.featurizer_
    f = fz.featurize(encode(labels(names)))
    assert f.bins is not None
    for bits in (fz.bits, 10):
        width = (1 << bits) + fz.width - (1 << fz.bits)
        if bits != fz.bits and fz.suffix_bits:
            width -= 1 << fz.suffix_bits  # the family head has no suffix block
        rows = np.concatenate([f.row, np.repeat(np.arange(f.n), f.bins.shape[1])])
        cols = np.concatenate([bucket(f.ids, bits), (f.bins + (1 << bits)).reshape(-1)])
        vals = np.concatenate([f.value, np.ones(f.bins.size, dtype=np.float32)])
        plain = sp.coo_matrix((vals, (rows, cols)), shape=(f.n, width)).tocsr()
        built = fz.matrix(f, bits)
        assert built.shape == plain.shape
        assert abs(built - plain).max() < 1e-6
    coef = np.random.default_rng(0).normal(size=fz.width).astype(np.float32)
    np.testing.assert_allclose(fz.linear(f, coef), fz.matrix(f) @ coef, rtol=1e-5, atol=1e-5)
