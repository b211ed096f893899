"""Sanity checks (Adebayo et al. 2018): does an explanation change when the model is destroyed?

An explanation that depends on the model must change when the model's parameters are randomised
(model-parameter randomisation) or when the model is retrained on permuted labels (data
randomisation). These pure functions compare the real model's attributions with the randomised
model's, row by row:

- ``spearman``: Spearman correlation of |attribution| over all features (the study's CR). A row
  where either side is constant (e.g. a randomised L1 model whose coefficients are all zero) has
  no ranking to share: it counts as 0.
- ``top_k``: feature agreement of the top-k features (FA). A row where the randomised side is all
  zero names no features: it counts as 0.

:func:`sanity_verdict`: an explainer **passes** when the mean Spearman over rows is below
:data:`PASS_BELOW` (0.5): its ranking of features has mostly changed with the model. An explainer
that ignores the model (its attribution is a function of the data alone) gives 1.0 and fails.
"""

from __future__ import annotations

import numpy as np

from risklens.metrics.consistency import feature_agreement, rank_correlation

PASS_BELOW = 0.5
RULE = (f"passes when the mean Spearman correlation of |attribution| between the real and the randomised model's "
        f"explanations is below {PASS_BELOW} (the ranking changed with the model)")


def explanation_similarity(real, randomised, k: int = 5) -> dict[str, np.ndarray]:
    """Per row: {"spearman", "top_k", "collapsed"} between two attribution arrays of the same rows (n, f);
    ``collapsed``: the randomised explanation is all zero (it changed, but by vanishing)."""
    A = np.atleast_2d(np.asarray(real, dtype=np.float64))
    B = np.atleast_2d(np.asarray(randomised, dtype=np.float64))
    rho = np.nan_to_num(rank_correlation(A, B), nan=0.0)
    fa = np.where(np.abs(B).sum(axis=1) > 0, feature_agreement(A, B, k), 0.0)
    return {"spearman": np.asarray(rho, dtype=np.float64), "top_k": np.asarray(fa, dtype=np.float64),
            "collapsed": np.abs(B).sum(axis=1) == 0}


def sanity_verdict(mean_spearman: float, threshold: float = PASS_BELOW) -> bool:
    """True (passed) when the explanation's ranking changed: mean Spearman below ``threshold``."""
    return bool(np.isfinite(mean_spearman) and mean_spearman < threshold)


def randomise_layers(layers, n_top: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cascading randomisation: the top ``n_top`` layers (output layer first) re-drawn, the rest kept.

    ``layers`` = [(W, b), ...] input to output. A re-drawn layer gets Gaussian weights and biases with
    the trained layer's own standard deviations (seeded), so its scale stays the network's.
    """
    rng = np.random.default_rng(seed)
    out = [(np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)) for W, b in layers]
    for i in range(len(out) - 1, max(len(out) - int(n_top), 0) - 1, -1):
        W, b = out[i]
        out[i] = (rng.normal(0.0, float(W.std()) or 1.0, W.shape), rng.normal(0.0, float(b.std()) or 1.0, b.shape))
    return out


def permuted_labels(y, seed: int) -> np.ndarray:
    """A seeded permutation of the outcome labels (data randomisation)."""
    y = np.asarray(y)
    return y[np.random.default_rng(seed).permutation(len(y))]
