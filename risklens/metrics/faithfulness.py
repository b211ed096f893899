"""Faithfulness and robustness of attributions: does changing what they point at change the output?

All functions are pure and seeded. ``predict`` maps a float matrix ``(m, f)`` to one output per row
(RiskLens uses the model's probability, ``model.predict_proba``); ``X`` are the explained rows,
``values`` their attributions (same shape), ``baseline`` one value per feature that stands for
"feature removed" (RiskLens: the training mean, see :func:`baseline_from`).

- Deletion curve: features set to the baseline one at a time in order of decreasing |attribution|;
  the curve holds the output after 0..f deletions. Insertion: start from the baseline row and put
  the patient's values back in the same order. AUC = trapezoid area over the fraction of features
  (x in [0, 1]), so it is in output units; ``auc_norm`` divides by the patient's own output
  (deletion: lower is more faithful; insertion: higher is). A random order (seeded) is the reference.
- PGI / PGU (OpenXAI): mean |f(x) - f(x')| when Gaussian noise (``sigma`` x feature std) perturbs the
  top-k features (PGI, should be large) or every other feature (PGU, should be small).
- Local Lipschitz: max ||e(x) - e(x')|| / ||x - x'|| over seeded neighbours x' drawn uniformly in a
  box of half-width ``radius`` x feature std around x (smaller = more robust).
- Compacity: the number of features that carry ``share`` (90%) of the total |attribution|.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from risklens.metrics.consistency import top_k

Predict = Callable[[np.ndarray], np.ndarray]


def baseline_from(train: np.ndarray, how: str = "mean") -> np.ndarray:
    """Per-feature baseline from training rows: ``"mean"`` or ``"median"`` (NaN ignored; 0 if all NaN)."""
    T = np.asarray(train, dtype=np.float64)
    if how not in ("mean", "median"):
        raise ValueError(f"baseline must be 'mean' or 'median', not {how!r}")
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            b = np.nanmean(T, axis=0) if how == "mean" else np.nanmedian(T, axis=0)
    return np.nan_to_num(b, nan=0.0)


def _order(values: np.ndarray, order: str, seed: int) -> np.ndarray:
    if order == "attribution":
        return top_k(values, values.shape[1])
    if order == "random":
        rng = np.random.default_rng(seed)
        return np.argsort(rng.random(values.shape), axis=1)
    raise ValueError(f"order must be 'attribution' or 'random', not {order!r}")


def _curves(predict: Predict, X, values, baseline, mode: str, order: str, seed: int) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    V = np.atleast_2d(np.asarray(values, dtype=np.float64))
    base = np.asarray(baseline, dtype=np.float64)
    n, f = X.shape
    idx = _order(V, order, seed)
    # rows of step j: deletion -> first j ranked features at baseline; insertion -> only first j from x
    start = X.copy() if mode == "deletion" else np.broadcast_to(base, X.shape).copy()
    source = np.broadcast_to(base, X.shape) if mode == "deletion" else X
    steps = np.empty((f + 1, n, f))
    steps[0] = start
    rows = np.arange(n)
    cur = start
    for j in range(f):
        cur = cur.copy()
        cur[rows, idx[:, j]] = source[rows, idx[:, j]]
        steps[j + 1] = cur
    out = np.asarray(predict(steps.reshape((f + 1) * n, f)), dtype=np.float64).reshape(f + 1, n)
    return out.T  # (n, f + 1)


def deletion_curve(predict: Predict, X, values, baseline, order: str = "attribution", seed: int = 0) -> np.ndarray:
    """Output after deleting 0..f features (n, f + 1), in order of |attribution| (or random)."""
    return _curves(predict, X, values, baseline, "deletion", order, seed)


def insertion_curve(predict: Predict, X, values, baseline, order: str = "attribution", seed: int = 0) -> np.ndarray:
    """Output after inserting 0..f features into the baseline row (n, f + 1)."""
    return _curves(predict, X, values, baseline, "insertion", order, seed)


def curve_auc(curves: np.ndarray) -> np.ndarray:
    """Trapezoid area of each curve over x = fraction of features (0..1); one value per row."""
    C = np.atleast_2d(curves)
    f = C.shape[1] - 1
    return (C[:, :-1] + C[:, 1:]).sum(axis=1) / (2.0 * f)


def faithfulness_curves(predict: Predict, X, values, baseline, seed: int = 0) -> dict:
    """Deletion and insertion AUCs (mean over rows) by attribution order and by random order.

    Keys: deletion_auc, deletion_auc_random, insertion_auc, insertion_auc_random (output units),
    deletion_auc_norm, insertion_auc_norm (divided by each row's own output), mean_curve_* (lists).
    """
    out = {}
    p0 = np.asarray(predict(np.atleast_2d(np.asarray(X, dtype=np.float64))), dtype=np.float64)
    safe = np.where(np.abs(p0) > 1e-12, p0, np.nan)
    for mode in ("deletion", "insertion"):
        c = _curves(predict, X, values, baseline, mode, "attribution", seed)
        r = _curves(predict, X, values, baseline, mode, "random", seed)
        auc = curve_auc(c)
        out[f"{mode}_auc"] = float(auc.mean())
        out[f"{mode}_auc_random"] = float(curve_auc(r).mean())
        out[f"{mode}_auc_norm"] = float(np.nanmean(auc / safe))
        out[f"mean_curve_{mode}"] = c.mean(axis=0).tolist()
        out[f"mean_curve_{mode}_random"] = r.mean(axis=0).tolist()
    out["n"] = int(len(p0))
    return out


def _perturbed_gap(predict: Predict, X, mask: np.ndarray, scale: np.ndarray, sigma: float, n_samples: int,
                   seed: int) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    n, f = X.shape
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 1.0, (n_samples, n, f)) * sigma * scale
    Xp = X[None] + noise * mask[None]
    p0 = np.asarray(predict(X), dtype=np.float64)
    pp = np.asarray(predict(Xp.reshape(n_samples * n, f)), dtype=np.float64).reshape(n_samples, n)
    return np.abs(pp - p0[None]).mean(axis=0)


def pgi_pgu(predict: Predict, X, values, scale=None, k: int = 5, sigma: float = 0.1, n_samples: int = 20,
            seed: int = 0) -> dict:
    """OpenXAI prediction gaps: PGI perturbs the top-k features, PGU all the others (per row; means returned).

    ``scale`` is the noise unit per feature (default: std of ``X``'s columns, 1 where it is 0).
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    V = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if scale is None:
        scale = np.nanstd(X, axis=0)
    scale = np.where(np.asarray(scale, dtype=np.float64) > 0, scale, 1.0)
    top = np.zeros(X.shape, dtype=bool)
    np.put_along_axis(top, top_k(V, k), True, axis=1)
    pgi = _perturbed_gap(predict, X, top, scale, sigma, n_samples, seed)
    pgu = _perturbed_gap(predict, X, ~top, scale, sigma, n_samples, seed)
    return {"PGI": float(pgi.mean()), "PGU": float(pgu.mean()), "k": int(k), "sigma": float(sigma),
            "n_samples": int(n_samples), "n": int(len(X))}


def local_lipschitz(explain_fn: Callable[[np.ndarray], np.ndarray], X, scale=None, radius: float = 0.1,
                    n_neighbours: int = 10, seed: int = 0) -> np.ndarray:
    """Per row: max ||e(x) - e(x')||_2 / ||(x - x') / scale||_2 over seeded neighbours within ``radius``.

    ``explain_fn`` maps rows ``(m, f)`` to attributions ``(m, f)`` (called once on the rows and once
    on all neighbours); distances in inputs are in units of ``scale`` (default: column std).
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    n, f = X.shape
    if scale is None:
        scale = np.nanstd(X, axis=0)
    scale = np.where(np.asarray(scale, dtype=np.float64) > 0, scale, 1.0)
    rng = np.random.default_rng(seed)
    step = rng.uniform(-radius, radius, (n_neighbours, n, f))
    Xn = X[None] + step * scale
    e0 = np.asarray(explain_fn(X), dtype=np.float64)
    en = np.asarray(explain_fn(Xn.reshape(n_neighbours * n, f)), dtype=np.float64).reshape(n_neighbours, n, f)
    num = np.linalg.norm(en - e0[None], axis=2)
    den = np.linalg.norm(step, axis=2)
    return (num / np.where(den > 0, den, np.inf)).max(axis=0)


def compacity(values, share: float = 0.9) -> np.ndarray:
    """Per row: the fewest features whose |attribution| sum reaches ``share`` of the row's total (0 if all zero)."""
    V = np.abs(np.atleast_2d(np.asarray(values, dtype=np.float64)))
    s = -np.sort(-V, axis=1)
    total = s.sum(axis=1, keepdims=True)
    cum = np.cumsum(s, axis=1)
    need = (cum < share * total - 1e-12 * total).sum(axis=1) + 1
    return np.where(total[:, 0] > 0, need, 0).astype(int)
