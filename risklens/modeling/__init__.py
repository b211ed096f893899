"""Risk models: train (XGBoost, L1 logistic regression, ReLU MLP), measure, save and load safely."""

from risklens.modeling.performance import (
    calibration, classification_metrics, default_threshold, threshold_table,
)
from risklens.modeling.model import ModelError, RiskModel
from risklens.modeling.split import held_out_positions, split_cohort
from risklens.modeling.store import list_models, load_model, save_model
from risklens.modeling.train import (
    DEFAULT_PARAMS, build_estimator, train_model, train_runs,
)

__all__ = [
    "ModelError", "RiskModel", "DEFAULT_PARAMS",
    "split_cohort", "train_model", "train_runs", "build_estimator", "held_out_positions",
    "classification_metrics", "calibration", "default_threshold", "threshold_table",
    "save_model", "load_model", "list_models",
]
