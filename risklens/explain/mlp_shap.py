"""Model-agnostic (interventional) SHAP for the neural network, near the cost of its forward pass.

The target: for a patient ``x`` and the background rows ``b`` the caller hands in (weights ``w_b``),
``phi_j(x) = sum_b w_b phi_j(x; b)`` where ``phi(x; b)`` are the Shapley values of the game
``v(S) = f(x_S, b_-S)`` (f = the network's log-odds). shap's PermutationExplainer estimates it with
a few random feature orders, each walked against *every* background row; a small background
sample then shifts every coalition by the same error, which is most of its seed-to-seed noise.

The estimator here gives every background row its own random order instead ("stratified
permutation sampling"): one *round* walks each background row (or, for a large background, one
member of each of ``background_size`` k-means strata, weighted by stratum size, drawn without
replacement round after round) through
one antithetic permutation -- forward, adding the patient's features in that order, and backward,
removing them in the same order -- and averages the marginal contributions. A round costs
``N x (2f - 2)`` network evaluations (the same as ONE permutation of the PermutationExplainer over
the whole background) and is unbiased for the SHAP values over the full background; it is exact
for an additive model, so only the network's interactions make noise. The walks use
:mod:`risklens.explain._mlp_numba` (first layer updated one feature at a time) and the rest of the
network through BLAS in float32 (:class:`~risklens.explain.mlp_forward.MLPForward`).

Rounds repeat per patient until the estimated relative error ``sqrt(2/pi) * sum_j se_j / sum_j |phi_j|``
(the expected ``mean |error| / mean |phi|``) is at most ``tolerance``, with at least ``min_rounds``
(2: the standard errors need two) and at most ``max_rounds``. ``se_j`` is the standard error of
feature j from the spread of each stratum's values across rounds. Values are exactly additive:
``values.sum(1) + base == margin``, base = the weighted mean margin over the whole background
(with sampled strata the small mismatch of the drawn rows is spread over the features in
proportion to their variance, the least-squares correction).

Randomness: one generator per patient seeded by (seed, row id), so a patient's numbers do not
depend on the other rows of the call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from risklens.explain.background import Strata, strata
from risklens.explain.mlp_forward import MLPForward

#: The defaults: every row of a background up to 512 rows (larger ones: 512 k-means strata), rounds
#: until the estimated relative error is <= 2.5% (2 to 40 rounds).
DEFAULT_MLP_SHAP = {"background_size": 512, "tolerance": 0.025, "min_rounds": 2, "max_rounds": 40}
JOB_ROWS = 120_000  # network evaluations per batch: ~30 MB of float32 activations for a 64-wide layer


@dataclass
class MLPShapResult:
    """values (n, f), base (n,), stderr (n, f) (NaN after a single round), rounds (n,) per patient,
    strata used, and whether strata were sampled from a larger background."""

    values: np.ndarray
    base: np.ndarray
    stderr: np.ndarray
    rounds: np.ndarray
    n_strata: int
    sampled: bool


def relative_error(values: np.ndarray, stderr: np.ndarray) -> np.ndarray:
    """Estimated mean |error| / mean |value| per row: sqrt(2/pi) * sum(se) / sum(|phi|)."""
    denom = np.maximum(np.abs(values).sum(-1), 1e-12)
    return np.sqrt(2 / np.pi) * stderr.sum(-1) / denom


def mlp_shap(model, M: np.ndarray, B: np.ndarray, *, seed: int, ids, background_size: int = 512,
             tolerance: float = 0.025, min_rounds: int = 2, max_rounds: int = 40,
             weights: np.ndarray | None = None, forward: MLPForward | None = None,
             patients_per_batch: int = 1, players=None) -> MLPShapResult:
    """Stratified antithetic permutation SHAP of rows ``M`` over background ``B`` (raw features, NaN = missing).

    ``weights`` (optional, one per background row, e.g. a k-means summary's cluster shares) makes
    every row its own stratum with that weight; otherwise rows weigh equally and a background
    larger than ``background_size`` is stratified (:func:`~risklens.explain.background.strata`).
    ``patients_per_batch`` = 1 (the default) makes each patient's values independent of which other
    patients are explained with it, to the last bit (batched float32 products round differently with the
    batch's shape), so a cohort cut into partitions gives the same values as one call.
    ``players`` (optional, a group index 0..G-1 per feature) estimates group (concept) Shapley values
    instead: every walk takes the groups in a random order, each group's features together, and a group's
    value is the change of the margin when all of its features switch (values and stderr are (n, G)).
    """
    from threadpoolctl import threadpool_limits

    # one BLAS thread: a multi-threaded product rounds differently with the thread count, and the values
    # must not depend on the machine or on the Dask worker that computes them (numba's prange is exact)
    with threadpool_limits(1, user_api="blas"):
        return _mlp_shap(model, M, B, seed, ids, background_size, tolerance, min_rounds, max_rounds, weights,
                         forward, patients_per_batch, players)


def _mlp_shap(model, M, B, seed, ids, background_size, tolerance, min_rounds, max_rounds, weights, forward,
              patients_per_batch, players=None) -> MLPShapResult:
    from risklens.explain.lime_batched import patient_generator

    net = forward or MLPForward(model)
    Z, Bz = net.impute(M), net.impute(B)
    fb_all = net.margin(B)
    if weights is None:
        st = strata(Bz, background_size, seed=0, scale=Bz.std(0))
        base = float(fb_all.mean())
    else:
        w = np.asarray(weights, dtype=np.float64) / np.sum(weights)
        st = Strata(labels=np.arange(len(Bz)), members=np.arange(len(Bz)), start=np.arange(len(Bz) + 1),
                    weights=w, centers=Bz)
        base = float(w @ fb_all)
    sampled = st.k < len(Bz)
    n, f = Z.shape
    onehot = None if players is None else player_matrix(players, f)
    g = f if onehot is None else onehot.shape[1]
    values, stderr = np.zeros((n, g)), np.full((n, g), np.nan)
    rounds = np.zeros(n, dtype=np.int64)
    gens = [patient_generator(int(seed), i) for i in ids]
    pre_b = net.first_pre(Bz)
    fx, pre_x = np.zeros(n), None
    for lo in range(0, n, patients_per_batch):
        rows = np.arange(lo, min(n, lo + patients_per_batch))
        # each batch's own forward pass, so a row's numbers never depend on the rows around it
        fx[rows] = net.margin(M[rows])
        pre_rows = net.first_pre(Z[rows])
        if pre_x is None:
            pre_x = np.zeros((n, pre_rows.shape[1]), dtype=pre_rows.dtype)
        pre_x[rows] = pre_rows
        v, se, r = _estimate(net, Z, pre_x, fx, Bz, pre_b, fb_all, st, sampled, rows, [gens[i] for i in rows],
                             tolerance, min_rounds, max_rounds, onehot)
        values[rows], stderr[rows], rounds[rows] = v, se, r
    values = _make_additive(values, stderr, fx - base)
    return MLPShapResult(values, np.full(n, base), stderr, rounds, st.k, sampled)


def player_matrix(players, f: int) -> np.ndarray:
    """(f, G) 0/1 matrix: feature j belongs to group players[j]."""
    players = np.asarray(players, dtype=np.int64)
    if players.shape != (f,) or (players < 0).any():
        raise ValueError(f"players must give a group index >= 0 for each of the {f} features")
    out = np.zeros((f, int(players.max()) + 1 if f else 0))
    out[np.arange(f), players] = 1.0
    return out


def block_orders(keys: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Feature orders (..., f) that take the groups in the order of their random ``keys`` (..., G), the features
    of one group together (in index order)."""
    players = onehot.argmax(1)
    return np.argsort(keys[..., players], axis=-1, kind="stable")


def _estimate(net, Z, pre_x, fx, Bz, pre_b, fb, st, sampled, rows, gens, tol, min_rounds, max_rounds, onehot=None):
    """Rounds for a batch of patients until each one's estimated relative error <= tol."""
    k, f = st.k, Z.shape[1]
    g = f if onehot is None else onehot.shape[1]
    s1 = np.zeros((len(rows), k, g))  # per stratum: sum and sum of squares of its values over rounds
    s2 = np.zeros((len(rows), k, g))
    done = np.zeros(len(rows), dtype=np.int64)
    active = np.arange(len(rows))
    w = st.weights
    shuffled = [st.shuffled(g) for g in gens] if sampled else None
    while len(active):
        bg = np.stack([st.draw(shuffled[a], done[a]) if sampled else st.members[st.start[:-1]]
                       for a in active])  # (a, k) background row of each stratum
        if onehot is None:
            perms = np.stack([np.argsort(gens[a].random((k, f)), axis=1) for a in active])  # (a, k, f)
        else:
            perms = np.stack([block_orders(gens[a].random((k, g)), onehot) for a in active])
        phi = _walk_values(net, Z, pre_x, fx, Bz, pre_b, fb, rows[active], bg, perms)  # (a, k, f)
        if onehot is not None:
            phi = phi @ onehot  # a group's value in a walk: the sum of its features' steps, taken together
        s1[active] += phi
        s2[active] += phi * phi
        done[active] += 1
        r = done[active][:, None, None]
        mean = s1[active] / r
        if r[0, 0, 0] >= 2:
            var = np.maximum(s2[active] - r * mean * mean, 0.0) / (r - 1)
            se = np.sqrt(np.einsum("k,akf->af", w * w, var) / r[:, :, 0])
            rel = relative_error(np.einsum("k,akf->af", w, mean), se)
        else:
            rel = np.full(len(active), np.inf)
        finished = (done[active] >= max_rounds) | ((done[active] >= min_rounds) & (rel <= tol))
        active = active[~finished]
    r = done[:, None, None]
    mean = s1 / r
    values = np.einsum("k,akf->af", w, mean)
    var = np.maximum(s2 - r * mean * mean, 0.0) / np.maximum(r - 1, 1)
    se = np.sqrt(np.einsum("k,akf->af", w * w, var) / r[:, :, 0])
    se[done < 2] = np.nan
    return values, se, done


def _walk_values(net, Z, pre_x, fx, Bz, pre_b, fb, pats, bg, perms) -> np.ndarray:
    """Antithetic permutation values (len(pats), k, f) of each (patient, stratum row, order)."""
    from risklens.explain._mlp_numba import ACT_CODES, walk_activations  # numba: imported on first use

    a, k, f = perms.shape
    out = np.empty((a, k, f))
    per = max(2 * f - 2, 1)
    chunk = max(1, JOB_ROWS // per)
    pat_all = np.repeat(np.asarray(pats, dtype=np.int64), k)
    bg_all = bg.reshape(-1).astype(np.int64)
    perm_all = perms.reshape(-1, f).astype(np.int64)
    flat = out.reshape(-1, f)
    code = ACT_CODES[net.activation] if net.hidden else 0
    for lo in range(0, len(pat_all), chunk):
        sl = slice(lo, lo + chunk)
        p, b, order = pat_all[sl], bg_all[sl], perm_all[sl]
        H = np.empty((len(p) * (2 * f - 2), net.width), dtype=np.float32)
        if f > 1:
            walk_activations(Z, pre_x, Bz, pre_b, net.W1, p, b, order, code, H)
        y = net.tail(H).reshape(len(p), 2 * f - 2) if f > 1 else np.zeros((len(p), 0))
        start, end = fb[b][:, None], fx[p][:, None]
        fwd = np.concatenate([start, y[:, : f - 1], end], axis=1)  # state k: first k of the order from x
        bwd = np.concatenate([end, y[:, f - 1:], start], axis=1)  # state k: all but the first k from x
        by_rank = 0.5 * (fwd[:, 1:] - fwd[:, :-1] + bwd[:, :-1] - bwd[:, 1:])
        vals = np.empty_like(by_rank)
        np.put_along_axis(vals, order, by_rank, axis=1)
        flat[sl] = vals
    return out


def _make_additive(values: np.ndarray, stderr: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Spread ``target - values.sum(1)`` over features in proportion to their variance (uniformly if none)."""
    gap = target - values.sum(1)
    if not np.any(gap):
        return values
    var = np.nan_to_num(stderr, nan=0.0) ** 2
    tot = var.sum(1, keepdims=True)
    share = np.where(tot > 0, var / np.where(tot > 0, tot, 1.0), 1.0 / values.shape[1])
    return values + gap[:, None] * share
