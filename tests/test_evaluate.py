"""End-to-end protocol (risklens.study.run_protocol) on a small ward cohort, the report's JSON, and the CLI."""

import json

import numpy as np
import pytest

from risklens.cli import main
from risklens.cohorts import load_builtin
from risklens.study import EvaluationError, EvaluationReport, ExplainerKey, ProtocolSettings, SeedPlan, run_protocol

# one small end-to-end run (2k ward rows, 2 runs, cheap methods + 8-patient LIME)
pytestmark = pytest.mark.slow

METHODS = ("l1-logistic/coef", "l1-logistic/shap", "xgboost/shap", "mlp/dtd", "l1-logistic/lime")
SETTINGS = ProtocolSettings(families=("l1-logistic", "xgboost", "mlp"), methods=METHODS, runs=2, seed=0,
                            max_patients=8, model_params={"xgboost": {"n_estimators": 50}},
                            budgets={"lime": {"num_samples": 300}}, stability_patients=4, stability_repeats=2,
                            faithfulness_patients=20)


@pytest.fixture(scope="module")
def ward():
    return load_builtin("ward", n=2000, seed=0)


@pytest.fixture(scope="module")
def report(ward):
    return run_protocol(ward, SETTINGS)


def _without_clock(text: str) -> dict:
    data = json.loads(text)
    for k in ("created", "timings", "total_seconds"):
        data["provenance"].pop(k)
    return data


def test_report_structure(report, ward):
    keys = [ExplainerKey(*m.split("/")) for m in METHODS]
    assert report.explainers == keys and report.settings == SETTINGS
    assert report.cohort.hash == ward.hash == report.provenance.cohort_hash
    assert len(report.models) == 6 and {m.family for m in report.models} == {"l1-logistic", "xgboost", "mlp"}
    assert {t.explainer for t in report.table1} == set(keys) and len(report.table1) == 5 * len(keys)
    lime = report.record("explained", keys[-1])
    assert lime.capped and lime.patients <= 8 and lime.params == {"num_samples": 300}
    assert [c.explainer for c in report.concordance] == keys  # ward records a trigger
    for c in report.concordance:
        assert 0.0 <= c.kept <= 1.0 and c.topk_hit["1"] == pytest.approx(c.kept)
    assert keys[3] not in {s.explainer for s in report.sign_agreement}  # DTD is non-negative: no sign agreement
    assert {"train", "agreement", "faithfulness", "explain xgboost/shap"} <= set(report.provenance.timings)
    plan = SeedPlan(0)
    assert [m.seed for m in report.models if m.family == "xgboost"] == [plan.model(1), plan.model(2)]
    assert report.provenance.seeds["explainer run 2"] == plan.explainer(2)
    assert report.published["dataset"] == "VS"
    assert [s.explainer for s in report.lime_stability] == [keys[-1]]
    floors = {f.explainer: f for f in report.noise_floor}
    assert floors[keys[0]].FA == 1.0 and floors[keys[0]].deterministic and not floors[keys[-1]].deterministic


def test_coef_and_linear_shap_agree_exactly(report):
    # exact linear SHAP with the training mean equals coef * (x - mean): every agreement is 1
    coef, shap = ExplainerKey("l1-logistic", "coef"), ExplainerKey("l1-logistic", "shap")
    for pair in report.method_agreement:
        if {pair.a, pair.b} == {coef, shap} and pair.level == "patient" and pair.k >= 3:  # PRA needs 2+ features
            assert all(getattr(pair, m) == pytest.approx(1.0) for m in ("FA", "RA", "SA", "SRA", "CR", "PRA"))
    tc = next(t for t in report.top_contributor if {t.a, t.b} == {coef, shap})
    assert tc.exact == tc.top2_set == tc.top3_set == 1.0
    assert report.record("concordance", coef).kept == report.record("concordance", shap).kept


def test_faithfulness_beats_random_for_tree_shap(report):
    f = report.record("faithfulness", ExplainerKey("xgboost", "shap"))
    assert f.deletion_auc < f.deletion_auc_random and f.insertion_auc > f.insertion_auc_random
    assert 1 <= f.compacity_mean <= 58 and len(f.curves["deletion"]) == 59


def test_json_round_trip_and_errors(report):
    text = report.to_json()
    again = EvaluationReport.from_json(text)
    assert again.to_json() == text and again == report
    assert "NaN" not in text and json.loads(text)["settings"]["runs"] == 2
    with pytest.raises(EvaluationError):
        EvaluationReport.from_json("{not json")
    with pytest.raises(EvaluationError):
        EvaluationReport.from_json("[]")


def test_same_seed_gives_byte_identical_report(report, ward):
    again = run_protocol(ward, SETTINGS)
    assert json.dumps(_without_clock(again.to_json())) == json.dumps(_without_clock(report.to_json()))
    other = run_protocol(ward, ProtocolSettings.from_dict({**SETTINGS.to_dict(), "seed": 1, "methods": ["coef"],
                                                           "families": ["l1-logistic"]}))
    assert other.models[0].seed != report.models[0].seed


def test_unknown_family(ward):
    with pytest.raises(EvaluationError, match="unknown model family"):
        run_protocol(ward, ProtocolSettings(families=("forest",)))


def test_cli_evaluate_and_seed_reaches_the_simulator(tmp_path, capsys):
    out = tmp_path / "rep"
    code = main(["evaluate", "--cohort", "ward", "--n", "1500", "--runs", "1", "--families", "l1-logistic",
                 "--methods", "coef", "--seed", "3", "--out", str(out)])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "report.md"}
    rep = EvaluationReport.from_json((out / "report.json").read_text())
    assert rep.settings.runs == 1 and rep.run_consistency[0].FA is None  # one run: no pairs
    assert rep.cohort.hash == load_builtin("ward", n=1500, seed=SeedPlan(3).simulator).hash
    assert rep.provenance.seeds["simulator"] == SeedPlan(3).simulator
    captured = capsys.readouterr()
    assert "explaining with l1-logistic/coef" in captured.err
    summary = json.loads(captured.out)["patients"]  # the CLI summary: both rules and both counts
    assert list(summary["per model"].values()) == list(rep.patients_per_family.values())
    assert summary["every model"] == rep.n_patients and "per model" in summary["per-model rule"]
    assert "every compared model" in summary["comparison rule"]
    code = main(["evaluate", "--data", str(out / "report.json"), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "--outcome" in err[0]
    code = main(["evaluate", "--cohort", "ward", "--budget", "lime.num_samples", "--out", str(tmp_path / "y")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "METHOD.PARAM=VALUE" in err[-1]


def test_store_reuses_explanations(ward, tmp_path):
    from risklens.explain import ExplanationStore

    store = ExplanationStore(tmp_path / "cache")
    s = ProtocolSettings(families=("l1-logistic",), methods=("coef",), runs=1, seed=3, faithfulness_patients=5)
    first = run_protocol(ward, s, store=store)
    n_files = len(store.entries())
    second = run_protocol(ward, s, store=store)
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


def test_mechanism_and_conformal_end_to_end(report, ward):
    from risklens.study.report import to_markdown

    assert report.cohort.has_mechanism and report.cohort.preset == "default"
    assert [m.explainer for m in report.mechanism] == report.explainers  # every explainer, ward knows the cause
    for m in report.mechanism:
        assert m.n > 0 and m.k == SETTINGS.k
        for v in (m.top1_process, m.topk_process, m.top1_first, m.non_clinical_top1):
            assert v is not None and 0.0 <= v <= 1.0
        assert m.topk_process >= m.top1_process  # the top-k holds the top-1
    assert {(c.family, c.variant) for c in report.conformal} == {
        (f, v) for f in SETTINGS.families for v in ("standard", "mondrian")}
    assert all(c.in_band and c.alpha == SETTINGS.conformal_alpha for c in report.conformal)
    assert "conformal" in report.provenance.timings and report.provenance.seeds["conformal"] == SeedPlan(0).conformal
    md = to_markdown(report)
    assert "Mechanism concordance" in md and "conformal prediction sets" in md and "simulator preset" in md


def test_cli_preset_reaches_the_simulator(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["evaluate", "--cohort", "ward", "--preset", "study", "--n", "1500", "--runs", "1", "--families",
                 "l1-logistic", "--methods", "coef", "--seed", "3", "--conformal-alpha", "0.2", "--out", str(out)]) == 0
    rep = EvaluationReport.from_json((out / "report.json").read_text())
    sim = SeedPlan(3).simulator
    assert rep.settings.conformal_alpha == 0.2 and [c.alpha for c in rep.conformal] == [0.2, 0.2]
    assert rep.cohort.preset == "study" and "preset study" in rep.cohort.source
    assert rep.cohort.hash == load_builtin("ward", n=1500, seed=sim, preset="study").hash
    assert rep.cohort.hash != load_builtin("ward", n=1500, seed=sim).hash
    assert "simulator preset" in (out / "report.md").read_text()
    capsys.readouterr()
    for bad in (["--cohort", "ward", "--preset", "nope"], ["--cohort", "whas500", "--preset", "study"],
                ["--data", str(out / "report.json"), "--outcome", "y", "--preset", "study"]):
        code = main(["evaluate", *bad, "--runs", "1", "--out", str(tmp_path / "bad")])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "preset" in err[0], (bad, err)
