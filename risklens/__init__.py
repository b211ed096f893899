"""RiskLens: clinical risk prediction with explanations people can check."""
import os as _os

# OpenMP threads (XGBoost, scikit-learn) busy-wait by default; on a shared or busy machine that makes
# a 2-thread fit 30-100x slower. Sleeping waits cost nothing measurable. Must be set before libgomp
# loads (first sklearn/xgboost import); an explicit user setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
