"""Fused per-patient sampling kernel of the batched LIME (numba), with a numpy fallback.

Given the patient's uniforms, it draws each feature's quartile bin from the cumulative training
frequencies and its value from the bin's truncated normal by inversion,
``loc + scale * Phi^-1(p0 + u * dp)``. ``Phi^-1`` is Acklam's rational approximation (relative error
below 1.2e-9 -- invisible in a sample; a Halley refinement would triple the cost); the numpy path
uses ``scipy.special.ndtri``.

:func:`fill` is the kernel the batched LIME runs: per sample row it takes the bins, then the inverse-CDF
argument, then the central branch of the approximation for every feature at once (a loop the compiler turns into
SIMD instructions; ``error_model="numpy"`` drops the division-by-zero check that would stop it -- the denominator
is a polynomial near 1), then the rare tail branches one by one. Every element goes through the same floating
point operations as in :func:`fill_scalar`, the plain per-element kernel, so both give the same values bit for
bit (``tests/test_lime_batched.py``); only the order of the work differs.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is a dependency; keep working without it
    njit = None

_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02, 1.383577518672690e02,
      -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02, 6.680131188771972e01,
      -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00, -2.549732539343734e00,
      4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


def _ndtri_scalar(p: float) -> float:
    if p < _LOW:
        q = math.sqrt(-2.0 * math.log(p))
        x = ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
             / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    elif p > _HIGH:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
              / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    else:
        x = _central(p)
    return x


_LOW, _HIGH = 0.02425, 1.0 - 0.02425


def _central(p: float) -> float:
    """The central branch of :func:`_ndtri_scalar` (``_LOW <= p <= _HIGH``), the same operations."""
    q = p - 0.5
    r = q * q
    return ((((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0))


def _fill_rows(u_bin, u_val, cum, loc, scale, p0, dp, inst_bins, binary_out, values_out):
    S, f = u_bin.shape
    ks = np.empty(f, np.int64)
    qs = np.empty(f)
    xs = np.empty(f)
    for s in range(S):
        for j in range(f):  # the bin: how many cumulative frequencies u reaches
            u = u_bin[s, j]
            b = np.int64(u >= cum[j, 0]) + np.int64(u >= cum[j, 1]) + np.int64(u >= cum[j, 2])
            binary_out[s, j] = b == inst_bins[j]
            ks[j] = 4 * j + b
        for j in range(f):
            k = ks[j]
            q = p0[k] + u_val[s, j] * dp[k]
            qs[j] = min(max(q, 1e-300), 1.0 - 1e-16)
        for j in range(f):  # vectorised: the central branch for every feature
            xs[j] = _central(qs[j])
        for j in range(f):
            k = ks[j]
            values_out[s, j] = loc[k] + scale[k] * xs[j]
        for j in range(f):  # the tails (about 5% of the elements) replace theirs
            p = qs[j]
            if p < _LOW or p > _HIGH:
                k = ks[j]
                values_out[s, j] = loc[k] + scale[k] * _ndtri_scalar(p)


def _fill(u_bin, u_val, cum, loc, scale, p0, dp, inst_bins, binary_out, values_out):
    S, f = u_bin.shape
    for s in range(S):
        for j in range(f):
            u = u_bin[s, j]
            b = 0
            if u >= cum[j, 0]:
                b += 1
            if u >= cum[j, 1]:
                b += 1
            if u >= cum[j, 2]:
                b += 1
            binary_out[s, j] = b == inst_bins[j]
            k = 4 * j + b
            q = p0[k] + u_val[s, j] * dp[k]
            q = min(max(q, 1e-300), 1.0 - 1e-16)
            values_out[s, j] = loc[k] + scale[k] * _ndtri_scalar(q)


def fill_numpy(u_bin, u_val, cum, loc, scale, p0, dp, inst_bins, binary_out, values_out):
    f = u_bin.shape[1]
    k = (u_bin >= cum[:, 0]).astype(np.intp)
    k += u_bin >= cum[:, 1]
    k += u_bin >= cum[:, 2]
    binary_out[:] = k == inst_bins
    k += (4 * np.arange(f)).astype(np.intp)
    q = u_val * dp[k]
    q += p0[k]
    np.clip(q, 1e-300, 1.0 - 1e-16, out=q)
    v = ndtri(q, out=q)
    v *= scale[k]
    v += loc[k]
    values_out[:] = v


if njit is not None:
    _central = njit(cache=True, error_model="numpy")(_central)
    _ndtri_scalar = njit(cache=True)(_ndtri_scalar)
    fill = njit(cache=True, error_model="numpy")(_fill_rows)
    fill_scalar = njit(cache=True)(_fill)
    ndtri_fast = njit(cache=True)(lambda p: _ndtri_scalar(p))
else:  # pragma: no cover
    fill = fill_scalar = fill_numpy
    ndtri_fast = _ndtri_scalar
