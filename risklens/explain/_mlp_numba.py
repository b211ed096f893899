"""Numba kernel of the MLP permutation SHAP (see :mod:`risklens.explain.mlp_shap` for the estimator).

:func:`walk_activations` -- for each job (a patient, one background row, one feature order) the
first-layer activations of the 2f - 2 inner states of an antithetic permutation walk: forward
(the first k features of the order from the patient, the rest from the background row, k = 1..f-1)
and backward (all but the first k from the patient). Consecutive states differ in one feature, so
the pre-activation moves by ``W1[j] * (x_j - b_j)``: O(width) per state instead of the
O(features x width) product of a fresh forward pass. Jobs run in parallel (numba prange).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

ACT_CODES = {"identity": 0, "relu": 1, "tanh": 2, "logistic": 3}


@njit(cache=True, inline="always")
def _act(v, code):  # pragma: no cover - jitted
    if code == 1:
        return v if v > 0.0 else 0.0
    if code == 2:
        return math.tanh(v)
    if code == 3:
        return 1.0 / (1.0 + math.exp(-v))
    return v


@njit(cache=True, inline="always")
def _sweep(h, Z, Bz, W1, perms, j, p, b, sign, row0, code, out):  # pragma: no cover - jitted
    """Move ``h`` feature by feature along order ``perms[j]``, adding (sign 1) or removing (sign -1) the
    patient's difference from the background row, and write each state's activations from row ``row0``."""
    f, w = Z.shape[1], h.shape[0]
    for k in range(f - 1):
        q = perms[j, k]
        d = Z[p, q] - Bz[b, q]
        if d != 0.0:
            for u in range(w):
                h[u] += sign * d * W1[q, u]
        for u in range(w):
            out[row0 + k, u] = _act(h[u], code)


@njit(cache=True, parallel=True)
def walk_activations(Z, pre_x, Bz, pre_b, W1, pat, bg, perms, code, out):  # pragma: no cover - jitted
    """Fill ``out`` (J * (2f - 2), width) float32; rows of job j start at j * (2f - 2).

    Z (n, f) imputed patients and pre_x (n, width) their first-layer pre-activations; Bz (m, f)
    imputed background rows and pre_b (m, width) theirs; W1 (f, width) the first layer (scaler
    folded in); job j = (patient pat[j], background row bg[j], order perms[j]).
    """
    J = pat.shape[0]
    f = Z.shape[1]
    w = W1.shape[1]
    per = 2 * f - 2
    for j in prange(J):
        p = pat[j]
        b = bg[j]
        h = np.empty(w)
        for u in range(w):
            h[u] = pre_b[b, u]
        _sweep(h, Z, Bz, W1, perms, j, p, b, 1.0, j * per, code, out)  # forward: from the background row
        for u in range(w):
            h[u] = pre_x[p, u]
        _sweep(h, Z, Bz, W1, perms, j, p, b, -1.0, j * per + f - 1, code, out)  # backward: from the patient

