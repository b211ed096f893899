"""Small cohorts and models shared by the explain tests (built directly, no training module needed)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from risklens.modeling.model import RiskModel

FEATURES = ["age", "sex", "hr_mean", "hr_max", "sbp_min", "rr_mean", "spo2_min", "o2_flow_max", "temp_mean",
            "avpu_max", "n_obs_sets", "los_days"]


@functools.lru_cache(maxsize=None)
def cohort(n: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Ward-like features with ties, binary and count columns and some missing values."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "age": rng.normal(65, 15, n).round(),
        "sex": rng.integers(0, 2, n).astype(float),
        "hr_mean": rng.normal(85, 15, n),
        "hr_max": rng.normal(105, 20, n),
        "sbp_min": rng.normal(110, 18, n),
        "rr_mean": rng.normal(18, 4, n),
        "spo2_min": np.minimum(100, rng.normal(93, 3, n)).round(),
        "o2_flow_max": np.where(rng.random(n) < 0.7, 0.0, rng.gamma(2, 2, n)).round(1),
        "temp_mean": rng.normal(37, 0.6, n),
        "avpu_max": np.where(rng.random(n) < 0.9, 0.0, rng.integers(1, 4, n)).astype(float),
        "n_obs_sets": rng.poisson(6, n).astype(float) + 1,
        "los_days": rng.gamma(2, 3, n),
    }, index=pd.Index([f"r{i}" for i in range(n)], name="id"))
    logit = (-2 + 0.04 * (X.hr_mean - 85) + 0.15 * (X.rr_mean - 18) - 0.2 * (X.spo2_min - 93)
             + 0.3 * X.o2_flow_max + 0.8 * X.avpu_max + 0.05 * X.los_days - 0.02 * (X.sbp_min - 110))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X.loc[rng.random(n) < 0.05, "temp_mean"] = np.nan
    X.loc[rng.random(n) < 0.03, "sbp_min"] = np.nan
    return X, y


@functools.lru_cache(maxsize=None)
def model(family: str, seed: int = 0) -> RiskModel:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = cohort()
    if family == "xgboost":
        import xgboost

        est = xgboost.XGBClassifier(n_estimators=50, max_depth=3, learning_rate=0.2, random_state=seed, n_jobs=1)
        est.fit(X.to_numpy(), y)
    else:
        clf = (LogisticRegression(l1_ratio=1.0, solver="liblinear", C=0.5, random_state=seed) if family == "l1-logistic"
               else MLPClassifier(hidden_layer_sizes=(16, 8), activation="relu", max_iter=300, random_state=seed))
        est = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("clf", clf)])
        est.fit(X.to_numpy(), y)
    return RiskModel(family, est, list(FEATURES), seed)


def test_fixture_models_predict_probabilities():
    X, _ = cohort()
    for fam in ("xgboost", "l1-logistic", "mlp"):
        p = model(fam).predict_proba(X.iloc[:50])
        assert p.shape == (50,) and ((p > 0) & (p < 1)).all()
