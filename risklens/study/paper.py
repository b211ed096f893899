"""The study's published numbers as data (Brankovic et al., arXiv 2306.11985, 2023; see PAPER.md).

Keys of the model+method pairs are RiskLens names ``"<family>/<method>"`` so that a report can put
its own numbers beside these. Cohort keys: ``"VS"`` (ward deterioration, RiskLens ``ward``) and
``"RA30"`` (readmission, RiskLens ``readmission``).
"""

from __future__ import annotations

CITATION = ("Brankovic A, Cook D, Rahman J, Huang W, Khanna S. Evaluation of Popular XAI Applied to "
            "Clinical Prediction Models: Can They be Trusted? arXiv:2306.11985, 2023.")

#: RiskLens built-in cohort -> the study's dataset name.
COHORT_KEYS = {"ward": "VS", "readmission": "RA30"}

#: Table 1 (VS): top-5 cohort features of run 1 per model+method, the study's wording.
TABLE1_VS: dict[str, list[str]] = {
    "l1-logistic/coef": ["LOS", "SpO2", "Resp. rate", "min SBP", "DBP"],
    "mlp/shap": ["SpO2", "LOS", "SBP", "num. rec. VS", "O2 flow rate"],
    "mlp/dtd": ["num. rec. VS", "LOS", "SpO2", "SBP", "O2 flow rate"],
    "xgboost/shap": ["LOS", "SpO2", "SBP", "num. rec. VS", "min SpO2"],
}
#: The dictionary group (or feature, for admin features) each Table 1 entry refers to.
TABLE1_GROUPS = {
    "LOS": "los_days", "SpO2": "spo2", "min SpO2": "spo2", "Resp. rate": "resp_rate", "min SBP": "blood_pressure",
    "SBP": "blood_pressure", "DBP": "blood_pressure", "num. rec. VS": "n_obs_sets", "O2 flow rate": "o2_flow",
}

#: Fig. 2 (VS): concordance with the recorded trigger.
CONCORDANCE_VS: dict[str, dict[str, float]] = {
    "mlp/shap": {"dropped": 0.80, "kept": 0.69, "non_clinical_share": 0.13},
    "mlp/dtd": {"dropped": 0.76, "kept": 0.73, "non_clinical_share": 0.027},
    "xgboost/shap": {"dropped": 0.75, "kept": 0.47, "non_clinical_share": 0.37},
}

#: Fig. 3: run-to-run consistency (cohort level; FA top 5, CR all features; 5 runs).
RUN_CONSISTENCY: dict[str, dict[str, dict[str, float]]] = {
    "VS": {"xgboost/shap": {"FA": 1.00, "CR": 1.00}, "mlp/shap": {"FA": 0.88, "CR": 0.91},
           "mlp/dtd": {"FA": 0.82, "CR": 0.88}},
    "RA30": {"xgboost/shap": {"FA": 1.00, "CR": 1.00}, "mlp/shap": {"FA": 0.88, "CR": 0.96},
             "mlp/dtd": {"FA": 0.64, "CR": 0.77}},
}

#: SHAP on XGBoost vs SHAP on the NN (cohort level).
CROSS_MODEL: dict[str, dict[str, float]] = {"VS": {"FA": 0.80, "CR": 0.25}, "RA30": {"FA": 0.60, "CR": 0.51}}

#: SHAP sign agreement across runs (patient level): leading feature, top 5, all features.
SIGN_AGREEMENT: dict[str, dict[str, float]] = {
    "VS": {"leading": 0.99, "top5": 0.86, "all": 0.58},
    "RA30": {"leading": 0.97, "top5": 0.75, "all": 0.41},
}

#: Top-contributor agreement between methods (patient level); top3 is reported as "under 3%".
TOP_CONTRIBUTOR = {"exact": 0.84, "top2_set": 0.20, "top3_set": 0.03}
TOP_CONTRIBUTOR_NOTE = "the study reports 84% exact, 20% unordered top-2 and under 3% unordered top-3"


def study_key(cohort_name: str) -> str | None:
    """The study's dataset key for a RiskLens cohort name (None when the study has no such data)."""
    return COHORT_KEYS.get(str(cohort_name).lower())


def published(cohort_name: str) -> dict:
    """Every published number that applies to a cohort, keyed like :class:`EvaluationReport` fields."""
    key = study_key(cohort_name)
    if key is None:
        return {}
    out = {"dataset": key, "run_consistency": RUN_CONSISTENCY[key], "cross_model": CROSS_MODEL[key],
           "sign_agreement": SIGN_AGREEMENT[key], "top_contributor": TOP_CONTRIBUTOR}
    if key == "VS":
        out["table1"] = TABLE1_VS
        out["concordance"] = CONCORDANCE_VS
    return out
