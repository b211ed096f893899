"""Facts about the attribution methods: additivity, closed forms, conservation, seeds, applicability."""

from __future__ import annotations

import numpy as np
import pytest

from risklens.explain import ExplainError, comparable, explain, methods_for
from risklens.explain.dtd import dtd_relevance, forward, zplus_backward
from risklens.explain.shap_adapter import xgboost_contribs
from test_explain_fixtures import FEATURES, cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def rows(n=40, start=0):
    X, _ = cohort()
    return X.iloc[start:start + n]


def test_treeshap_values_plus_base_equal_xgboost_margin():
    m, X = model("xgboost"), rows(200)
    e = explain(m, X, "shap")
    assert e.output == "log-odds" and e.shape == (200, len(FEATURES))
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, m.predict_margin(X), atol=1e-5)
    assert list(e.ids) == list(X.index) and np.isnan(e.data).sum() == X.isna().to_numpy().sum()


def test_treeshap_matches_xgboost_pred_contribs():
    m, X = model("xgboost"), rows(100)
    ref, base = xgboost_contribs(m.booster, X.to_numpy())
    e = explain(m, X, "shap")
    np.testing.assert_allclose(e.values, ref, atol=1e-5)
    np.testing.assert_allclose(e.base_values, base, atol=1e-6)


def test_linear_shap_equals_coef_times_centered_input_and_sums_to_margin():
    m, X = model("l1-logistic"), rows(100)
    e = explain(m, X, "shap")
    coef_std, intercept = m.linear_coef
    steps = m.estimator.named_steps
    x_imp = steps["impute"].transform(X.to_numpy())
    expected = (coef_std / steps["scale"].scale_) * (x_imp - steps["scale"].mean_)  # coef_raw * (x - mean)
    np.testing.assert_allclose(e.values, expected, atol=1e-10)
    np.testing.assert_allclose(e.base_values, intercept)
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, m.predict_margin(X), atol=1e-10)
    # features the L1 penalty removed get exactly zero attribution
    assert (e.values[:, coef_std == 0] == 0).all()


def test_coef_is_the_linear_reference_and_only_for_l1():
    m, X = model("l1-logistic"), rows(30)
    c, s = explain(m, X, "coef"), explain(m, X, "shap")
    np.testing.assert_array_equal(c.values, s.values)
    assert c.method == "coef" and comparable(c, s)
    with pytest.raises(ExplainError, match="for xgboost use one of: shap, lime"):
        explain(model("xgboost"), X, "coef")


def test_dtd_is_non_negative_and_conserves_the_positive_logit():
    m, X = model("mlp"), rows(300)
    e = explain(m, X, "dtd")
    margin = m.predict_margin(X)
    assert (e.values >= 0).all()
    assert e.params["max_lost_relevance"] == 0.0
    # sum of input relevances == max(logit, 0): exactly conserved from output to input
    np.testing.assert_allclose(e.values.sum(1), np.maximum(margin, 0), atol=1e-9)
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, margin, atol=1e-9)
    pos = margin > 0
    assert pos.any() and (e.values[pos].sum(1) > 0).all() and (e.values[~pos] == 0).all()


def test_dtd_conserves_layer_by_layer_and_reports_lost_relevance():
    m, X = model("mlp"), rows(100)
    layers = m.mlp_layers
    Z = m.preprocess(X)
    acts = forward(layers, Z)
    R = np.maximum(acts[-1], 0)
    for k in range(len(layers) - 1, -1, -1):
        R_in, lost = zplus_backward(acts[k], layers[k][0], R)
        assert (R_in >= 0).all()
        np.testing.assert_allclose(R_in.sum(1), R.sum(1) - lost, atol=1e-9)
        R = R_in
    # a neuron without positive input contribution loses its relevance, and says so
    a = np.array([[1.0, 2.0]])
    W = np.array([[-1.0, 1.0], [-1.0, 1.0]])
    R_in, lost = zplus_backward(a, W, np.array([[0.5, 2.0]]))
    np.testing.assert_allclose(lost, [0.5])
    np.testing.assert_allclose(R_in, [[2 / 3, 4 / 3]])


def test_dtd_evidence_start_explains_every_patient():
    m, X = model("mlp"), rows(100)
    R, logit, lost = dtd_relevance(m.mlp_layers, m.preprocess(X), start="evidence")
    W_out = m.mlp_layers[-1][0][:, 0]
    hidden = forward(m.mlp_layers, m.preprocess(X))[-2]
    np.testing.assert_allclose(R.sum(1), np.maximum(hidden * W_out, 0).sum(1) - lost, atol=1e-9)
    assert (R >= 0).all() and (R.sum(1) > 0).mean() > 0.95


def exact_shapley(predict, x: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Brute-force interventional Shapley values over all 2^f coalitions (small f only)."""
    from math import factorial

    f = len(x)
    masks = ((np.arange(2**f)[:, None] >> np.arange(f)) & 1).astype(bool)
    inputs = np.where(masks[:, None, :], x[None, None, :], B[None, :, :]).reshape(-1, f)
    v = predict(inputs).reshape(2**f, len(B)).mean(1)
    size = masks.sum(1)
    w = np.array([factorial(k) * factorial(f - k - 1) / factorial(f) for k in range(f)])
    phi = np.zeros(f)
    for j in range(f):
        without = ~masks[:, j]
        phi[j] = np.sum(w[size[without]] * (v[np.flatnonzero(without) | (1 << j)] - v[without]))
    return phi


def test_shap_on_mlp_converges_to_exact_shapley_values_and_is_additive():
    m = model("mlp")
    X, _ = cohort()
    rows, bg = X.iloc[:3], X.iloc[500:506]
    e = explain(m, rows, "shap", seed=0, background=bg, background_size=6, permutations=150)
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, m.predict_margin(rows), atol=1e-9)
    np.testing.assert_allclose(e.base_values, m.predict_margin(bg).mean())
    M, B = rows.to_numpy(), bg.to_numpy()
    for i in range(len(rows)):
        exact = exact_shapley(m.predict_margin, M[i], B)
        scale = np.abs(exact).max()
        assert np.abs(e.values[i] - exact).max() < 0.08 * scale, (e.values[i], exact)


def test_shap_on_mlp_is_seeded_and_batch_independent():
    m, X = model("mlp"), rows(6)
    bg, _ = cohort()
    kw = dict(background=bg, background_size=30, permutations=2, implementation="batched")
    a, b, c = (explain(m, X, "shap", seed=s, **kw) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    np.testing.assert_allclose(explain(m, X.iloc[[4]], "shap", seed=3, **kw).values[0], a.values[4], atol=1e-12)
    assert a.params["background_size"] == 30 and a.params["max_evals"] == 2 * (2 * len(FEATURES) + 1)
    assert a.params["permutations"] == 2 and a.params["implementation"] == "batched"


@pytest.mark.slow
def test_shap_package_path_is_additive_seeded_and_leaves_global_rng_alone():
    m, X = model("mlp"), rows(2)
    bg, _ = cohort()
    kw = dict(background=bg, background_size=10, permutations=1, implementation="shap")
    state = np.random.get_state()[1][:5].copy()
    a, b = explain(m, X, "shap", seed=3, **kw), explain(m, X, "shap", seed=3, **kw)
    np.testing.assert_array_equal(np.random.get_state()[1][:5], state)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_allclose(a.values.sum(1) + a.base_values, m.predict_margin(X), atol=1e-8)


def test_methods_by_family_and_clear_errors():
    assert methods_for("xgboost") == ["shap", "lime", "lime-local", "lime-ref"]
    assert set(methods_for("mlp")) == {"shap", "lime", "lime-local", "lime-ref", "dtd"}
    assert set(methods_for("l1-logistic")) == {"shap", "lime", "lime-local", "lime-ref", "coef"}
    X = rows(5)
    with pytest.raises(ExplainError, match="does not apply to l1-logistic.*coef"):
        explain(model("l1-logistic"), X, "dtd")
    with pytest.raises(ExplainError, match="unknown explanation method"):
        explain(model("xgboost"), X, "gradcam")
    with pytest.raises(ExplainError, match="lack 1 feature"):
        explain(model("xgboost"), X.drop(columns="age"), "shap")
    with pytest.raises(ExplainError, match="DataFrame"):
        explain(model("xgboost"), X.to_numpy(), "shap")
    with pytest.raises(ExplainError, match="unique"):
        explain(model("xgboost"), X.iloc[[0, 0]], "shap")


def test_explanation_slicing_and_top_k():
    e = explain(model("xgboost"), rows(10), "shap")
    one = e[3]
    assert len(one) == 1 and one.ids[0] == e.ids[3]
    np.testing.assert_array_equal(e[str(e.ids[3])].values, one.values)
    np.testing.assert_array_equal(e.rows_for_ids([e.ids[5], e.ids[2]]).values, e.values[[5, 2]])
    top = e.top_k(3)
    assert all(abs(e.values[i, top[i, 0]]) == np.abs(e.values[i]).max() for i in range(len(e)))
    assert e.top_features(0, 2) == [e.feature_names[j] for j in top[0, :2]]
    assert list(e.values_frame().index) == list(e.ids)
    with pytest.raises(ExplainError, match="not in this explanation"):
        e.rows_for_ids(["nope"])


def test_comparable_tells_output_spaces_apart():
    X = rows(5)
    s = explain(model("xgboost"), X, "shap")
    l_ = explain(model("xgboost"), X, "lime", num_samples=200, background=rows(100))
    assert s.output == "log-odds" and l_.output == "probability"
    assert not comparable(s, l_) and comparable(s, s)


def test_a_lone_patient_is_not_its_own_background():
    """Without a background, a single row would be explained against itself (all zeros): refused clearly."""
    for family, method, opts in (("xgboost", "lime", {"num_samples": 200}), ("mlp", "shap", {})):
        with pytest.raises(ExplainError, match="background"):
            explain(model(family), rows(1), method, **opts)
    e = explain(model("mlp"), rows(1), "shap", background=rows(100, start=100))
    assert np.abs(e.values).sum() > 0


def test_an_unknown_option_is_a_clear_error():
    with pytest.raises(ExplainError, match="num_samples"):
        explain(model("mlp"), rows(40), "shap", num_samples=200)
