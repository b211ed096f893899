"""Our trust metrics against Quantus (the reference implementations) on small cases.

Quantus installs without a deep-learning framework, but its model-based metrics (model-parameter randomisation,
infidelity) wrap only torch or TensorFlow models; those are checked against closed forms in
tests/test_trust_metrics.py. Sparseness and effective complexity need no model; max-sensitivity runs through
Quantus' own batch evaluation with its perturbation replaced by our seeded neighbours.
"""

import warnings

import numpy as np
import pytest

quantus = pytest.importorskip("quantus")

from risklens.metrics.complexity import effective_complexity, gini  # noqa: E402
from risklens.metrics.robustness import max_sensitivity  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_gini_equals_quantus_sparseness():
    rng = np.random.default_rng(0)
    A, X = rng.normal(size=(8, 12)), rng.normal(size=(8, 12))
    q = quantus.Sparseness(disable_warnings=True, normalise=False, abs=True)(
        model=None, x_batch=X, y_batch=np.zeros(8, int), a_batch=A)
    assert np.asarray(q) == pytest.approx(gini(A), abs=1e-6)  # Quantus adds 1e-7 to every |a|


def test_effective_complexity_equals_quantus_with_the_row_threshold():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 15)) * rng.uniform(0.01, 3, size=(1, 15))
    share = 0.05
    for row in A:
        eps = share * np.abs(row).sum()  # ours: a share of the row's total; Quantus: an absolute threshold
        q = quantus.EffectiveComplexity(eps=eps, disable_warnings=True, normalise=False, abs=True)(
            model=None, x_batch=row[None], y_batch=np.zeros(1, int), a_batch=row[None])
        ours = effective_complexity(row, share=share)[0]
        assert ours == q[0]  # (ours counts >= the threshold, Quantus >; no value sits exactly on it here)


def test_max_sensitivity_equals_quantus():
    rng = np.random.default_rng(2)
    n, f, S = 5, 7, 6
    X, W = rng.normal(size=(n, f)), rng.normal(size=f)
    explain = lambda M: np.asarray(M) * W + 0.3 * np.asarray(M) ** 2  # noqa: E731
    ours = max_sensitivity(explain, X, scale=np.ones(f), radius=0.2, n_neighbours=S, seed=7)
    step = np.random.default_rng(7).uniform(-0.2, 0.2, (S, n, f))  # the same neighbours, handed to Quantus
    draws = iter([X + step[j] for j in range(S)])
    metric = quantus.MaxSensitivity(nr_samples=S, perturb_func=lambda arr, indices, **kw: next(draws),
                                    normalise=False, abs=False, disable_warnings=True,
                                    return_nan_when_prediction_changes=False)
    metric.explain_func = lambda model, inputs, targets, **kw: explain(inputs)
    metric.explain_func_kwargs = {}

    class Model:  # the part of Quantus' ModelInterface this metric touches
        def get_model(self):
            return None

        def predict(self, x, **kw):
            return np.zeros((len(x), 2))

        def shape_input(self, x, *a, **kw):
            return x

    q = metric.evaluate_batch(Model(), X, np.zeros(n, int), explain(X))
    assert np.asarray(q) == pytest.approx(ours, rel=1e-9)
