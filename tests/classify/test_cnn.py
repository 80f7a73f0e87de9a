"""The CNN detector: PyTorch's forward pass, the folded tables in C and in NumPy agree;
a small training run learns; the blend and the model file carry it."""

from __future__ import annotations

import io

import numpy as np
import pytest

from dgawatch.classify import DGAClassifier
from dgawatch.classify import cnn as cnn_module
from dgawatch.classify.cnn import CharCNN, TrainParams, fit_cnn, padded
from dgawatch.classify.features import encode, labels
from tests.classify.conftest import benign_sample, dga_sample
from tests.needs import missing

ODD = [
    "a.com",
    "ab.org",
    "x" * 63 + ".net",
    "a" * 80 + ".com",  # longer than a DNS label: cut at 63 characters
    "xn--80ak6aa92e.com",
    "a-b_c.co.uk",
    "12345.ru",
    "caf\u00e9.fr",
    "",
]


@pytest.fixture(scope="module")
def torch_module():  # type: ignore[no-untyped-def]
    try:
        import torch as t
    except ImportError:
        missing("PyTorch is not installed (dev extra)")
    return t


@pytest.fixture(scope="module")
def random_net(torch_module):  # type: ignore[no-untyped-def]
    """An untrained network with seeded weights (biases spread so ReLUs fire unevenly)."""
    params = TrainParams(embed=8, filters=12, hidden=10, widths=(2, 3, 5))
    with torch_module.random.fork_rng(devices=[]):
        torch_module.manual_seed(11)
        net = cnn_module._network(params)
        with torch_module.no_grad():
            for p in net.parameters():
                p.add_(torch_module.randn_like(p) * 0.3)
            net.emb.weight[0].zero_()
    net.eval()
    return net, params


def _names() -> list[str]:
    return ODD + benign_sample(400) + dga_sample("necurs", 1)[:400]


def test_folded_tables_match_pytorch_in_c_and_numpy(random_net, torch_module) -> None:  # type: ignore[no-untyped-def]
    net, params = random_net
    enc = encode(labels(_names()))
    folded = cnn_module._fold(net, params)
    with torch_module.no_grad():
        expected = net(torch_module.from_numpy(padded(enc))).double().numpy()
    assert cnn_module._charcnn is not None, "the compiled dgawatch._charcnn is missing"
    np.testing.assert_allclose(folded.logits(enc), expected, atol=1e-4)
    np.testing.assert_allclose(folded.reference_logits(enc), expected, atol=1e-4)
    assert np.std(expected) > 0.1  # the comparison is not between constants
    tiny = encode(["a", "b", ""])  # framed labels shorter than the widest kernel
    wide = np.pad(padded(tiny), ((0, 0), (0, 5)))  # PyTorch needs room for the kernel
    with torch_module.no_grad():
        small = net(torch_module.from_numpy(wide)).double().numpy()
    np.testing.assert_allclose(folded.logits(tiny), small, atol=1e-4)
    np.testing.assert_allclose(folded.reference_logits(tiny), small, atol=1e-4)


def test_threads_do_not_change_logits(random_net, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    net, params = random_net
    folded = cnn_module._fold(net, params)
    enc = encode(labels((benign_sample(3000) + dga_sample("qakbot", 2)) * 4))
    assert len(enc) >= 4096 * 2  # large enough for the compiled code to use threads
    monkeypatch.setattr(cnn_module, "THREADS", 1)
    one = folded.logits(enc)
    monkeypatch.setattr(cnn_module, "THREADS", 3)
    np.testing.assert_array_equal(folded.logits(enc), one)


def test_compiled_forward_rejects_bad_input(random_net) -> None:  # type: ignore[no-untyped-def]
    net, params = random_net
    folded = cnn_module._fold(net, params)
    enc = encode(["abc"])
    bad = encode(["abc"])
    object.__setattr__(bad, "codes", np.full_like(enc.codes, 200))
    with pytest.raises(ValueError, match="not below"):
        folded.logits(bad)
    short = CharCNN(**{**folded.__dict__, "w1": folded.w1[:2]})
    with pytest.raises(ValueError, match="w1"):
        short.logits(enc)


def test_small_training_run_learns_and_is_deterministic(torch_module) -> None:  # type: ignore[no-untyped-def]
    benign = benign_sample(1500)
    dga = dga_sample("cryptolocker", 2) + dga_sample("qadars", 2)
    enc = encode(labels(benign + dga))
    y = np.array([0] * len(benign) + [1] * len(dga))
    weight = np.ones(len(y))
    params = TrainParams(embed=8, filters=16, hidden=16, epochs=3)
    a = fit_cnn(enc, y, weight, params, seed=5)
    b = fit_cnn(enc, y, weight, params, seed=5)
    np.testing.assert_array_equal(a.tables, b.tables)
    held_b = encode(labels(benign_sample(2000)[1500:]))
    held_d = encode(labels(dga_sample("cryptolocker", 1, __import__("datetime").date(2019, 3, 1))))
    assert np.mean(a.logits(held_d)[:, None] > a.logits(held_b)[None, :]) > 0.95


def test_blend_and_model_file(small_model: DGAClassifier) -> None:
    assert small_model.cnn_ is not None
    names = ["google.com", "xkqjzwpvbn.ru", "abc.co.uk"]
    enc = encode(labels(names))
    f = small_model.featurizer_.featurize(enc)
    linear = small_model.featurizer_.linear(f, small_model.coef_) + small_model.intercept_
    w = small_model.cnn_weight
    np.testing.assert_allclose(
        small_model.decision_function(names),
        (1 - w) * linear + w * small_model.cnn_.logits(enc) + small_model.prior_scores(names),
    )
    buf = io.BytesIO()
    small_model.save(buf)
    buf.seek(0)
    again = DGAClassifier.load(buf)
    assert again.cnn_ is not None
    np.testing.assert_array_equal(again.cnn_.tables, small_model.cnn_.tables)


def test_linear_only_model_needs_no_cnn(
    small_data: tuple[list[str], list[int], list[str | None]],
) -> None:
    names, y, _ = small_data
    clf = DGAClassifier(bits=12, epochs=2, cnn_filters=0).fit(names, y)
    assert clf.cnn_ is None
    buf = io.BytesIO()
    clf.save(buf)
    buf.seek(0)
    assert DGAClassifier.load(buf).cnn_ is None


def test_large_batches_overlap_the_cnn_with_the_same_result(
    small_model: DGAClassifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dgawatch.classify import model as model_module

    names = benign_sample(3000) + dga_sample("necurs", 1)
    assert len(names) >= model_module._OVERLAP_MIN
    overlapped = small_model.decision_function(names)
    score, fams, fscore = small_model.classify(names)
    monkeypatch.setattr(model_module, "_OVERLAP_MIN", 10**9)
    np.testing.assert_array_equal(small_model.decision_function(names), overlapped)
    again = small_model.classify(names)
    np.testing.assert_array_equal(again[0], score)
    assert again[1] == fams
    np.testing.assert_array_equal(again[2], fscore)

    def broken(enc: object, threads: int | None = None) -> np.ndarray:
        raise MemoryError("cnn")

    monkeypatch.setattr(model_module, "_OVERLAP_MIN", 1)
    assert small_model.cnn_ is not None
    monkeypatch.setattr(
        small_model.cnn_.__class__, "logits", lambda self, enc, threads=None: broken(enc)
    )
    with pytest.raises(MemoryError, match="cnn"):
        small_model.decision_function(names[:5])
