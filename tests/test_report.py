"""HTML / Markdown export (risklens.study.report) and the study's numbers (risklens.study.paper)."""

import re

import numpy as np
import pytest

from risklens.study import paper
from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.explain.base import Explanation
from risklens.study import EvaluationReport, ExplainerKey, ProtocolSettings
from risklens.study import types as T
from risklens.study.report import patient_card_html, sections, to_html, to_markdown, write_report

XS = ExplainerKey("xgboost", "shap")
HOSTILE = "<script>alert(1)</script>[click](javascript:alert(1))"


def _report(name="ward", label="Feature"):
    rep = EvaluationReport(
        cohort=T.CohortInfo(name, 100, 100, 5, 10, 0.1, True, True, "ab" * 32, "simulated", "red flag"),
        settings=ProtocolSettings(families=("xgboost",), methods=("xgboost/shap",), runs=2),
        explainers=[XS], n_patients=7, patient_rule="correctly predicted positives",
        explained=[T.ExplainedRecord(XS, 7, 50, False, True, {})],
        models=[T.ModelRecord("xgboost", 1, 11, "abc123", 0.9, 0.5, 0.1)],
        table1=[T.Table1Entry(XS, i + 1, f"f{i}", f"{label} {i}", "g", "vital sign", 1.0 / (i + 1)) for i in range(5)],
        concordance=[T.TriggerConcordance(XS, 0.5, 0.25, 0.5, 4, 0, {"1": 0.25, "2": 0.4, "3": 0.5, "4": 0.6, "5": 0.75},
                                          2.0, 0, [0.25, 0.25])],
        mechanism=[T.MechanismRecord(XS, 0.625, 0.875, 0.375, 0.125, 5, 8, 0)],
        run_consistency=[T.RunConsistency(XS, 0.9, None, 1)],
        noise_floor=[T.NoiseFloorRecord(XS, True, 3, 1.0, 1.0, 1.0, 0.9, None, 1.0, 0.0, None, None,
                                        "deterministic: the explanation changes only when the model does")],
        sign_agreement=[T.SignAgreement(XS, 1.0, 0.9, 0.6)],
        faithfulness=[T.FaithfulnessRecord(XS, 0.1, 0.3, 0.7, 0.4, 0.2, 0.8, 0.05, 0.01, 3.0, None, 7, "training mean",
                                           {"deletion": [0.9, 0.5, 0.2], "deletion_random": [0.9, 0.7, 0.2],
                                            "insertion": [0.1, 0.6, 0.9], "insertion_random": [0.1, 0.3, 0.9]})],
        published=paper.published(name),
        provenance=T.Provenance("2026-01-01T00:00:00+00:00", "ab" * 32, {}, {"seed": 0, "split": 123},
                                {"train": 3.0, "explain xgboost/shap": 1.0}, 4.0),
        notes=["a note for the reader"],
    )
    return EvaluationReport.from_dict(rep.to_dict())


def test_html_is_self_contained_and_places_study_beside_ours():
    page = to_html(_report())
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and not re.search(r"(src|href)\s*=", page) and "http" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "0.75" in page and "0.47" in page and "0.37" in page  # study's XGB+SHAP concordance (dropped, kept, admin)
    assert "Feature 0" in page and "LOS" in page  # our Table 1 beside the study's
    assert "<svg" in page and "a note for the reader" in page
    assert "Mechanism concordance" in page and "0.88" in page and "noise floor" in page.lower()
    assert "—" in page  # CR = None shown as a dash, not 'None' or 'nan'
    assert "None" not in page and "nan" not in page
    assert "split = 123" in page  # the seed plan is in the provenance


def test_markdown_same_sections():
    rep = _report()
    md = to_markdown(rep)
    from risklens.study.render import md_text

    for s in sections(rep):
        assert f"## {md_text(s.title)}" in md
    assert "| XGBoost · SHAP | 0.90 | 1.00 |" in md  # run consistency: ours 0.90, study 1.00
    assert "None" not in md and "nan" not in md


def test_user_text_is_escaped_in_html_and_markdown():
    rep = _report(name=HOSTILE, label=HOSTILE)
    page, md = to_html(rep), to_markdown(rep)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "<script" not in md and "javascript:" not in md and "](" not in md


def test_cohort_without_study_numbers():
    rep = _report("whas500")
    assert rep.published == {} and "no published numbers" in to_html(rep)


def test_write_report(tmp_path):
    paths = write_report(_report(), tmp_path / "out")
    assert all(p.exists() for p in paths.values())
    again = EvaluationReport.from_json(paths["json"].read_text())
    assert again.cohort.name == "ward" and again == _report()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name not in ("report.json", "report.html", "report.md")]


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
    # the key names the colours the bars are drawn in: a raising bar (spo2_min) and a lowering one (los_days)
    from risklens.plots.style import COLOUR_NAMES, LOWER, RAISE

    assert f'fill="{RAISE}"' in card and f'fill="{LOWER}"' in card
    assert f"color:{RAISE}'>■ {COLOUR_NAMES[RAISE]}</span> raises" in card
    assert f"color:{LOWER}'>■ {COLOUR_NAMES[LOWER]}</span> lowers" in card


def test_paper_constants():
    assert paper.study_key("ward") == "VS" and paper.study_key("readmission") == "RA30"
    assert paper.RUN_CONSISTENCY["RA30"]["mlp/dtd"] == {"FA": 0.64, "CR": 0.77}
    assert paper.CROSS_MODEL["VS"] == {"FA": 0.80, "CR": 0.25}
    assert paper.SIGN_AGREEMENT["VS"]["all"] == 0.58
    assert paper.CONCORDANCE_VS["mlp/dtd"]["non_clinical_share"] == 0.027
    assert all(len(v) == 5 for v in paper.TABLE1_VS.values())
    assert "table1" not in paper.published("readmission") and "concordance" not in paper.published("readmission")
