"""Fast exact TreeSHAP for XGBoost models (log-odds / margin space).

``tree_shap(model_or_booster, X) -> (values (n, f), base_value)`` gives the same numbers as
XGBoost's ``pred_contribs`` (path-dependent TreeSHAP weighted by node cover) at tens of times
its speed, following Fast TreeSHAP v2 (Yang 2021): precompute once per model, look up per row;
rows run on every core (numba prange over blocks of rows) and, within a block, in SIMD lanes.

The maths. For a leaf ``l`` with value ``v`` whose root path splits on the unique features
``U`` (``d = |U|``), let ``z_j`` be the product of cover(child)/cover(node) over the path nodes
that split on ``j`` and let ``A`` be the features whose every path condition the row satisfies
(NaN follows the default direction). The leaf's term of the model is a game on ``U`` with
``g(S) = v * prod_{j in U \\ S} z_j`` if ``S`` is a subset of ``A`` and 0 otherwise, so with
``w(s) = s!(d-1-s)!/d!`` and ``G(B) = sum_{S subset of B} w(|S|) prod_{j in B \\ S} z_j``:

    phi_i = v (1 - z_i) Z(U \\ A) G(A \\ {i})   if i in A
    phi_i = -v Z(U \\ A) G(A)                  if i not in A       (Z = product of z)

Both depend only on the bit pattern ``A``: a table of ``2^d x d`` numbers per leaf, built once
(:class:`FastTreeShap`), turns each row into one pass over the split nodes (which gives every
leaf its ``A``) plus ``d`` additions per leaf. One step further than the paper, the leaves of
each small bottom subtree ('block', at most ``BLOCK_SPLITS`` splits) share one table indexed by
(agree pattern at the block root, the row's decisions inside the block), which sums its leaves'
entries: a row then adds one short vector per block instead of one per leaf (about 3x fewer
additions on depth-6 trees, and smaller tables). The base value is the margin of the base score
plus each tree's cover-weighted mean leaf value, so ``values.sum(1) + base == output margin``.

Splits are evaluated exactly as XGBoost does: the row is cast to float32 and goes left iff
``x < threshold``; NaN goes to the default child. All trees of the booster are used (like
``booster.predict``). Models the fast path cannot take (categorical splits, or paths with so
many distinct features that the tables would not fit) fall back to ``pred_contribs``, which is
exact too; ``FastTreeShap.algorithm`` says which one ran.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict

import numpy as np

from risklens.explain._treeshap_booster import as_booster, base_margin, check_single_output, parse_base_score, trees_of
from risklens.explain._treeshap_forest import Forest
from risklens.explain.base import ExplainError

__all__ = ["BLOCK_SPLITS", "MAX_PATH_FEATURES", "MAX_TABLE_BYTES", "ROW_BLOCK", "FastTreeShap", "as_booster",
           "fast_tree_shap", "group_tree_shap", "model_key", "parse_base_score", "tree_shap"]

MAX_PATH_FEATURES = 16  # 2^16 x 16 table entries per leaf at most
MAX_TABLE_BYTES = 1 << 29  # 512 MB of tables; larger models use pred_contribs
ROW_BLOCK = 128  # rows per parallel task (and SIMD loop length): 128 was fastest on the ward model
BLOCK_SPLITS = 3  # subtrees with at most this many splits become one lookup table (0 = one per leaf)

_KERNEL_LOCK = threading.Lock()  # numba's workqueue layer must not be entered by two threads at once


# ---- public API -----------------------------------------------------------------------------------
class FastTreeShap:
    """Precomputed exact TreeSHAP of one XGBoost model; hold it to explain many batches.

    ``FastTreeShap(model_or_booster, n_jobs=None, block_splits=None)``; ``.shap_values(X)`` ->
    (n, f) float64 in margin space; ``.expected_value`` the base value; ``.explain(X)`` ->
    (values, base value). ``n_jobs`` numba threads (None = all cores); ``block_splits`` overrides
    ``BLOCK_SPLITS`` (0 = plain per-leaf tables). ``precompute_seconds`` is the parse + table time.
    """

    def __init__(self, model, n_jobs: int | None = None, block_splits: int | None = None,
                 players=None) -> None:
        t0 = time.perf_counter()
        self.players = None if players is None else [int(p) for p in players]
        booster = as_booster(model)
        self.n_jobs = n_jobs
        self.booster = booster
        self.feature_names = list(booster.feature_names) if booster.feature_names else None
        learner = json.loads(bytes(booster.save_raw("json")))["learner"]
        self.n_features = int(learner["learner_model_param"]["num_feature"])
        self.objective = learner["objective"]["name"]
        check_single_output(learner)
        trees, tree_weights = trees_of(learner)
        if self.players is not None and len(self.players) != self.n_features:
            raise ExplainError(f"players name a group for {len(self.players)} features; the model has {self.n_features}")
        self._forest = _layout(trees, tree_weights, BLOCK_SPLITS if block_splits is None else block_splits, self.players)
        if not self._forest.fast_ok and not self._forest.categorical and self._forest.table_size and block_splits != 0:
            self._forest = _layout(trees, tree_weights, 0, self.players)  # one table per leaf: smaller
        if self.players is not None and not self._forest.fast_ok:
            raise ExplainError("exact concept (group) TreeSHAP needs the fast TreeSHAP layout; this model has "
                               "categorical splits or paths too long for it")
        self.base_margin = base_margin(learner, self.objective, booster, self._forest, self.n_features)
        self.algorithm = "fast-treeshap-v2" if self._forest.fast_ok else "xgboost-pred_contribs"
        if self._forest.fast_ok:
            self.expected_value = self.base_margin + self._forest.build_tables()
        else:
            self.expected_value = self._pred_contribs(np.full((1, self.n_features), np.nan))[1]
        self.precompute_seconds = time.perf_counter() - t0

    @property
    def n_trees(self) -> int:
        return self._forest.n_trees

    @property
    def table_bytes(self) -> int:
        return int(self._forest.table_size) * 8

    def shap_values(self, X) -> np.ndarray:
        """SHAP values (n, f) float64 of the rows of X (array or DataFrame; NaN = missing)."""
        return self.explain(X)[0]

    def explain(self, X) -> tuple[np.ndarray, float]:
        M = self._matrix(X)
        if not self._forest.fast_ok:
            return self._pred_contribs(M)
        out = np.zeros((M.shape[0], self.n_features), dtype=np.float64)
        if M.shape[0]:
            _run_kernel(self._forest, np.ascontiguousarray(M, dtype=np.float32), out, self.n_jobs)
        return out, float(self.expected_value)

    # ---- internals ----
    def _matrix(self, X) -> np.ndarray:
        if hasattr(X, "columns") and hasattr(X, "to_numpy"):
            cols = list(X.columns)
            if self.feature_names and all(c in cols for c in self.feature_names):
                X = X[self.feature_names]
            try:
                X = X.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError):
                raise ExplainError("TreeSHAP needs numeric features; convert the columns to numbers first") from None
        try:
            M = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise ExplainError("TreeSHAP needs a numeric matrix of rows x features") from None
        if M.ndim == 1:
            M = M[None, :]
        if M.ndim != 2 or M.shape[1] != self.n_features:
            raise ExplainError(
                f"the model uses {self.n_features} features but the rows have shape {M.shape}; "
                "pass the rows with exactly the model's features, in its order"
            )
        return M

    def _pred_contribs(self, M: np.ndarray) -> tuple[np.ndarray, float]:
        import xgboost as xgb

        contribs = self.booster.predict(xgb.DMatrix(M, missing=np.nan), pred_contribs=True,
                                         validate_features=False).astype(np.float64)
        return contribs[:, :-1], float(contribs[0, -1]) if len(contribs) else float(self.expected_value)


def _layout(trees: list[dict], weights: list[float], block_splits: int, players=None) -> Forest:
    """The forest layout, judged fit for the fast path against this module's current limits."""
    return Forest.from_json(trees, weights, int(block_splits), MAX_PATH_FEATURES, MAX_TABLE_BYTES, players)


def _run_kernel(forest: Forest, X32: np.ndarray, out: np.ndarray, n_jobs: int | None) -> None:
    """Add the SHAP values of the float32 rows ``X32`` into ``out`` on ``n_jobs`` numba threads."""
    import numba

    from risklens.explain._treeshap_numba import shap_kernel

    f = forest
    with _KERNEL_LOCK:
        before = numba.get_num_threads()
        threads = before if not n_jobs else max(1, min(int(n_jobs), numba.config.NUMBA_NUM_THREADS))
        numba.set_num_threads(threads)
        try:
            shap_kernel(X32, f.node_start, f.n_internal, f.c_start, f.n_c, f.feat, f.thr, f.dleft, f.left, f.right,
                        f.pos, f.c_full, f.c_s, f.c_w, f.c_off, f.c_sub_start, f.c_feat, f.sub_feat, f.sub_thr,
                        f.sub_dleft, f.tab, f.max_nodes, ROW_BLOCK, out)
        finally:
            numba.set_num_threads(before)


_CACHE: OrderedDict[str, FastTreeShap] = OrderedDict()
_CACHE_SIZE = 8
_CACHE_LOCK = threading.Lock()


def model_key(model) -> str:
    """SHA-256 of the booster's serialised bytes: the cache key of its precomputation."""
    return hashlib.sha256(bytes(as_booster(model).save_raw("ubj"))).hexdigest()


def fast_tree_shap(model, n_jobs: int | None = None, players=None) -> FastTreeShap:
    """The cached :class:`FastTreeShap` of this model (built on first use, keyed on model bytes and players)."""
    key = model_key(model) if players is None else f"{model_key(model)}:{','.join(str(int(p)) for p in players)}"
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            explainer = _CACHE[key]
            explainer.n_jobs = n_jobs
            return explainer
    explainer = FastTreeShap(model, n_jobs=n_jobs, players=players)
    with _CACHE_LOCK:
        _CACHE[key] = explainer
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return explainer


def tree_shap(model_or_booster, X, n_jobs: int | None = None) -> tuple[np.ndarray, float]:
    """Exact TreeSHAP of an XGBoost model in margin (log-odds) space: (values (n, f), base value).

    Accepts an ``xgboost.Booster``, an ``XGBModel`` (e.g. ``XGBClassifier``) or a RiskModel of
    family "xgboost"; X is an array or DataFrame of the model's features (NaN = missing).
    ``values.sum(1) + base_value`` equals ``booster.predict(..., output_margin=True)``.
    """
    return fast_tree_shap(model_or_booster, n_jobs=n_jobs).explain(X)


def group_tree_shap(model_or_booster, X, players, n_jobs: int | None = None) -> tuple[np.ndarray, float]:
    """Exact group (concept) Shapley values of an XGBoost model under TreeSHAP's path-dependent value function.

    ``players[j]`` is the group index (0..G-1) of feature j; returns (values (n, G), base value) with
    ``values.sum(1) + base == margin`` and the same base value as :func:`tree_shap`.
    """
    players = [int(p) for p in players]
    n_groups = max(players) + 1 if players else 0
    values, base = fast_tree_shap(model_or_booster, n_jobs=n_jobs, players=players).explain(X)
    return values[:, :n_groups].copy(), base

