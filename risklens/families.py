"""The model families, in one dependency-free module (modeling trains them, explain says which methods apply).

- :data:`FAMILIES`: the families RiskLens trains.
- :data:`IMPORTED_FAMILIES`: families only reached by importing a model trained elsewhere (``risklens
  import-model``): any allow-listed scikit-learn estimator or pipeline, explained with model-agnostic methods
  (permutation SHAP, LIME).
- :data:`ALL_FAMILIES`: every family a saved model can have (imported XGBoost models are family "xgboost").
- :data:`FAMILY_LABELS`: the name of each family in tables, pickers and cards.
"""

FAMILIES = ("xgboost", "l1-logistic", "mlp")
IMPORTED_FAMILIES = ("sklearn",)
ALL_FAMILIES = FAMILIES + IMPORTED_FAMILIES
FAMILY_LABELS = {"xgboost": "XGBoost", "l1-logistic": "L1 logistic regression", "mlp": "ReLU neural network",
                 "sklearn": "scikit-learn model (imported)"}
