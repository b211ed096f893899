"""The input contract travels with the model: train on a raw CSV, score and explain raw files, same numbers."""

import json

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.cohorts import load_cohort_file
from risklens.modeling import load_model, save_model, train_model
from risklens.modeling.contract import ContractError, InputContract, TransformReport
from risklens.modeling.encoded import group_onehot
from risklens.modeling.scoring import score_table


def raw_frame(n, seed, unseen=False):
    rng = np.random.default_rng(seed)
    age = rng.normal(65, 12, n).round(0)
    sex = rng.choice(["M", "F"], n)
    ward = rng.choice(["medical", "surgical", "ortho"], n).astype(object)
    if unseen:
        ward[:7] = "icu"
    smoker = rng.choice(["yes", "no", "Yes", "NO"], n)
    lact = np.where(rng.random(n) < 0.2, np.nan, rng.normal(1.5, 0.6, n))
    z = 0.04 * (age - 65) + 0.5 * (sex == "M") + 0.8 * (ward == "surgical") + np.nan_to_num(lact - 1.5)
    z = z + 0.7 * (np.char.lower(smoker.astype(str)) == "yes")
    y = rng.random(n) < 1 / (1 + np.exp(-(z - 1.5)))
    return pd.DataFrame({"mrn": [f"P{seed}-{i:05d}" for i in range(n)], "age": age, "sex": sex, "ward": ward,
                         "smoker": smoker, "lactate": lact, "died": np.where(y, "yes", "no")})


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("contract")
    raw_frame(1200, 0).to_csv(d / "train.csv", index=False)
    extract = raw_frame(200, 1, unseen=True).drop(columns=["died"])
    extract = extract[["lactate", "ward", "mrn", "age", "smoker", "sex"]].assign(note="extra column")  # new order
    extract.to_csv(d / "extract.csv", index=False)
    cohort = load_cohort_file(d / "train.csv", "died", id_col="mrn")
    model = train_model(cohort, "xgboost", params={"n_estimators": 40})
    save_model(model, d / "model")
    return d, cohort, model


def test_contract_is_in_the_card_and_round_trips(files):
    d, cohort, model = files
    card = json.loads((d / "model" / "card.json").read_text())
    contract = InputContract.from_json(card["input_contract"])
    assert contract.id_col == "mrn" and contract.outputs == cohort.features
    kinds = {c.name: c.kind for c in contract.columns}
    assert kinds == {"age": "numeric", "sex": "binary", "ward": "category", "smoker": "binary", "lactate": "numeric"}
    assert "smoker_yes" in cohort.features  # yes/Yes/no/NO are one yes/no column
    loaded = load_model(d / "model")
    assert loaded.contract.to_json() == model.contract.to_json()


def test_scoring_the_training_file_equals_the_training_pipeline(files):
    d, cohort, model = files
    loaded = load_model(d / "model")
    raw = pd.read_csv(d / "train.csv")
    X = loaded.prepare(raw)
    pd.testing.assert_frame_equal(X, cohort.X, check_names=False, check_index_type=False)
    scored = score_table(loaded, raw)
    expected = pd.Series(model.predict_proba(cohort.X), index=cohort.ids)
    np.testing.assert_allclose(scored.table.set_index("id")["risk"].loc[cohort.ids], expected, rtol=0, atol=1e-7)
    assert (scored.table["alert"] == (scored.table["risk"] >= model.threshold)).all()


def test_a_fresh_extract_with_an_unseen_category_scores_as_other(files):
    d, cohort, model = files
    loaded = load_model(d / "model")
    raw = pd.read_csv(d / "extract.csv")
    report = TransformReport()
    X = loaded.prepare(raw, report)
    assert report.unseen == {"ward": 7} and report.ignored == ["note"]
    icu = X.iloc[:7]
    assert (icu[["ward_medical", "ward_ortho", "ward_surgical"]] == 0).all().all()  # "other": all zero
    assert any("'ward': 7 row(s)" in w for w in report.warnings)
    # numbers equal a hand-built matrix
    expected = pd.DataFrame({"age": raw["age"], "sex_M": (raw["sex"] == "M").astype(float),
                             "ward_medical": (raw["ward"] == "medical").astype(float),
                             "ward_ortho": (raw["ward"] == "ortho").astype(float),
                             "ward_surgical": (raw["ward"] == "surgical").astype(float),
                             "smoker_yes": (raw["smoker"].str.lower() == "yes").astype(float),
                             "lactate": raw["lactate"]})
    np.testing.assert_allclose(X.to_numpy(), expected[X.columns].to_numpy())
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(expected[model.feature_names]))


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns=["ward", "age"]), r"lack 2 column\(s\) the model needs: age, ward"),
    (lambda f: f.assign(age=["old"] + list(f["age"][1:])), r"column 'age' is numeric but row 1 holds the text 'old'"),
    (lambda f: f.assign(lactate=[np.inf] + list(f["lactate"][1:])), r"column 'lactate' holds an infinite value"),
])
def test_scoring_time_mismatches_name_the_column(files, change, message):
    d, _, model = files
    with pytest.raises(ContractError, match=message):
        model.prepare(change(pd.read_csv(d / "extract.csv")))


def test_grouped_attributions_sum_one_hot_columns(files):
    d, cohort, model = files
    from risklens.explain import explain

    expl = explain(model, cohort.X.iloc[:30], "shap")
    grouped = group_onehot(expl, model.contract, cohort.dictionary)
    assert grouped.feature_names == ["Age", "Sex", "Ward", "Smoker", "Lactate"]
    np.testing.assert_allclose(grouped.values.sum(1), expl.values.sum(1), atol=1e-9)
    ward = [cohort.features.index(c) for c in ("ward_medical", "ward_ortho", "ward_surgical")]
    np.testing.assert_allclose(grouped.values[:, 2], expl.values[:, ward].sum(1))


def test_cli_score_and_explain_raw_files(files, capsys):
    d, cohort, model = files
    assert main(["score", "--model", str(d / "model"), "--data", str(d / "train.csv"), "--out", str(d / "s.csv"),
                 "--explain", "shap"]) == 0
    out = pd.read_csv(d / "s.csv", dtype={"id": str}).set_index("id")
    np.testing.assert_allclose(out.loc[cohort.ids, "risk"], model.predict_proba(cohort.X), atol=1e-7)
    shap_cols = [c for c in out.columns if c.startswith("shap:") and c != "shap:base_value"]
    assert shap_cols == ["shap:age", "shap:sex", "shap:ward", "shap:smoker", "shap:lactate"]
    margin = out[shap_cols].sum(axis=1) + out["shap:base_value"]
    np.testing.assert_allclose(margin.loc[cohort.ids], model.predict_margin(cohort.X), atol=1e-4)
    capsys.readouterr()
    assert main(["score", "--model", str(d / "model"), "--data", str(d / "extract.csv"), "--out",
                 str(d / "s2.csv")]) == 0
    err = capsys.readouterr().err
    assert "'ward': 7 row(s) with a category not seen in training" in err and "note" in err
    assert main(["explain", "--model", str(d / "model"), "--data", str(d / "extract.csv"), "--method", "shap",
                 "--out", str(d / "e.csv")]) == 0
    e = pd.read_csv(d / "e.csv")
    assert len(e) == 200 and "ward_surgical" in e.columns
    assert main(["score", "--model", str(d / "model"), "--data", str(d / "extract.csv"), "--out",
                 str(d / "s3.csv"), "--expect-model-id", "000000000000"]) == 2
    assert "not the expected 000000000000" in capsys.readouterr().err


def test_report_table1_sums_one_hot_columns_per_original_column(files):
    from risklens.study import ExplainerKey, ProtocolSettings, run_protocol

    d, cohort, model = files
    settings = ProtocolSettings(families=("xgboost",), methods=("shap",), runs=1, stability_repeats=0, noise_seeds=0,
                                faithfulness_patients=5, model_params={"xgboost": {"n_estimators": 40}})
    rep = run_protocol(cohort, settings)
    rows = [e for e in rep.table1 if e.explainer == ExplainerKey("xgboost", "shap")]
    names = [e.feature for e in rows]
    assert not any(n.startswith("ward_") for n in names)  # one row per original column, never per category
    assert set(names) <= {"age", "sex", "ward", "smoker", "lactate"}
    assert {e.label for e in rows if e.feature == "ward"} <= {"Ward"}
