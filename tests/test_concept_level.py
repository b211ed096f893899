"""The protocol's concept level (risklens.study.concept_level): Table 1 and trigger concordance by concept.

Facts checked on a small ward cohort: concept Table 1 names dictionary groups ranked by mean |concept value|
(recomputed by hand from group TreeSHAP and from summed coefficients); concept concordance equals the share of
judged patients whose top concept is their trigger's group (recomputed by hand); the report renders both levels
side by side and survives its JSON round trip.
"""

import numpy as np
import pytest

from risklens.cohorts import load_builtin
from risklens.explain.concepts import concepts_of
from risklens.explain.treeshap import group_tree_shap
from risklens.study import EvaluationReport, ExplainerKey, ProtocolSettings, SeedPlan, run_protocol
from risklens.study.concept_level import concept_stage
from risklens.study.explain import explain_stage
from risklens.study.report import to_html, to_markdown
from risklens.study.rows import select_patients, train_stage

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

KEYS = [ExplainerKey("l1-logistic", "coef"), ExplainerKey("xgboost", "shap")]
SETTINGS = ProtocolSettings(families=("l1-logistic", "xgboost"), methods=tuple(str(k) for k in KEYS), runs=2,
                            max_patients=40, max_cohort=300, model_params={"xgboost": {"n_estimators": 30}},
                            stability_repeats=2, stability_patients=5, noise_seeds=2, faithfulness_patients=5, seed=4)


@pytest.fixture(scope="module")
def staged():
    ward = load_builtin("ward", n=3000, seed=2)
    plan = SeedPlan(SETTINGS.seed)
    trained = train_stage(ward, list(SETTINGS.families), SETTINGS, plan)
    rows = select_patients(ward, trained, KEYS, SETTINGS, plan)
    exp = explain_stage(ward, trained, rows, KEYS, SETTINGS, plan)
    return ward, trained, rows, exp, concept_stage(ward, KEYS, trained, exp, rows, SETTINGS, plan)


def _by_hand(ward, key, trained, rows, exp, run):
    concepts = concepts_of(ward.features, ward.dictionary)
    if key.method == "coef":
        pats = exp.patients[key][run].values @ concepts.matrix()
        coh = exp.cohort[key][0].values @ concepts.matrix()
    else:
        booster = trained.models["xgboost"][run].booster
        pats = group_tree_shap(booster, ward.X.loc[rows.patient_rows[key]].to_numpy(), concepts.index)[0]
        coh = group_tree_shap(trained.models["xgboost"][0].booster, ward.X.loc[rows.cohort_rows[key]].to_numpy(),
                              concepts.index)[0]
    return concepts, pats, coh


def test_concept_table1_ranks_groups_by_mean_abs_concept_value(staged):
    ward, trained, rows, exp, (t1, conc, notes) = staged
    for key in KEYS:
        concepts, _, coh = _by_hand(ward, key, trained, rows, exp, 0)
        expected = [concepts.names[j] for j in np.argsort(-np.abs(coh).mean(0), kind="stable")[:5]]
        got = [t.feature for t in t1 if t.explainer == key]
        assert got == expected
        assert all(t.group == t.feature for t in t1 if t.explainer == key)
        labels = [t.label for t in t1 if t.explainer == key]
        assert all(lab == ward.dictionary.group_label(n) for lab, n in zip(labels, got))
    assert notes and "11 concepts" in notes[0]


def test_concept_concordance_is_the_share_whose_top_concept_is_the_trigger(staged):
    ward, trained, rows, exp, (t1, conc, notes) = staged
    for key in KEYS:
        rec = next(c for c in conc if c.explainer == key)
        per_run = []
        for run in range(SETTINGS.runs):
            concepts, pats, _ = _by_hand(ward, key, trained, rows, exp, run)
            trig = ward.trigger[ward.X.index.get_indexer(rows.patient_rows[key])]
            has = trig != ""
            top = np.asarray(concepts.names, dtype=object)[np.argmax(np.abs(pats), axis=1)]
            clinical = np.array([n not in ("los_days", "n_obs_sets") for n in top])
            per_run.append(float(((top == trig) & clinical)[has].mean()))
        assert rec.kept_per_run == pytest.approx(per_run, abs=1e-12)
        assert rec.kept == pytest.approx(np.mean(per_run), abs=1e-12)


def test_report_shows_both_levels():
    ward = load_builtin("ward", n=1500, seed=1)
    s = ProtocolSettings(families=("xgboost",), methods=("xgboost/shap",), runs=1, max_patients=20, max_cohort=200,
                         model_params={"xgboost": {"n_estimators": 20}}, stability_repeats=2, stability_patients=3,
                         noise_seeds=2, faithfulness_patients=3, seed=1)
    rep = run_protocol(ward, s)
    assert rep.concept_table1 and rep.concept_concordance
    again = EvaluationReport.from_json(rep.to_json())
    assert again.concept_table1 == rep.concept_table1 and again.concept_concordance == rep.concept_concordance
    html, md = to_html(rep), to_markdown(rep)
    assert "Table 1 by concept" in html and "Trigger concordance by concept" in md
    assert "XGBoost · SHAP concepts" in md
    assert rep.lead_time and rep.lead_time[0].basis == "independent windows" and "Lead time" in html
    assert again.lead_time == rep.lead_time
