"""Concept-level (group Shapley) attributions against brute-force enumeration of coalitions of concepts.

Facts checked: group TreeSHAP equals the path-dependent group Shapley values enumerated over every coalition
of concepts (and is not the sum of feature values when concepts interact); for the linear model the group
Shapley value of the interventional game equals the sum of linear SHAP values; on the MLP the permutation
estimate is within its standard errors and 5% of the exact interventional group values over the whole
background; efficiency (concept values + base == margin) for every SHAP family; the concepts come from the
dictionary (an edited group changes the players); the store returns the same concept explanation on a
second call and keeps the concept names.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from risklens.cohorts.dictionary import FeatureDictionary, FeatureInfo
from risklens.explain import ExplanationStore, explain
from risklens.explain.concepts import (cached_explain_concepts, concept_gap, concept_labels, concepts_of,
                                       explain_concepts, is_concept_explanation, sum_to_concepts)
from risklens.explain.mlp_forward import MLPForward
from test_explain_fixtures import FEATURES, cohort, model

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

GROUPS = {"age": "demo", "sex": "demo", "hr_mean": "cardio", "hr_max": "cardio", "sbp_min": "cardio",
          "rr_mean": "resp", "spo2_min": "resp", "o2_flow_max": "resp", "temp_mean": "other", "avpu_max": "other",
          "n_obs_sets": "other", "los_days": "other"}


def dictionary(groups=GROUPS) -> FeatureDictionary:
    return FeatureDictionary(FeatureInfo(name=f, label=f, group=groups[f]) for f in FEATURES)


def shapley_by_enumeration(value, G: int) -> np.ndarray:
    """Shapley values of the game ``value(frozenset of players)`` over G players, by the formula."""
    v = {S: value(frozenset(S)) for r in range(G + 1) for S in itertools.combinations(range(G), r)}
    phi = np.zeros(G)
    for i in range(G):
        for S, vs in v.items():
            if i in S:
                continue
            w = math.factorial(len(S)) * math.factorial(G - len(S) - 1) / math.factorial(G)
            phi[i] += w * (v[tuple(sorted(S + (i,)))] - vs)
    return phi


def path_dependent_value(trees, x, in_coalition) -> float:
    """TreeSHAP's value function: features of the coalition follow x, the others split by cover."""
    total = 0.0
    for t in trees:
        L, R, f, th = t["left_children"], t["right_children"], t["split_indices"], t["split_conditions"]
        cover, dl = t["sum_hessian"], t["default_left"]

        def rec(n):
            if L[n] == -1:
                return th[n]
            j = f[n]
            if in_coalition(j):
                v = np.float32(x[j])
                left = bool(dl[n]) if np.isnan(v) else bool(v < np.float32(th[n]))
                return rec(L[n] if left else R[n])
            return (cover[L[n]] * rec(L[n]) + cover[R[n]] * rec(R[n])) / cover[n]

        total += rec(0)
    return total


def test_concepts_come_from_the_dictionary_groups():
    c = concepts_of(FEATURES, dictionary())
    assert c.names == ("demo", "cardio", "resp", "other")
    assert c.members["resp"] == ["rr_mean", "spo2_min", "o2_flow_max"]
    edited = dict(GROUPS, sex="sex")  # the Data page's editor moves sex into its own group
    c2 = concepts_of(FEATURES, dictionary(edited))
    assert "sex" in c2.names and c2.members["demo"] == ["age"]


def test_group_treeshap_equals_enumeration_and_is_efficient():
    m = model("xgboost")
    X, _ = cohort()
    rows = X.iloc[:6]
    d = dictionary()
    expl = explain_concepts(m, rows, "shap", d)
    c = concepts_of(FEATURES, d)
    assert is_concept_explanation(expl) and expl.feature_names == list(c.names)
    trees = json.loads(bytes(m.booster.save_raw("json")))["learner"]["gradient_booster"]["model"]["trees"]
    M = rows[FEATURES].to_numpy()
    for i in range(len(rows)):
        ref = shapley_by_enumeration(
            lambda S: path_dependent_value(trees, M[i], lambda j: c.index[j] in S), len(c.names))
        np.testing.assert_allclose(expl.values[i], ref, atol=2e-5)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, m.predict_margin(M), atol=1e-5)
    summed = sum_to_concepts(explain(m, rows, "shap"), c)
    np.testing.assert_allclose(summed.base_values, expl.base_values, atol=1e-9)  # the same value function
    assert concept_gap(expl, summed).max() > 1e-4  # interactions across concepts: the sum is not the group value


def test_linear_group_shapley_is_the_sum_of_feature_values():
    m = model("l1-logistic")
    X, _ = cohort()
    rows = X.iloc[:5]
    d = dictionary()
    c = concepts_of(FEATURES, d)
    expl = explain_concepts(m, rows, "shap", d)
    coef, intercept = m.linear_coef
    Z = m.preprocess(rows[FEATURES].to_numpy())
    for i in range(len(rows)):  # interventional game with the training mean: v(S) = b + sum_{j in S} coef_j z_j
        ref = shapley_by_enumeration(
            lambda S: intercept + sum(coef[j] * Z[i, j] for j in range(len(FEATURES)) if c.index[j] in S), 4)
        np.testing.assert_allclose(expl.values[i], ref, atol=1e-10)
    np.testing.assert_allclose(expl.values, sum_to_concepts(explain(m, rows, "shap"), c).values, atol=1e-12)
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, m.predict_margin(rows[FEATURES].to_numpy()),
                               atol=1e-9)


def test_mlp_group_estimate_matches_exact_interventional_values():
    m = model("mlp")
    X, _ = cohort()
    B = X.iloc[200:360]
    rows = X.iloc[:4]
    d = dictionary()
    c = concepts_of(FEATURES, d)
    expl = explain_concepts(m, rows, "shap", d, background=B, seed=3, tolerance=0.01, max_rounds=60)
    assert expl.stderr is not None and expl.stderr.shape == (4, 4) and np.isfinite(expl.stderr).all()
    net = MLPForward(m)
    Bm = B[FEATURES].to_numpy()
    M = rows[FEATURES].to_numpy()
    idx = np.asarray(c.index)
    for i in range(len(rows)):
        def value(S):
            on = np.isin(idx, list(S))
            return float(net.margin(np.where(on[None, :], M[i][None, :], Bm)).mean())

        ref = shapley_by_enumeration(value, 4)
        err = np.abs(expl.values[i] - ref)
        assert err.sum() / np.abs(ref).sum() < 0.05
        assert (err <= 4 * expl.stderr[i] + 1e-6).all()  # the standard errors are honest
    np.testing.assert_allclose(expl.values.sum(1) + expl.base_values, m.predict_margin(M), atol=1e-6)
    again = explain_concepts(m, rows, "shap", d, background=B, seed=3, tolerance=0.01, max_rounds=60)
    np.testing.assert_array_equal(again.values, expl.values)  # seeded


@pytest.mark.parametrize("method,family", [("lime", "xgboost"), ("coef", "l1-logistic"), ("dtd", "mlp")])
def test_non_shapley_methods_sum_their_feature_values(method, family):
    m = model(family)
    X, _ = cohort()
    rows = X.iloc[:30]
    d = dictionary()
    params = {"num_samples": 500} if method == "lime" else {}
    expl = explain_concepts(m, rows, method, d, seed=1, **params)
    feat = explain(m, rows, method, seed=1, **params)
    np.testing.assert_allclose(expl.values, feat.values @ concepts_of(FEATURES, d).matrix(), atol=1e-12)
    assert expl.params["concept_algorithm"] == "sum"


def test_store_keeps_concept_explanations_and_their_names(tmp_path):
    m = model("xgboost")
    X, _ = cohort()
    rows = X.iloc[:10]
    store = ExplanationStore(tmp_path)
    d = dictionary()
    first = cached_explain_concepts(m, rows, "shap", d, store=store)
    second = cached_explain_concepts(m, rows, "shap", d, store=store)
    assert second.allclose(first) and second.feature_names == ["demo", "cardio", "resp", "other"]
    assert concept_labels(second) == ["Demo", "Cardio", "Resp", "Other"]  # the dictionary's group labels
    assert is_concept_explanation(second)
    other = cached_explain_concepts(m, rows, "shap", dictionary(dict(GROUPS, sex="sex")), store=store)
    assert len(other.feature_names) == 5  # edited groups: other players, another stored entry
    assert len(store.entries()) == 2


def test_cli_explain_concepts_writes_one_column_per_concept(tmp_path, capsys):
    import pandas as pd

    from risklens.cli import main
    from risklens.modeling import load_model, save_model

    save_model(model("xgboost"), tmp_path / "xgb")
    X, _ = cohort()
    X.iloc[:40].reset_index().to_csv(tmp_path / "rows.csv", index=False)
    dictionary().to_frame().to_csv(tmp_path / "dict.csv", index=False)
    out = tmp_path / "concepts.csv"
    assert main(["explain", "--model", str(tmp_path / "xgb"), "--data", str(tmp_path / "rows.csv"), "--method", "shap",
                 "--concepts", "--dictionary", str(tmp_path / "dict.csv"), "--rows", "8", "--out", str(out)]) == 0
    frame = pd.read_csv(out)
    concepts = ["demo", "cardio", "resp", "other"]
    assert [c for c in frame.columns if c in concepts] == concepts and not set(FEATURES) & set(frame.columns)
    m = load_model(tmp_path / "xgb")
    np.testing.assert_allclose(frame[concepts].sum(axis=1) + frame["base_value"], m.predict_margin(X.iloc[:8]), atol=1e-5)
    meta = json.loads((tmp_path / "concepts.csv.json").read_text())
    assert meta["params"]["concept_algorithm"] == "group-tree-exact" and meta["params"]["concepts"]["resp"] == [
        "rr_mean", "spo2_min", "o2_flow_max"]
    # without a dictionary: the ward dictionary knows these columns (vital signs grouped, age on its own)
    out2 = tmp_path / "default.csv"
    assert main(["explain", "--model", str(tmp_path / "xgb"), "--data", str(tmp_path / "rows.csv"), "--method", "shap",
                 "--concepts", "--rows", "3", "--out", str(out2)]) == 0
    cols = set(pd.read_csv(out2).columns)
    assert {"heart_rate", "resp_rate", "age", "sex"} <= cols and "hr_mean" not in cols
    capsys.readouterr()
    assert main(["explain", "--model", str(tmp_path / "xgb"), "--data", str(tmp_path / "rows.csv"), "--method", "shap",
                 "--concepts", "--dictionary", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "x.csv")]) != 0
    assert "is not a file" in capsys.readouterr().err


def test_concept_waterfall_adds_up_and_expanded_features_end_at_their_concept():
    from risklens.explain.concepts import concept_dictionary
    from risklens.patients.concept_waterfall import MIN_SHARED_PP, concept_waterfall
    from risklens.patients.waterfall import sigmoid

    m = model("xgboost")
    X, _ = cohort()
    rows = X.iloc[[7]]
    d = dictionary()
    group = explain_concepts(m, rows, "shap", d)
    feat = explain(m, rows, "shap")
    cd = concept_dictionary(d, concepts_of(FEATURES, d))
    wf, frame = concept_waterfall(group, feat, cd, d, expanded=["resp", "cardio"])
    top = frame[frame["level"] == 0]
    assert abs(top["step_pp"].sum() - 100 * (sigmoid(m.predict_margin(rows.to_numpy())[0]) - wf.base_risk)) < 1e-5
    for concept in ("resp", "cardio"):
        sub = frame[(frame["level"] == 1) & (frame["concept"] == concept)]
        bar = top[top["concept"] == concept].iloc[0]
        assert abs(sub["start_pp"].iloc[0] - bar["start_pp"]) < 1e-12
        # the features (+ the shared step, drawn when at least MIN_SHARED_PP) span the bar
        assert abs(sub["end_pp"].iloc[-1] - bar["end_pp"]) < MIN_SHARED_PP
        assert len(sub[~sub["key"].str.endswith("__shared__")]) == len(concepts_of(FEATURES, d).members[concept])


def test_stay_timeline_changes_add_up_to_the_change_of_risk():
    from risklens.patients.stay import stay_timeline
    from risklens.patients.waterfall import sigmoid

    m = model("xgboost")
    X, _ = cohort()
    rows = X.iloc[10:15]
    d = dictionary()
    group = explain_concepts(m, rows, "shap", d)
    risk = sigmoid(m.predict_margin(rows.to_numpy()))
    hours = [30.0, 34.0, 38.0, 42.0, 46.0]
    tl = stay_timeline("S1", list(rows.index)[::-1], hours[::-1], risk[::-1], np.array([0, 0, 0, 0, 1])[::-1], group,
                       threshold=float(np.median(risk)), event_hour=47.0)
    assert list(tl.frame["id"]) == list(rows.index)  # time order
    assert list(tl.frame["alert"]) == list(risk >= np.median(risk))
    for k in range(1, 5):
        ch = tl.changes(rows.index[k])
        assert abs(ch.sum() - 100 * (risk[k] - risk[k - 1])) < 1e-4  # concept changes add up to the risk change
        assert abs(ch.iloc[0]) == ch.abs().max()
    assert tl.changes(rows.index[0]).empty
    top = [group.feature_names[j] for j in np.argmax(np.abs(group.values), axis=1)]
    assert list(tl.frame["top_concept"]) == top
    assert tl.first_alert_hour == hours[int(np.argmax(risk >= np.median(risk)))]


def test_risk_steps_are_the_waterfalls_steps():
    from risklens.patients.waterfall import risk_steps, risk_waterfall

    rng = np.random.default_rng(1)
    for output in ("log-odds", "probability"):
        v = rng.normal(0, 0.5, 9)
        wf = risk_waterfall(-1.2, v, np.zeros(9), [f"f{j}" for j in range(9)], None, output=output, top=3)
        np.testing.assert_allclose(risk_steps(-1.2, v, output), wf.steps_all, atol=1e-12)
