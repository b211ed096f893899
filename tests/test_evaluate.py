"""End-to-end protocol (risklens.study.protocol) on a small ward cohort, the report's JSON, and the CLI."""

import json

import numpy as np
import pytest

from risklens.cli import main
from risklens.cohorts import load_builtin
from risklens.study.protocol import EvaluationError, EvaluationReport, resolve_methods, run_evaluation

# one small end-to-end run (2k ward rows, 2 runs, cheap methods + 8-patient LIME): ~25 s on an idle 2-core box
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ward():
    return load_builtin("ward", n=2000, seed=0)


@pytest.fixture(scope="module")
def report(ward):  # ~2k rows, 2 runs, few methods: well under 60 s on 2 cores
    return run_evaluation(
        ward, families=("l1-logistic", "xgboost", "mlp"),
        methods=["l1-logistic/coef", "l1-logistic/shap", "xgboost/shap", "mlp/dtd", "l1-logistic/lime"],
        runs=2, seed=0, max_patients=8, model_params={"xgboost": {"n_estimators": 50}},
        method_params={"lime": {"num_samples": 300}}, stability_patients=4, stability_repeats=2,
        faithfulness_patients=20,
    )


def test_report_structure(report, ward):
    keys = ["l1-logistic/coef", "l1-logistic/shap", "xgboost/shap", "mlp/dtd", "l1-logistic/lime"]
    assert report.settings["methods"] == keys
    assert report.cohort["hash"] == ward.hash == report.provenance["cohort_hash"]
    assert len(report.models) == 6 and {m["family"] for m in report.models} == {"l1-logistic", "xgboost", "mlp"}
    assert set(report.table1) == set(keys) and all(len(v) == 5 for v in report.table1.values())
    assert report.settings["capped"] == ["l1-logistic/lime"] and report.settings["n_explained"]["l1-logistic/lime"] <= 8
    assert set(report.concordance) == set(keys)  # ward records a trigger
    for c in report.concordance.values():
        for v in (c["kept"], c["topk_hit"]["5"]):
            assert 0.0 <= v <= 1.0
        assert c["topk_hit"]["1"] == pytest.approx(c["kept"])
    assert "mlp/dtd" not in report.sign_agreement  # DTD is non-negative: no sign agreement
    assert {"train", "consistency", "faithfulness", "explain xgboost/shap"} <= set(report.provenance["timings"])
    assert report.provenance["seeds"]["models"] == [0, 1]
    assert report.published["dataset"] == "VS"
    assert set(report.lime_stability) == {"l1-logistic"}


def test_coef_and_linear_shap_agree_exactly(report):
    # exact linear SHAP with the training mean equals coef * (x - mean): every agreement is 1
    pair = report.method_agreement["l1-logistic/coef vs l1-logistic/shap"]
    assert all(v == pytest.approx(1.0) for v in pair["patient"].values())
    tc = report.top_contributor["l1-logistic/coef vs l1-logistic/shap"]
    assert tc["exact"] == tc["top2_set"] == tc["top3_set"] == 1.0
    assert report.concordance["l1-logistic/coef"]["kept"] == report.concordance["l1-logistic/shap"]["kept"]


def test_faithfulness_beats_random_for_tree_shap(report):
    f = report.faithfulness["xgboost/shap"]
    assert f["deletion_auc"] < f["deletion_auc_random"]
    assert f["insertion_auc"] > f["insertion_auc_random"]
    assert 1 <= f["compacity_mean"] <= 58


def test_json_round_trip(report):
    text = report.to_json()
    again = EvaluationReport.from_json(text)
    assert again.to_json() == text
    assert "NaN" not in text and json.loads(text)["settings"]["runs"] == 2
    with pytest.raises(EvaluationError):
        EvaluationReport.from_json("{not json")
    with pytest.raises(EvaluationError):
        EvaluationReport.from_json("[]")


def test_method_resolution_and_errors(ward):
    assert resolve_methods(["l1-logistic", "mlp", "xgboost"], None) == [
        ("l1-logistic", "coef"), ("l1-logistic", "lime"), ("mlp", "shap"), ("mlp", "dtd"), ("mlp", "lime"),
        ("xgboost", "shap"), ("xgboost", "lime")]
    assert resolve_methods(["xgboost", "mlp"], ["dtd"]) == [("mlp", "dtd")]
    with pytest.raises(EvaluationError, match="does not apply"):
        resolve_methods(["xgboost"], ["xgboost/coef"])
    with pytest.raises(EvaluationError, match="none of the families"):
        resolve_methods(["xgboost"], ["coef"])
    with pytest.raises(EvaluationError, match="unknown model family"):
        run_evaluation(ward, families=("forest",))


def test_cli_evaluate(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["evaluate", "--cohort", "ward", "--n", "1500", "--runs", "1", "--families", "l1-logistic",
                 "--methods", "coef", "--out", str(out)])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "report.md"}
    rep = EvaluationReport.from_json((out / "report.json").read_text())
    assert rep.settings["runs"] == 1 and rep.run_consistency["l1-logistic/coef"]["FA"] is None  # one run: no pairs
    err = capsys.readouterr().err
    assert "explaining with l1-logistic/coef" in err
    code = main(["evaluate", "--data", str(out / "report.json"), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--outcome" in err[0]


def test_store_reuses_explanations(ward, tmp_path):
    from risklens.explain import ExplanationStore

    store = ExplanationStore(tmp_path / "cache")
    kw = dict(families=("l1-logistic",), methods=["coef"], runs=1, seed=3, store=store, faithfulness_patients=5)
    first = run_evaluation(ward, **kw)
    n_files = len(store.entries())
    second = run_evaluation(ward, **kw)
    assert n_files >= 1 and len(store.entries()) == n_files  # nothing new computed
    assert first.table1 == second.table1 and first.concordance == second.concordance


def test_rashomon_spread_known_answer_and_set(ward):
    from risklens.study.rashomon import rashomon_set, spread_table

    imp = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]])
    t = spread_table(imp, ["a", "b", "c"]).set_index("feature")
    assert t.loc["a", "min"] == 0.2 and t.loc["a", "max"] == 0.6 and t.loc["b", "median"] == pytest.approx(0.4)
    # model 1 ranks a, b, c; model 2 ranks b, c, a
    assert (t.loc["a", "rank_min"], t.loc["a", "rank_max"]) == (1, 3) and t.loc["a", "rank_range"] == 2
    assert (t.loc["b", "rank_min"], t.loc["b", "rank_max"]) == (1, 2) and t.loc["c", "rank_range"] == 1
    small = ward.subset(np.arange(1000))
    kept, records = rashomon_set(small, ("l1-logistic",), seeds=(0,), grid={"l1-logistic": [{}, {"C": 0.001}]},
                                 margin=0.01)
    best = max(r["auroc"] for r in records)
    assert all(r["kept"] == (r["auroc"] >= best - 0.01) for r in records) and len(kept) == sum(r["kept"] for r in records)
