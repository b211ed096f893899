"""The :class:`RiskModel`: one fitted model with a uniform interface for every family."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risklens.errors import RiskLensError
from risklens.families import ALL_FAMILIES, FAMILY_LABELS


class ModelError(RiskLensError):
    """A model cannot be trained, saved, loaded or applied. The message says why."""


def _plain_steps(imputer, scaler):
    """(fill values, mean or None, scale or None) when the pipeline's steps are a dense median/mean
    ``SimpleImputer`` of NaN without indicator and a ``StandardScaler`` (what :mod:`risklens.modeling.train`
    builds); their ``transform`` is then exactly ``where(isnan, fill)``, ``-= mean_``, ``/= scale_``. None
    otherwise (the steps' own transforms are used)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    if type(imputer) is not SimpleImputer or type(scaler) is not StandardScaler:
        return None
    missing = imputer.missing_values
    if imputer.add_indicator or not (isinstance(missing, float) and np.isnan(missing)):
        return None
    fill = np.asarray(imputer.statistics_, dtype=np.float64)
    if np.isnan(fill).any():  # features the imputer drops (keep_empty_features=False)
        return None
    mean = np.asarray(scaler.mean_, dtype=np.float64) if scaler.with_mean else None
    scale = np.asarray(scaler.scale_, dtype=np.float64) if scaler.with_std else None
    return fill, mean, scale


@dataclass(eq=False)
class RiskModel:
    """A fitted risk model.

    ``estimator`` is an ``xgboost.XGBClassifier`` (family "xgboost") or a scikit-learn
    ``Pipeline([("impute", SimpleImputer), ("scale", StandardScaler), ("clf", ...)])`` whose last
    step is an L1 ``LogisticRegression`` ("l1-logistic") or a ReLU ``MLPClassifier`` ("mlp").
    ``model_id`` is the first 12 hex digits of the SHA-256 of the serialised model; ``card`` is the
    model card (see :mod:`risklens.modeling.store`).
    """

    family: str
    estimator: object
    feature_names: list[str]
    seed: int
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    card: dict = field(default_factory=dict)
    model_id: str = ""
    contract: object = None  # InputContract: raw table -> matrix (numeric identity when None)

    def __post_init__(self) -> None:
        if self.family not in ALL_FAMILIES:
            raise ModelError(f"unknown model family {self.family!r}; choose one of {', '.join(ALL_FAMILIES)}")
        if self.contract is None:
            from risklens.modeling.contract import InputContract

            self.contract = InputContract.numeric(self.feature_names)

    @property
    def label(self) -> str:
        return f"{FAMILY_LABELS[self.family]} (seed {self.seed})"

    # ---- inputs ------------------------------------------------------------------------------
    def as_matrix(self, X) -> np.ndarray:
        """Float64 matrix in this model's feature order (accepts a frame with these columns or an array)."""
        if isinstance(X, pd.DataFrame):
            missing = [c for c in self.feature_names if c not in X.columns]
            if missing:
                raise ModelError(
                    f"the data lack {len(missing)} feature(s) this model was trained on: {', '.join(missing[:8])}"
                )
            X = X[self.feature_names].to_numpy(dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[None, :]
        if X.shape[1] != len(self.feature_names):
            raise ModelError(f"expected {len(self.feature_names)} features, got {X.shape[1]}")
        return X

    def prepare(self, raw: pd.DataFrame, report=None) -> pd.DataFrame:
        """The model's feature frame (index = row ids) of a raw table, through the input contract.

        Raises :class:`~risklens.modeling.contract.ContractError` for missing columns, text in a numeric
        column or infinite values; unseen categories are counted in ``report`` (a ``TransformReport``).
        """
        return self.contract.transform(raw, report)[self.feature_names]

    def preprocess(self, X) -> np.ndarray:
        """Imputed and standardised inputs of the final estimator (sklearn families only)."""
        if self.family in ("xgboost", "sklearn"):
            return self.as_matrix(X)
        steps = self.estimator.named_steps
        M = self.as_matrix(X)
        fast = _plain_steps(steps["impute"], steps["scale"])
        if fast is None:
            return steps["scale"].transform(steps["impute"].transform(M))
        from risklens.modeling._standardise import standardise  # numba: imported on first use

        fill, mean, scale = fast  # the two transforms' own arithmetic, without their per-call input checks
        return standardise(M, fill, mean, scale)

    # ---- outputs -----------------------------------------------------------------------------
    def predict_margin(self, X) -> np.ndarray:
        """Log-odds of the positive class, shape (n,)."""
        M = self.as_matrix(X)
        if self.family == "xgboost":
            import xgboost as xgb

            return np.asarray(self.booster.inplace_predict(M, predict_type="margin", missing=np.nan),
                              dtype=np.float64).reshape(len(M))
        if self.family == "sklearn":
            p = np.clip(self._imported_proba(M), 1e-12, 1 - 1e-12)
            return np.log(p) - np.log1p(-p)
        clf = self.estimator.named_steps["clf"]
        Z = self.preprocess(M)
        if self.family == "l1-logistic":
            return clf.decision_function(Z).astype(np.float64)
        p = np.clip(clf.predict_proba(Z)[:, 1], 1e-12, 1 - 1e-12)
        return np.log(p) - np.log1p(-p)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of the positive class, shape (n,)."""
        M = self.as_matrix(X)
        if self.family == "sklearn":
            return self._imported_proba(M)
        if self.family == "mlp":
            return self.estimator.named_steps["clf"].predict_proba(self.preprocess(M))[:, 1].astype(np.float64)
        return 1.0 / (1.0 + np.exp(-self.predict_margin(M)))

    def _imported_proba(self, M: np.ndarray) -> np.ndarray:
        import warnings

        with warnings.catch_warnings():  # fitted on a frame, called with an array: same columns, same order
            warnings.filterwarnings("ignore", message=".*feature names.*")
            return np.asarray(self.estimator.predict_proba(M))[:, 1].astype(np.float64)

    # ---- family-specific views used by the explainers ----------------------------------------
    @property
    def booster(self):
        if self.family != "xgboost":
            raise ModelError(f"{self.family} model has no booster")
        return self.estimator.get_booster()

    @property
    def mlp_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(weights, bias) per layer of the MLP, on standardised inputs; hidden layers are ReLU."""
        if self.family != "mlp":
            raise ModelError(f"{self.family} model is not a neural network")
        clf = self.estimator.named_steps["clf"]
        return [(np.asarray(W), np.asarray(b)) for W, b in zip(clf.coefs_, clf.intercepts_)]

    @property
    def linear_coef(self) -> tuple[np.ndarray, float]:
        """(coefficients, intercept) on standardised inputs of the L1 model."""
        if self.family != "l1-logistic":
            raise ModelError(f"{self.family} model is not linear")
        clf = self.estimator.named_steps["clf"]
        return np.asarray(clf.coef_).ravel().astype(np.float64), float(np.ravel(clf.intercept_)[0])

    # ---- card views (backward-compatible additions) ------------------------------------------
    @property
    def name(self) -> str:
        """The model's name from its card (``<cohort>-<family>-seed<seed>`` by default)."""
        return str(self.card.get("name") or f"{self.family}-seed{self.seed}")

    @property
    def threshold(self) -> float:
        """Alert threshold the held-out metrics were computed at (0.5 if unknown)."""
        return float(self.metrics.get("threshold", self.card.get("threshold", 0.5)))
