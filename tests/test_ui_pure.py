"""The dashboard's pure helpers (no streamlit): per-patient agreement, the patient index, exports."""

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.explain.base import Explanation
from risklens.patients.agreement import badge, patient_agreement, ranks, seed_stability
from risklens.cohorts.subgroups import subgroup_labels
from risklens.cohorts.upload import guess_columns
from risklens.patients.index import build_patient_index, patient_view


def test_agreement_of_identical_and_reversed_vectors():
    a = np.array([0.5, -0.3, 0.2, 0.1, 0.0])
    same = patient_agreement(a, a, k=3)
    assert same["top1_same"] and same["topk_overlap"] == 1.0 and same["sign_agreement"] == 1.0
    assert same["rank_correlation"] == pytest.approx(1.0)
    flipped = patient_agreement(a, -a, k=3)
    assert flipped["topk_overlap"] == 1.0 and flipped["sign_agreement"] == 0.0
    other = patient_agreement(a, np.array([0.0, 0.1, 0.2, 0.3, 0.5]), k=2)
    assert not other["top1_same"] and other["topk_overlap"] == 0.0
    assert list(ranks(a)) == [1, 2, 3, 4, 5]


def test_seed_stability_is_mean_pairwise_overlap():
    r1 = np.array([3.0, 2.0, 1.0, 0.0])
    r2 = np.array([3.0, 0.0, 1.0, 2.0])  # top-2 {0, 3} vs {0, 1}: overlap 1/2
    assert seed_stability([r1, r1], k=2) == 1.0
    assert seed_stability([r1, r2], k=2) == 0.5
    assert np.isnan(seed_stability([r1], k=2))



def test_patient_agreement_matches_the_study_metrics():
    from risklens.metrics import consistency as C

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=8), rng.normal(size=8)
    got = patient_agreement(a, b, k=3)
    assert got["topk_overlap"] == C.feature_agreement(a, b, 3)
    assert got["rank_correlation"] == C.rank_correlation(a, b)
    assert got["top1_a"] == int(np.argmax(np.abs(a))) and got["top1_b"] == int(np.argmax(np.abs(b)))
    # ties get average ranks (the study's Spearman): one tie among four features -> 3 / sqrt(10)
    tied = patient_agreement(np.array([0.5, 0.0, 0.0, 0.2]), np.array([0.5, 0.1, 0.0, 0.2]), k=3)
    assert tied["rank_correlation"] == pytest.approx(3 / np.sqrt(10))
    # shared top-2 = {0}: one shared feature, opposite sign -> 0; nothing shared -> NaN
    part = patient_agreement(np.array([1.0, 0.9, 0.0]), np.array([-1.0, 0.0, 0.9]), k=2)
    assert part["topk_overlap"] == 0.5 and part["sign_agreement"] == 0.0
    assert np.isnan(patient_agreement(np.array([1.0, 0.0]), np.array([0.0, 1.0]), k=1)["sign_agreement"])
    with pytest.raises(ValueError, match="same length"):
        patient_agreement(np.ones(3), np.ones(4))


def test_seed_stability_averages_all_seed_pairs():
    r1, r2, r3 = np.array([3.0, 2.0, 1.0, 0.0]), np.array([3.0, 0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0, 3.0])
    # top-2 sets {0,1}, {0,3}, {3,2}: pair overlaps 1/2, 0, 1/2 -> mean 1/3
    assert seed_stability([r1, r2, r3], k=2) == pytest.approx(1 / 3)
    assert seed_stability([r1, -r1], k=4) == 1.0  # sets only, signs ignored

def test_badge_colours():
    a = np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    assert badge(patient_agreement(a, a, k=5), 1.0)[0] == "green"
    assert badge(patient_agreement(a, a, k=5), 0.2)[0] == "red"
    assert badge(patient_agreement(a, a[::-1].copy(), k=2))[0] == "red"


D = FeatureDictionary([
    FeatureInfo("rr", "Respiratory rate", unit="/min", normal_low=12, normal_high=20, group="resp_rate", kind="vital sign"),
    FeatureInfo("age", "Age", unit="years", kind="demographic"),
])


def _index():
    ids = np.array(["a", "b", "c", "d"], dtype=object)
    X = pd.DataFrame({"rr": [30.0, 14.0, 22.0, 16.0], "age": [80.0, 40.0, 65.0, 50.0]}, index=ids)
    values = np.array([[1.0, 0.2], [-0.5, 0.1], [0.4, 0.6], [0.0, -0.1]])
    expl = Explanation(values=values, base_values=-2.0, data=X.to_numpy(), feature_names=["rr", "age"],
                       method="shap", model_id="m", output="log-odds", ids=ids)
    return build_patient_index(ids, [0.9, 0.05, 0.4, 0.1], [1, 0, 1, 0], ["resp_rate", "", "", ""], X, expl)


def test_worklist_sorts_by_risk_and_filters():
    idx = _index()
    assert list(idx.worklist(0.3)["id"]) == ["a", "c", "d", "b"]
    assert list(idx.worklist(0.3, above_only=True)["id"]) == ["a", "c"]
    assert list(idx.worklist(0.3, outcome="no event")["id"]) == ["d", "b"]
    assert list(idx.worklist(0.3, trigger="resp_rate")["id"]) == ["a"]
    assert list(idx.worklist(0.3, search="C")["id"]) == ["c"]
    assert idx.percentile(0.4) == 50.0


def test_patient_view_reads_the_stored_row():
    idx = _index()
    v = patient_view(idx, "a", 0.3, D, other=np.array([0.8, -0.1]), other_output="probability", other_method="lime",
                     other_seeds=[np.array([0.8, -0.1]), np.array([0.7, 0.2])], k=1)
    assert v.risk == 0.9 and v.level == "high" and v.trigger_label == "Respiratory rate"
    assert list(v.attributions) == [1.0, 0.2]
    assert v.agreement["top1_same"] and v.stability == 1.0
    assert v.summary.startswith("Risk is high (90%, alert threshold 30%) mainly because Respiratory rate was 30 /min")
    with pytest.raises(ValueError, match="no held-out patient"):
        patient_view(idx, "zz", 0.3, D)


def test_column_guesses_and_subgroups():
    frame = pd.DataFrame({"id": [1, 2], "patient_id": [1, 1], "x": [0.1, 0.2], "outcome": [0, 1], "trigger": ["", "spo2"]})
    assert guess_columns(frame) == {"outcome": "outcome", "id": "id", "group": "patient_id", "trigger": "trigger",
                                   "time": None}

    class C:  # the few Cohort attributes subgroup_labels reads
        X = pd.DataFrame({"age": [45.0, 70.0, 85.0, np.nan]})
        y = np.array([0, 1, 0, 1])
        trigger = None
        dictionary = D

    assert list(subgroup_labels(C, np.arange(4), "age band")) == [
        "age < 50 (n=1)", "age 65-79 (n=1)", "age 80+ (n=1)", "age unknown (n=1)"]
    assert list(subgroup_labels(C, np.arange(4), "outcome")) == ["no event (n=2)", "event (n=2)", "no event (n=2)",
                                                                "event (n=2)"]


def test_subgroups_keep_their_natural_order():
    from risklens.cohorts.subgroups import subgroup_split

    class C:
        X = pd.DataFrame({"age": [85.0, 45.0, np.nan, 70.0]})
        y = np.array([0, 1, 0, 1])
        trigger = None
        dictionary = D

    assert subgroup_split(C, np.arange(4), "age band")[1] == [
        "age < 50 (n=1)", "age 65-79 (n=1)", "age 80+ (n=1)", "age unknown (n=1)"]


# ---- risk waterfall, LIME bins, partial dependence on a real small model -------------------------
@pytest.fixture(scope="module")
def small_model():
    from risklens.cohorts import load_builtin
    from risklens.modeling import train_model

    cohort = load_builtin("ward", n=1500, seed=2)
    return cohort, train_model(cohort, "xgboost", seed=0)


def test_waterfall_goes_from_the_shap_base_risk_to_the_models_risk_exactly(small_model):
    from risklens.explain import explain
    from risklens.patients.waterfall import risk_waterfall, sigmoid

    cohort, model = small_model
    X = cohort.X.iloc[:5][model.feature_names]
    expl = explain(model, X, "shap")
    risk = model.predict_proba(X)
    for i in range(5):
        wf = risk_waterfall(expl.base_values[i], expl.values[i], expl.data[i], expl.feature_names, cohort.dictionary, top=6)
        assert wf.risk == pytest.approx(risk[i], abs=1e-6)  # SHAP is exact: base + contributions = margin
        assert wf.base_risk == pytest.approx(float(sigmoid(expl.base_values[i])))
        assert wf.total_pp == pytest.approx(100 * (wf.risk - wf.base_risk), abs=1e-9)
        assert wf.steps_all.sum() == pytest.approx(100 * (wf.risk - wf.base_risk), abs=1e-9)
        assert len(wf.frame) == 7 and wf.frame["label"].iloc[-1].endswith("other features")


def test_waterfall_steps_follow_the_sigmoid_in_order_of_contribution():
    from risklens.patients.waterfall import risk_waterfall, sigmoid

    wf = risk_waterfall(-1.0, [0.5, -2.0, 1.0], [1, 2, 3], ["a", "b", "c"], None, top=3)
    # order by |contribution|: b (-2), c (+1), a (+0.5)
    s = [-1.0, -3.0, -2.0, -1.5]
    expect = 100 * np.diff(sigmoid(np.array(s)))
    assert np.allclose(wf.frame["step_pp"], expect)
    assert list(wf.frame["feature"]) == ["b", "c", "a"]
    p = risk_waterfall(0.1, [0.02, -0.05], [1, 2], ["a", "b"], None, output="probability")
    assert np.allclose(p.frame["step_pp"], [-5.0, 2.0]) and p.risk == pytest.approx(0.07)


def test_lime_bin_is_the_quartile_lime_uses_and_the_note_names_it():
    from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
    from risklens.patients.lime_bins import disagreement_note, lime_bin

    d = FeatureDictionary([FeatureInfo("slope", "Slope of AVPU score", unit="levels/h"),
                           FeatureInfo("rr", "Max respiratory rate", unit="/min", normal_low=12, normal_high=20)])
    bg = pd.DataFrame({"slope": [0.0] * 90 + [0.5] * 10, "rr": np.linspace(10, 40, 100)})
    b = lime_bin("slope", 0.0, bg, d)
    assert b.text == "0 levels/h or less" and b.share == pytest.approx(0.9) and b.n_bins == 2
    assert lime_bin("rr", 39.0, bg, d).text.startswith("above ")
    note = disagreement_note(["slope", "rr"], [0.0, 32.0], [0.1, 0.9], [0.3, 0.05], bg, d)
    assert "Slope of AVPU score being 0 levels/h or less" in note and "90%" in note and "Max respiratory rate" in note
    assert disagreement_note(["slope", "rr"], [0.0, 32.0], [0.1, 0.9], [0.1, 0.5], bg, d) == ""


def test_partial_dependence_matches_the_model_on_edited_rows(small_model):
    from risklens.patients.pdp import partial_dependence_curves

    cohort, model = small_model
    c = partial_dependence_curves(model, cohort.X, "rr_max", n_rows=40, grid_resolution=6)
    rows = cohort.X[model.feature_names]
    rows = rows[rows["rr_max"].notna()]
    sample = rows.iloc[np.sort(np.random.default_rng(0).choice(len(rows), size=40, replace=False))].copy()
    sample["rr_max"] = c["grid"][2]
    assert np.allclose(c["individual"][:, 2], model.predict_proba(sample), atol=1e-6)
    assert np.allclose(c["individual"].mean(axis=0), c["average"])


def test_group_labels_come_from_the_dictionary():
    from risklens.cohorts.ward import ward_dictionary

    d = ward_dictionary()
    assert d.group_label("resp_rate") == "Respiratory rate"
    assert d.group_label("blood_pressure") == "Blood pressure"
    assert d.group_label("spo2") == "SpO2"
    assert not any(lab.lower().startswith("mean mean") for lab in d.labels(d))
