"""More faithfulness and robustness checks: pure, seeded functions on attribution arrays.

``predict`` maps a float matrix ``(m, f)`` to one output per row **in the explanation's output space**
(log-odds for SHAP / coefficients / DTD, probability for LIME), ``X`` are the explained rows, ``values``
their attributions, ``baseline`` one value per feature standing for "feature removed" (the training mean).

The perturbation (stated in every report): a random subset S of features (each feature independently
with probability ``share`` = 1/4, at least one) is set to the baseline; the model's change is
``delta = f(x) - f(x with S removed)`` and the explanation's claim is ``sum_{i in S} a_i``.

- ``faithfulness_correlation`` (Bhatt et al. 2020): per row, the Pearson correlation over the
  subsets between the claim and ``delta`` (1 = the attribution predicts what removing features does).
- ``infidelity`` (Yeh et al. 2019) with the perturbation I = (x - baseline) ⊙ S: per row, the mean of
  ``(claim - delta)^2``; ``normalised`` divides by the mean ``delta^2`` so that output spaces compare
  (0 = exact, 1 = no better than claiming nothing).
- ``max_sensitivity`` (Yeh et al. 2019): per row, max over seeded neighbours x' (uniform in a box of
  half-width ``radius`` x feature std) of ||e(x') - e(x)|| / ||e(x)||.
- :class:`GaussianImputer` and ``imputed_deletion_curve``: ROAD-style deletion (Rong et al. 2022):
  removed features get their conditional expectation given the kept ones under a Gaussian fitted to
  the training rows, instead of the training mean, so the model is not pushed off the data's
  distribution; beside the deletion to the baseline it shows how much of that curve is off-distribution.
- ``random_attributions``: the seeded control explainer (a random direction, optionally with the explainer's
  own magnitude per row): the chance level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from risklens.metrics.faithfulness import curve_auc, _order

Predict = Callable[[np.ndarray], np.ndarray]
SUBSET_SHARE = 0.25
PERTURBATION = ("a random quarter of the features (each with probability 1/4) set to the training mean; "
                "claim = sum of their attributions, effect = the model's change in the explanation's output space")


def _rows(X) -> np.ndarray:
    return np.atleast_2d(np.asarray(X, dtype=np.float64))


def subset_masks(n: int, f: int, n_samples: int, share: float = SUBSET_SHARE, seed: int = 0) -> np.ndarray:
    """(n_samples, n, f) boolean masks: each feature in the subset with probability ``share``, at least one."""
    rng = np.random.default_rng(seed)
    M = rng.random((n_samples, n, f)) < share
    empty = ~M.any(axis=2)
    M[empty, rng.integers(0, f, int(empty.sum()))] = True
    return M


def removal_pairs(predict: Predict, X, values, baseline, n_samples: int = 20, share: float = SUBSET_SHARE,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(claim, delta), each (n_samples, n): the attributions' sum over each subset and the model's change."""
    X, V = _rows(X), _rows(values)
    n, f = X.shape
    M = subset_masks(n, f, n_samples, share, seed)
    base = np.asarray(baseline, dtype=np.float64)
    Xp = np.where(M, base[None, None, :], X[None])
    p0 = np.asarray(predict(X), dtype=np.float64)
    pp = np.asarray(predict(Xp.reshape(n_samples * n, f)), dtype=np.float64).reshape(n_samples, n)
    return (M * V[None]).sum(axis=2), p0[None] - pp


def _pearson_cols(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    den = np.sqrt((a**2).sum(axis=0) * (b**2).sum(axis=0))
    return np.where(den > 0, (a * b).sum(axis=0) / np.where(den > 0, den, 1.0), np.nan)


def faithfulness_correlation(predict: Predict, X, values, baseline, n_samples: int = 20,
                             share: float = SUBSET_SHARE, seed: int = 0) -> np.ndarray:
    """Per row: Pearson correlation of claim and effect over the subsets (NaN when either is constant)."""
    claim, delta = removal_pairs(predict, X, values, baseline, n_samples, share, seed)
    return _pearson_cols(claim, delta)


def infidelity(predict: Predict, X, values, baseline, n_samples: int = 20, share: float = SUBSET_SHARE,
               seed: int = 0, normalised: bool = False) -> np.ndarray:
    """Per row: mean (claim - effect)^2 over the subsets (``normalised``: / mean effect^2)."""
    claim, delta = removal_pairs(predict, X, values, baseline, n_samples, share, seed)
    err = ((claim - delta) ** 2).mean(axis=0)
    if not normalised:
        return err
    d2 = (delta**2).mean(axis=0)
    return np.where(d2 > 0, err / np.where(d2 > 0, d2, 1.0), np.nan)


def removal_scores(predict: Predict, X, values, baseline, n_samples: int = 20, share: float = SUBSET_SHARE,
                   seed: int = 0) -> dict[str, np.ndarray]:
    """Faithfulness correlation and normalised infidelity per row from one set of perturbations."""
    claim, delta = removal_pairs(predict, X, values, baseline, n_samples, share, seed)
    d2 = (delta**2).mean(axis=0)
    err = ((claim - delta) ** 2).mean(axis=0)
    return {"correlation": _pearson_cols(claim, delta),
            "infidelity": np.where(d2 > 0, err / np.where(d2 > 0, d2, 1.0), np.nan)}


def max_sensitivity(explain_fn: Callable[[np.ndarray], np.ndarray], X, scale=None, radius: float = 0.1,
                    n_neighbours: int = 5, seed: int = 0) -> np.ndarray:
    """Per row: max ||e(x') - e(x)|| / ||e(x)|| over seeded neighbours (NaN when e(x) is all zero).

    ``explain_fn`` is called once on the rows and once on all neighbours (rows of neighbour j together).
    """
    X = _rows(X)
    n, f = X.shape
    if scale is None:
        scale = np.nanstd(X, axis=0)
    scale = np.where(np.asarray(scale, dtype=np.float64) > 0, scale, 1.0)
    step = np.random.default_rng(seed).uniform(-radius, radius, (n_neighbours, n, f))
    Xn = X[None] + step * scale
    e0 = np.asarray(explain_fn(X), dtype=np.float64)
    en = np.asarray(explain_fn(Xn.reshape(n_neighbours * n, f)), dtype=np.float64).reshape(n_neighbours, n, f)
    num = np.linalg.norm(en - e0[None], axis=2).max(axis=0)
    den = np.linalg.norm(e0, axis=1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def random_attributions(n: int, f: int, seed: int, like=None) -> np.ndarray:
    """The control explainer: seeded standard normal attributions (n, f), independent of model and data.

    ``like`` (n, f): each random row is rescaled to that row's Euclidean norm (all-zero rows stay unscaled), so the control speaks in the
    explainer's own units (a random direction, the explainer's magnitude) and scale-dependent scores compare.
    """
    R = np.random.default_rng(seed).standard_normal((n, f))
    if like is None:
        return R
    norm = np.linalg.norm(np.nan_to_num(np.asarray(like, dtype=np.float64)), axis=1, keepdims=True)
    norm = np.where(norm > 0, norm, np.linalg.norm(R, axis=1, keepdims=True))  # an all-zero row: unscaled
    return R / np.linalg.norm(R, axis=1, keepdims=True) * norm


@dataclass
class GaussianImputer:
    """Conditional expectations under a Gaussian fitted to training rows (NaN cells replaced by the mean)."""

    mean: np.ndarray
    cov: np.ndarray

    @classmethod
    def fit(cls, train, ridge: float = 1e-6) -> "GaussianImputer":
        T = _rows(train)
        mu = np.nan_to_num(np.nanmean(T, axis=0), nan=0.0)
        T = np.where(np.isnan(T), mu, T)
        C = np.atleast_2d(np.cov(T, rowvar=False))
        C = C + ridge * (np.trace(C) / len(C) or 1.0) * np.eye(len(C))
        return cls(mu, C)

    def impute(self, x: np.ndarray, removed: np.ndarray) -> np.ndarray:
        """``x`` (f,) with the ``removed`` features (bool mask) set to E[x_removed | x_kept]."""
        x = np.asarray(x, dtype=np.float64).copy()
        S, R = np.asarray(removed, dtype=bool), ~np.asarray(removed, dtype=bool)
        if not S.any():
            return x
        if not R.any():
            x[S] = self.mean[S]
            return x
        kept = np.where(np.isnan(x[R]), self.mean[R], x[R])
        coef = np.linalg.solve(self.cov[np.ix_(R, R)], self.cov[np.ix_(R, S)])
        x[S] = self.mean[S] + (kept - self.mean[R]) @ coef
        return x


def imputed_deletion_curve(predict: Predict, X, values, imputer: GaussianImputer, order: str = "attribution",
                           seed: int = 0) -> np.ndarray:
    """(n, f + 1): output after removing 0..f features by |attribution| (or random), each imputed from the rest."""
    X, V = _rows(X), _rows(values)
    n, f = X.shape
    idx = _order(V, order, seed)
    mu, C = imputer.mean, imputer.cov
    filled = np.where(np.isnan(X), mu, X) - mu  # conditioning values, centred
    rows = np.arange(n)[:, None]
    steps = np.empty((n, f + 1, f))
    steps[:, 0] = X
    steps[:, f] = mu
    for j in range(1, f):  # j features removed: the same sizes for every patient, so one batched solve per step
        S, R = idx[:, :j], idx[:, j:]
        coef = np.linalg.solve(C[R[:, :, None], R[:, None, :]], C[R[:, :, None], S[:, None, :]])  # (n, f-j, j)
        cur = X.copy()
        cur[rows, S] = mu[S] + np.einsum("nr,nrs->ns", filled[rows, R], coef)
        steps[:, j] = cur
    return np.asarray(predict(steps.reshape(n * (f + 1), f)), dtype=np.float64).reshape(n, f + 1)


def imputed_deletion_auc(predict: Predict, X, values, imputer: GaussianImputer, seed: int = 0) -> dict[str, float]:
    """Mean AUC of the imputed deletion curve by attribution and by a random order."""
    return {"auc": float(curve_auc(imputed_deletion_curve(predict, X, values, imputer, "attribution", seed)).mean()),
            "auc_random": float(curve_auc(imputed_deletion_curve(predict, X, values, imputer, "random", seed)).mean())}
