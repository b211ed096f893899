"""Known answers for the agreement metrics (risklens.metrics.consistency) and LIME stability (risklens.metrics.stability)."""

import numpy as np
import pytest

from risklens.metrics import consistency as C
from risklens.explain.base import Explanation
from risklens.metrics.stability import lime_stability


def _expl(values, names=None, method="shap"):
    values = np.atleast_2d(values)
    names = names or [f"f{j}" for j in range(values.shape[1])]
    return Explanation(values=values, base_values=0.0, data=np.zeros_like(values), feature_names=names,
                       method=method, model_id="m", output="log-odds")


RNG = np.random.default_rng(0)
A = RNG.normal(size=(30, 12))


def test_identical_scores_one_everywhere():
    for level in ("patient", "cohort"):
        res = C.agreement(A, A.copy(), k=5, level=level)
        for m in C.METRICS:
            assert res[m] == pytest.approx(1.0), (level, m)
    assert C.agreement(_expl(A), _expl(A), k=3)["CR"] == pytest.approx(1.0)
    tc = C.top_contributor_agreement(A, A, groups=[f"g{j // 2}" for j in range(12)])
    assert tc["exact"] == tc["group"] == tc["top2_set"] == tc["top3_set"] == 1.0


def test_reversed_ranking():
    a = np.array([6.0, 5, 4, 3, 2, 1])
    b = a[::-1].copy()
    assert C.rank_correlation(a, b) == pytest.approx(-1.0)
    assert C.rank_agreement(a, b, k=3) == 0.0
    assert C.feature_agreement(a, b, k=3) == 0.0
    assert C.feature_agreement(a, b, k=6) == 1.0
    assert C.rank_agreement(a, b, k=6) == 0.0
    assert C.pairwise_rank_agreement(a, b, k=6, among="all") == 0.0
    # top-3 union = all six features: every pair reversed
    assert C.pairwise_rank_agreement(a, b, k=3) == 0.0


def test_sign_flips():
    a = np.array([5.0, -4, 3, 0.1, 0.2])
    b = -a
    assert C.sign_agreement(a, b, k=3) == 0.0
    assert C.sign_agreement_shared(a, b, k=3) == 0.0
    assert C.signed_rank_agreement(a, b, k=3) == 0.0
    assert C.feature_agreement(a, b, k=3) == 1.0 and C.rank_agreement(a, b, k=3) == 1.0
    assert C.rank_correlation(a, b) == pytest.approx(1.0)  # ranks are by |attribution|


def test_two_normalisations_of_sign_agreement():
    a = np.array([5.0, 4, 3, 2, 1, 0])
    b = np.array([5.0, -4, 0, 0, 0.5, 3])  # top-3 of b: f0, f1, f5 -> shared with a: f0, f1
    assert C.feature_agreement(a, b, k=3) == pytest.approx(2 / 3)
    assert C.sign_agreement(a, b, k=3) == pytest.approx(1 / 3)  # Krishna: / k
    assert C.sign_agreement_shared(a, b, k=3) == pytest.approx(1 / 2)  # study: / shared
    assert C.signed_rank_agreement(a, b, k=3) == pytest.approx(1 / 3)
    assert np.isnan(C.sign_agreement_shared([1.0, 0, 0], [0, 0, 1.0], k=1))


def test_pra_partial():
    a = np.array([3.0, 2, 1])
    b = np.array([3.0, 1, 2])  # pairs (0,1) same, (0,2) same, (1,2) swapped
    assert C.pairwise_rank_agreement(a, b, k=3, among="all") == pytest.approx(2 / 3)


def test_patient_level_returns_distribution_and_aligns_names():
    ea = _expl(A)
    perm = np.arange(12)[::-1]
    eb = _expl(A[:, perm], names=[f"f{j}" for j in perm])
    d = C.agreement_distribution(C.as_values(ea), C.as_values(eb, ea.feature_names))
    assert len(d) == 30 and (d["FA"] == 1).all()
    assert C.feature_agreement(ea, eb, k=4).shape == (30,)


def test_runs_and_signs_across_runs():
    runs = [A, A * 2, A * 3]  # same ranking, same signs
    rc = C.run_consistency(runs, k=5)
    assert rc["FA"] == 1.0 and rc["CR"] == pytest.approx(1.0) and rc["pairs"] == 3
    s = C.sign_agreement_runs([A, -A])
    assert s == {"leading": 0.0, "top5": 0.0, "all": 0.0}


def test_top_contributor_sets():
    a = np.array([[3.0, 2, 1, 0], [3.0, 2, 1, 0]])
    b = np.array([[2.0, 3, 1, 0], [3.0, 0, 1, 2]])
    tc = C.top_contributor_agreement(a, b, groups=["x", "x", "y", "z"])
    assert tc["exact"] == 0.5 and tc["group"] == 1.0
    assert tc["top2_set"] == 0.5 and tc["top3_set"] == 0.5


def test_lime_stability_identical_and_flipped():
    t = lime_stability([A[:5], A[:5].copy(), A[:5].copy()])
    assert (t["jaccard"] == 1).all() and (t["VSI"] == 1).all() and (t["CSI"] == 1).all()
    assert not t["unstable"].any() and np.allclose(t["coef_std"], 0)
    t2 = lime_stability([A[:5], -A[:5]])
    assert t2["sign_flip_top3"].all() and t2["unstable"].all() and (t2["jaccard"] == 1).all()
    # disjoint top-5 sets -> Jaccard 0
    a = np.zeros((1, 10)); a[0, :5] = [5, 4, 3, 2, 1]
    b = np.zeros((1, 10)); b[0, 5:] = [5, 4, 3, 2, 1]
    t3 = lime_stability([a, b])
    assert t3["jaccard"].iloc[0] == 0 and t3["VSI"].iloc[0] == 0 and t3["unstable"].iloc[0]
