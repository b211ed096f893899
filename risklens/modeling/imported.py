"""Bring your own model: an XGBoost model file (JSON/UBJ) or a scikit-learn estimator/pipeline saved with skops.

:func:`import_model` reads the file safely (size check, never pickle, explicit allow-list of types for
skops), matches its features against a data file with the outcome, measures it on those rows and
returns a :class:`RiskModel` with a full card; saved with ``save_model`` it is like any other model.

- XGBoost files become family "xgboost" (exact TreeSHAP, LIME).
- scikit-learn estimators and pipelines become family "sklearn": permutation SHAP on the log-odds and
  LIME (model-agnostic; for a linear pipeline permutation SHAP is exact, since the model is additive).
- The data are encoded with an input contract fitted on them (text categories -> 0/1 columns named
  ``<col>_<level>``, as for models RiskLens trains); the model's features must be columns of that matrix.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from risklens.modeling.contract import InputContract
from risklens.modeling.performance import classification_metrics, default_threshold
from risklens.families import FAMILY_LABELS
from risklens.modeling.model import ModelError, RiskModel
from risklens.modeling.safeio import IMPORT_TYPES, check_size, load_skops, looks_like_pickle

IMPORT_SUFFIXES = (".json", ".ubj", ".skops")
THRESHOLD_RULE = "alert rate = 2 x event rate of the import data (capped at 50%)"


def read_model_file(data: bytes, filename: str):
    """``(family, estimator)`` of model-file bytes; ModelError for pickle, unknown or untrusted files."""
    name = Path(filename).name
    check_size(len(data), name)
    if looks_like_pickle(Path(name), data[:2]):
        raise ModelError(f"{name} is a pickle/joblib file; RiskLens never unpickles. Save the model with "
                         "xgboost's save_model (.json/.ubj) or skops.io.dump (.skops)")
    suffix = Path(name).suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix == ".skops":
        return "sklearn", load_skops(data, name, IMPORT_TYPES)
    if suffix not in (".json", ".ubj"):
        raise ModelError(f"{name}: RiskLens imports XGBoost .json/.ubj files and scikit-learn .skops files")
    from xgboost import XGBClassifier

    est = XGBClassifier(n_jobs=2)
    try:
        est.load_model(bytearray(data))
    except Exception as exc:  # noqa: BLE001 - xgboost raises XGBoostError on anything unreadable
        raise ModelError(f"{name} is not a valid XGBoost model file: {exc}".splitlines()[0][:300]) from None
    if '"binary:' not in est.get_booster().save_config():
        raise ModelError(f"{name} is not a binary XGBoost classifier (objective binary:logistic)")
    return "xgboost", est


def _model_features(family: str, est) -> tuple[list[str] | None, int]:
    if family == "xgboost":
        booster = est.get_booster()
        return (list(booster.feature_names) if booster.feature_names else None), int(booster.num_features())
    names = getattr(est, "feature_names_in_", None)
    return ([str(n) for n in names] if names is not None else None), int(getattr(est, "n_features_in_", -1))


def _match_features(names: list[str] | None, n_in: int, cohort) -> list[str]:
    """The model's feature list in the data's terms; ModelError naming the differences."""
    have = list(cohort.features)
    if names is None:
        if n_in != len(have):
            raise ModelError(f"the model expects {n_in} unnamed features but the data give {len(have)} "
                             f"({', '.join(have[:8])}{' ...' if len(have) > 8 else ''}); save the model with "
                             "feature names or give a file with exactly its columns in training order")
        return have
    lacking = [n for n in names if n not in set(have)]
    if lacking:
        extra = [h for h in have if h not in set(names)]
        hint = f"; the data have instead: {', '.join(extra[:8])}" if extra else ""
        raise ModelError(f"the data lack {len(lacking)} feature(s) of the model: {', '.join(lacking[:8])}"
                         f"{' ...' if len(lacking) > 8 else ''}{hint}")
    return names


def _restricted_contract(contract: InputContract, features: list[str]) -> InputContract:
    keep = set(features)
    specs = [s for s in contract.columns if set(s.outputs) & keep]
    partial = [s.name for s in specs if not set(s.outputs) <= keep]
    if partial:
        raise ModelError(f"the model uses some but not all categories of column(s) {', '.join(partial[:5])}; "
                         "RiskLens encodes every category seen in the data")
    return InputContract(specs, contract.id_col, contract.dropped, contract.max_levels)


def _provenance(data: bytes, filename: str, est, data_name: str) -> dict:
    return {"source": "imported", "original_file": Path(filename).name,
            "original_sha256": hashlib.sha256(data).hexdigest(), "estimator": type(est).__name__,
            "data_file": data_name, "imported": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def import_model(data: bytes, filename: str, cohort, threshold: float | None = None,
                 name: str | None = None, data_name: str = "") -> RiskModel:
    """A :class:`RiskModel` from model-file bytes, measured on ``cohort`` (built from the import data)."""
    from risklens.modeling.train import _versions

    family, est = read_model_file(data, filename)
    names, n_in = _model_features(family, est)
    features = _match_features(names, n_in, cohort)
    contract = _restricted_contract(getattr(cohort, "contract", None) or InputContract.numeric(cohort.features),
                                    features)
    if family == "xgboost":  # rows reach the booster as arrays in card order; names live in the card
        est.get_booster().feature_names = None
        est.get_booster().feature_types = None
    model = RiskModel(family=family, estimator=est, feature_names=features, seed=0, contract=contract)
    from risklens.modeling.store import check_estimator

    check_estimator(family, est, len(features), Path(filename).name)
    X = cohort.X[features].to_numpy(dtype=np.float64)
    y = np.asarray(cohort.y, dtype=np.int64)
    try:
        p = model.predict_proba(X)
    except (ValueError, TypeError) as exc:
        raise ModelError(f"the model could not score the data: {str(exc).splitlines()[0][:200]}") from None
    rule = THRESHOLD_RULE if threshold is None else "given by the user"
    thr = default_threshold(p, float(y.mean())) if threshold is None else float(threshold)
    model.metrics = classification_metrics(y, p, thr)
    model.card = {
        "card_version": 1, "name": name or f"{cohort.name}-imported-{family}", "family": family,
        "label": FAMILY_LABELS[family], "cohort": cohort.name, "outcome": cohort.outcome_name,
        "data_hash": cohort.hash, "n_rows": int(cohort.n), "n_train": 0, "n_test": int(cohort.n),
        "train_event_rate": float(y.mean()), "threshold": thr, "threshold_rule": rule,
        "metrics": dict(model.metrics), "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "provenance": _provenance(data, filename, est, data_name), "params": {},
    }
    return model
