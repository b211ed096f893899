"""The MLP's forward pass straight from its weights: the floor under every model-agnostic explainer.

``MLPForward(model)`` reads the fitted pipeline once -- median imputer, standard scaler, the
network's ``(W, b)`` per layer (``RiskModel.mlp_layers``) and its hidden activation -- and folds the
scaler into the first layer (``W1' = W1 / scale``, ``b1' = b1 - (mean / scale) @ W1``), so that a
row needs only NaN -> median, then matrix products. No input validation, no pipeline dispatch:
about 2x faster than ``predict_margin`` in float64 and 4x in float32 on the ward network
(58 -> 64 -> 32 -> 1). ``margin`` equals ``RiskModel.predict_margin`` to ~1e-12 in float64
(predict_margin's clipping of the probability to [1e-12, 1 - 1e-12] included).

Explainers that move one feature at a time use the split form: ``first_pre(Z)`` is the first
layer's pre-activation (float64) of imputed rows, ``tail(H)`` the margin of first-layer
*activations* ``H`` -- the pre-activation of a row that differs from another in feature ``j``
only changes by ``W1'[j] * delta``, which an explainer can update in O(width) instead of
recomputing the O(features x width) product.
"""

from __future__ import annotations

import numpy as np

from risklens.explain.base import ExplainError

#: predict_margin clips the probability to [1e-12, 1 - 1e-12]; the same bound on the margin
MARGIN_CLIP = float(np.log1p(-1e-12) - np.log(1e-12))
ACTIVATIONS = ("identity", "relu", "tanh", "logistic")


def activate(h: np.ndarray, name: str) -> np.ndarray:
    """Apply a hidden-layer activation in place (sklearn's names) and return ``h``."""
    if name == "relu":
        np.maximum(h, 0, out=h)
    elif name == "tanh":
        np.tanh(h, out=h)
    elif name == "logistic":
        np.negative(h, out=h)
        np.exp(h, out=h)
        h += 1
        np.reciprocal(h, out=h)
    return h


class MLPForward:
    """Margins (log-odds) of a fitted RiskModel of family "mlp", computed from its weights.

    ``dtype`` (float64 or float32) is the precision of the hidden layers' products in :meth:`tail`
    (and in :meth:`margin` with ``exact=False``); the first layer's pre-activation is always float64.
    """

    def __init__(self, model, dtype=np.float32) -> None:
        if getattr(model, "family", None) != "mlp":
            raise ExplainError("the fast forward pass applies to the neural network (family 'mlp') only")
        steps = model.estimator.named_steps
        clf = steps["clf"]
        if getattr(clf, "out_activation_", "logistic") != "logistic" or clf.coefs_[-1].shape[1] != 1:
            raise ExplainError("the fast forward pass needs a binary classifier network (one logistic output)")
        self.activation = str(clf.activation)
        if self.activation not in ACTIVATIONS:
            raise ExplainError(f"unknown activation {self.activation!r}; expected one of {', '.join(ACTIVATIONS)}")
        self.dtype = np.dtype(dtype)
        self.fill = np.asarray(steps["impute"].statistics_, dtype=np.float64)
        mean = np.asarray(steps["scale"].mean_, dtype=np.float64) if steps["scale"].with_mean else 0.0
        scale = np.asarray(steps["scale"].scale_, dtype=np.float64) if steps["scale"].with_std else 1.0
        layers = model.mlp_layers
        W1, b1 = (np.asarray(a, dtype=np.float64) for a in layers[0])
        self.W1 = np.ascontiguousarray(W1 / np.broadcast_to(scale, (W1.shape[0],))[:, None])
        self.b1 = b1 - (np.broadcast_to(mean, (W1.shape[0],)) / np.broadcast_to(scale, (W1.shape[0],))) @ W1
        self.rest64 = [(np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)) for W, b in layers[1:]]
        self.rest = [(W.astype(self.dtype), b.astype(self.dtype)) for W, b in self.rest64]
        self.n_features, self.width = self.W1.shape

    @property
    def hidden(self) -> bool:
        """False for a network without hidden layers (the first layer is then the output)."""
        return bool(self.rest)

    def impute(self, M: np.ndarray) -> np.ndarray:
        """Rows with NaN replaced by the imputer's medians (float64)."""
        M = np.asarray(M, dtype=np.float64)
        return np.where(np.isnan(M), self.fill, M)

    def first_pre(self, Z: np.ndarray) -> np.ndarray:
        """First-layer pre-activation (n, width) float64 of imputed rows ``Z`` (scaler folded in)."""
        return np.asarray(Z, dtype=np.float64) @ self.W1 + self.b1

    def tail(self, H: np.ndarray, exact: bool = False) -> np.ndarray:
        """Margins (n,) float64 from first-layer activations ``H`` (or pre-activations if no hidden layer);
        hidden products in ``dtype``, or float64 with ``exact=True``."""
        if not self.rest:
            return np.clip(np.asarray(H, dtype=np.float64)[:, 0], -MARGIN_CLIP, MARGIN_CLIP)
        rest = self.rest64 if exact else self.rest
        h = np.asarray(H, dtype=rest[0][0].dtype)
        for W, b in rest[:-1]:
            h = h @ W
            h += b
            activate(h, self.activation)
        W, b = rest[-1]
        out = (h @ W[:, 0]).astype(np.float64)  # matrix-vector product: much faster than (n, w) @ (w, 1)
        out += float(b[0])
        return np.clip(out, -MARGIN_CLIP, MARGIN_CLIP, out=out)

    def margin(self, M: np.ndarray, exact: bool = True) -> np.ndarray:
        """Log-odds (n,) of raw rows ``M`` (NaN = missing), like ``RiskModel.predict_margin``: float64
        throughout by default (equal to it to ~1e-12), hidden products in ``dtype`` with ``exact=False``."""
        pre = self.first_pre(self.impute(M))
        if not self.rest:
            return self.tail(pre)
        if not exact:
            pre = pre.astype(self.dtype)
        return self.tail(activate(pre, self.activation), exact=exact)

    __call__ = margin
