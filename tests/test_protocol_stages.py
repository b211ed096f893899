"""The staged protocol (risklens.study): seed plan, settings, method registry, and each stage alone."""

import numpy as np
import pytest

from risklens.cohorts import load_builtin
from risklens.explain import explain, method
from risklens.study import EvaluationError, ExplainerKey, ProtocolSettings, SeedPlan, resolve_methods
from risklens.study.agree import agree_stage
from risklens.study.concordance import concordance_stage
from risklens.study.explain import explain_stage
from risklens.study.noise import noise_stage, share
from risklens.study.rows import is_capped, select_patients, train_stage

KEYS = [ExplainerKey("l1-logistic", "coef"), ExplainerKey("xgboost", "shap"), ExplainerKey("l1-logistic", "lime")]
SETTINGS = ProtocolSettings(families=("l1-logistic", "xgboost"), methods=tuple(str(k) for k in KEYS), runs=2,
                            max_patients=10, max_cohort=300, budgets={"lime": {"num_samples": 60}},
                            model_params={"xgboost": {"n_estimators": 30}}, stability_repeats=2, stability_patients=5,
                            noise_seeds=3, seed=4)


def test_seed_plan_streams_are_named_independent_and_recorded():
    plan = SeedPlan(7)
    assert plan.split == SeedPlan(7).split and plan.split != SeedPlan(8).split
    seeds = [plan.split, plan.background, plan.rows, plan.cohort_rows, plan.faithfulness, plan.rashomon,
             plan.simulator, plan.model(1), plan.model(2), plan.explainer(1), plan.explainer(2), plan.stability(1),
             plan.noise(2)]
    assert len(set(seeds)) == len(seeds)  # no two streams share a seed
    assert plan.noise(1) == plan.explainer(1)  # repeat 1 of the noise floor is the run-1 explanation
    prov = plan.provenance(runs=2, stability_repeats=2, noise_seeds=3)
    for name in ("seed", "simulator", "split", "background", "rows", "cohort rows", "faithfulness", "rashomon",
                 "model run 1", "model run 2", "explainer run 1", "explainer run 2", "stability repeat 1",
                 "stability repeat 2", "noise-floor repeat 1", "noise-floor repeat 3"):
        assert name in prov, name
    assert all(0 <= v < 2**31 for v in prov.values())
    with pytest.raises(KeyError):
        plan.stream("nope")


def test_settings_round_trip_budgets_and_errors():
    s = ProtocolSettings.from_dict(SETTINGS.to_dict())
    assert s == SETTINGS and s.to_json() == SETTINGS.to_json() and hash(s) == hash(SETTINGS)
    assert s.budget("l1-logistic", "lime") == {"num_samples": 60}  # override
    assert ProtocolSettings().budget("mlp", "shap") == method("shap").defaults  # registry default
    assert s.budget("xgboost", "shap") == {}  # exact: no budget
    assert s.ks == (1, 3, 5, 10)
    with pytest.raises(EvaluationError, match="runs must be at least 1"):
        ProtocolSettings(runs=0)
    with pytest.raises(EvaluationError, match="unknown protocol setting"):
        ProtocolSettings.from_dict({"patients": 3})


def test_method_registry_knows_cost_short_names_and_determinism():
    assert method("shap").deterministic_for("xgboost") and method("shap").deterministic_for("l1-logistic")
    assert not method("shap").deterministic_for("mlp") and not method("lime").deterministic_for("xgboost")
    assert method("coef").deterministic_for("l1-logistic") and method("dtd").deterministic_for("mlp")
    assert (method("shap").cost_for("mlp"), method("shap").cost_for("xgboost")) == ("slow", "fast")
    assert method("dtd").short == "DTD" and ExplainerKey("xgboost", "shap").label == "XGBoost · SHAP"
    assert is_capped(ExplainerKey("mlp", "shap")) and not is_capped(ExplainerKey("mlp", "dtd"))
    assert resolve_methods(["l1-logistic", "mlp", "xgboost"], ()) == [
        ExplainerKey("l1-logistic", "coef"), ExplainerKey("l1-logistic", "lime"), ExplainerKey("l1-logistic", "lime-local"),
        ExplainerKey("mlp", "shap"), ExplainerKey("mlp", "dtd"), ExplainerKey("mlp", "lime"),
        ExplainerKey("xgboost", "shap"), ExplainerKey("xgboost", "lime")]
    with pytest.raises(EvaluationError, match="does not apply"):
        resolve_methods(["xgboost"], ["xgboost/coef"])


def test_top_k_is_one_helper():
    from risklens.explain.base import Explanation
    from risklens.metrics.consistency import top_k

    v = np.array([[0.1, -3.0, 2.0, 2.0]])
    e = Explanation(values=v, base_values=0.0, data=np.zeros_like(v), feature_names=list("abcd"), method="shap",
                    model_id="m", output="log-odds")
    assert top_k(v[0], 3).tolist() == [1, 2, 3] and e.top_k(3).tolist() == [[1, 2, 3]]


def test_share_known_answers():
    assert share(0.9, 0.8) == pytest.approx(0.5)
    assert share(0.5, 0.8) == 1.0 and share(1.0, 0.8) == 0.0  # clipped
    assert share(1.0, 1.0) is None and share(None, 0.5) is None


@pytest.fixture(scope="module")
def staged():
    cohort = load_builtin("ward", n=1200, seed=1)
    plan = SeedPlan(SETTINGS.seed)
    trained = train_stage(cohort, list(SETTINGS.families), SETTINGS, plan)
    rows = select_patients(cohort, trained, KEYS, SETTINGS, plan)
    exp = explain_stage(cohort, trained, rows, KEYS, SETTINGS, plan)
    agreement = agree_stage(cohort, KEYS, exp, SETTINGS)
    return cohort, plan, trained, rows, exp, agreement


def test_train_and_rows(staged):
    cohort, plan, trained, rows, exp, _ = staged
    assert [m.seed for m in trained.models["xgboost"]] == [plan.model(1), plan.model(2)]
    assert not set(trained.train_pos) & set(trained.test_pos)
    held_out = set(cohort.ids[trained.test_pos])
    X_test = cohort.X.iloc[trained.test_pos]
    for fam, ids in rows.family_patients.items():  # each model's own correctly predicted positives
        assert set(ids) <= held_out and (cohort.y[cohort.X.index.get_indexer(ids)] == 1).all()
        m = trained.models[fam][0]
        flagged = X_test.index[(cohort.y[trained.test_pos] == 1) & (m.predict_proba(X_test) >= m.threshold)]
        assert list(ids) == list(flagged)
    assert list(rows.common) == [i for i in rows.family_patients["xgboost"] if i in set(rows.family_patients["l1-logistic"])]
    lime, coef = KEYS[2], KEYS[0]
    assert len(rows.patient_rows[lime]) <= 10 and set(rows.patient_rows[lime]) <= set(rows.patient_rows[coef])
    assert list(rows.patient_rows[KEYS[1]]) == list(rows.family_patients["xgboost"])
    assert len(rows.background) == min(SETTINGS.background_rows, len(trained.train_pos))
    assert set(rows.background.index) <= set(cohort.ids[trained.train_pos])


def test_explain_and_agree(staged):
    cohort, plan, trained, rows, exp, agreement = staged
    assert all(len(exp.patients[k]) == 2 for k in KEYS)
    assert exp.params[KEYS[2]] == {"num_samples": 60} and exp.params[KEYS[1]] == {}
    assert exp.patients[KEYS[2]][0].params["seed"] == plan.explainer(1)
    t1 = [t for t in agreement.table1 if t.explainer == KEYS[1]]
    assert [t.rank for t in t1] == [1, 2, 3, 4, 5]
    pair = next(p for p in agreement.method_agreement if {p.a, p.b} == {KEYS[0], KEYS[2]} and p.k == 5)
    assert 0 <= pair.FA <= 1
    trig, mech, notes = concordance_stage(cohort, KEYS, exp, SETTINGS)
    assert [t.explainer for t in trig] == KEYS and all(0 <= t.kept <= 1 for t in trig)


def test_noise_floor_is_one_for_deterministic_and_below_one_for_lime(staged):
    cohort, plan, trained, rows, exp, agreement = staged
    stab, floors = noise_stage(cohort, KEYS, trained, exp, rows, agreement, SETTINGS, plan)
    by = {f.explainer: f for f in floors}
    for key in KEYS[:2]:  # coefficients and TreeSHAP
        f = by[key]
        assert f.deterministic and (f.FA, f.CR, f.sign) == (1.0, 1.0, 1.0)
        X = cohort.X.loc[rows.patient_rows[key][:5]]
        model = trained.models[key.family][0]
        # the fact behind "1.0 by construction": another seed gives the very same values
        assert np.array_equal(explain(model, X, key.method, seed=1).values, explain(model, X, key.method, seed=2).values)
    lime = by[KEYS[2]]
    assert not lime.deterministic and lime.seeds == 3
    assert min(lime.FA, lime.CR) < 1.0  # 60 samples per patient: LIME is noisy
    assert "dominate" in lime.verdict
    assert [s.explainer for s in stab] == [KEYS[2]] and len(stab[0].patient_jaccard) == 5


def test_mechanism_stage_matches_trigger_concordance_when_the_process_is_the_trigger(staged):
    import pandas as pd

    from risklens.cohorts.base import Cohort

    cohort, plan, trained, rows, exp, _ = staged
    trig = pd.Series(cohort.trigger, index=cohort.X.index)
    mech = pd.DataFrame({"process": trig, "groups": trig, "first_group": trig})
    c2 = Cohort(cohort.name, cohort.X, cohort.y, cohort.dictionary, cohort.groups, cohort.trigger, mechanism=mech)
    trig_recs, mech_recs, notes = concordance_stage(c2, KEYS, exp, SETTINGS)
    for t, m in zip(trig_recs, mech_recs):
        assert m.explainer == t.explainer and m.n == t.n
        assert m.top1_process == pytest.approx(t.kept) and m.top1_first == pytest.approx(t.kept)
        assert m.non_clinical_top1 == pytest.approx(t.non_clinical_share)
        assert m.topk_process == pytest.approx(t.topk_hit["5"])
