"""The count and burst tests' two tails, restated without SciPy (issue 19: importing
``scipy.special`` cost ~0.15 CPU-s at every hunt that tests a client), checked against SciPy
itself -- the reference, used only here -- to 1e-12 relative over a grid wider than the
tests use: ``a`` a count of sites (1..400), ``b`` the background's 1/phi (1e-4..1e3, the
fit's range) or a count, ``x`` from 1e-8 to 1 - 1e-5."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import special

from dgawatch.hunt.unknown import beta_tail, gamma_tail, log_gamma

A = [1, 2, 3, 4, 5, 7, 10, 11, 15, 30, 60, 100, 200, 400]
B = [1e-4, 1e-3, 0.01, 0.1, 0.5, 1, 2, 3.7, 9.9, 10, 10.5, 30, 100, 300, 1000]
X = [1e-8, 1e-5, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.99999]
MU = [1e-8, 1e-4, 0.01, 0.1, 0.5, 1, 2, 5, 9.5, 10, 20, 50, 100, 200, 400, 500]
#: Below this both are taken as zero (a p-value no test compares with anything).
FLOOR = 1e-280


def _close(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    tiny = (want < FLOOR) & (got < FLOOR * 1e3)
    return tiny | (np.abs(got - want) <= 1e-12 * np.abs(want))


def test_beta_tail_is_scipy_s_betainc() -> None:
    a, b, x = (np.array(v, np.float64) for v in zip(*itertools.product(A, B, X), strict=True))
    want = special.betainc(a, b, x)
    got = beta_tail(a, b, x)
    bad = ~_close(got, want)
    assert not bad.any(), list(zip(a[bad], b[bad], x[bad], got[bad], want[bad], strict=True))[:5]


def test_gamma_tail_is_scipy_s_gammainc() -> None:
    a, mu = (np.array(v, np.float64) for v in zip(*itertools.product(A, MU), strict=True))
    want = special.gammainc(a, mu)
    got = gamma_tail(a, mu)
    bad = ~_close(got, want)
    assert not bad.any(), list(zip(a[bad], mu[bad], got[bad], want[bad], strict=True))[:5]


def test_the_ends_and_one_value_at_a_time() -> None:
    assert gamma_tail(3.0, 0.0)[()] == 0.0
    assert beta_tail(3.0, 2.0, 0.0)[()] == 0.0
    assert beta_tail(3.0, 2.0, 1.0)[()] == 1.0
    # P(Bin(10, 0.3) >= 4), summed by hand
    from math import comb

    by_hand = sum(comb(10, j) * 0.3**j * 0.7 ** (10 - j) for j in range(4, 11))
    assert beta_tail(4, 7, 0.3)[()] == pytest.approx(by_hand, rel=1e-13)


def test_log_gamma_is_scipy_s_gammaln() -> None:
    z = np.array([1e-4, 0.5, 1, 2.5, 10, 1000.25, 1e5])
    assert np.allclose(log_gamma(z), special.gammaln(z), rtol=1e-14, atol=0)
