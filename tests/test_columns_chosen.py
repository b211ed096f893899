"""Columns the user chooses (--drop, part of the input contract and card) and every column taken (many levels ->
the 10 most frequent plus "other", a blank -> "not recorded"); the Data page's mapping guesses and role moves."""

import json

import numpy as np
import pandas as pd
import pytest

from extract_fixture import CAUSES, extract_frame, write_extract
from risklens.cli import main
from risklens.cohorts import CohortError, cohort_from_frame, load_builtin
from risklens.cohorts.columns import leave_out
from risklens.cohorts.upload import guess_columns, move_role
from risklens.modeling import load_model
from risklens.modeling.contract import MAX_LEVELS, NOT_RECORDED, OTHER, InputContract, TransformReport


def test_a_16_level_column_with_blanks_keeps_the_10_most_frequent_plus_other_and_not_recorded():
    frame = extract_frame(n=3000, leak=False, cause_unknown=0.1)
    counts = frame["cause"].value_counts()
    assert len(counts) == 16 and frame["cause"].isna().any()
    cohort = cohort_from_frame(frame, "died", id_col="patient_id")
    spec = next(c for c in cohort.contract.columns if c.name == "cause")
    top = sorted(counts.sort_values(ascending=False, kind="stable").index[:MAX_LEVELS])
    assert list(spec.levels) == top + [OTHER, NOT_RECORDED] and spec.folded == 6
    assert spec.outputs[-2:] == ("cause_other", "cause_not_recorded")
    block = cohort.X[list(spec.outputs)]
    assert not block.isna().any().any() and (block.sum(axis=1) == 1).all()  # one level per row, never NaN
    raw = frame.set_index("patient_id")["cause"].loc[cohort.ids]
    assert (block["cause_not_recorded"] == raw.isna().to_numpy()).all()
    assert (block["cause_other"] == (raw.notna() & ~raw.isin(top)).to_numpy()).all()
    # the cut-off and the folding are stated in the contract (and so in every card)
    data = cohort.contract.to_json()
    assert data["max_levels"] == MAX_LEVELS and next(c for c in data["columns"] if c["name"] == "cause")["folded"] == 6
    assert any("10 most frequent" in n and "6 other" in n for n in cohort.contract.encoding_notes())
    # the dictionary speaks the level, not the slug
    assert cohort.dictionary.label("cause_not_recorded").endswith(": not recorded")


def test_original_of_names_column_and_level():
    frame = extract_frame(n=600, leak=False, cause_unknown=0.1)
    c = cohort_from_frame(frame, "died", id_col="patient_id").contract
    assert c.original_of("sex_M") == ("sex", "M")
    assert c.original_of("diabetes_yes") == ("diabetes", "yes")
    assert c.original_of("cause_other") == ("cause", OTHER)
    assert c.original_of("cause_not_recorded") == ("cause", NOT_RECORDED)
    assert c.original_of(f"cause_{CAUSES[0].replace(' ', '_')}") == ("cause", CAUSES[0])
    assert c.original_of("age") == ("age", None)
    assert c.original_of("creatinine") == ("creatinine", None)


def test_encoded_names_are_stable_and_clashes_are_numbered():
    frame = pd.DataFrame({"x": ["a b", "a-b", "c", "a b", "c", None] * 5})
    c1, c2 = InputContract.fit(frame), InputContract.fit(frame.iloc[::-1])
    assert c1.outputs == c2.outputs == ["x_a_b", "x_a_b_2", "x_c", "x_not_recorded"]
    assert c1.original_of("x_a_b_2") == ("x", "a-b")


def test_unseen_values_score_as_other_when_the_column_has_other():
    frame = extract_frame(n=2000, leak=False, cause_unknown=0.1)
    contract = cohort_from_frame(frame, "died", id_col="patient_id").contract
    new = frame.head(3).copy()
    new["cause"] = ["never seen", None, CAUSES[0]]
    X = contract.transform(new, report := TransformReport())
    assert X.iloc[0]["cause_other"] == 1 and X.iloc[1]["cause_not_recorded"] == 1
    assert X.iloc[2][f"cause_{CAUSES[0].replace(' ', '_')}"] == 1 and not report.unseen


def test_free_text_is_still_refused_naming_the_column_and_drop():
    frame = extract_frame(n=300, leak=False, cause=False)
    frame["note"] = [f"free text {i}" for i in range(len(frame))]
    with pytest.raises(CohortError, match=r"'note' is text with 300 different values.*--drop note"):
        cohort_from_frame(frame, "died", id_col="patient_id")
    c = cohort_from_frame(frame, "died", id_col="patient_id", drop=["note"])
    assert c.contract.dropped == ("note",) and not any(f.startswith("note") for f in c.features)


def test_drop_errors_name_the_column():
    frame = extract_frame(n=300, leak=False, cause=False)
    with pytest.raises(CohortError, match=r"'agee'.*did you mean 'age'"):
        cohort_from_frame(frame, "died", id_col="patient_id", drop=["agee"])
    with pytest.raises(CohortError, match="it is the outcome column"):
        cohort_from_frame(frame, "died", id_col="patient_id", drop=["died"])
    with pytest.raises(CohortError, match="no such column"):
        leave_out(load_builtin("whas500"), ["nope"])


def test_leave_out_a_builtin_column_records_it():
    c = leave_out(load_builtin("whas500"), ["los"])
    assert "los" not in c.features and c.contract.dropped == ("los",) and len(c.features) == 13
    assert c.hash != load_builtin("whas500").hash


def test_drop_through_train_and_score(tmp_path, capsys):
    path = write_extract(tmp_path / "extract.csv", n=800, cause_unknown=0.1)
    assert main(["train", "--data", str(path), "--outcome", "died", "--id", "patient_id", "--model", "xgboost",
                 "--params", '{"n_estimators": 30}', "--drop", "futime", "--drop", "cause",
                 "--out", str(tmp_path / "m")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dropped_columns"] == ["futime", "cause"] and out["checks"] == []  # the leaks are gone with them
    card = json.loads((tmp_path / "m" / "card.json").read_text())
    assert card["input_contract"]["dropped"] == ["futime", "cause"]
    assert not any(f.startswith(("futime", "cause")) for f in card["features"])
    model = load_model(tmp_path / "m")
    assert model.contract.dropped == ("futime", "cause")
    # scoring the raw file (which still has both columns) leaves them out again, and says so
    assert main(["score", "--model", str(tmp_path / "m"), "--data", str(path), "--out", str(tmp_path / "s.csv")]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out)["dropped_columns"] == ["futime", "cause"]
    assert "left out when the model was trained, left out again: futime, cause" in cap.err
    # same risks as a file without those columns
    bare = tmp_path / "bare.csv"
    pd.read_csv(path).drop(columns=["futime", "cause"]).to_csv(bare, index=False)
    assert main(["score", "--model", str(tmp_path / "m"), "--data", str(bare), "--out", str(tmp_path / "b.csv")]) == 0
    capsys.readouterr()
    a, b = (pd.read_csv(tmp_path / n).set_index("id").sort_index() for n in ("s.csv", "b.csv"))
    np.testing.assert_allclose(a["risk"], b["risk"])
    # --drop of a column the model needs is refused naming it
    assert main(["score", "--model", str(tmp_path / "m"), "--data", str(path), "--drop", "age",
                 "--out", str(tmp_path / "x.csv")]) == 2
    assert "age" in capsys.readouterr().err


def test_drop_on_a_builtin_cohort_and_the_cohort_command(tmp_path, capsys):
    assert main(["cohort", "whas500", "--drop", "los", "--out", str(tmp_path / "w.csv")]) == 0
    capsys.readouterr()
    assert "los" not in pd.read_csv(tmp_path / "w.csv").columns
    assert main(["train", "--cohort", "whas500", "--drop", "los", "--model", "l1-logistic",
                 "--out", str(tmp_path / "m")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dropped_columns"] == ["los"] and out["checks"] == []  # whas500 without los: no finding
    assert json.loads((tmp_path / "m" / "card.json").read_text())["input_contract"]["dropped"] == ["los"]


def test_mapping_guesses_an_id_like_column_as_row_id():
    frame = extract_frame(n=200)
    assert guess_columns(frame) == {"outcome": "died", "id": "patient_id", "group": None, "trigger": None,
                                    "time": None}
    stays = frame.assign(patient_id=[f"P{i // 2}" for i in range(len(frame))], stay=[f"S{i}" for i in range(len(frame))])
    g = guess_columns(stays)
    assert g["group"] == "patient_id" and g["id"] == "stay"  # repeated values: the patient column
    unnamed = frame.rename(columns={"patient_id": "record"}).assign(record=lambda f: f["record"].str[1:])
    assert guess_columns(unnamed.rename(columns={"record": "code"}))["id"] == "code"  # unique in every row


def test_choosing_a_column_for_a_second_role_moves_it():
    m = {"outcome": "died", "id": None, "group": "patient_id", "trigger": None}
    assert move_role(m, "id", "patient_id") == {"outcome": "died", "id": "patient_id", "group": None, "trigger": None}
    assert move_role(m, "trigger", None) == m
