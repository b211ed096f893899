"""The one-pass imputer + scaler equals the numpy passes it replaces, bit for bit, and a model's preprocessing
equals its own pipeline steps'."""

import numpy as np
import pytest

from risklens.modeling._standardise import standardise


def numpy_passes(M, fill, mean, scale):
    Z = np.where(np.isnan(M), fill, M)
    if mean is not None:
        Z -= mean
    if scale is not None:
        Z /= scale
    return Z


@pytest.mark.parametrize("with_mean,with_scale", [(True, True), (False, True), (True, False), (False, False)])
def test_one_pass_equals_the_numpy_passes_bit_for_bit(with_mean, with_scale):
    rng = np.random.default_rng(5)
    M = rng.normal(size=(3000, 7)) * 10.0 ** rng.integers(-8, 8, size=7)
    M[rng.random(M.shape) < 0.1] = np.nan
    M[0, :] = -0.0  # signed zeros survive a zero mean and a unit scale as they do in numpy
    fill = rng.normal(size=7)
    mean = rng.normal(size=7) if with_mean else None
    scale = rng.random(7) + 0.1 if with_scale else None
    got, want = standardise(M, fill, mean, scale), numpy_passes(M, fill, mean, scale)
    assert got.dtype == np.float64 and got.shape == M.shape
    assert np.array_equal(got.view(np.int64), want.view(np.int64))
    assert not np.isnan(got).any() and np.isnan(M).any()  # the input is left as it was


def test_one_pass_keeps_the_memory_order_so_products_round_the_same():
    """A column-major input (a DataFrame's values) gives a column-major result, as numpy's passes do, so the
    model's product with it runs the same BLAS kernel and gives the same bits."""
    rng = np.random.default_rng(8)
    M = np.asfortranarray(rng.normal(size=(5000, 58)))
    M[rng.random(M.shape) < 0.05] = np.nan
    fill, mean, scale = rng.normal(size=58), rng.normal(size=58), rng.random(58) + 0.5
    got, want = standardise(M, fill, mean, scale), numpy_passes(M, fill, mean, scale)
    assert got.flags.f_contiguous == want.flags.f_contiguous == True  # noqa: E712
    w = rng.normal(size=(58, 1))
    assert np.array_equal((got @ w).view(np.int64), (want @ w).view(np.int64))


def test_a_models_preprocessing_equals_its_pipeline_steps():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from risklens.modeling.model import RiskModel

    rng = np.random.default_rng(6)
    X = rng.normal(size=(400, 4)) * [1, 5, 100, 0.01]
    X[rng.random(X.shape) < 0.15] = np.nan
    y = (rng.random(400) < 0.3).astype(int)
    est = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()),
                    ("clf", LogisticRegression())]).fit(X, y)
    model = RiskModel(family="l1-logistic", estimator=est, feature_names=list("abcd"), seed=0)
    steps = est.named_steps
    want = steps["scale"].transform(steps["impute"].transform(X))
    assert np.array_equal(model.preprocess(X).view(np.int64), want.view(np.int64))
