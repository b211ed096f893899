"""Faithfulness metrics (risklens.metrics.faithfulness) against closed forms."""

import numpy as np
import pytest

from risklens.metrics import faithfulness as F

RNG = np.random.default_rng(1)
COEF = np.array([2.0, -1.5, 0.5, 0.0, 1.0])
B0 = -0.3
X = RNG.normal(size=(7, 5))
MEAN = RNG.normal(size=5)


def margin(M):
    return B0 + M @ COEF


def test_deletion_curve_linear_closed_form():
    values = COEF * (X - MEAN)  # linear SHAP / coef attribution with a mean baseline
    curve = F.deletion_curve(margin, X, values, MEAN)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")
    for i in range(len(X)):
        for j in range(6):
            remaining = order[i, j:]
            expect = B0 + COEF @ MEAN + values[i, remaining].sum()
            assert curve[i, j] == pytest.approx(expect)
    # everything deleted -> the baseline's output; nothing inserted -> the same
    ins = F.insertion_curve(margin, X, values, MEAN)
    assert np.allclose(ins[:, 0], margin(MEAN[None])[0]) and np.allclose(ins[:, -1], margin(X))


def test_auc_and_random_reference():
    assert F.curve_auc(np.array([[1.0, 0.0]]))[0] == pytest.approx(0.5)
    assert F.curve_auc(np.array([[1.0, 1.0, 1.0]]))[0] == pytest.approx(1.0)
    prob = lambda M: 1 / (1 + np.exp(-margin(M)))  # noqa: E731
    Xp = MEAN + np.abs(X) * np.sign(COEF + 1e-9)  # push every patient up the risk scale
    res = F.faithfulness_curves(prob, Xp, COEF * (Xp - MEAN), MEAN, seed=0)
    assert res["deletion_auc"] <= res["deletion_auc_random"] + 1e-12
    assert res["insertion_auc"] >= res["insertion_auc_random"] - 1e-12
    again = F.faithfulness_curves(prob, Xp, COEF * (Xp - MEAN), MEAN, seed=0)
    assert again["deletion_auc_random"] == res["deletion_auc_random"]


def test_pgi_pgu_linear():
    values = COEF * (X - MEAN)
    r = F.pgi_pgu(margin, X, values, scale=np.ones(5), k=2, sigma=0.5, n_samples=4000, seed=3)
    # closed form: the gap is |N(0, sigma^2 * sum of c_j^2 over perturbed j)|, mean sqrt(2/pi) * sd
    top = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :2]
    sd_top = np.sqrt((COEF[top] ** 2).sum(1))
    sd_rest = np.sqrt((COEF**2).sum() - sd_top**2)
    assert r["PGI"] == pytest.approx(np.sqrt(2 / np.pi) * 0.5 * sd_top.mean(), rel=0.05)
    assert r["PGU"] == pytest.approx(np.sqrt(2 / np.pi) * 0.5 * sd_rest.mean(), rel=0.05)
    # perturbing only a zero-coefficient feature changes nothing
    v = np.zeros_like(X); v[:, 3] = 1.0
    assert F.pgi_pgu(margin, X, v, k=1, seed=0)["PGI"] == 0.0


def test_local_lipschitz_of_linear_explainer():
    # e(x) = diag(c) x -> ratio <= max|c| (scale 1)
    lip = F.local_lipschitz(lambda M: M * COEF, X, scale=np.ones(5), radius=0.2, n_neighbours=30, seed=0)
    assert np.all(lip <= np.abs(COEF).max() + 1e-9) and np.all(lip > 0)
    assert np.allclose(F.local_lipschitz(lambda M: np.zeros_like(M), X, seed=0), 0)


def test_compacity():
    v = np.array([[5.0, 3, 1, 1, 0], [1, 1, 1, 1, 0], [0, 0, 0, 0, 0], [-10, 0, 0, 0, 0]])
    # row 0: total 10, 90% = 9 -> 5+3+1 = 9 -> 3 features
    assert F.compacity(v).tolist() == [3, 4, 0, 1]
    assert F.compacity(v, share=0.5).tolist() == [1, 2, 0, 1]


def test_baseline():
    T = np.array([[1.0, np.nan], [3.0, 2.0], [8.0, 4.0]])
    assert F.baseline_from(T).tolist() == [4.0, 3.0]
    assert F.baseline_from(T, "median").tolist() == [3.0, 3.0]
