"""Known answers for the trust metrics: complexity, sanity checks, removal faithfulness, sensitivity, ROAD imputation."""

import numpy as np
import pytest

from risklens.metrics.complexity import compacity, effective_complexity, gini
from risklens.metrics.consistency import feature_agreement
from risklens.metrics.randomisation import (PASS_BELOW, explanation_similarity, permuted_labels, randomise_layers,
                                            sanity_verdict)
from risklens.metrics.robustness import (GaussianImputer, faithfulness_correlation, imputed_deletion_curve,
                                         infidelity, max_sensitivity, random_attributions, removal_scores,
                                         subset_masks)


def test_gini_closed_form():
    assert gini(np.array([0, 0, 0, 5.0]))[0] == pytest.approx(3 / 4)
    assert gini(np.ones(6))[0] == pytest.approx(0.0)
    assert gini(np.array([0, 0, -1, 1.0]))[0] == pytest.approx(0.5)  # (-3*0 -1*0 + 1 + 3) / (4 * 2)
    assert gini(np.zeros(4))[0] == 0.0
    assert gini(np.array([[1, 2, 3.0], [3, 2, 1.0]])).tolist() == pytest.approx([2 / 9, 2 / 9])  # sign/order free


def test_effective_complexity_and_compacity():
    v = np.array([[100, -1, 0.5, 0.0], [1, 1, 1, 1], [0, 0, 0, 0]])
    assert effective_complexity(v).tolist() == [1, 4, 0]  # 1 < 1% of 101.5
    assert effective_complexity(v, share=0.005).tolist() == [2, 4, 0]
    assert compacity(np.array([[6, 3, 1, 0.0]])).tolist() == [2]  # 6 + 3 reaches 90% of 10
    assert compacity(np.array([[6, 2, 1, 1.0]])).tolist() == [3]
    assert compacity(np.array([[9, 1, 0, 0.0]])).tolist() == [1]


def test_similarity_identity_reversal_and_collapse():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(10, 8))
    s = explanation_similarity(A, A.copy(), k=3)
    assert s["spearman"] == pytest.approx(np.ones(10)) and s["top_k"] == pytest.approx(np.ones(10))
    order = np.argsort(np.abs(A), axis=1)
    B = np.empty_like(A)
    np.put_along_axis(B, order, np.arange(8, 0, -1)[None].repeat(10, 0).astype(float), axis=1)  # ranks reversed
    assert explanation_similarity(A, B)["spearman"] == pytest.approx(-np.ones(10))
    z = explanation_similarity(A, np.zeros_like(A))  # a randomised L1 model with every coefficient zero
    assert z["spearman"].tolist() == [0.0] * 10 and z["top_k"].tolist() == [0.0] * 10 and z["collapsed"].all()
    assert not s["collapsed"].any()


def test_planted_explainer_that_ignores_the_model_fails_and_a_model_dependent_one_passes():
    rng = np.random.default_rng(1)
    X = rng.uniform(0.9, 1.1, size=(40, 10))  # inputs of similar size: the model's weights decide the ranking
    w_real, w_rand = rng.normal(size=10), rng.normal(size=10)
    planted = lambda w, X: np.abs(X - X.mean(0))  # noqa: E731  -- never looks at w
    grad_x_input = lambda w, X: w * X  # noqa: E731
    sim_planted = explanation_similarity(planted(w_real, X), planted(w_rand, X))["spearman"].mean()
    sim_real = explanation_similarity(grad_x_input(w_real, X), grad_x_input(w_rand, X))["spearman"].mean()
    assert sim_planted == pytest.approx(1.0) and not sanity_verdict(sim_planted)
    assert sim_real < PASS_BELOW and sanity_verdict(sim_real)
    assert not sanity_verdict(float("nan"))


def test_randomise_layers_cascades_from_the_top():
    rng = np.random.default_rng(2)
    layers = [(rng.normal(0, s, (20, 30)), rng.normal(0, s, 30)) for s in (1.0, 3.0)] + [(rng.normal(0, 2, (30, 1)), np.ones(1))]
    top = randomise_layers(layers, 1, seed=5)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(layers[:2], top[:2]))
    assert not np.array_equal(layers[2][0], top[2][0])
    two = randomise_layers(layers, 2, seed=5)
    assert np.array_equal(two[0][0], layers[0][0]) and not np.array_equal(two[1][0], layers[1][0])
    assert two[1][0].std() == pytest.approx(layers[1][0].std(), rel=0.1)  # the trained layer's scale
    assert np.array_equal(randomise_layers(layers, 3, 5)[2][0], randomise_layers(layers, 3, 5)[2][0])  # seeded
    y = np.array([0, 0, 0, 1, 1])
    p = permuted_labels(y, 3)
    assert sorted(p) == sorted(y) and np.array_equal(p, permuted_labels(y, 3))


def _linear(w):
    return lambda M: np.asarray(M) @ w


def test_removal_faithfulness_linear_known_answers():
    rng = np.random.default_rng(3)
    X, w, b = rng.normal(size=(30, 6)), rng.normal(size=6), rng.normal(size=6)
    exact = w * (X - b)  # the linear model's SHAP values against baseline b
    corr = faithfulness_correlation(_linear(w), X, exact, b, n_samples=30, seed=1)
    assert corr == pytest.approx(np.ones(30))
    assert infidelity(_linear(w), X, exact, b, n_samples=30, seed=1) == pytest.approx(np.zeros(30), abs=1e-20)
    # claiming nothing: infidelity = the effect's own mean square (normalised: 1); claiming double: also 1
    assert infidelity(_linear(w), X, np.zeros_like(X), b, seed=1, normalised=True) == pytest.approx(np.ones(30))
    assert infidelity(_linear(w), X, 2 * exact, b, seed=1, normalised=True) == pytest.approx(np.ones(30))
    both = removal_scores(_linear(w), X, exact, b, n_samples=30, seed=1)
    assert both["correlation"] == pytest.approx(corr) and both["infidelity"] == pytest.approx(np.zeros(30), abs=1e-20)


def test_random_explainer_sits_at_chance():
    rng = np.random.default_rng(4)
    n, f, k = 3000, 10, 3
    X, w = rng.normal(size=(n, f)), rng.normal(size=f)
    R = random_attributions(n, f, seed=9)
    assert np.array_equal(R, random_attributions(n, f, seed=9))
    scaled = random_attributions(n, f, seed=9, like=w * X)  # the explainer's magnitude, a random direction
    assert np.linalg.norm(scaled, axis=1) == pytest.approx(np.linalg.norm(w * X, axis=1))
    assert np.array_equal(np.sign(scaled), np.sign(R))
    zero = random_attributions(2, f, seed=9, like=np.zeros((2, f)))  # nothing attributed: the control stays random
    assert zero == pytest.approx(random_attributions(2, f, seed=9))
    assert float(np.mean(feature_agreement(w * X, R, k))) == pytest.approx(k / f, abs=0.02)  # hypergeometric mean
    corr = faithfulness_correlation(_linear(w), X[:300], R[:300], np.zeros(f), n_samples=20, seed=2)
    assert abs(float(np.nanmean(corr))) < 0.05


def test_subset_masks_never_empty_and_share():
    M = subset_masks(50, 8, 40, share=0.25, seed=0)
    assert M.any(axis=2).all() and M.mean() == pytest.approx(0.25 + 0.75**8 / 8, abs=0.02)


def test_max_sensitivity_closed_form():
    X = np.array([[3.0, 4.0], [1.0, 0.0]])
    const = lambda M: np.ones_like(M)  # noqa: E731  -- never moves
    assert max_sensitivity(const, X, scale=np.ones(2), seed=0) == pytest.approx(np.zeros(2))
    ident = lambda M: np.asarray(M)  # noqa: E731
    got = max_sensitivity(ident, X, scale=np.ones(2), radius=0.1, n_neighbours=7, seed=3)
    step = np.random.default_rng(3).uniform(-0.1, 0.1, (7, 2, 2))
    want = np.linalg.norm(step, axis=2).max(axis=0) / np.linalg.norm(X, axis=1)
    assert got == pytest.approx(want)
    assert np.isnan(max_sensitivity(lambda M: np.zeros_like(M), X, scale=np.ones(2))).all()


def test_gaussian_imputer_conditional_mean():
    imp = GaussianImputer(np.array([1.0, 2.0]), np.array([[1.0, 0.8], [0.8, 1.0]]))
    assert imp.impute(np.array([2.0, 99.0]), np.array([False, True]))[1] == pytest.approx(2.0 + 0.8)
    assert imp.impute(np.array([2.0, 99.0]), np.array([True, True])).tolist() == [1.0, 2.0]
    rng = np.random.default_rng(5)
    T = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], 20000)
    fit = GaussianImputer.fit(T)
    assert fit.impute(np.array([np.nan, 2.0]), np.array([True, False]))[0] == pytest.approx(1.0, abs=0.05)


def test_imputed_deletion_keeps_the_model_on_the_data():
    # x2 is a copy of x1; the model reads x1 only. Deleting x1 to the mean drops the output, imputing it from x2 does not.
    imp = GaussianImputer(np.zeros(2), np.array([[1.0, 0.999], [0.999, 1.0]]))
    X, V = np.array([[2.0, 2.0]]), np.array([[1.0, 0.0]])
    curve = imputed_deletion_curve(lambda M: np.asarray(M)[:, 0], X, V, imp)
    assert curve[0, 0] == 2.0 and curve[0, 1] == pytest.approx(2.0 * 0.999) and curve[0, 2] == 0.0


def test_batched_imputed_deletion_matches_one_patient_at_a_time():
    rng = np.random.default_rng(6)
    T = rng.multivariate_normal(np.zeros(5), np.eye(5) + 0.5, 500)
    imp = GaussianImputer.fit(T)
    X, V = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    X[1, 2] = np.nan  # a missing cell stays missing while kept, and conditions as the mean
    curve = imputed_deletion_curve(lambda M: np.nan_to_num(np.asarray(M)) @ np.arange(1, 6), X, V, imp)
    for i in range(4):
        order = np.argsort(-np.abs(V[i]), kind="stable")
        removed = np.zeros(5, dtype=bool)
        for j in range(5):
            removed[order[j]] = True
            assert curve[i, j + 1] == pytest.approx(np.nan_to_num(imp.impute(X[i], removed)) @ np.arange(1, 6))
