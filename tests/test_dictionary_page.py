"""The Data page's feature-dictionary editor and dictionary CSV upload (AppTest through app.py, small demo).

An applied dictionary must change the active cohort's labels/units/ranges/groups and reach the patient view;
a bad one must show a clear st.error and leave the previous dictionary active.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risklens.cohorts.dictionary import DictionaryError

from apptest_support import demo_home, open_page
from apptest_support import shown as as_shown


@pytest.fixture(scope="module", autouse=True)
def small_home(tmp_path_factory):
    yield from demo_home(tmp_path_factory, 1000)


def active(at):
    from risklens.ui.state import K_COHORT

    return at.session_state[K_COHORT]


def demo():
    from risklens.demo import demo_cohort

    return demo_cohort()


def upload_dictionary(at, filename: str, data: bytes):
    at.file_uploader(key="dict_upload").set_value((filename, data, "text/csv")).run()
    at.button(key="dict_apply_upload").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def editor_state(rows: dict) -> dict:
    return {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


# ---- the pure apply logic (risklens.cohorts.upload) -----------------------------------------------
def test_apply_dictionary_partial_table_keeps_absent_columns():
    from risklens.cohorts.dictionary_edit import apply_dictionary

    c = demo()
    new, ignored = apply_dictionary(c, pd.DataFrame({"name": ["hr_max", "not_a_feature"],
                                                     "label": ["Peak pulse", "x"], "unit": ["bpm", ""]}))
    e, before = new.dictionary["hr_max"], c.dictionary["hr_max"]
    assert (e.label, e.unit) == ("Peak pulse", "bpm")
    # columns the table does not have keep the current values
    assert (e.normal_low, e.normal_high, e.group, e.kind) == (50.0, 100.0, "heart_rate", "vital sign")
    assert (e.normal_low, e.group) == (before.normal_low, before.group)
    assert ignored == ["not_a_feature"]
    assert new.hash == c.hash  # same data: models and caches stay valid
    assert new.dictionary["hr_min"] == c.dictionary["hr_min"]  # other features untouched
    assert c.dictionary["hr_max"].label == "Max heart rate"  # the old cohort is not mutated


def test_apply_dictionary_empty_cells_clear_ranges():
    from risklens.cohorts.dictionary_edit import apply_dictionary

    c = demo()
    t = c.dictionary.subset(["sbp_min"]).to_frame()
    t.loc[0, ["normal_low", "normal_high"]] = np.nan
    new, _ = apply_dictionary(c, t)
    assert new.dictionary["sbp_min"].normal_low is None and new.dictionary["sbp_min"].normal_range_text == ""


@pytest.mark.parametrize("table, match", [
    (pd.DataFrame({"label": ["A"]}), "no 'name' column.*its columns are: label"),
    (pd.DataFrame({"name": ["foo", "bar"], "label": ["A", "B"]}), "none of its names \\(foo, bar\\) is a feature"),
    (pd.DataFrame({"name": ["hr_max"], "kind": ["vitals"]}), "row 1 \\(hr_max\\): kind 'vitals' is not one of"),
    (pd.DataFrame({"name": ["hr_max"], "normal_low": [120], "normal_high": [60]}), "normal_low 120.0 is above"),
])
def test_apply_dictionary_refuses_bad_tables(table, match):
    from risklens.cohorts.dictionary_edit import apply_dictionary

    with pytest.raises(DictionaryError, match=match):
        apply_dictionary(demo(), table)


def test_apply_dictionary_refuses_to_orphan_a_recorded_trigger():
    from risklens.cohorts.dictionary_edit import apply_dictionary

    c = demo()
    hr = [f for f in c.features if c.dictionary.group(f) == "heart_rate"]
    with pytest.raises(DictionaryError, match="'heart_rate'.*no feature would belong"):
        apply_dictionary(c, pd.DataFrame({"name": hr, "group": ["pulse"] * len(hr)}))
    new, _ = apply_dictionary(c, pd.DataFrame({"name": hr[:1], "group": ["pulse"]}))  # one moved: still fine
    assert new.dictionary.group(hr[0]) == "pulse" and new.dictionary.group(hr[1]) == "heart_rate"


def test_read_dictionary_csv_messages():
    from risklens.cohorts.dictionary_edit import read_dictionary_csv

    with pytest.raises(DictionaryError, match="could not read the dictionary CSV.*header row: name, label"):
        read_dictionary_csv(b"")
    with pytest.raises(DictionaryError, match="';' between columns"):
        read_dictionary_csv(b"name;label\nhr_max;Pulse\n")
    assert list(read_dictionary_csv(b"\xef\xbb\xbfname,label\nhr_max,P\n").columns) == ["name", "label"]  # Excel BOM


def test_editor_key_follows_the_applied_dictionary():
    from risklens.cohorts.dictionary_edit import apply_dictionary
    from risklens.ui.state import dictionary_editor_key

    c = demo()
    same, _ = apply_dictionary(c, c.dictionary.subset(c.features).to_frame())
    new, _ = apply_dictionary(c, pd.DataFrame({"name": ["age"], "label": ["Age at admission"]}))
    assert dictionary_editor_key(same) == dictionary_editor_key(c) != dictionary_editor_key(new)


def test_patient_frame_uses_the_applied_dictionary():
    from risklens.explain import explain
    from risklens.explain.views import patient_frame
    from risklens.modeling import load_model
    from risklens.cohorts.dictionary_edit import apply_dictionary, read_dictionary_csv
    from risklens.demo import demo_paths

    c = demo()
    model = load_model(Path(next(p for p in demo_paths() if "l1-logistic" in p)))
    expl = explain(model, c.X.iloc[:2][model.feature_names], "coef", seed=0)
    csv = b"name,label,unit,normal_low,normal_high\nhr_max,Peak pulse,bpm,55,95\n"
    new, _ = apply_dictionary(c, read_dictionary_csv(csv))
    row = patient_frame(expl, c.ids[0], new.dictionary).set_index("feature").loc["hr_max"]
    value = float(c.X["hr_max"].iloc[0])
    assert row["label"] == "Peak pulse" and row["normal_range"] == "55-95 bpm"
    assert row["value_text"].endswith(" bpm")
    assert row["status"] == ("high" if value > 95 else "low" if value < 55 else "normal")
    assert row["group"] == "heart_rate" and row["kind"] == "vital sign"


# ---- the page (AppTest) ------------------------------------------------------------------------
def test_uploaded_dictionary_reaches_the_data_and_patients_pages():
    at = open_page("pages/patients.py")
    what_if = [n for n in at.number_input if n.key.startswith("wi_")]  # the what-if form: the top features
    key = what_if[0].key
    top = max((f for f in demo().features if key.endswith("_" + f)), key=len)
    assert what_if[0].label != "Renamed top feature (zz)"

    at.switch_page("pages/data.py").run()
    csv = f"name,label,unit,normal_low,normal_high\n{top},Renamed top feature,zz,0,1\n".encode()
    upload_dictionary(at, "ward-dictionary.csv", csv)
    assert not at.error, at.error[0].value
    assert any("Dictionary updated from ward-dictionary.csv" in as_shown(s.value) for s in at.success)
    e, old = active(at).dictionary[top], demo().dictionary[top]
    assert (e.label, e.unit, e.normal_low, e.normal_high) == ("Renamed top feature", "zz", 0.0, 1.0)
    assert (e.group, e.kind) == (old.group, old.kind)
    shown = at.data_editor[0].value.set_index("name").loc[top]
    assert shown["label"] == "Renamed top feature" and shown["unit"] == "zz"

    at.switch_page("pages/patients.py").run()
    assert not at.exception
    assert [n for n in at.number_input if n.key.startswith("wi_")][0].label == "Renamed top feature (zz)"
    assert "Renamed top feature was" in at.info[0].value


BAD = [
    ("kind.csv", b"name,label,kind\nhr_max,Pulse,vitals\n", "kind 'vitals' is not one of vital sign"),
    ("range.csv", b"name,label,normal_low,normal_high\nhr_max,Pulse,120,60\n", "normal_low 120.0 is above normal_high 60.0"),
    ("text.csv", b"name,label,normal_low\nhr_max,Pulse,low\n", "'low' is not a number"),
    ("noname.csv", b"feature,label\nhr_max,Pulse\n", "no 'name' column"),
    ("other.csv", b"name,label\nfoo,Foo\n", "none of its names (foo) is a feature"),
    ("semi.csv", b"name;label\nhr_max;Pulse\n", "';' between columns"),
]


def test_bad_dictionary_csvs_show_an_error_and_keep_the_dictionary():
    at = open_page("pages/data.py")
    before = active(at).dictionary.to_csv()
    for filename, data, fragment in BAD:
        upload_dictionary(at, filename, data)
        assert at.error, f"{filename}: no st.error"
        msg = as_shown(at.error[0].value)
        assert msg.startswith(f"Could not apply {filename}: ") and fragment in msg, msg
        assert msg.endswith("The previous dictionary stays active."), msg
        assert active(at).dictionary.to_csv() == before, filename
        assert not at.success
    assert at.data_editor[0].value.set_index("name").loc["hr_max", "label"] == "Max heart rate"


def test_editor_edits_are_applied():
    from risklens.ui.state import dictionary_editor_key

    c = demo()
    i = c.features.index("temp_max")
    at = open_page("pages/data.py", session={dictionary_editor_key(c): editor_state(
        {i: {"label": "Peak temperature", "unit": "degC", "normal_low": 35.5, "normal_high": 38.5,
             "group": "fever", "kind": "lab"}})})
    assert at.data_editor[0].key == dictionary_editor_key(c)
    assert active(at).dictionary["temp_max"].label == "Max temperature"  # not applied before the click
    at.button(key="dict_apply").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Dictionary updated from your edits" in s.value for s in at.success)
    e = active(at).dictionary["temp_max"]
    assert (e.label, e.unit, e.normal_low, e.normal_high, e.group, e.kind) == (
        "Peak temperature", "degC", 35.5, 38.5, "fever", "lab")
    assert active(at).dictionary["temp_min"] == c.dictionary["temp_min"]
    # the editor restarts from the applied dictionary, under a new key
    assert at.data_editor[0].key == dictionary_editor_key(active(at)) != dictionary_editor_key(c)
    assert at.data_editor[0].value.set_index("name").loc["temp_max", "label"] == "Peak temperature"


def test_bad_editor_edit_shows_an_error_and_keeps_the_dictionary():
    from risklens.ui.state import dictionary_editor_key

    c = demo()
    i = c.features.index("spo2_min")
    at = open_page("pages/data.py", session={dictionary_editor_key(c): editor_state(
        {i: {"label": "Lowest SpO2", "normal_low": 100.0, "normal_high": 90.0}})})
    at.button(key="dict_apply").click().run()
    assert not at.exception
    assert at.error and as_shown(at.error[0].value).startswith("Could not apply your edits: dictionary row")
    assert "(spo2_min): normal_low 100.0 is above normal_high 90.0" in as_shown(at.error[0].value)
    assert active(at).dictionary["spo2_min"] == c.dictionary["spo2_min"]


def test_unapplied_editor_edits_do_not_override_an_uploaded_dictionary():
    from risklens.ui.state import dictionary_editor_key

    c = demo()
    i = c.features.index("age")
    at = open_page("pages/data.py", session={dictionary_editor_key(c): editor_state({i: {"label": "Stale edit"}})})
    upload_dictionary(at, "age.csv", b"name,label\nage,Age at admission\n")
    assert active(at).dictionary["age"].label == "Age at admission"
    assert at.data_editor[0].value.set_index("name").loc["age", "label"] == "Age at admission"
    at.button(key="dict_apply").click().run()  # applying the (fresh) editor keeps the upload
    assert active(at).dictionary["age"].label == "Age at admission"


def test_dictionary_csv_uploaded_with_a_table():
    from risklens.cohorts import load_builtin

    frame = load_builtin("ward", n=300, seed=3).to_frame()
    frame = frame.drop(columns=[c for c in frame.columns if frame[c].nunique() <= 1])
    at = open_page("pages/data.py")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("mine.csv", frame.to_csv(index=False).encode(), "text/csv")).run()
    at.selectbox(key="map_dictionary").set_value("upload a CSV").run()
    at.file_uploader(key="map_dictionary_file").set_value(("d.csv", b"name,label,kind\nhr_max,P,vitals\n", "text/csv"))
    at.run()
    assert at.error and as_shown(at.error[0].value).startswith("Could not use d.csv as the dictionary: dictionary row 1 (hr_max)")
    assert at.button(key="data_use_upload").disabled  # not silently replaced by an inferred dictionary
    good = demo().dictionary.to_csv().replace("Max heart rate", "Peak pulse").encode()
    at.file_uploader(key="map_dictionary_file").set_value(("d.csv", good, "text/csv")).run()
    assert not at.error and not at.button(key="data_use_upload").disabled
    at.button(key="data_use_upload").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    c = active(at)
    assert c.name == "mine" and c.n == 300 and c.dictionary["hr_max"].label == "Peak pulse"
    assert c.dictionary["hr_max"].group == "heart_rate" and c.trigger is not None


def _chart_text(at) -> str:
    return " ".join(c.proto.spec for c in at.get("plotly_chart"))


def test_label_edited_on_the_data_page_reaches_the_cached_cohort_explanations():
    """The Cohort explanations figures are cached; a dictionary edit must draw them anew with the new label."""
    at = open_page("pages/explanations.py")
    top = next(f for f in demo().features if demo().dictionary.label(f) in _chart_text(at))  # a drawn feature
    assert "Relabelled on the Data page" not in _chart_text(at)
    at.switch_page("pages/data.py").run()
    upload_dictionary(at, "labels.csv", f"name,label\n{top},Relabelled on the Data page\n".encode())
    assert not at.error, at.error[0].value
    at.switch_page("pages/explanations.py").run()
    assert not at.exception
    assert "Relabelled on the Data page" in _chart_text(at)
