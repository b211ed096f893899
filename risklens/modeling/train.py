"""Train the three risk-model families on a :class:`~risklens.cohorts.base.Cohort`.

Defaults (tuned for ward-sized cohorts, ~20k rows and ~60 features, on 2 CPU cores):

- ``xgboost``: ``XGBClassifier(tree_method="hist", n_estimators=300, max_depth=4, learning_rate=0.05,
  subsample=0.8, colsample_bytree=0.8, min_child_weight=1, reg_lambda=1, n_jobs=2)``; missing values
  are handled natively. Row/column subsampling makes runs with different seeds differ (as in the study).
- ``l1-logistic``: ``Pipeline(impute=median, scale=StandardScaler, clf=LogisticRegression(l1_ratio=1
  (pure L1), C=0.1, solver="liblinear", max_iter=1000))``.
- ``mlp``: same pipeline with ``clf=MLPClassifier(hidden_layer_sizes=(64, 32), activation="relu",
  solver="adam", alpha=1.0, batch_size=256, learning_rate_init=1e-3, early_stopping=False, max_iter=50)``:
  a fixed budget of 50 epochs with L2 weight decay (sklearn scales ``alpha`` by 1/n, so it regularises
  small cohorts more). MLPClassifier's early stopping monitors *accuracy*, which barely moves at
  5-25% event rates and stopped training after ~15-30 epochs (held-out AUROC 0.65 vs 0.79 on whas500,
  0.89 vs 0.91 on ward); the card's ``converged`` is therefore usually false for this family.

Every run uses ``random_state=seed``; the split uses ``split_seed`` and stays fixed across runs.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from datetime import datetime, timezone

import numpy as np

from risklens.modeling.performance import (
    CALIBRATION_NOTE, THRESHOLD_RULE, classification_metrics, default_threshold,
)
from risklens.families import FAMILIES, FAMILY_LABELS
from risklens.modeling.model import ModelError, RiskModel
from risklens.modeling.split import split_cohort

DEFAULT_PARAMS: dict[str, dict] = {
    "xgboost": {
        "n_estimators": 300, "max_depth": 4, "learning_rate": 0.05, "subsample": 0.8,
        "colsample_bytree": 0.8, "min_child_weight": 1.0, "reg_lambda": 1.0, "tree_method": "hist",
        "n_jobs": 2,
    },
    "l1-logistic": {"C": 0.1, "l1_ratio": 1.0, "solver": "liblinear", "max_iter": 1000, "tol": 1e-4},
    "mlp": {
        "hidden_layer_sizes": (64, 32), "activation": "relu", "solver": "adam", "alpha": 1.0,
        "batch_size": 256, "learning_rate_init": 1e-3, "early_stopping": False, "max_iter": 50,
    },
}


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ModelError(f"unknown model family {family!r}; choose one of {', '.join(FAMILIES)}")


def model_params(family: str, params: dict | None = None) -> dict:
    """Defaults of ``family`` updated with ``params``; unknown keys raise :class:`ModelError`."""
    _check_family(family)
    merged = dict(DEFAULT_PARAMS[family])
    merged.update(params or {})
    if "hidden_layer_sizes" in merged:
        merged["hidden_layer_sizes"] = tuple(int(h) for h in np.atleast_1d(merged["hidden_layer_sizes"]))
    return merged


def build_estimator(family: str, seed: int = 0, params: dict | None = None):
    """An unfitted estimator of ``family`` (sklearn families: steps "impute", "scale", "clf")."""
    merged = model_params(family, params)
    if family == "xgboost":
        from xgboost import XGBClassifier

        est = XGBClassifier(random_state=int(seed), eval_metric="logloss")
        bad = [k for k in merged if k not in est.get_params()]
        if bad:
            raise ModelError(f"unknown xgboost parameter(s): {', '.join(bad)}")
        return est.set_params(**merged)
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if family == "l1-logistic":
        from sklearn.linear_model import LogisticRegression as Clf
    else:
        from sklearn.neural_network import MLPClassifier as Clf
    clf = Clf(random_state=int(seed))
    bad = [k for k in merged if k not in clf.get_params()]
    if bad:
        raise ModelError(f"unknown {family} parameter(s): {', '.join(bad)}")
    clf.set_params(**merged)
    return Pipeline([
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("scale", StandardScaler()),
        ("clf", clf),
    ])


def _fit(family: str, est, X: np.ndarray, y: np.ndarray) -> bool:
    """Fit in place; returns whether the optimiser reported convergence."""
    from sklearn.exceptions import ConvergenceWarning

    from threadpoolctl import threadpool_limits

    # Small dense products (MLP mini-batches, liblinear) gain nothing from BLAS threads and lose 5x on
    # a busy machine; one BLAS thread also keeps results independent of the machine's core count.
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            est.fit(X, y)
        except (ValueError, MemoryError) as exc:
            raise ModelError(f"training the {family} model failed: {exc}") from exc
    return not any(issubclass(w.category, ConvergenceWarning) for w in caught)


def _n_iter(est) -> int | None:
    clf = est.named_steps["clf"] if hasattr(est, "named_steps") else None
    if clf is None:
        return int(est.get_booster().num_boosted_rounds())
    n = getattr(clf, "n_iter_", None)
    return None if n is None else int(np.max(n))


def _versions() -> dict:
    import sklearn
    import xgboost

    import risklens

    return {"numpy": np.__version__, "sklearn": sklearn.__version__, "xgboost": xgboost.__version__,
            "risklens": risklens.__version__}


def _jsonable(params: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


def train_model(cohort, family: str, seed: int = 0, params: dict | None = None, split_seed: int = 0,
                test_size: float = 0.3, threshold: float | None = None, name: str | None = None,
                split: tuple[np.ndarray, np.ndarray] | None = None) -> RiskModel:
    """Fit ``family`` on the training side of a patient-level split; metrics on the held-out side.

    ``threshold=None`` uses :func:`~risklens.modeling.performance.default_threshold` on the training
    predictions. ``split`` (optional) reuses precomputed ``(train_pos, test_pos)`` of
    ``split_cohort(cohort, test_size, split_seed)``.
    """
    from risklens.modeling.store import finish_card, serialise_model

    _check_family(family)
    merged = model_params(family, params)
    train_pos, test_pos = split if split is not None else split_cohort(cohort, test_size, split_seed)
    X = cohort.X.to_numpy(dtype=np.float64)
    y = np.asarray(cohort.y, dtype=np.int64)
    est = build_estimator(family, seed, merged)
    start = time.perf_counter()
    converged = _fit(family, est, X[train_pos], y[train_pos])
    seconds = time.perf_counter() - start
    model = RiskModel(family=family, estimator=est, feature_names=list(cohort.features), seed=int(seed),
                      params=merged, contract=cohort_contract(cohort))
    train_rate = float(y[train_pos].mean())
    rule = THRESHOLD_RULE if threshold is None else "given by the user"
    if threshold is None:
        threshold = default_threshold(model.predict_proba(X[train_pos]), train_rate)
    model.metrics = classification_metrics(y[test_pos], model.predict_proba(X[test_pos]), threshold)
    data, filename = serialise_model(model)
    sha = hashlib.sha256(data).hexdigest()
    model.card = {
        "card_version": 1,
        "name": name or f"{cohort.name}-{family}-seed{int(seed)}",
        "family": family,
        "label": FAMILY_LABELS[family],
        "features": list(cohort.features),
        "cohort": cohort.name,
        "outcome": cohort.outcome_name,
        "data_hash": cohort.hash,
        "n_rows": int(cohort.n), "n_train": int(len(train_pos)), "n_test": int(len(test_pos)),
        "train_event_rate": train_rate,
        "seed": int(seed), "split_seed": int(split_seed), "test_size": float(test_size),
        "params": _jsonable(merged),
        "converged": bool(converged),
        "n_iter": _n_iter(est),
        "train_seconds": round(seconds, 3),
        "threshold": float(threshold),
        "threshold_rule": rule,
        "calibration": CALIBRATION_NOTE,
        "metrics": dict(model.metrics),
        "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model_file": filename,
        "sha256": sha,
    }
    model.card = finish_card(model, data, filename, model.card["name"])
    model.model_id = model.card["model_id"]
    return model


def cohort_contract(cohort):
    """The input contract of a cohort: the one its file was encoded with, else its numeric columns as they are."""
    from risklens.modeling.contract import InputContract

    contract = getattr(cohort, "contract", None)
    if contract is not None and contract.outputs == list(cohort.features):
        return contract
    return InputContract.numeric(list(cohort.features), id_col="id")


def train_runs(cohort, family: str, runs: int = 5, seed: int = 0, split_seed: int = 0, progress=None,
               params: dict | None = None, test_size: float = 0.3, threshold: float | None = None
               ) -> list[RiskModel]:
    """``runs`` models of ``family``; run r uses seed ``seed + r`` on the same fixed split."""
    if int(runs) < 1:
        raise ModelError(f"runs must be at least 1, got {runs}")
    split = split_cohort(cohort, test_size, split_seed)
    models = []
    for r in range(int(runs)):
        if progress is not None:
            progress(r / runs, f"training {FAMILY_LABELS[family]} run {r + 1}/{runs} (seed {seed + r})")
        models.append(train_model(cohort, family, seed=seed + r, params=params, split_seed=split_seed,
                                  test_size=test_size, threshold=threshold, split=split))
    if progress is not None:
        progress(1.0, f"trained {runs} {FAMILY_LABELS[family]} model(s)")
    return models
