"""Scoring raw rows with a saved model: risk, alert at the model's threshold, optional attributions.

:func:`score_table` sends a raw table (the training file or a fresh extract) through the model's input
contract, so what a user sees for each mismatch is decided in one place
(:mod:`risklens.modeling.contract`): a missing column or text in a numeric column is an error naming
the column, an unseen category scores as "other" and is counted in the report's warnings, extra
columns are ignored (and listed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risklens.modeling.contract import ContractError, TransformReport, group_onehot
from risklens.modeling.model import RiskModel


@dataclass
class Scored:
    """A worklist: one row per patient (id, risk, alert, attributions), the features used, the warnings."""

    table: pd.DataFrame
    X: pd.DataFrame
    report: TransformReport = field(default_factory=TransformReport)
    explanation: object = None

    @property
    def warnings(self) -> list[str]:
        return self.report.warnings


def score_table(model: RiskModel, raw: pd.DataFrame, method: str | None = None, *, seed: int = 0,
                samples: int | None = None, threshold: float | None = None, dictionary=None,
                id_col: str | None = None) -> Scored:
    """Risk and alert (risk >= threshold, default the model's) for every row of ``raw``, sorted by risk.

    ``id_col`` names the row ids when the model's contract has no id column (as ``risklens explain`` does).
    With ``method``, attributions of that explanation method are added per raw column (one-hot columns
    summed back per original column), named ``<method>:<column>``, labelled from ``dictionary``.
    """
    report = TransformReport()
    X = model.prepare(raw, report)
    if id_col and id_col != model.contract.id_col and id_col in raw.columns:  # ids from another column
        ids = raw[id_col].astype(str)
        if ids.duplicated().any():
            raise ContractError(f"the id column {id_col!r} repeats the id {ids[ids.duplicated()].iloc[0]!r}")
        X.index = pd.Index(ids.to_numpy(dtype=object), name="id")
    risk = model.predict_proba(X)
    thr = model.threshold if threshold is None else float(threshold)
    table = pd.DataFrame({"id": X.index.to_numpy(dtype=object), "risk": risk, "alert": risk >= thr})
    expl = None
    if method:
        from risklens.explain import explain

        params = {} if samples is None else {"samples": samples}
        if method in ("lime", "lime-local", "lime-ref", "shap") and len(X) > 1:
            params["background"] = X
        expl = explain(model, X, method, seed=seed, **params)
        grouped = group_onehot(expl, model.contract, dictionary)
        values = pd.DataFrame(grouped.values, columns=[f"{method}:{n}" for n in grouped.feature_names])
        table = pd.concat([table, values], axis=1)
        table.insert(3, f"{method}:base_value", grouped.base_values)
    order = np.argsort(-risk, kind="stable")
    return Scored(table=table.iloc[order].reset_index(drop=True), X=X, report=report, explanation=expl)
