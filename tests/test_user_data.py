"""User files: every bad input gives a CohortError that names the problem; good files round-trip."""

import io

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts import CohortError, cohort_from_frame, load_builtin, load_cohort_file, read_table
from risklens.cohorts.dictionary import FeatureDictionary


def good_frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) % 5 == 0, "yes", "no")
    return pd.DataFrame({
        "mrn": [f"P{i:04d}" for i in range(n)],
        "hr_max": rng.normal(90, 10, n).round(1),
        "spo2_min": rng.normal(95, 2, n).round(0),
        "sex": rng.choice(["F", "M"], n),
        "ward": rng.choice(["medical", "surgical", "ortho"], n),
        "lactate": np.where(rng.random(n) < 0.2, np.nan, rng.normal(1.5, 0.5, n)),
        "died": y,
        "trig": np.where(y == "yes", rng.choice(["hr", "spo2"], n), ""),
    })


def build(frame, **kw):
    kw.setdefault("outcome", "died")
    if "trig" in frame.columns:  # the trigger is a function of the outcome: a feature would be an outcome leak
        kw.setdefault("trigger_col", "trig")
    return cohort_from_frame(frame, **kw)


def test_good_frame_encodes_text_and_keeps_missing_values():
    c = build(good_frame(), id_col="mrn", trigger_col="trig")
    assert c.n == 200 and c.n_events == 40
    assert "sex_M" in c.features and "sex" not in c.features          # 2 levels -> one 0/1 column
    assert {"ward_medical", "ward_ortho", "ward_surgical"} <= set(c.features)  # 3 levels -> one-hot
    assert c.dictionary["ward_ortho"].group == "ward"
    assert c.X["lactate"].isna().sum() > 0
    assert c.dictionary["hr_max"].group == "hr"
    assert set(c.trigger[c.y == 1]) <= {"hr", "spo2"} and (c.trigger[c.y == 0] == "").all()
    assert list(c.ids[:2]) == ["P0000", "P0001"]


@pytest.mark.parametrize("values", [[0, 1], [False, True], ["No", "Yes"], ["false", "TRUE"], ["n", "y"]])
def test_binary_outcome_spellings(values):
    f = good_frame().drop(columns=["trig"])
    f["died"] = [values[1] if i % 5 == 0 else values[0] for i in range(len(f))]
    c = build(f, id_col="mrn")
    assert c.n_events == 40


def test_round_trip_csv_and_parquet(tmp_path):
    ward = load_builtin("ward", n=1000, seed=2)
    frame = ward.to_frame()
    frame.to_csv(tmp_path / "w.csv", index=False)
    frame.to_parquet(tmp_path / "w.parquet", index=False)
    for p in (tmp_path / "w.csv", tmp_path / "w.parquet"):
        c = load_cohort_file(p, "outcome", id_col="id", trigger_col="trigger", group_col="patient_id")
        pd.testing.assert_frame_equal(c.X, ward.X, check_index_type=False)
        assert np.array_equal(c.y, ward.y) and c.hash == ward.hash
        assert c.dictionary["sbp_min"].label == "Min systolic BP"  # recognised as the ward's columns


def test_round_trip_readmission_from_bytes_and_file_object():
    r = load_builtin("readmission", n=300, seed=1)
    data = r.to_frame().to_csv(index=False).encode()
    a = cohort_from_frame(read_table(data, filename="r.csv", text_columns=["id"]), "outcome", id_col="id")
    buf = io.BytesIO(data)
    b = cohort_from_frame(read_table(buf), "outcome", id_col="id")
    again = cohort_from_frame(read_table(buf), "outcome", id_col="id")  # read twice, like a Streamlit rerun
    assert a.hash == b.hash == again.hash == r.hash


def test_uploaded_dictionary_overrides_the_inferred_one():
    d = FeatureDictionary.from_csv(b"name,label,unit,normal_low,normal_high,group,kind\n"
                                   b"hr_max,Max heart rate,/min,50,100,heart_rate,vital sign\n")
    c = build(good_frame().drop(columns=["trig"]), id_col="mrn", dictionary=d)
    assert c.dictionary["hr_max"].label == "Max heart rate" and c.dictionary["hr_max"].kind == "vital sign"
    c2 = build(good_frame().drop(columns=["trig"]), id_col="mrn").with_dictionary(d)
    assert c2.dictionary["hr_max"].unit == "/min"


# ---- files that cannot be read ------------------------------------------------------------------
def test_unparseable_file(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text('a,b\n1,"unterminated\n')
    with pytest.raises(CohortError, match="could not be parsed as CSV"):
        read_table(p)
    with pytest.raises(CohortError, match="not a readable Parquet"):
        read_table(b"PAR1 this is not parquet", filename="x.parquet")


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(CohortError, match="empty"):
        read_table(tmp_path / "e.csv")
    with pytest.raises(CohortError, match="no data rows"):
        read_table(b"a,b,c\n", filename="h.csv")


def test_not_utf8():
    data = "name,city\nx,M\u00fcnchen\n".encode("latin-1")
    with pytest.raises(CohortError, match="not UTF-8.*line 2"):
        read_table(data, filename="l1.csv")


def test_missing_file():
    with pytest.raises(CohortError, match="file not found"):
        read_table("/nonexistent/nothing.csv")


# ---- tables that cannot be a cohort -------------------------------------------------------------
def test_unknown_column_lists_columns_and_closest_match():
    with pytest.raises(CohortError, match=r"'dyed'.*did you mean 'died'.*The columns are: mrn, hr_max"):
        build(good_frame(), outcome="dyed")
    with pytest.raises(CohortError, match="id column 'patient'"):
        build(good_frame(), id_col="patient")


def test_outcome_not_binary_or_single_class():
    f = good_frame()
    f["died"] = np.arange(len(f)) % 3
    with pytest.raises(CohortError, match="must be binary.*3 different values"):
        build(f)
    f["died"] = "no"
    with pytest.raises(CohortError, match="single class"):
        build(f)
    f["died"] = np.where(np.arange(len(f)) % 2, "alive", "dead")
    with pytest.raises(CohortError, match="use 0/1, yes/no"):
        build(f)
    f["died"] = np.where(np.arange(len(f)) % 2, "yes", None)
    with pytest.raises(CohortError, match="missing in 100 row"):
        build(f)


def test_too_few_rows_or_events():
    with pytest.raises(CohortError, match="40 rows; at least 50"):
        build(good_frame(40))
    f = good_frame()
    f["died"] = np.where(np.arange(len(f)) < 5, "yes", "no")
    with pytest.raises(CohortError, match="5 events.*at least 10"):
        build(f)


def test_all_missing_and_constant_columns_are_named():
    f = good_frame()
    f["empty"] = np.nan
    with pytest.raises(CohortError, match="no values at all: empty"):
        build(f, id_col="mrn")
    f = good_frame()
    f["site"] = "A"
    f["version"] = 3.0
    with pytest.raises(CohortError, match="single value in every row: site, version"):
        build(f, id_col="mrn")


def test_text_in_a_numeric_column_names_column_value_and_row():
    f = good_frame()
    f["hr_max"] = f["hr_max"].astype(str)
    f.loc[6, "hr_max"] = "abc"
    with pytest.raises(CohortError, match=r"'hr_max' is numeric but row 7 holds the text 'abc'"):
        build(f, id_col="mrn")


def test_duplicated_ids_are_named():
    f = good_frame()
    f.loc[3, "mrn"] = "P0001"
    with pytest.raises(CohortError, match="duplicated ids: P0001"):
        build(f, id_col="mrn")


@pytest.mark.parametrize("col", ["mrn", "patient_id", "id", "PatientID"])
def test_id_like_feature_column_suggests_id(col):
    f = good_frame().rename(columns={"mrn": col})
    with pytest.raises(CohortError, match=f"'{col}' looks like an identifier.*--id {col}"):
        build(f)
    f[col] = np.arange(len(f))  # integer ids too
    with pytest.raises(CohortError, match="looks like an identifier"):
        build(f)


def test_unknown_trigger_values_are_listed_with_the_groups():
    f = good_frame()
    f.loc[0, "trig"] = "pulse"
    with pytest.raises(CohortError, match=r"'pulse' do not name a feature group.*hr"):
        build(f, id_col="mrn", trigger_col="trig")
    d = FeatureDictionary.from_csv(b"name,label,group,kind\nhr_max,Max heart rate,pulse,vital sign\n")
    f["trig"] = f["trig"].replace("hr", "pulse")
    c = build(f, id_col="mrn", trigger_col="trig", dictionary=d)  # a dictionary can define the group
    assert c.trigger[0] == "pulse" and set(c.trigger[c.y == 1]) <= {"pulse", "spo2"}


def test_high_cardinality_text_is_an_error():
    f = good_frame()
    f["note"] = [f"free text {i}" for i in range(len(f))]
    with pytest.raises(CohortError, match="'note' is text with 200 different values"):
        build(f, id_col="mrn")


def test_excel_utf16_and_semicolon_files():
    with pytest.raises(CohortError, match="Excel workbook"):
        read_table(b"PK\x03\x04rest-of-a-zip", filename="book.xlsx")
    with pytest.raises(CohortError, match="UTF-16"):
        read_table("a,b\n1,2\n".encode("utf-16"), filename="u16.csv")
    f = read_table(b"a;b;outcome\n1,5;2;0\n", filename="eu.csv")
    assert list(f.columns) == ["a", "b", "outcome"] and f["a"].iloc[0] == 1.5  # ';' files use decimal commas


def test_errors_leave_the_input_frame_unchanged():
    f = good_frame()
    f.loc[3, "mrn"] = "P0001"
    before = f.copy()
    with pytest.raises(CohortError):
        build(f, id_col="mrn", trigger_col="trig")
    pd.testing.assert_frame_equal(f, before)
    build(good_frame(), id_col="mrn", trigger_col="trig")  # and a good frame is not modified either
