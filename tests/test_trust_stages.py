"""The trust stages on a small ward cohort: sanity checks (a planted model-ignoring explainer fails), the random
control at chance, subgroups through fairlearn against hand-computed numbers, and the report round trip."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from risklens.cohorts import load_builtin
from risklens.explain import explain
from risklens.study import EvaluationError, EvaluationReport, ExplainerKey, ProtocolSettings, run_protocol
from risklens.study import trust_views as TV
from risklens.study.report import to_html, to_markdown
from risklens.modeling.randomised import permuted_label_model, randomised_mlp, randomised_models
from risklens.study.sanity import sanity_records
from risklens.study.subgroups import gaps, group_labels, model_frame, subgroup_columns
from risklens.study.types import SubgroupRecord

SETTINGS = ProtocolSettings(families=("l1-logistic", "mlp"), methods=("l1-logistic/coef", "mlp/dtd"), runs=2,
                            max_patients=10, max_cohort=300, stability_repeats=0, noise_seeds=0,
                            faithfulness_patients=15, trust_patients=12, subgroup_columns=("hr_mean",), seed=3)


@pytest.fixture(scope="module")
def cohort():
    return load_builtin("ward", n=1500, seed=2)


@pytest.fixture(scope="module")
def report(cohort):
    return run_protocol(cohort, SETTINGS)


def _model(cohort, family):
    from risklens.modeling import split_cohort, train_model

    split = split_cohort(cohort, 0.3, 0)
    return train_model(cohort, family, seed=1, split=split), split


def test_planted_explainer_fails_and_coefficients_pass_on_a_permuted_label_model(cohort):
    model, (train, _) = _model(cohort, "l1-logistic")
    X = cohort.X.iloc[:15]
    rand = permuted_label_model(model, cohort.X.iloc[train].to_numpy(float), cohort.y[train], seed=5)
    assert rand.predict_proba(X).std() < model.predict_proba(X).std()  # labels gone: the model says little
    key = ExplainerKey("l1-logistic", "coef")
    steps = [("labels permuted", rand)]
    real = explain(model, X, "coef").values
    Xv = np.nan_to_num(X.to_numpy(float))
    planted = lambda m: np.abs(Xv - Xv.mean(0))  # noqa: E731  -- a function of the data alone: ignores the model
    bad = sanity_records(key, planted(model), planted, "permuted labels", steps, 5)[0]
    good = sanity_records(key, real, lambda m: explain(m, X, "coef").values, "permuted labels", steps, 5)[0]
    assert bad.spearman == pytest.approx(1.0) and bad.top_k == 1.0 and bad.passed is False and bad.final
    assert good.spearman < 0.5 and good.passed is True


def test_cascading_randomisation_changes_the_top_layers_only_and_leaves_the_model_alone(cohort):
    model, (train, _) = _model(cohort, "mlp")
    before = model.predict_proba(cohort.X.iloc[:50])
    how, steps = randomised_models(model, cohort.X.iloc[train].to_numpy(float), cohort.y[train], seed=1)
    assert how == "cascading layers" and [s for s, _ in steps] == ["output layer", "top 2 layers", "all layers"]
    top = steps[0][1].mlp_layers
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(model.mlp_layers[:-1], top[:-1]))
    assert not np.array_equal(model.mlp_layers[-1][0], top[-1][0])
    assert np.array_equal(model.predict_proba(cohort.X.iloc[:50]), before)  # the real model is untouched
    again = randomised_mlp(model, 3, seed=1)
    assert np.array_equal(again.predict_proba(cohort.X.iloc[:5]), steps[2][1].predict_proba(cohort.X.iloc[:5]))


def test_protocol_trust_records(report, cohort):
    keys = {str(r.explainer) for r in report.sanity}
    assert keys == {"l1-logistic/coef", "mlp/dtd"}
    coef = [r for r in report.sanity if str(r.explainer) == "l1-logistic/coef"]
    assert len(coef) == 1 and coef[0].passed is True and coef[0].n == 12
    dtd = [r for r in report.sanity if str(r.explainer) == "mlp/dtd"]
    assert [r.final for r in dtd] == [False, False, True] and dtd[0].passed is None
    f = len(cohort.features)
    for c in report.chance:
        assert c.FA_expected == pytest.approx(SETTINGS.k / f) and c.n == 12
        assert abs(c.faithfulness_correlation) < 0.2  # a random explainer predicts nothing
    rob = {str(r.explainer): r for r in report.robustness}
    # coefficients of a linear model in its own log-odds space: the removal claim is exact up to the missing
    # cells (the model imputes the median, the baseline is the mean)
    assert rob["l1-logistic/coef"].faithfulness_correlation == pytest.approx(1.0, abs=1e-3)
    assert rob["l1-logistic/coef"].infidelity == pytest.approx(0.0, abs=1e-3)
    assert rob["mlp/dtd"].infidelity > 0.01
    from risklens.study.trust import SENSITIVITY_ROWS

    assert all(r.max_sensitivity is not None and r.n_sensitivity == SENSITIVITY_ROWS for r in report.robustness)
    comp = {str(r.explainer): r for r in report.complexity}
    assert 0 < comp["l1-logistic/coef"].gini < 1 and len(comp["mlp/dtd"].patient_gini) == 12
    assert {r.column for r in report.subgroups} == {"sex", "age", "hr_mean"}
    for e in report.explained:  # every analysed patient falls in exactly one group of each column
        for col in ("sex", "age", "hr_mean"):
            ns = {r.group: r.n for r in report.subgroups if r.explainer == e.explainer and r.column == col}
            assert sum(ns.values()) == e.patients, (e.explainer, col)
    assert {"sanity checks", "trust checks", "subgroups"} <= set(report.provenance.timings)


def test_report_round_trip_and_exports_carry_the_trust_tables(report):
    back = EvaluationReport.from_json(report.to_json())
    assert back.to_json() == report.to_json()
    assert back.sanity[0].explainer == report.sanity[0].explainer and back.subgroup_gaps == report.subgroup_gaps
    html, md = to_html(report), to_markdown(report)
    for text in ("Sanity checks", "Chance levels", "Complexity", "infidelity", "Largest gaps"):
        assert text in html and text in md
    assert "passed" in set(TV.sanity_frame(report)["verdict"])


def test_trust_off_adds_nothing(cohort):
    rep = run_protocol(cohort, ProtocolSettings(**{**SETTINGS.to_dict(), "trust": False, "methods": ("l1-logistic/coef",),
                                                   "families": ("l1-logistic",)}))
    assert not rep.sanity and not rep.chance and not rep.subgroups and "sanity checks" not in rep.provenance.timings


def test_subgroup_metrics_match_a_hand_computation():
    y = np.array([0, 1, 0, 1, 1, 0, 0, 1, 0, 0])
    p = np.array([.1, .8, .3, .4, .9, .2, .6, .7, .1, .5])
    g = np.array(["a"] * 5 + ["b"] * 5)
    frame = model_frame(y, {"m": p, "other": 1 - p}, {"m": 0.5, "other": 0.5}, g)
    assert frame.loc["a", "m|AUROC"] == pytest.approx(roc_auc_score(y[:5], p[:5]))
    assert frame.loc["a", "other|AUROC"] == pytest.approx(1 - roc_auc_score(y[:5], p[:5]))
    assert frame.loc["b", "m|sensitivity"] == pytest.approx(1.0)  # 0.7 >= 0.5
    assert frame.loc["a", "m|sensitivity"] == pytest.approx(2 / 3)  # 0.8, 0.9 flagged; 0.4 missed
    assert frame.loc["b", "m|calibration gap"] == pytest.approx(p[5:].mean() - y[5:].mean())
    assert list(frame["n"]) == [5, 5]
    recs = [SubgroupRecord("c", grp, "fam", None, "AUROC", v, n) for grp, v, n in
            (("x", 0.9, 50), ("y", 0.7, 40), ("z", 0.1, 3))]
    (gap,) = gaps(recs)
    assert gap.gap == pytest.approx(0.2) and (gap.high_group, gap.low_group) == ("x", "y")  # z is too small


def test_group_labels_and_column_errors(cohort):
    ages = pd.Series([30.0, 50.0, 64.9, 65.0, 80.0, np.nan])
    assert list(group_labels(ages, "age", cohort.dictionary)) == ["age < 50", "age 50–64", "age 50–64", "age 65–79",
                                                                   "age 80+", "not recorded"]
    assert subgroup_columns(cohort, ("hr_mean",)) == ["sex", "age", "hr_mean"]
    with pytest.raises(EvaluationError, match="not a column"):
        subgroup_columns(cohort, ("../etc/passwd",))


def test_cli_evaluate_subgroup_and_no_trust(tmp_path, capsys):
    import json

    from risklens import cli

    base = ["evaluate", "--cohort", "ward", "--n", "1500", "--families", "l1-logistic", "--methods", "coef",
            "--runs", "2", "--noise-seeds", "0"]
    assert cli.main(base + ["--subgroup", "hr_mean", "--out", str(tmp_path / "a")]) == 0
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    assert rep["settings"]["subgroup_columns"] == ["hr_mean"] and rep["sanity"][0]["passed"] is True
    assert {r["column"] for r in rep["subgroups"]} == {"sex", "age", "hr_mean"}
    assert cli.main(base + ["--no-trust", "--out", str(tmp_path / "b")]) == 0
    assert json.loads((tmp_path / "b" / "report.json").read_text())["sanity"] == []
    capsys.readouterr()
    assert cli.main(base + ["--subgroup", "no_such_column", "--out", str(tmp_path / "c")]) != 0
    err = capsys.readouterr().err
    assert "'no_such_column' is not a column of the cohort" in err and "Traceback" not in err
