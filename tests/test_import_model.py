"""Models trained outside RiskLens: XGBoost JSON/UBJ and skops scikit-learn pipelines, imported and explained."""

import json

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.cohorts import cohort_from_frame
from risklens.explain import explain, methods_for
from risklens.metrics.consistency import agreement, run_consistency
from risklens.metrics.faithfulness import baseline_from, faithfulness_curves
from risklens.modeling import ModelError, load_model, save_model
from risklens.modeling.imported import import_model
from risklens.modeling.split import held_out_positions

N = 800


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("import")
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"age": rng.normal(60, 10, N), "hr": rng.normal(85, 12, N), "lac": rng.normal(1.5, 0.5, N),
                      "sex": rng.choice(["F", "M"], N)})
    z = 0.05 * (X["age"] - 60) + 0.04 * (X["hr"] - 85) + 1.2 * (X["lac"] - 1.5) + 0.4 * (X["sex"] == "M")
    y = (rng.random(N) < 1 / (1 + np.exp(-(z - 1.2)))).astype(int)
    frame = X.assign(id=[f"r{i}" for i in range(N)], outcome=y)
    frame.to_csv(d / "data.csv", index=False)
    numeric = X.assign(sex_M=(X["sex"] == "M").astype(float)).drop(columns="sex")
    return d, frame, numeric, y


def _xgb_file(d, numeric, y, suffix):
    import xgboost as xgb

    clf = xgb.XGBClassifier(n_estimators=30, max_depth=3, random_state=0).fit(numeric, y)  # named features
    path = d / f"outside{suffix}"
    clf.save_model(path)
    return path, clf


def _skops_file(d, numeric, y):
    import skops.io as sio
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipe = Pipeline([("imp", SimpleImputer()), ("sc", StandardScaler()),
                     ("rf", RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0))]).fit(numeric, y)
    path = d / "pipe.skops"
    sio.dump(pipe, path)
    return path, pipe


def _cohort(frame):
    return cohort_from_frame(frame, "outcome", id_col="id", name="data")


@pytest.mark.parametrize("suffix", [".json", ".ubj"])
def test_xgboost_file_imports_with_card_and_same_predictions(data, tmp_path, suffix):
    d, frame, numeric, y = data
    path, clf = _xgb_file(d, numeric, y, suffix)
    cohort = _cohort(frame)
    model = import_model(path.read_bytes(), path.name, cohort, data_name="data.csv")
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.family == "xgboost" and loaded.feature_names == list(numeric.columns)
    np.testing.assert_allclose(loaded.predict_proba(cohort.X), clf.predict_proba(numeric)[:, 1], atol=1e-6)
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["provenance"]["source"] == "imported" and card["provenance"]["original_file"] == path.name
    assert card["metrics"]["n"] == N and 0.5 < card["metrics"]["auroc"] <= 1
    assert set(card["versions"]) >= {"xgboost", "sklearn"}
    assert len(held_out_positions(loaded, cohort)) == N  # measured on all rows of the import data
    e = explain(loaded, cohort.X.iloc[:20], "shap")
    np.testing.assert_allclose(e.values.sum(1) + e.base_values, loaded.predict_margin(cohort.X.iloc[:20]), atol=1e-4)


def test_skops_pipeline_imports_and_runs_shap_lime_and_the_metrics(data, tmp_path):
    d, frame, numeric, y = data
    path, pipe = _skops_file(d, numeric, y)
    assert main(["import-model", str(path), "--data", str(d / "data.csv"), "--outcome", "outcome", "--id", "id",
                 "--out", str(tmp_path / "sk")]) == 0
    model = load_model(tmp_path / "sk")
    cohort = _cohort(frame)
    assert model.family == "sklearn" and methods_for("sklearn") == ["shap", "lime", "lime-local", "lime-ref"]
    np.testing.assert_allclose(model.predict_proba(cohort.X), pipe.predict_proba(numeric)[:, 1], atol=1e-12)
    X = cohort.X.iloc[:12]
    shap = explain(model, X, "shap", background=cohort.X.iloc[:100], permutations=4)
    np.testing.assert_allclose(shap.values.sum(1) + shap.base_values, model.predict_margin(X), atol=1e-6)
    limes = [explain(model, X, "lime", seed=s, background=cohort.X, num_samples=400) for s in (0, 1)]
    agree = agreement(shap, limes[0], k=2)
    assert all(0 <= v <= 1 for v in agree.values() if np.isfinite(v)) and np.isfinite(list(agree.values())).any()
    assert 0 <= run_consistency(limes, k=2)["FA"] <= 1
    base = baseline_from(cohort.X.to_numpy())
    curves = faithfulness_curves(model.predict_proba, X.to_numpy(), shap.values, base)
    assert curves["n"] == 12 and np.isfinite(curves["deletion_auc"])
    assert main(["score", "--model", str(tmp_path / "sk"), "--data", str(d / "data.csv"), "--out",
                 str(tmp_path / "s.csv"), "--explain", "shap", "--samples", "50"]) == 0


def test_feature_mismatch_names_the_differences(data, tmp_path):
    d, frame, numeric, y = data
    path, _ = _xgb_file(d, numeric.rename(columns={"lac": "lactate"}), y, ".json")
    with pytest.raises(ModelError, match=r"lack 1 feature\(s\) of the model: lactate; the data have instead: lac"):
        import_model(path.read_bytes(), path.name, _cohort(frame))


def test_untrusted_and_pickled_models_are_refused_with_one_line(data, tmp_path, capsys):
    import pickle

    import skops.io as sio
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    d, frame, numeric, y = data
    evil = make_pipeline(FunctionTransformer(np.exp)).fit(numeric)
    sio.dump(evil, tmp_path / "evil.skops")
    (tmp_path / "m.pkl").write_bytes(pickle.dumps({"a": 1}))
    (tmp_path / "m.json").write_text('{"not": "a model"}')
    for name, msg in [("evil.skops", "does not trust: numpy.exp"), ("m.pkl", "never unpickles"),
                      ("m.json", "not a valid XGBoost model file")]:
        code = main(["import-model", str(tmp_path / name), "--data", str(d / "data.csv"), "--outcome", "outcome",
                     "--id", "id", "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2 and msg in err and len(err.strip().splitlines()) == 1, err


def test_the_protocol_runs_on_imported_models(data, tmp_path):
    from risklens.study import ExplainerKey, ProtocolSettings, run_protocol

    d, frame, numeric, y = data
    cohort = _cohort(frame)
    xgb_path, _ = _xgb_file(d, numeric, y, ".json")
    sk_path, _ = _skops_file(d, numeric, y)
    models = {"xgboost": [import_model(xgb_path.read_bytes(), xgb_path.name, cohort, data_name="data.csv")],
              "sklearn": [import_model(sk_path.read_bytes(), sk_path.name, cohort, data_name="data.csv")]}
    settings = ProtocolSettings(families=("xgboost", "sklearn"), methods=("shap", "lime"), runs=1, max_patients=15,
                                stability_repeats=2, stability_patients=5, noise_seeds=2, faithfulness_patients=5,
                                budgets={"lime": {"num_samples": 300}})
    rep = run_protocol(cohort, settings, models=models)
    assert {(e.family, e.method) for e in rep.explainers} == {("xgboost", "shap"), ("xgboost", "lime"),
                                                              ("sklearn", "shap"), ("sklearn", "lime")}
    assert {m.model_id for m in rep.models} == {m[0].model_id for m in models.values()}  # used, not retrained
    assert rep.record("noise_floor", ExplainerKey("xgboost", "shap")).FA == 1.0  # TreeSHAP: deterministic
    floor = rep.record("noise_floor", ExplainerKey("sklearn", "shap"))
    assert not floor.deterministic and 0 <= floor.FA <= 1  # permutation SHAP on an imported model: a noise floor
    pair = [a for a in rep.method_agreement if {a.a.family, a.b.family} == {"xgboost", "sklearn"}]
    assert pair and all(0 <= p.FA <= 1 for p in pair)
    assert json.loads(rep.to_json())["settings"]["families"] == ["xgboost", "sklearn"]


def test_imported_model_roc_rows_and_conformal_rows_are_the_same_rows(data, tmp_path):
    """The Model page's ROC (ui.models.held_out_outcomes) and conformal prediction read one held-out definition."""
    from risklens.modeling.conformal import calibration_split
    from risklens.study.seeds import SeedPlan
    from risklens.ui.cache import held_out
    from risklens.ui.models import held_out_outcomes

    d, frame, numeric, y = data
    path, _ = _xgb_file(d, numeric, y, ".json")
    cohort = _cohort(frame)
    save_model(import_model(path.read_bytes(), path.name, cohort, data_name="data.csv"), tmp_path / "m")
    model = load_model(tmp_path / "m")
    roc_y, _ = held_out_outcomes(model, cohort)
    roc_rows = held_out(model, cohort)
    cal, ev = calibration_split(cohort, held_out_positions(model, cohort), SeedPlan(0).conformal)
    assert len(roc_y) == len(roc_rows) == N
    assert np.array_equal(np.sort(np.concatenate([cal, ev])), np.sort(roc_rows))
