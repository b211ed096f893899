"""Fast exact TreeSHAP (risklens.explain.treeshap) against XGBoost's pred_contribs and shap.

Facts checked: values equal pred_contribs and shap.TreeExplainer within 1e-5 on many model
shapes; values.sum(1) + base == output margin; never-used features get exactly 0; splits are
evaluated on float32 inputs like XGBoost (x == threshold goes right); NaN follows the default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from risklens.explain.base import ExplainError
from risklens.explain.treeshap import FastTreeShap, fast_tree_shap, parse_base_score, tree_shap

TOL = 1e-5
N_ROWS, N_FEAT = 1200, 12
CONST_COL = 11  # constant column: never split on


def _cohort(seed: int = 0, n: int = N_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Correlated continuous features with ~10% NaN, one constant column; binary outcome."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 3))
    X = latent @ rng.standard_normal((3, N_FEAT)) * 0.7 + rng.standard_normal((n, N_FEAT))
    X[rng.random((n, N_FEAT)) < 0.1] = np.nan
    X[:, CONST_COL] = 1.0  # after the NaNs: constant and never missing, so never split on
    x0, x1, x2 = (np.nan_to_num(X[:, j]) for j in range(3))
    # |x0| < 1 makes trees split x0 twice on one path (below and above)
    logit = 1.5 * (np.abs(x0) < 1) - 0.8 * x1 + 0.4 * x2 * x1 - 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.fixture(scope="module")
def data():
    return _cohort()


def _fit(X, y, **params):
    base = dict(n_estimators=30, max_depth=3, learning_rate=0.3, n_jobs=1, random_state=0)
    base.update(params)
    est = (xgb.XGBRegressor if str(base.get("objective", "")).startswith(("reg:", "count:")) else xgb.XGBClassifier)
    return est(**base).fit(X, y)


def _xgb(booster, X):
    dm = xgb.DMatrix(X, missing=np.nan)
    contribs = booster.predict(dm, pred_contribs=True).astype(np.float64)
    margin = booster.predict(dm, output_margin=True).astype(np.float64)
    return contribs[:, :-1], contribs[:, -1], margin


def _check_exact(model, X):
    booster = model.get_booster()
    values, base = FastTreeShap(booster, n_jobs=2).explain(X)
    ref, ref_base, margin = _xgb(booster, X)
    assert values.shape == ref.shape and values.dtype == np.float64
    assert np.abs(values - ref).max() < TOL
    assert np.abs(base - ref_base).max() < TOL
    assert np.abs(values.sum(1) + base - margin).max() < TOL
    return values, base


MODELS = {
    "depth1": dict(max_depth=1, n_estimators=40),
    "depth3": dict(max_depth=3),
    "depth6": dict(max_depth=6, n_estimators=25),
    "depth8": dict(max_depth=8, n_estimators=8, min_child_weight=0.1),
    "single_tree": dict(n_estimators=1, max_depth=4),
    "base_score": dict(base_score=0.3, max_depth=4),
    "subsample": dict(subsample=0.6, colsample_bytree=0.7, colsample_bynode=0.8, max_depth=5),
    "monotone": dict(monotone_constraints="(0,-1,1,0,0,0,0,0,0,0,0,0)", max_depth=4),
    "lossguide": dict(grow_policy="lossguide", max_leaves=12, max_depth=0, n_estimators=15),
    "exact": dict(tree_method="exact", max_depth=4),
    "regression": dict(objective="reg:squarederror", base_score=0.25, max_depth=4),
    "poisson": dict(objective="count:poisson", max_depth=3),
    "logitraw": dict(objective="binary:logitraw", max_depth=3),
    "dart": dict(booster="dart", rate_drop=0.2, n_estimators=12, max_depth=4),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_equals_pred_contribs(data, name):
    X, y = data
    _check_exact(_fit(X, y, **MODELS[name]), X)


@pytest.mark.parametrize("block_splits", [0, 1, 7])
def test_block_tables_equal_leaf_tables(data, block_splits):
    """Per-leaf tables (0) and subtree blocks of any size give the same numbers to rounding."""
    X, y = data
    model = _fit(X, y, max_depth=6, n_estimators=10)
    default = FastTreeShap(model).shap_values(X)
    other = FastTreeShap(model, block_splits=block_splits).shap_values(X)
    assert np.abs(default - other).max() < 1e-12


def test_additivity_in_float64(data):
    """values + base equal the leaf values summed in float64 (XGBoost's own margin is float32)."""
    import json

    X, y = data
    model = _fit(X, y, max_depth=6, n_estimators=40, base_score=0.2)
    booster = model.get_booster()
    explainer = FastTreeShap(booster)
    values, base = explainer.explain(X)
    leaves = booster.predict(xgb.DMatrix(X, missing=np.nan), pred_leaf=True).astype(int)
    trees = json.loads(bytes(booster.save_raw("json")))["learner"]["gradient_booster"]["model"]["trees"]
    margin = explainer.base_margin + sum(
        np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64)[leaves[:, t]]
        for t, tree in enumerate(trees)
    )
    assert np.abs(values.sum(1) + base - margin).max() < 1e-10
    assert explainer.base_margin == pytest.approx(np.log(0.2 / 0.8), abs=1e-6)


def test_equals_shap_tree_explainer(data):
    import shap

    X, y = data
    model = _fit(X, y, max_depth=5)
    values, base = tree_shap(model, X)
    explainer = shap.TreeExplainer(model)
    ref = np.asarray(explainer.shap_values(X[:400]), dtype=np.float64)
    assert np.abs(values[:400] - ref).max() < TOL
    assert abs(base - float(np.ravel(explainer.expected_value)[0])) < TOL


def test_feature_twice_on_a_path_is_covered(data):
    """The fixture really makes trees split one feature twice on a root-to-leaf path."""
    import json

    X, y = data
    booster = _fit(X, y, max_depth=4).get_booster()
    trees = json.loads(bytes(booster.save_raw("json")))["learner"]["gradient_booster"]["model"]["trees"]
    assert any(_repeats_a_feature(tree) for tree in trees)


def _repeats_a_feature(tree: dict) -> bool:
    left, right, feature = tree["left_children"], tree["right_children"], tree["split_indices"]
    stack = [(0, ())]
    while stack:
        nid, seen = stack.pop()
        if left[nid] == -1:
            continue
        if feature[nid] in seen:
            return True
        stack += [(left[nid], seen + (feature[nid],)), (right[nid], seen + (feature[nid],))]
    return False


def test_unused_features_get_zero(data):
    X, y = data
    values, _ = tree_shap(_fit(X, y, max_depth=4), X)
    assert np.all(values[:, CONST_COL] == 0.0)
    X2 = np.hstack([X, np.zeros((len(X), 3))])  # three extra columns never used by any split
    values2, _ = tree_shap(_fit(X2, y, max_depth=4), X2)
    assert np.all(values2[:, -3:] == 0.0)


def test_nan_and_threshold_edges_follow_xgboost(data):
    X, y = data
    model = _fit(X, y, max_depth=6, n_estimators=20)
    booster = model.get_booster()
    trees = booster.trees_to_dataframe()
    splits = trees[trees.Feature != "Leaf"]
    rng = np.random.default_rng(1)
    rows = []
    for _, node in splits.sample(60, random_state=0).iterrows():
        j, thr = int(node.Feature[1:]), float(np.float32(node.Split))
        row = X[rng.integers(len(X))].copy()
        row[j] = thr  # exactly on the threshold: goes right
        rows.append(row.copy())
        row[j] = np.nextafter(thr, -np.inf)  # below in float64, equal once cast to float32
        rows.append(row.copy())
    rows.append(np.full(N_FEAT, np.nan))  # everything missing: default directions only
    _check_exact(model, np.asarray(rows))


def test_inputs_models_and_cache(data):
    X, y = data
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(N_FEAT)])
    model = _fit(frame, y, max_depth=3)
    booster = model.get_booster()
    v1, b1 = tree_shap(model, X)
    v2, b2 = tree_shap(booster, frame.iloc[:, ::-1])  # columns reordered by the booster's names
    v3, _ = tree_shap(booster, X[:1][0])  # one row as a vector
    assert np.array_equal(v1, v2) and b1 == b2 and np.array_equal(v3, v1[:1])
    assert fast_tree_shap(model) is fast_tree_shap(booster)  # precomputation reused
    one = FastTreeShap(booster, n_jobs=1).shap_values(X)
    assert np.array_equal(one, v1)  # thread count does not change a single bit
    empty, _ = tree_shap(booster, X[:0])
    assert empty.shape == (0, N_FEAT)


def test_risk_model_input(data):
    from risklens.modeling.model import RiskModel

    X, y = data
    est = _fit(X, y, max_depth=3)
    names = [f"v{j}" for j in range(N_FEAT)]
    rm = RiskModel(family="xgboost", estimator=est, feature_names=names, seed=0)
    values, base = tree_shap(rm, X)
    assert np.abs(values.sum(1) + base - rm.predict_margin(X)).max() < TOL
    rm_lin = RiskModel(family="l1-logistic", estimator=None, feature_names=names, seed=0)
    with pytest.raises(ExplainError, match="XGBoost models only"):
        tree_shap(rm_lin, X)


def test_bad_inputs_raise_clear_errors(data):
    X, y = data
    model = _fit(X, y, n_estimators=3)
    with pytest.raises(ExplainError, match="12 features"):
        tree_shap(model, X[:, :5])
    with pytest.raises(ExplainError, match="XGBoost model or booster"):
        tree_shap(object(), X)
    with pytest.raises(ExplainError, match="outputs"):
        yk = np.arange(len(X)) % 3
        tree_shap(xgb.XGBClassifier(n_estimators=2, max_depth=2).fit(X, yk), X)


def test_fallback_is_exact_too(data, monkeypatch):
    import risklens.explain.treeshap as ts

    X, y = data
    monkeypatch.setattr(ts, "MAX_PATH_FEATURES", 2)
    explainer = ts.FastTreeShap(_fit(X, y, max_depth=4))
    assert explainer.algorithm == "xgboost-pred_contribs"
    values, base = explainer.explain(X)
    ref, ref_base, _ = _xgb(explainer.booster, X)
    assert np.array_equal(values, ref) and base == ref_base[0]


@pytest.mark.parametrize("text,expected", [("[5E-1]", [0.5]), ("0.25", [0.25]), (0.5, [0.5]),
                                           ("[1.8825E-1]", [0.18825]), ("[1E-1,2E-1]", [0.1, 0.2])])
def test_parse_base_score(text, expected):
    assert parse_base_score(text) == pytest.approx(expected)


@pytest.mark.parametrize("depth", [4, 6])
def test_parallel_equals_serial_equals_pred_contribs(depth):
    """Every core (numba prange over row blocks) gives bit-for-bit the numbers of one thread, on ward-like
    data with several row blocks and a ragged last block; both equal XGBoost's pred_contribs to 1e-5."""
    import numba

    X, y = _cohort(seed=3, n=3000)
    model = _fit(X, y, max_depth=depth, n_estimators=60, subsample=0.8, colsample_bytree=0.8, learning_rate=0.1)
    rows = X[:2 * 128 + 37]
    threads = numba.get_num_threads()
    serial = FastTreeShap(model, n_jobs=1).shap_values(rows)
    parallel = FastTreeShap(model, n_jobs=2).shap_values(rows)
    again = FastTreeShap(model, n_jobs=2).shap_values(rows)
    assert numba.get_num_threads() == threads  # the thread count is restored after a call
    assert numba.config.NUMBA_NUM_THREADS < 2 or numba.threading_layer() in ("omp", "tbb", "workqueue")
    np.testing.assert_array_equal(parallel, serial)
    np.testing.assert_array_equal(parallel, again)
    ref, _, _ = _xgb(model.get_booster(), rows)
    assert np.abs(parallel - ref).max() < TOL
    one_by_one = np.vstack([FastTreeShap(model, n_jobs=2).shap_values(rows[i:i + 1]) for i in (0, 130, 290)])
    np.testing.assert_array_equal(one_by_one, serial[[0, 130, 290]])  # a row's values do not depend on its block
