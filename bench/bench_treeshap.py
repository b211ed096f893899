"""Benchmark: RiskLens' fast exact TreeSHAP vs XGBoost pred_contribs vs shap.TreeExplainer.

    python bench/bench_treeshap.py                      # ward cohort, default model (300 trees) at depth 4 and 6, 5000 rows
    python bench/bench_treeshap.py --rows 20000 --depth 6 --data synthetic --trees 200

For each ``--depth``: trains the ward default XGBoost model (risklens.modeling.train.DEFAULT_PARAMS, 300
trees, learning rate 0.05, row/column subsampling 0.8) with that depth on the built-in ward cohort
(``--data synthetic``: a ward-like simulated matrix), then times, best of ``--repeats`` interleaved
runs after a warm-up: ours on every core (precomputation timed separately) and on one thread,
``booster.predict(pred_contribs=True)`` at ``--threads`` threads and ``shap.TreeExplainer(model).shap_values``.
Prints rows/s, the speed-up ratios (same run, same load) and the max abs difference of our values (and
base value) against each reference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def ward_like(n: int, f: int = 58, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Correlated vitals-like features (8 latent factors), heavy tails, ~12% NaN, ~8% events."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n, 8))
    X = latent @ rng.standard_normal((8, f)) * 0.6 + rng.standard_normal((n, f))
    X[:, ::7] = np.exp(X[:, ::7] / 2)  # a few skewed features (counts, flows)
    X[:, 1::9] = np.round(X[:, 1::9] * 3)  # a few discrete ones (AVPU-like scores)
    missing = rng.random((n, f)) < rng.uniform(0.0, 0.3, size=f)
    X[missing] = np.nan
    z = np.nan_to_num(X)
    logit = 0.7 * z[:, 0] - 0.5 * z[:, 3] + 0.3 * z[:, 10] ** 2 + 0.4 * z[:, 5] * z[:, 6] - 3.0
    logit += 0.8 * np.isnan(X[:, 2])
    logit = (logit - logit.mean()) / logit.std() * 1.5 - 3.2  # ~8% events, like a ward cohort
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def ward_builtin(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from risklens.cohorts import load_builtin

    cohort = load_builtin("ward", n=n, seed=seed)
    return cohort.X.to_numpy(dtype=np.float64), np.asarray(cohort.y, dtype=int)


def float64_margin(booster, dm, base_margin: float) -> np.ndarray:
    """The margin with leaf values summed in float64 (XGBoost's own sum is float32)."""
    import json

    leaves = booster.predict(dm, pred_leaf=True).astype(np.int64)
    trees = json.loads(bytes(booster.save_raw("json")))["learner"]["gradient_booster"]["model"]["trees"]
    total = np.full(leaves.shape[0], base_margin)
    for t, tree in enumerate(trees):
        values = np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64)
        total += values[leaves[:, t]]
    return total


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5_000, help="rows explained (default 5000)")
    ap.add_argument("--train-rows", type=int, default=20_000, help="rows of the cohort the model is trained on")
    ap.add_argument("--trees", type=int, default=300)
    ap.add_argument("--depth", type=int, nargs="+", default=[4, 6])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data", choices=("synthetic", "ward"), default="ward")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    n_all = max(args.rows, args.train_rows)
    X_all, y_all = ward_like(n_all, seed=args.seed) if args.data == "synthetic" else ward_builtin(n_all, args.seed)
    summary = []
    for depth in args.depth:
        summary.append((depth, run_depth(args, depth, X_all, y_all)))
    print("\nsummary (ours on every core / xgboost pred_contribs at the same thread count, same run):")
    for depth, ratio in summary:
        print(f"  depth {depth}: {ratio:6.1f}x")
    return 0


def run_depth(args, depth: int, X_all: np.ndarray, y_all: np.ndarray) -> float:
    import shap
    import xgboost as xgb

    from risklens.explain.treeshap import FastTreeShap
    from risklens.modeling.train import DEFAULT_PARAMS

    X_train, y_train = X_all[: args.train_rows], y_all[: args.train_rows]
    X = X_all[: args.rows]
    n = len(X)
    print(f"\n=== depth {depth} ===\ndata: {args.data}, explaining {n} rows x {X.shape[1]} features "
          f"({np.isnan(X).mean():.1%} NaN); trained on {len(X_train)} rows, {y_train.mean():.1%} events")
    t0 = time.perf_counter()
    params = {**DEFAULT_PARAMS["xgboost"], "n_estimators": args.trees, "max_depth": depth, "n_jobs": args.threads}
    model = xgb.XGBClassifier(random_state=args.seed, **params).fit(X_train, y_train)
    booster = model.get_booster()
    booster.set_param({"nthread": args.threads})
    print(f"model: {args.trees} trees, depth {depth}, trained in {time.perf_counter() - t0:.1f} s")

    # ours: first build pays the numba JIT (or cache load); the second build is the real precompute cost
    t0 = time.perf_counter()
    FastTreeShap(booster, n_jobs=args.threads).shap_values(X[:64])
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = FastTreeShap(booster, n_jobs=args.threads)
    precompute = time.perf_counter() - t0
    print(f"ours: precompute {precompute:.3f} s ({ours.algorithm}, tables {ours.table_bytes / 1e6:.1f} MB); "
          f"first use incl. JIT/cache load {first:.2f} s")
    base = ours.expected_value
    dm = xgb.DMatrix(X, missing=np.nan)
    explainer = shap.TreeExplainer(model)
    serial = FastTreeShap(booster, n_jobs=1)
    runs = {
        "ours": lambda: ours.shap_values(X),
        "ours1": lambda: serial.shap_values(X),
        "xgb": lambda: booster.predict(dm, pred_contribs=True),
        "shap": lambda: explainer.shap_values(X),
    }
    ours.shap_values(X[:64])  # warm-ups
    booster.predict(xgb.DMatrix(X[:64], missing=np.nan), pred_contribs=True)
    explainer.shap_values(X[:64])
    # interleaved repeats: on a shared machine each method sees the same load
    best, result = {name: float("inf") for name in runs}, {}
    for _ in range(args.repeats):
        for name, fn in runs.items():
            seconds, result[name] = best_of(fn, 1)
            best[name] = min(best[name], seconds)
    t_ours, t_xgb, t_shap = best["ours"], best["xgb"], best["shap"]
    values, contribs, shap_vals = result["ours"], result["xgb"], result["shap"]
    margin = booster.predict(dm, output_margin=True).astype(np.float64)
    margin64 = float64_margin(booster, dm, ours.base_margin)

    rate = {name: n / t for name, t in best.items()}
    contribs = contribs.astype(np.float64)
    shap_vals = np.asarray(shap_vals, dtype=np.float64)
    shap_base = float(np.ravel(explainer.expected_value)[0])
    print(f"\nrows/s at {args.threads} threads (best of {args.repeats}):")
    print(f"  ours (fast TreeSHAP v2)       {rate['ours']:10.0f}   ({t_ours:.3f} s)")
    print(f"  ours on one thread            {rate['ours1']:10.0f}   ({best['ours1']:.3f} s)")
    print(f"  xgboost pred_contribs         {rate['xgb']:10.0f}   ({t_xgb:.3f} s)")
    print(f"  shap.TreeExplainer            {rate['shap']:10.0f}   ({t_shap:.3f} s)")
    print(f"  ratio ours / pred_contribs    {rate['ours'] / rate['xgb']:10.2f}x")
    print(f"  ratio ours / shap             {rate['ours'] / rate['shap']:10.2f}x")
    print(f"  ratio ours / ours one thread  {rate['ours'] / rate['ours1']:10.2f}x   (parallel speed-up)")
    print(f"  ours incl. precompute         {n / (t_ours + precompute):10.0f}   rows/s")
    print("\nexactness (max abs difference):")
    print(f"  values vs pred_contribs       {np.abs(values - contribs[:, :-1]).max():.3e}")
    print(f"  every core vs one thread      {np.abs(values - result['ours1']).max():.3e}")
    print(f"  base   vs pred_contribs       {abs(base - contribs[0, -1]):.3e}")
    print(f"  values vs shap                {np.abs(values - shap_vals).max():.3e}")
    print(f"  base   vs shap                {abs(base - shap_base):.3e}")
    total = values.sum(1) + base
    print(f"  sum + base vs output_margin   {np.abs(total - margin).max():.3e}   (XGBoost sums in float32)")
    print(f"  sum + base vs float64 margin  {np.abs(total - margin64).max():.3e}   (leaf values summed in float64)")
    return rate["ours"] / rate["xgb"]


if __name__ == "__main__":
    raise SystemExit(main())
