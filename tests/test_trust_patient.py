"""The per-patient "can I trust this explanation?" lines: known answers for each line, the model's sanity check,
and the panel on the Patients page and in the patient card (AppTest on a small demo)."""

import numpy as np
import pytest

from apptest_support import demo_home, open_page, shown
from risklens.patients.trust import (ModelSanity, agreement_line, model_sanity, patient_sensitivity, sampling_line,
                                     sanity_line, sensitivity_line)


def test_sampling_line_counts_contributions_resolved_from_their_standard_error():
    v = np.array([1.0, -0.5, 0.2, 0.1, 0.05, 0.0])
    se = np.array([0.1, 0.1, 0.2, 0.01, 0.01, 0.0])  # 0.2 is within 2 SE of zero
    line = sampling_line("SHAP", v, se, exact=False)
    assert line.status == "caution" and "4 of the 5" in line.text and "0.2" in line.text
    assert sampling_line("SHAP", v, se / 100, exact=False).status == "ok"
    assert "exactly" in sampling_line("SHAP", v, None, exact=True).text


def test_agreement_sensitivity_and_sanity_lines_say_what_was_measured():
    agree = {"k": 5, "topk_overlap": 0.4, "top1_same": False, "rank_correlation": 0.31}
    line = agreement_line("SHAP", "LIME", agree)
    assert line.status == "caution" and "share 2 of their top 5" in line.text and "0.31" in line.text
    assert sensitivity_line("SHAP", 0.08).status == "ok" and "8%" in sensitivity_line("SHAP", 0.08).text
    assert sensitivity_line("SHAP", 0.9).status == "caution"
    assert sensitivity_line("SHAP", float("nan")).status == "info"
    failed = sanity_line("SHAP", ModelSanity("shap", "cascading layers", 0.8, 0.9, False, 20))
    assert failed.status == "caution" and "FAILED" in failed.text and "0.80" in failed.text
    assert sanity_line("SHAP", None).status == "info"


def test_model_sanity_and_sensitivity_on_a_trained_model():
    from risklens.cohorts import load_builtin
    from risklens.modeling import split_cohort, train_model

    cohort = load_builtin("ward", n=1500, seed=2)
    split = split_cohort(cohort, 0.3, 0)
    model = train_model(cohort, "l1-logistic", seed=1, split=split)
    check = model_sanity(model, cohort, "coef", {}, split[1], n=15)
    assert check.passed and check.n == 15 and check.randomisation == "permuted labels"
    assert check == model_sanity(model, cohort, "coef", {}, split[1], n=15)  # seeded
    # coefficients times (x - mean): a linear map, so the relative change is bounded by the input move
    s = patient_sensitivity(model, cohort.X.iloc[[split[1][0]]], "coef", {}, np.nanstd(cohort.X.to_numpy(float), 0))
    assert 0 < s < 5


@pytest.fixture(scope="module")
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 1500)


def test_patients_page_panel_and_patient_card(small_home):
    at = open_page("pages/patients.py")
    assert not any("Can I trust this explanation?" in str(m.value) for m in at.markdown)  # off until asked
    at.toggle(key="pt_trust").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    body = "\n".join(shown(m.value) for m in at.markdown)
    assert "Can I trust this explanation?" in body
    for topic in ("sampling error", "agreement", "local sensitivity", "sanity check"):
        assert f"**{topic}**" in body
    assert "the sanity check on this model" in body
    at.switch_page("pages/report.py").run()
    at.checkbox(key="rep_card_trust").check().run()
    assert not at.exception, [e.value for e in at.exception]
    card = "\n".join(str(h.proto.body) for h in at.get("html"))
    assert "Can I trust this explanation?" in card and "sanity check" in card


def test_consistency_page_trust_and_subgroup_tabs(small_home):
    at = open_page("pages/consistency.py")
    at.multiselect(key="cons_fams").set_value(["l1-logistic", "mlp"]).run()
    at.number_input(key="cons_n").set_value(10)
    at.number_input(key="cons_reps").set_value(0)
    at.number_input(key="cons_noise").set_value(0)
    at.multiselect(key="cons_include").set_value(["l1-logistic/coef", "mlp/dtd"])
    at.multiselect(key="cons_subgroups").set_value(["hr_mean"])
    at.button(key="cons_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    body = "\n".join(shown(m.value) for m in at.markdown)
    assert "Sanity check: does each explanation depend on the model?" in body
    assert "largest gap in model performance" in body and "hr_mean" in body
    frames = [df.value for df in at.dataframe]
    sanity = next(f for f in frames if "verdict" in f.columns)
    assert set(sanity["explainer"]) == {"L1 logistic regression · coef", "ReLU neural network · DTD"}
    assert "passed" in set(sanity["verdict"])
    assert any("chance: correlation" in f.columns for f in frames)
    assert at.selectbox(key="cons_sub_col").options == ["sex", "age", "hr_mean"]
