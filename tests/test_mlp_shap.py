"""SHAP on the neural network: the forward pass from the weights and the stratified permutation estimator.

Facts checked: the fast forward pass equals ``predict_margin`` (1e-6; every activation, NaN inputs);
values + base == margin exactly; on a 12-feature network the default settings are within 5% of the
exact Shapley values (all 2^12 coalitions over the whole background) and two seeds within 5% of each
other, also when a large background is stratified; the reported standard errors are honest; seeds,
batch independence and the Explanation's stderr round trip.
"""

from __future__ import annotations

import warnings
from math import factorial

import numpy as np
import pandas as pd
import pytest

from risklens.explain import explain
from risklens.explain.base import Explanation, ExplainError
from risklens.explain.mlp_forward import MLPForward
from risklens.explain.mlp_shap import DEFAULT_MLP_SHAP, mlp_shap, relative_error
from risklens.modeling.model import RiskModel
from test_explain_fixtures import FEATURES, cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def exact_shapley(net: MLPForward, x: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Interventional Shapley values over all 2^f coalitions, averaged over every background row."""
    f = len(x)
    masks = ((np.arange(2**f)[:, None] >> np.arange(f)) & 1).astype(bool)
    v = np.zeros(2**f)
    for lo in range(0, len(B), 64):  # the fast forward pass (float64) is itself tested against sklearn below
        Bc = B[lo:lo + 64]
        inputs = np.where(masks[:, None, :], x[None, None, :], Bc[None, :, :]).reshape(-1, f)
        v += net.margin(inputs).reshape(2**f, len(Bc)).sum(1)
    v /= len(B)
    size = masks.sum(1)
    w = np.array([factorial(k) * factorial(f - k - 1) / factorial(f) for k in range(f)])
    phi = np.zeros(f)
    for j in range(f):
        without = np.flatnonzero(~masks[:, j])
        phi[j] = np.sum(w[size[without]] * (v[without | (1 << j)] - v[without]))
    return phi


def rel_error(a: np.ndarray, ref: np.ndarray) -> float:
    """mean over rows of mean |a - ref| / mean |ref| (the bound's definition)."""
    return float(np.mean(np.abs(a - ref).sum(1) / np.abs(ref).sum(1)))


def _mlp(activation: str, hidden=(16, 8), seed: int = 0) -> RiskModel:
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = cohort()
    clf = MLPClassifier(hidden_layer_sizes=hidden, activation=activation, max_iter=60, random_state=seed)
    est = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("clf", clf)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short training run does not converge: irrelevant here
        est.fit(X.to_numpy(), y)
    return RiskModel("mlp", est, list(FEATURES), seed)


@pytest.fixture(scope="module")
def data():
    X, _ = cohort()
    return X


@pytest.mark.parametrize("activation,hidden", [("relu", (16, 8)), ("tanh", (10,)), ("logistic", (6, 5, 4)),
                                               ("identity", (8,))])
def test_forward_pass_equals_predict_margin(data, activation, hidden):
    m = _mlp(activation, hidden) if (activation, hidden) != ("relu", (16, 8)) else model("mlp")
    M = data.to_numpy()
    assert np.isnan(M).any()  # missing values go through the folded imputer
    ref = m.predict_margin(M)
    for dtype in (np.float64, np.float32):
        net = MLPForward(m, dtype=dtype)
        np.testing.assert_allclose(net.margin(M), ref, atol=1e-6, rtol=0)
    net = MLPForward(m, dtype=np.float64)
    from risklens.explain.mlp_forward import activate

    split = net.tail(activate(net.first_pre(net.impute(M)), net.activation))
    np.testing.assert_allclose(split, ref, atol=1e-6, rtol=0)
    np.testing.assert_allclose(MLPForward(m).margin(M, exact=False), ref, atol=1e-3, rtol=0)  # float32 products


def test_forward_pass_refuses_other_families():
    with pytest.raises(ExplainError, match="neural network"):
        MLPForward(model("xgboost"))


@pytest.fixture(scope="module")
def exact_case(data):
    """5 patients, a 60-row background and their exact Shapley values on the 12-feature network."""
    m = model("mlp")
    rows, bg = data.iloc[:5], data.iloc[600:660]
    net = MLPForward(m, dtype=np.float64)
    exact = np.stack([exact_shapley(net, x, bg.to_numpy()) for x in rows.to_numpy()])
    return m, rows, bg, exact


def test_defaults_are_within_5_percent_of_exact_values_and_additive(exact_case):
    m, rows, bg, exact = exact_case
    e = explain(m, rows, "shap", seed=0, background=bg)
    assert e.params["implementation"] == "stratified" and e.params["strata_sampled"] is False
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, m.predict_margin(rows), atol=1e-9, rtol=0)
    np.testing.assert_allclose(e.base_values, m.predict_margin(bg).mean(), atol=1e-9)
    np.testing.assert_allclose(exact.sum(1) + e.base_values, m.predict_margin(rows), atol=1e-9)
    err = rel_error(e.values, exact)
    assert err <= 0.05, err
    # honest standard errors: the estimated relative error is the right size, values mostly within 4 se
    est = relative_error(e.values, e.stderr).mean()
    assert est <= DEFAULT_MLP_SHAP["tolerance"] + 1e-12 and err <= 3 * est + 0.005, (err, est)
    assert np.mean(np.abs(e.values - exact) <= 4 * e.stderr + 1e-9) >= 0.95


def test_many_rounds_converge_to_the_exact_values(exact_case):
    m, rows, bg, exact = exact_case
    res = mlp_shap(m, rows.to_numpy(), bg.to_numpy(), seed=1, ids=list(rows.index), min_rounds=160, max_rounds=160)
    assert (res.rounds == 160).all()
    err, est = rel_error(res.values, exact), relative_error(res.values, res.stderr).mean()
    assert err < 0.015 and est / 3 < err < 3 * est, (err, est)  # unbiased: the error shrinks as its estimate does


def test_seed_to_seed_spread_within_5_percent(data):
    m = model("mlp")
    rows = data.iloc[:20]
    a, b = (explain(m, rows, "shap", seed=s, background=data.iloc[700:1200]) for s in (0, 1))
    assert rel_error(a.values, b.values) <= 0.05


def test_large_background_is_stratified_without_bias(data):
    """A background larger than background_size: k-means strata, one member each per round."""
    m = model("mlp")
    rows, bg = data.iloc[:2], data.iloc[100:340]
    net = MLPForward(m, dtype=np.float64)
    exact = np.stack([exact_shapley(net, x, bg.to_numpy()) for x in rows.to_numpy()])
    a, b = (explain(m, rows, "shap", seed=s, background=bg, background_size=24, tolerance=0.02, max_rounds=80)
            for s in (0, 1))
    assert a.params["strata_sampled"] is True and a.params["strata"] <= 24
    np.testing.assert_allclose(a.values.sum(1) + a.base_values, m.predict_margin(rows), atol=1e-9, rtol=0)
    np.testing.assert_allclose(a.base_values, m.predict_margin(bg).mean(), atol=1e-9)
    for e in (a, b):
        err, est = rel_error(e.values, exact), relative_error(e.values, e.stderr).mean()
        assert err <= 0.05 and err <= 3 * est, (err, est)
    assert rel_error(a.values, b.values) <= 0.05


def test_seeded_batch_independent_and_fixed_rounds(data):
    m = model("mlp")
    X, bg = data.iloc[:6], data.iloc[200:300]
    a, b, c = (explain(m, X, "shap", seed=s, background=bg) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    one = explain(m, X.iloc[[4]], "shap", seed=3, background=bg)
    np.testing.assert_array_equal(one.values[0], a.values[4])  # to the last bit: partitions equal one call
    many = explain(m, data.iloc[:40], "shap", seed=3, background=bg, permutations=2)
    part = explain(m, data.iloc[13:31], "shap", seed=3, background=bg, permutations=2)
    np.testing.assert_array_equal(part.values, many.values[13:31])
    fixed = explain(m, X, "shap", seed=3, background=bg, permutations=3)
    assert fixed.params["rounds_mean"] == 3 and fixed.params["min_rounds"] == fixed.params["max_rounds"] == 3
    single = explain(m, X, "shap", seed=3, background=bg, permutations=1)
    assert np.isnan(single.stderr).all()
    np.testing.assert_allclose(single.values.sum(1) + single.base_values, m.predict_margin(X), atol=1e-9)
    with pytest.raises(ExplainError, match="min_rounds"):
        explain(m, X, "shap", background=bg, min_rounds=5, max_rounds=2)
    with pytest.raises(ExplainError, match="implementation"):
        explain(m, X, "shap", background=bg, implementation="magic")


def test_exact_families_ignore_the_mlp_options(data):
    X = data.iloc[:10]
    opts = dict(DEFAULT_MLP_SHAP)
    for fam in ("xgboost", "l1-logistic"):
        e = explain(model(fam), X, "shap", **opts)
        assert e.stderr is None


def test_explanation_stderr_slices_and_round_trips(tmp_path, data):
    m = model("mlp")
    e = explain(m, data.iloc[:8], "shap", seed=0, background=data.iloc[300:400])
    assert e.stderr.shape == e.values.shape and (e.stderr >= 0).all()
    np.testing.assert_array_equal(e[2:5].stderr, e.stderr[2:5])
    back = Explanation.from_parquet(e.to_parquet(tmp_path / "e.parquet"))
    np.testing.assert_array_equal(back.stderr, e.stderr)
    plain = Explanation(values=np.ones((2, 3)), base_values=0.0, data=np.zeros((2, 3)), feature_names=list("abc"),
                        method="coef", model_id="m", output="log-odds")
    assert plain.stderr is None and Explanation.from_parquet(plain.to_parquet(tmp_path / "p.parquet")).stderr is None
    assert isinstance(e.values_frame(), pd.DataFrame)
