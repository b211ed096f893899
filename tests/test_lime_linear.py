"""LIME on a linear model against the exact answer, coef x (x - mean) (the ``coef`` method).

For a logistic model, the continuous variant sampled around the patient (``lime-local``) recovers the exact
ranking: its kernel depends on the distance only, so the surrogate's weights are proportional to coef x sd
(Stein's lemma), and weight x standardised deviation ranks like coef x (x - mean). The quartile default does
not: it answers another question (the effect of leaving the patient's quartile bin), and a mostly-zero feature
such as O2 flow, whose other bin is far from the patient's, leads it for most patients."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr

from risklens.explain import explain, method
from test_explain_fixtures import cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def top1(e) -> np.ndarray:
    return np.abs(e.values).argmax(axis=1)


def rank_corr(a, b) -> float:
    return float(np.mean([spearmanr(np.abs(x), np.abs(y))[0] for x, y in zip(a.values, b.values)]))


@pytest.fixture(scope="module")
def explained():
    X, _ = cohort()
    m = model("l1-logistic")
    rows = X.iloc[:150]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: explain(m, rows, name, seed=0, background=X, num_samples=1000) for name in ("lime", "lime-local")} | {
            "coef": explain(m, rows, "coef")}


def test_local_lime_recovers_the_exact_linear_ranking(explained):
    local, exact = explained["lime-local"], explained["coef"]
    assert (top1(local) == top1(exact)).mean() >= 0.95
    assert rank_corr(local, exact) >= 0.9
    # the known answer itself: per patient, the values are the exact ones times one positive factor p(1 - p)
    nz = np.abs(exact.values) > 0.05 * np.abs(exact.values).max(axis=1, keepdims=True)
    ratio = np.where(nz, local.values / np.where(nz, exact.values, 1.0), np.nan)
    spread = np.nanstd(ratio, axis=1) / np.nanmean(ratio, axis=1)
    assert (np.nanmean(ratio, axis=1) > 0).all() and np.median(spread) < 0.25


def test_quartile_lime_misses_the_exact_answer_and_names_o2_flow(explained):
    lime, exact = explained["lime"], explained["coef"]
    assert (top1(lime) == top1(exact)).mean() < 0.5  # a measured property of the default, not noise
    names = np.array(lime.feature_names)
    assert (names[top1(lime)] == "o2_flow_max").mean() > 2 * (names[top1(exact)] == "o2_flow_max").mean()


def test_the_variant_is_registered_beside_the_default():
    spec = method("lime-local")
    assert spec.families == method("lime").families and spec.output == "probability" and spec.cost == "slow"
    assert spec.defaults == method("lime").defaults  # the same budget: only the variant differs
    e = explain(model("l1-logistic"), cohort()[0].iloc[:3], "lime-local", seed=1, background=cohort()[0],
                num_samples=200)
    assert e.method == "lime-local" and e.params["discretizer"].startswith("none")
    assert "around the patient" in e.params["sampling"] and e.params["num_samples"] == 200


def test_a_feature_constant_in_the_background_is_not_perturbed_and_does_not_drown_the_rest():
    """lime perturbs such a feature with sd 1 in its raw unit (here 1 AVPU level on every sample), which saturates
    the risk; the local variant holds it at the patient's value (value 0) and still finds the exact top-1."""
    X, _ = cohort()
    m = model("l1-logistic")
    background = X.assign(avpu_max=0.0)
    rows = X.iloc[:100]
    e = explain(m, rows, "lime-local", seed=0, background=background, num_samples=1000)
    j = e.feature_names.index("avpu_max")
    assert np.all(e.values[:, j] == 0.0)
    exact = explain(m, rows, "coef").values.copy()
    exact[:, j] = 0.0
    assert (top1(e) == np.abs(exact).argmax(axis=1)).mean() >= 0.9
