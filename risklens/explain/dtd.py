"""Deep Taylor Decomposition (LRP z+ rule) for the ReLU MLP, in numpy.

What is explained: the output logit f(x) (log-odds) of the positive class, computed from the
standardised inputs z. DTD explains positive evidence only, so the relevance put on the output is
``R_out = max(f(x), 0)`` (``start="logit"``, the default); a patient whose logit is <= 0 gets all-zero
relevance. With ``start="evidence"`` the output relevance is the positive evidence reaching the output
neuron, ``sum_j max(0, a_j w_j)`` (biases excluded), non-zero for almost every patient.

Rule (z+, "alpha=1, beta=0", biases ignored), at every layer with inputs a and weights W:
``R_i = sum_j  max(a_i w_ij, 0) / sum_i' max(a_i' w_i'j, 0) * R_j``. At the input layer z can be
negative, so the positive part of the *product* is used (never of w alone): every R_i >= 0.

What is conserved: at each layer ``sum_i R_i == sum_j R_j`` exactly, except for relevance arriving at
a neuron that has no positive incoming contribution (its denominator is 0; it can only be active
through its bias). That relevance is dropped and reported per row as ``lost``. Hence
``values.sum(1) == R_out - lost`` (tested). Biases are "absorbed": their share of the logit is
redistributed onto the inputs in proportion to the positive contributions. ``base_values`` holds the
remainder ``f(x) - values.sum(1)`` (0 when the logit is positive and nothing is lost), so that values
plus base value equal the margin as for the additive methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.explain._common import check_frame, model_fingerprint
from risklens.explain.base import Explanation, ExplainError

STARTS = ("logit", "evidence")


def forward(layers, Z: np.ndarray) -> list[np.ndarray]:
    """Activations [inputs, hidden..., logit (n, 1)] of a ReLU MLP."""
    acts = [Z]
    for i, (W, b) in enumerate(layers):
        h = acts[-1] @ W + b
        acts.append(h if i == len(layers) - 1 else np.maximum(h, 0.0))
    return acts


def zplus_backward(a: np.ndarray, W: np.ndarray, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One z+ step: relevance of inputs ``a`` (n, i) from relevance ``R`` (n, j); returns (R_in, lost per row)."""
    ap, an = np.maximum(a, 0.0), np.minimum(a, 0.0)
    Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
    denom = ap @ Wp + an @ Wn  # sum_i max(a_i w_ij, 0)  (n, j)
    ok = denom > 0
    s = np.where(ok, R / np.where(ok, denom, 1.0), 0.0)
    lost = np.where(ok, 0.0, R).sum(axis=1)
    return ap * (s @ Wp.T) + an * (s @ Wn.T), lost


def dtd_relevance(layers, Z: np.ndarray, start: str = "logit") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input relevance (n, f), logit (n,), lost relevance (n,)) for standardised inputs Z."""
    if start not in STARTS:
        raise ExplainError(f"dtd start must be one of {', '.join(STARTS)}, not {start!r}")
    acts = forward(layers, Z)
    logit = acts[-1][:, 0]
    W_out = layers[-1][0]
    if start == "logit":
        R = np.maximum(acts[-1], 0.0)
        R, lost = zplus_backward(acts[-2], W_out, R)
    else:
        R = np.maximum(acts[-2] * W_out[:, 0][None, :], 0.0)  # R_j = max(a_j w_j, 0)
        lost = np.zeros(len(Z))
    for k in range(len(layers) - 2, -1, -1):
        R, lost_k = zplus_backward(acts[k], layers[k][0], R)
        lost = lost + lost_k
    return R, logit, lost


def explain_dtd(model, X: pd.DataFrame, *, seed: int = 0, start: str = "logit", **params) -> Explanation:
    extra = [k for k in params if k not in ("background", "background_size", "samples")]
    if extra:
        raise ExplainError(f"dtd is deterministic and takes only 'start'; remove: {', '.join(extra)}")
    clf = model.estimator.named_steps["clf"]
    if getattr(clf, "activation", "relu") != "relu":
        raise ExplainError(f"DTD needs a ReLU network; this one uses {clf.activation!r} activations")
    if int(getattr(clf, "n_outputs_", 1)) != 1:
        raise ExplainError("DTD here explains binary classifiers with one output logit")
    M, ids = check_frame(model, X)
    R, logit, lost = dtd_relevance(model.mlp_layers, model.preprocess(M), start)
    return Explanation(values=R, base_values=logit - R.sum(axis=1), data=M, feature_names=model.feature_names,
                       method="dtd", model_id=model_fingerprint(model), output="log-odds", ids=ids,
                       params={"rule": "z+ (alpha1-beta0, biases ignored)", "start": start, "seed": int(seed),
                               "rows_nonpositive_logit": int((logit <= 0).sum()),
                               "max_lost_relevance": float(lost.max(initial=0.0))})
