"""HTML / Markdown export (risklens.study.report) and the study's numbers (risklens.study.paper)."""

import re

import numpy as np
import pytest

from risklens.study import paper
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.study.protocol import EvaluationReport
from risklens.explain.base import Explanation
from risklens.study.report import patient_card_html, sections, to_html, to_markdown, write_report


def _report(name="ward"):
    return EvaluationReport(
        cohort={"name": name, "rows": 100, "events": 10, "hash": "ab" * 32, "outcome": "red flag"},
        settings={"families": ["xgboost"], "methods": ["xgboost/shap"], "runs": 2, "seed": 0, "n_patients": 7,
                  "capped": [], "max_patients": 100},
        models=[{"family": "xgboost", "run": 1, "seed": 0, "model_id": "abc123", "auroc": 0.9, "auprc": 0.5,
                 "threshold": 0.1}],
        table1={"xgboost/shap": [{"rank": i + 1, "feature": f"f{i}", "label": f"Feature {i}", "group": "g",
                                  "kind": "vital sign", "importance": 1.0 / (i + 1)} for i in range(5)]},
        concordance={"xgboost/shap": {"dropped": 0.5, "kept": 0.25, "non_clinical_share": 0.5, "n": 4,
                                      "topk_hit": {"1": 0.25, "3": 0.5, "5": 0.75}, "mean_trigger_rank": 2.0}},
        run_consistency={"xgboost/shap": {"FA": 0.9, "CR": None, "pairs": 1}},
        sign_agreement={"xgboost/shap": {"leading": 1.0, "top5": 0.9, "all": 0.6}},
        faithfulness={"xgboost/shap": {"deletion_auc": 0.1, "deletion_auc_random": 0.3, "insertion_auc": 0.7,
                                       "insertion_auc_random": 0.4, "mean_curve_deletion": [0.9, 0.5, 0.2],
                                       "mean_curve_deletion_random": [0.9, 0.7, 0.2], "n": 7}},
        published=paper.published(name),
        provenance={"created": "2026-01-01T00:00:00+00:00", "timings": {"train": 3.0, "explain xgboost/shap": 1.0},
                    "total_seconds": 4.0},
        notes=["a note for the reader"],
    )


def test_html_is_self_contained_and_places_study_beside_ours():
    page = to_html(_report())
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and not re.search(r"(src|href)\s*=", page) and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "0.75" in page and "0.47" in page and "0.37" in page  # study's XGB+SHAP concordance (dropped, kept, admin)
    assert "Feature 0" in page and "LOS" in page  # our Table 1 beside the study's
    assert "<svg" in page and "a note for the reader" in page
    assert "–" in page  # CR = None shown as a dash, not 'None' or 'nan'
    assert "None" not in page and "nan" not in page


def test_markdown_same_sections():
    rep = _report()
    md = to_markdown(rep)
    for s in sections(rep):
        assert f"## {s.title}" in md
    assert "| xgboost/shap | 0.90 | 1.00 |" in md  # run consistency: ours 0.90, study 1.00


def test_cohort_without_study_numbers():
    rep = _report("whas500")
    assert rep.published == {} and "no published numbers" in to_html(rep)


def test_write_report(tmp_path):
    paths = write_report(_report(), tmp_path / "out")
    assert all(p.exists() for p in paths.values())
    assert EvaluationReport.from_json(paths["json"].read_text()).cohort["name"] == "ward"


def test_patient_card_carries_provenance():
    d = FeatureDictionary([FeatureInfo("spo2_min", "Min SpO2", unit="%", kind="vital sign"),
                           FeatureInfo("los_days", "Length of stay", unit="days", kind="administrative")])
    e = Explanation(values=np.array([[0.5, -0.2], [0.1, 0.3]]), base_values=-1.0, data=np.array([[88.0, 3], [95, 1]]),
                    feature_names=["spo2_min", "los_days"], method="shap", model_id="m0del1d", output="log-odds",
                    ids=np.array(["p1", "p2"], dtype=object), params={"seed": 7})
    card = patient_card_html(e, "p1", dictionary=d, data_hash="d4t4h4sh", risk=0.31, threshold=0.2)
    for text in ("m0del1d", "d4t4h4sh", "shap", ">7<", "log-odds", "Min SpO2", "88 %", "31.0%", "alert"):
        assert text in card, text
    assert "<script" not in card
    with pytest.raises(Exception):
        patient_card_html(e, "nobody")


def test_paper_constants():
    assert paper.study_key("ward") == "VS" and paper.study_key("readmission") == "RA30"
    assert paper.RUN_CONSISTENCY["RA30"]["mlp/dtd"] == {"FA": 0.64, "CR": 0.77}
    assert paper.CROSS_MODEL["VS"] == {"FA": 0.80, "CR": 0.25}
    assert paper.SIGN_AGREEMENT["VS"]["all"] == 0.58
    assert paper.CONCORDANCE_VS["mlp/dtd"]["non_clinical_share"] == 0.027
    assert all(len(v) == 5 for v in paper.TABLE1_VS.values())
    assert "table1" not in paper.published("readmission") and "concordance" not in paper.published("readmission")
