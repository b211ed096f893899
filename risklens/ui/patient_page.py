"""What the Patients page needs, behind cheap cached lookups (also used by the latency benchmark)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risklens.cohorts.base import Cohort
from risklens.modeling.model import RiskModel
from risklens.patients.index import PatientIndex, PatientView, patient_view
from risklens.ui import cache

LIME_SEEDS = (0, 1, 2)


def primary_method(methods: list[str]) -> str:
    for m in ("shap", "coef", "dtd"):
        if m in methods:
            return m
    return methods[0]


def secondary_method(methods: list[str], primary: str) -> str | None:
    for m in ("lime", "lime-ref", "shap", "coef", "dtd"):
        if m in methods and m != primary:
            return m
    return None


def index_method(model: RiskModel) -> str:
    from risklens.explain import methods_for

    return primary_method(methods_for(model.family))


def index_for(model: RiskModel, cohort: Cohort, method: str | None = None) -> PatientIndex:
    method = method or index_method(model)
    return cache.patient_index(model.model_id, cohort.hash, method, model, cohort)


def other_rows(model: RiskModel, cohort: Cohort, patient_id: str, method: str, seeds=LIME_SEEDS):
    """The second method's attributions for one patient, one array per seed (cached per patient)."""
    row = cohort.X.loc[[str(patient_id)]]
    out = [cache.row_explanation(model.model_id + cohort.hash[:12], str(patient_id), method, int(s), model, row, cohort)
           for s in seeds]
    return out


def primary_row(model: RiskModel, cohort: Cohort, patient_id: str):
    """The index method's explanation of one patient (per-patient methods such as SHAP on the MLP)."""
    return other_rows(model, cohort, patient_id, index_method(model), seeds=(0,))[0]


def view_for(model: RiskModel, cohort: Cohort, index: PatientIndex, patient_id: str, threshold: float,
             other_method: str | None, stability: bool = True) -> PatientView:
    primary = None
    if index.explanation is None:  # a slow method: explain this one patient (cached per patient)
        primary = primary_row(model, cohort, patient_id)
    if other_method is None:
        return patient_view(index, patient_id, threshold, cohort.dictionary, primary=primary)
    from risklens.explain.base import method as method_spec

    seeds = LIME_SEEDS if (stability and method_spec(other_method).stochastic) else LIME_SEEDS[:1]
    rows = other_rows(model, cohort, patient_id, other_method, seeds)
    first = rows[0]
    return patient_view(index, patient_id, threshold, cohort.dictionary, other=first.values[0],
                        other_output=first.output, other_method=other_method,
                        other_seeds=[r.values[0] for r in rows] if len(rows) > 1 else None, primary=primary)


def what_if_row(cohort: Cohort, patient_id: str, edits: dict) -> pd.DataFrame:
    row = cohort.X.loc[[str(patient_id)]].copy()
    for k, v in edits.items():
        row[k] = np.nan if v is None else float(v)
    return row
