"""Per-model patients: a model's explainers are measured on its own correctly predicted positives, so
adding or removing another family leaves its records byte-identical; comparisons use the patients
every compared model flags."""

import json

import numpy as np
import pytest

from risklens.cohorts import load_builtin
from risklens.study import ProtocolSettings, run_protocol
from risklens.study.report import to_html, to_markdown
from risklens.study.rows import sample_by_id
from risklens.study.views import patient_counts, patients_frame

METHODS = ("xgboost/shap", "xgboost/lime", "mlp/dtd", "l1-logistic/coef")
BASE = dict(methods=METHODS, runs=2, seed=0, max_patients=12, model_params={"xgboost": {"n_estimators": 40}},
            budgets={"lime": {"num_samples": 120}}, stability_patients=4, stability_repeats=2, noise_seeds=2,
            faithfulness_patients=10)
#: Per-explainer sections of the report (records carry ``explainer``) and per-family ones (``family``).
PER_EXPLAINER = ("explained", "table1", "concordance", "mechanism", "run_consistency", "noise_floor",
                 "sign_agreement", "lime_stability", "faithfulness")
PER_FAMILY = ("models", "conformal")


@pytest.fixture(scope="module")
def ward():
    return load_builtin("ward", n=2500, seed=3, preset="study")


@pytest.fixture(scope="module")
def reports(ward):
    three = run_protocol(ward, ProtocolSettings(families=("l1-logistic", "mlp", "xgboost"), **BASE))
    two = run_protocol(ward, ProtocolSettings(families=("mlp", "xgboost"),
                                              **{**BASE, "methods": METHODS[:3]}))
    return three, two


def family_json(rep, family: str) -> str:
    """The JSON of every record that belongs to ``family`` (per-explainer and per-family sections, and the
    pair records whose both sides are of families in ``keep``)."""
    data = rep.to_dict()
    out = {s: [r for r in data[s] if r["explainer"]["family"] == family] for s in PER_EXPLAINER}
    out.update({s: [r for r in data[s] if r["family"] == family] for s in PER_FAMILY})
    return json.dumps(out, sort_keys=True)


def pair_json(rep, families: set) -> str:
    data = rep.to_dict()
    out = {s: [r for r in data[s] if {r["a"]["family"], r["b"]["family"]} <= families]
           for s in ("method_agreement", "top_contributor", "cross_model")}
    return json.dumps(out, sort_keys=True)


@pytest.mark.slow
def test_adding_or_removing_a_family_leaves_another_familys_records_byte_identical(reports):
    three, two = reports
    for fam in ("xgboost", "mlp"):
        a, b = family_json(three, fam), family_json(two, fam)
        assert len(a) > 1000 and a == b, fam
    # comparisons between XGBoost and the NN use the patients both flag: the L1 model does not move them
    assert pair_json(three, {"xgboost", "mlp"}) == pair_json(two, {"xgboost", "mlp"})
    assert three.patients_per_family["xgboost"] == two.patients_per_family["xgboost"]


@pytest.mark.slow
def test_each_model_is_measured_on_its_own_flagged_patients_and_comparisons_on_the_common_ones(reports, ward):
    three, _ = reports
    per = three.patients_per_family
    assert set(per) == {"l1-logistic", "mlp", "xgboost"}
    # the L1 model flags fewer patients than XGBoost: the intersection is smaller than XGBoost's own set
    assert three.n_patients < per["xgboost"] and three.n_patients <= min(per.values())
    xgb_shap = three.record("concordance", three.explainers[0])
    assert xgb_shap.n == per["xgboost"]  # every flagged patient, not only those every model flags
    lime = three.record("explained", three.explainers[1])
    assert lime.capped and lime.patients == min(12, per["xgboost"])
    pair = next(p for p in three.method_agreement if {p.a.family, p.b.family} == {"xgboost", "l1-logistic"}
                and p.a.method == "shap" and p.k == 5 and p.level == "patient")
    assert pair.patients < per["xgboost"] and pair.patients <= per["l1-logistic"]
    same = next(p for p in three.method_agreement if p.a.family == p.b.family == "xgboost" and p.k == 5)
    assert same.patients == lime.patients  # XGBoost's two methods: its LIME sample, all flagged by XGBoost
    # both rules and both counts are shown: the report, the page's frame and the CLI summary read patient_counts
    c = patient_counts(three)
    assert c["per model"]["XGBoost"] == per["xgboost"] and c["every model"] == three.n_patients
    frame = patients_frame(three)
    assert frame["patients"].tolist() == [*c["per model"].values(), three.n_patients]
    for page in (to_html(three), to_markdown(three).replace("\\", "")):
        assert "patients analysed (per model)" in page and "patients compared (every model)" in page
        assert f"XGBoost {per['xgboost']}" in page and f"{three.n_patients} flagged by every model" in page


def test_samples_by_id_keep_a_patient_whatever_set_it_is_drawn_from():
    ids = np.array([f"W{i:05d}" for i in range(400)], dtype=object)
    big, small = ids, ids[::3]
    a, b = sample_by_id(big, 50, 7), sample_by_id(small, 50, 7)
    assert len(a) == len(b) == 50 and list(a) == sorted(a)
    assert set(a) & set(small) <= set(b)  # sampled from the big set and in the small one: in its sample too
    assert list(sample_by_id(small, 50, 7)) == list(b) and list(sample_by_id(small, 50, 8)) != list(b)
    assert sample_by_id(small, None, 7) is small
