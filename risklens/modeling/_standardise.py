"""One pass over the rows for the imputer and scaler of the scikit-learn families (numba).

``standardise(M, fill, mean, scale)`` is ``where(isnan(M), fill, M)``, then ``- mean``, then ``/ scale`` per
column -- the arithmetic of a median ``SimpleImputer`` and a ``StandardScaler`` -- in one loop instead of four
passes over the array (the explainers send hundreds of thousands of sampled rows through it). Each element goes
through the same two IEEE operations, so the result equals the numpy passes bit for bit; an absent mean or scale
is 0 or 1, which leave every value (signed zeros included) as it is. The result keeps the input's memory order
(row- or column-major) as the numpy passes do.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _standardise(M, fill, mean, scale, out):  # pragma: no cover - jitted
    n, f = M.shape
    for i in range(n):
        for j in range(f):
            v = M[i, j]
            if np.isnan(v):
                v = fill[j]
            out[i, j] = (v - mean[j]) / scale[j]


def standardise(M: np.ndarray, fill: np.ndarray, mean: np.ndarray | None, scale: np.ndarray | None) -> np.ndarray:
    """Imputed and standardised float64 copy of the 2-d float64 array ``M`` (see the module's note)."""
    f = M.shape[1]
    mean = np.zeros(f) if mean is None else np.ascontiguousarray(mean, dtype=np.float64)
    scale = np.ones(f) if scale is None else np.ascontiguousarray(scale, dtype=np.float64)
    out = np.empty_like(M, dtype=np.float64)  # the input's memory order, as numpy's passes keep it (a product of
    # the result with the model's weights then runs the same BLAS kernel and sums in the same order)
    _standardise(M, np.ascontiguousarray(fill, dtype=np.float64), mean, scale, out)
    return out
